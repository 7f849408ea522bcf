from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-30T15:08:47:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique indexes for survey invitations, reported contacts and check-in codes"

# Raw SQL for the same reason as 0002: SQLite has no ALTER TABLE ... ADD CONSTRAINT (nor ADD COLUMN UNIQUE).
UNIQUE_INDEXES = {
    "survey_invitation_registration_wave_unique": ("survey_invitation", ("survey", "registration", "wave")),
    "reported_contact_invitation_other_unique": ("reported_contact", ("invitation", "other")),
    "registration_checkin_code_unique": ("registration", ("checkin_code",)),
}


class _Raw(Table, tablename="migration"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="dtz_events", description=DESCRIPTION)

    async def create_indexes():
        for name, (table, columns) in UNIQUE_INDEXES.items():
            await _Raw.raw(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {table} ({', '.join(columns)})")

    async def drop_indexes():
        for name in UNIQUE_INDEXES:
            await _Raw.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
