from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

# Right after 0007_cooperation: Piccolo runs a migration's raw steps before its new tables, so the indexes
# on those tables need a migration of their own (as 0004 and 0005 do).
ID = "2026-11-30T18:00:07:000001"
VERSION = "1.38.0"
DESCRIPTION = "cooperation ledger: unique pair per event, and the reports' index"

# Raw SQL as in 0002/0005: SQLite has no ALTER TABLE ... ADD CONSTRAINT.
INDEXES = {
    "cooperation_link_pair_event_unique": "UNIQUE INDEX IF NOT EXISTS cooperation_link_pair_event_unique "
    "ON cooperation_link (org_a, org_b, event)",
    # Every report selects a period and groups by pair: an index-only scan of the period.
    "cooperation_link_day_pair": "INDEX IF NOT EXISTS cooperation_link_day_pair "
    "ON cooperation_link (day, org_a, org_b)",
    # The few rows with an outcome (the funnel) or a report (reported links, the network), by period.
    "cooperation_link_ranked": "INDEX IF NOT EXISTS cooperation_link_ranked "
    "ON cooperation_link (day, org_a, org_b, rank, first_key) WHERE rank IS NOT NULL",
    "cooperation_link_reported": "INDEX IF NOT EXISTS cooperation_link_reported "
    "ON cooperation_link (day, org_a, org_b, reported_by_a, reported_by_b) WHERE reported_by_a OR reported_by_b",
    "cooperation_link_new": "INDEX IF NOT EXISTS cooperation_link_new "
    "ON cooperation_link (day, org_a, org_b, quarter) WHERE is_new",
    # Rows that are more than attending together (active organisations): a held meeting, a workshop, a report.
    "cooperation_link_evidence": "INDEX IF NOT EXISTS cooperation_link_evidence "
    "ON cooperation_link (day, org_a, org_b) WHERE met OR workshop OR reported_by_a OR reported_by_b",
}


class _Raw(Table, tablename="migration"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="dtz_events", description=DESCRIPTION)

    async def create_indexes():
        for definition in INDEXES.values():
            await _Raw.raw(f"CREATE {definition}")

    async def drop_indexes():
        for name in INDEXES:
            await _Raw.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
