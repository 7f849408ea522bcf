"""Run the Piccolo migrations against the database of DTZ_DATABASE_URL (Piccolo's migration machinery reads
its engine from piccolo_conf, which reads the environment)."""

from __future__ import annotations

from dtz_events.settings import Settings


async def migrate(settings: Settings) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    result = await run_forwards(app_name="all")
    if not result.success:
        raise SystemExit(f"migrations failed: {result.message}")
