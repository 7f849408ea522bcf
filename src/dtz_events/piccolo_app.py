"""The one Piccolo app: every table of every domain; migrations live in the top-level migrations/ folder."""

from __future__ import annotations

import os
from pathlib import Path

from piccolo.conf.apps import AppConfig

from dtz_events.tables import all_tables

MIGRATIONS_FOLDER = Path(
    os.environ.get("DTZ_MIGRATIONS_DIR") or Path(__file__).resolve().parents[2] / "migrations"
)

APP_CONFIG = AppConfig(
    app_name="dtz_events",
    migrations_folder_path=str(MIGRATIONS_FOLDER),
    table_classes=all_tables(),
    migration_dependencies=[],
    commands=[],
)
