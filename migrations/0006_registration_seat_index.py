from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-30T15:17:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index for counting an event's seats per status and organisation"


class _Raw(Table, tablename="migration"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="dtz_events", description=DESCRIPTION)

    async def create_index():
        # Registering counts confirmed seats per organisation under the event lock: an index-only scan.
        await _Raw.raw(
            "CREATE INDEX IF NOT EXISTS registration_event_status_organisation "
            "ON registration (event, status, organisation)"
        )

    async def drop_index():
        await _Raw.raw("DROP INDEX IF EXISTS registration_event_status_organisation")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
