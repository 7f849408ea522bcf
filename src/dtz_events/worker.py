"""Worker entry point for `dramatiq dtz_events.worker`: the broker first, then every domain's actors."""

from __future__ import annotations

from dtz_events.broker import setup_broker
from dtz_events.settings import Settings

broker = setup_broker(Settings.from_env())

from dtz_events import tasks  # noqa: E402,F401 - imports every */tasks.py after the broker is set
