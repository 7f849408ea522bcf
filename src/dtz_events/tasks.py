"""Imports every domain's actors. Import only after `setup_broker`."""

from __future__ import annotations
