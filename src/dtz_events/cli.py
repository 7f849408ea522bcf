"""The `dtz-events` command: run, worker, scheduler, migrate, demo, create-user."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from typing import Any

import click

from dtz_events.settings import Settings


@click.group()
def main() -> None:
    """dtz-events: events, invitations and the cooperation ledger of the Dutch TechZone."""


@main.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from dtz_events.migrate import migrate as run_migrations

    asyncio.run(run_migrations(Settings.from_env()))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="web processes")
@click.option("--no-migrate", is_flag=True, help="skip migrations (production runs them as the release step)")
def run(host: str, port: int, workers: int, no_migrate: bool) -> None:
    """Serve the API and pages. In the embedded default this process also runs the worker and scheduler."""
    import uvicorn

    from dtz_events.core.logging import uvicorn_log_config

    log_level = os.environ.get("DTZ_LOG_LEVEL", "info")
    settings = Settings.from_env()
    if not no_migrate:
        from dtz_events.migrate import migrate as run_migrations

        asyncio.run(run_migrations(settings))
    click.echo(f"dtz-events on http://{host}:{port} (API docs at /schema)")
    uvicorn.run(
        "dtz_events.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        log_config=uvicorn_log_config(log_level),
        access_log=os.environ.get("DTZ_ACCESS_LOG", "1") == "1",
        proxy_headers=True,
    )


@main.command()
@click.option("--processes", default=1, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
def worker(processes: int, threads: int) -> None:
    """Run Dramatiq worker processes for the broker in DTZ_BROKER_URL."""
    settings = Settings.from_env()
    if settings.embedded_broker:
        raise click.UsageError("DTZ_BROKER_URL is not set: the embedded `run` process does the work itself")
    from dramatiq.cli import main as dramatiq_main

    sys.argv = ["dramatiq", "dtz_events.worker", "--processes", str(processes), "--threads", str(threads)]
    raise SystemExit(dramatiq_main())  # type: ignore[no-untyped-call]


@main.command()
def scheduler() -> None:
    """Run the scheduler: a periodic tick that finds due work in the database."""
    from dtz_events.scheduler import run_forever

    asyncio.run(run_forever(Settings.from_env()))


@main.command()
def demo() -> None:
    """Fill the database with realistic Dutch TechZone demo data (idempotent)."""
    from dtz_events.demo import load_demo
    from dtz_events.migrate import migrate as run_migrations

    settings = Settings.from_env()

    async def go() -> None:
        await run_migrations(settings)
        from dtz_events.core import db

        await db.connect(settings)
        try:
            click.echo(await load_demo(settings))
        finally:
            await db.disconnect()

    asyncio.run(go())


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "organiser", "board_secretary", "partner_coordinator"]),
)
@click.option("--organisation-id", type=int, default=None)
@click.option("--language", type=click.Choice(["nl", "en"]), default="nl")
@click.option("--password", default=None, help="prompted for when left out; DTZ_PASSWORD also works")
def create_user(
    email: str, name: str, role: str, organisation_id: int | None, language: str, password: str | None
) -> None:
    """Create an account that can log in."""
    from dtz_events.accounts.schemas import AccountCreate
    from dtz_events.accounts.services import create_account
    from dtz_events.core import db
    from dtz_events.core.auth import Role
    from dtz_events.core.errors import DomainError

    password = password or os.environ.get("DTZ_PASSWORD") or getpass.getpass("Password (12+ characters): ")
    if len(password) < 12:
        raise click.UsageError("the password needs at least 12 characters")
    settings = Settings.from_env()

    async def go() -> None:
        await db.connect(settings)
        try:
            account = await create_account(
                AccountCreate(
                    email=email,
                    name=name,
                    role=Role(role),
                    password=password,
                    organisation_id=organisation_id,
                    language=language,
                )
            )
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        finally:
            await db.disconnect()
        click.echo(f"account {account.id} created: {account.email} ({account.role.value})")

    asyncio.run(go())


@main.command("export-person")
@click.argument("person_id", type=int)
def export_person(person_id: int) -> None:
    """Print everything stored about a person as JSON (a subject access request)."""
    import msgspec

    from dtz_events.privacy.services import export_person as export

    async def go() -> bytes:
        return msgspec.json.format(msgspec.json.encode(await export(person_id)))

    click.echo(_with_database(go).decode())


@main.command("erase-person")
@click.argument("person_id", type=int)
@click.confirmation_option(prompt="Erase this person? Their personal data cannot be brought back.")
def erase_person(person_id: int) -> None:
    """Anonymise a person (registrations stay as counts, links stop working, email copies are blanked)."""
    import msgspec

    from dtz_events.privacy.services import erase_person as erase

    async def go() -> bytes:
        return msgspec.json.encode(await erase(None, person_id))

    click.echo(_with_database(go).decode())


@main.command()
def retention() -> None:
    """Apply the retention periods now (the scheduler does this on every tick)."""
    from dtz_events.core.clock import utcnow
    from dtz_events.privacy.services import retention_run

    async def go() -> str:
        run = await retention_run(utcnow())
        return f"{run.events} events past their retention; {len(run.people)} people erased: {run.people}"

    click.echo(_with_database(go))


def _with_database(work: Any) -> Any:
    from dtz_events.core import db
    from dtz_events.core.errors import DomainError

    settings = Settings.from_env()

    async def go() -> Any:
        await db.connect(settings)
        try:
            return await work()
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        finally:
            await db.disconnect()

    return asyncio.run(go())


if __name__ == "__main__":
    main()
