"""Cooperation ledger reports on four years of data: p50 and p95 per report endpoint.

    .venv/bin/python bench/ledger.py [--period 2025] [--requests 20] [--keep]

Creates a scratch PostgreSQL database, migrates it, writes four years of history with COPY
(bench/ledger_data.py: 1,000 organisations, 2,000 events, 100,000 registrations, 60,000 check-ins,
30,000 survey responses, 3,000 held 1:1 meetings, promotion-day groups and workshops), derives the links
once (a full refresh, timed) and again after one event changed (an incremental refresh, timed), starts
`dtz-events run --no-migrate --workers 2`, and then, per report endpoint, sends 3 warm-up requests and 20
timed ones, one at a time, with an organiser's API key; for the last year (every endpoint, JSON and CSV)
and then for a filtered selection (a quarter, a kind of event, a programme and a municipality: the JSON
endpoints). Prints the first (computed) request, p50 and p95 per endpoint against the target (p50 <= 200
ms, p95 <= 500 ms). The server is stopped and the database dropped at the end (`--keep`, `--reuse NAME`)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _support import (
    Connection,
    ScratchDatabase,
    Server,
    build_request,
    load_average,
    percentile,
    run_cli,
    service_env,
)
from ledger_data import Volume, generate

# The summary last: it reuses four figures, so its first (cold) time is only fair after theirs.
FIGURES = [
    "active-organisations",
    "new-links",
    "helix",
    "funnel",
    "pupils",
    "partners",
    "isolated",
    "network",
    "links",
]
ENDPOINTS = [*FIGURES, "summary", *(f"{name}.csv" for name in [*FIGURES, "summary"])]
TARGET_P50, TARGET_P95 = 200.0, 500.0
ORGANISER = "organisator@dutchtechzone.nl"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def derive_links(url: str) -> tuple[float, int, float, int, str]:
    """A full refresh on fresh data, then one after a single event changed: (seconds, events) of each; and
    an organiser's API key for the requests."""
    os.environ["DTZ_DATABASE_URL"] = url
    os.environ.setdefault("PICCOLO_CONF", "dtz_events.piccolo_conf")
    from dtz_events.cooperation.refresh import refresh
    from dtz_events.core import db
    from dtz_events.settings import Settings

    await db.connect(Settings.from_env())
    try:
        started = time.perf_counter()
        full = await refresh()
        full_s = time.perf_counter() - started
        from dtz_events.registrations.tables import Registration

        row = (
            await Registration.select(Registration.id, Registration.event)
            .where(Registration.checked_in_at.is_null())
            .first()
        )
        assert row is not None
        await Registration.update({Registration.checked_in_at: datetime.now(UTC)}).where(
            Registration.id == row["id"]
        )
        started = time.perf_counter()
        again = await refresh()
        again_s = time.perf_counter() - started
        from dtz_events.accounts.schemas import AccountCreate
        from dtz_events.accounts.services import create_account, create_api_key
        from dtz_events.core.auth import Principal, Role

        account = await create_account(
            AccountCreate(email=ORGANISER, name="Organisator", role=Role.organiser)
        )
        principal = Principal(
            account_id=account.id, role=Role.organiser, name=account.name, email=account.email
        )
        key = (await create_api_key(principal, "ledger benchmark")).key
    finally:
        await db.disconnect()
    return full_s, full, again_s, again, key


