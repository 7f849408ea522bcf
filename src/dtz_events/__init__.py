"""dtz-events: the event programme, invitations and cooperation ledger of the Dutch TechZone."""

import os

__version__ = "0.1.0"

# Piccolo finds its engine through this module path; a default here spares every entry point from setting it.
os.environ.setdefault("PICCOLO_CONF", "dtz_events.piccolo_conf")
