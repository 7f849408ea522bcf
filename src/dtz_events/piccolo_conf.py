"""Piccolo configuration: the engine comes from the settings (DTZ_DATABASE_URL)."""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry

from dtz_events.core.db import engine_from_settings
from dtz_events.settings import Settings

DB = engine_from_settings(Settings.from_env())

APP_REGISTRY = AppRegistry(apps=["dtz_events.piccolo_app"])