async def time_endpoints(
    server: Server, key: str, query: str, n: int, csv: bool = True
) -> list[tuple[str, float, float, float, int]]:
    conn = Connection(server.host, server.port)
    results = []
    try:
        for name in ENDPOINTS if csv else [e for e in ENDPOINTS if not e.endswith(".csv")]:
            raw = build_request("GET", f"/api/cooperation/{name}?{query}", server.host, bearer(key))
            cold = 0.0
            for i in range(3):
                started = time.perf_counter()
                status, body = await conn.request(raw)
                if i == 0:
                    cold = (time.perf_counter() - started) * 1000
                if status != 200:
                    raise RuntimeError(f"{name}: {status} {body[:300]!r}")
            timings = []
            for _ in range(n):
                started = time.perf_counter()
                status, _ = await conn.request(raw)
                timings.append((time.perf_counter() - started) * 1000)
                assert status == 200
            timings.sort()
            results.append((name, cold, percentile(timings, 50), percentile(timings, 95), len(body)))
    finally:
        await conn.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--period", default=str(datetime.now(UTC).year - 1), help="report period (default: last year)"
    )
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("DTZ_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument(
        "--filters",
        nargs="*",
        default=["period=2025-Q2&kind=network_meeting&programme=smart-industry-hub&municipality=Emmen"],
        help="further selections to time (query strings), JSON endpoints only unless --csv",
    )
    parser.add_argument("--csv", action="store_true", help="time the CSV endpoints for --filters too")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", help="time the endpoints on a database kept by --keep (no generating)")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/13", help="the web process's broker")
    args = parser.parse_args()

    scratch = ScratchDatabase(args.admin_url, args.reuse or f"dtz_bench_ledger_{os.getpid()}")
    if not args.reuse:
        scratch.create()
    server = None
    try:
        # As in production: the web process serves, and no scheduler runs inside it.
        env = service_env(scratch.url, DTZ_BROKER_URL=args.broker)
        run_cli(["migrate"], env, timeout=180)
        if not args.reuse:
            made = asyncio.run(generate(scratch.url, Volume()))
            print(
                f"generated in {made.seconds:.1f} s: " + ", ".join(f"{k} {v}" for k, v in made.counts.items())
            )
        full_s, full, again_s, again, key = asyncio.run(derive_links(scratch.url))
        links = asyncio.run(
            scratch.fetch(
                "SELECT COUNT(*) AS n, COUNT(DISTINCT (org_a, org_b)) AS pairs FROM cooperation_link"
            )
        )[0]
        print(
            f"full refresh: {full} events in {full_s:.1f} s -> "
            f"{links['n']} link rows, {links['pairs']} linked pairs"
        )
        print(f"incremental refresh after one check-in: {again} event(s) in {again_s * 1000:.0f} ms")
        log = Path(tempfile.mkdtemp(prefix="dtz-ledger-")) / "server.log"
        server = Server.start(env, workers=2, log=log, timeout=90)
        print(f"load before: {load_average()} (2 cores shared with other work)")
        failed = 0
        for query in (f"period={args.period}", *args.filters):
            results = asyncio.run(
                time_endpoints(
                    server, key, query, args.requests, args.csv or query == f"period={args.period}"
                )
            )
            print(
                f"\n{query}: {args.requests} warm requests each, one at a time "
                "over one keep-alive connection; 2 web processes"
            )
            print(
                f"{'endpoint':<28}{'first ms':>9}{'p50 ms':>9}{'p95 ms':>9}{'bytes':>9}  "
                f"target p50<={TARGET_P50:.0f} p95<={TARGET_P95:.0f}"
            )
            for name, cold, p50, p95, size in results:
                ok = p50 <= TARGET_P50 and p95 <= TARGET_P95
                failed += not ok
                print(f"{name:<28}{cold:>9.1f}{p50:>9.1f}{p95:>9.1f}{size:>9}  {'ok' if ok else 'MISSED'}")
        print("\nfirst: the first request after start (computed; each web process caches a figure until the")
        print("links are refreshed); the CSVs reuse the figures the JSON endpoints computed")
        print(f"load after: {load_average()}")
        errors = server.log_errors()
        if errors:
            print("server errors:", *errors[:5], sep="\n  ")
        return 1 if failed or errors else 0
    finally:
        if server is not None:
            server.stop()
        if not args.keep and not args.reuse:
            scratch.drop()
        elif not args.reuse:
            print(f"kept database {scratch.name}")


if __name__ == "__main__":
    sys.exit(main())
