"""Imports every domain's actors. Import only after `setup_broker`."""

from __future__ import annotations

from dtz_events.mail import tasks as mail_tasks
from dtz_events.matchmaking import tasks as matchmaking_tasks

__all__ = ["mail_tasks", "matchmaking_tasks"]
