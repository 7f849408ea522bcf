from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-30T14:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite unique indexes"

# Raw SQL, because Piccolo adds a Unique constraint with ALTER TABLE ... ADD CONSTRAINT, which SQLite lacks;
# a unique index does the same on both databases. tests/integration/test_schema.py checks that each exists.
COMPOSITE_UNIQUE_INDEXES = {
    "organisation_programme_unique": ("organisation_programme", ("organisation", "programme")),
    "organisation_theme_unique": ("organisation_theme", ("organisation", "theme")),
    "event_theme_unique": ("event_theme", ("event", "theme")),
    "registration_event_person_unique": ("registration", ("event", "person")),
    "quota_event_organisation_unique": ("quota", ("event", "organisation")),
}


class _Raw(Table, tablename="migration"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="dtz_events", description=DESCRIPTION)

    async def create_indexes():
        for name, (table, columns) in COMPOSITE_UNIQUE_INDEXES.items():
            await _Raw.raw(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {table} ({', '.join(columns)})")

    async def drop_indexes():
        for name in COMPOSITE_UNIQUE_INDEXES:
            await _Raw.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
