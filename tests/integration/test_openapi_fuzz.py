"""schemathesis against /schema/openapi.json: every operation, called as each role (admin, organiser, board
secretary, partner coordinator, anonymous) with generated input, against a live server process on the test
database. No answer may be a server error, and every answer must match what the document says (status code,
content type, body schema). Bounded to one generated case per operation and role (under a minute);
`bench/schemathesis_long.py` runs many more."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support.fixtures import LiveServer, build_world, start_server, stop_server

EXAMPLES = int(os.environ.get("DTZ_FUZZ_EXAMPLES", "1"))
BUDGET_SECONDS = float(os.environ.get("DTZ_FUZZ_BUDGET", "90"))
ROLES = ("admin", "organiser", "board_secretary", "partner_a", "anonymous")


@dataclass
class FuzzReport:
    calls: int = 0
    failures: list[str] = field(default_factory=list)
    operations: set[str] = field(default_factory=set)


def fuzz(
    base_url: str, headers_by_role: dict[str, dict[str, str]], examples: int, budget: float
) -> FuzzReport:
    """Every operation as every role, `examples` generated cases each; stops early when `budget` runs out."""
    import schemathesis
    from schemathesis import checks

    schema = schemathesis.openapi.from_url(base_url + "/schema/openapi.json")
    selected = [
        checks.not_a_server_error,
        checks.status_code_conformance,
        checks.content_type_conformance,
        checks.response_schema_conformance,
    ]
    report = FuzzReport()
    deadline = time.monotonic() + budget
    operations = [result.ok() for result in schema.get_all_operations()]
    for role in ROLES:
        headers = headers_by_role[role]
        for operation in operations:
            if time.monotonic() > deadline:
                report.failures.append(f"budget of {budget:.0f} s spent before {role} {operation.label}")
                return report
            report.operations.add(operation.label)

            _run_operation(operation, base_url, role, headers, examples, selected, report)
    return report


def _run_operation(
    operation: Any,
    base_url: str,
    role: str,
    headers: dict[str, str],
    examples: int,
    selected: list[Any],
    report: FuzzReport,
) -> None:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        report.calls += 1
        response = case.call(base_url=base_url, headers=headers, timeout=10)
        try:
            case.validate_response(response, checks=selected)
        except (Exception, BaseExceptionGroup) as exc:  # record and go on: one report of all found
            text = str(exc).strip()
            found = [line.strip() for line in text.splitlines() if line.strip().startswith("- ")]
            first = "; ".join(found) or (text.splitlines()[0] if text else type(exc).__name__)
            report.failures.append(
                f"{role} {case.method} {case.formatted_path} -> {response.status_code}: {first}\n"
                f"    {case.as_curl_command()[:400]}"
            )

    run()


@pytest.fixture(scope="module")
def fuzz_server(database: None) -> Iterator[LiveServer]:
    # Generated input guesses at links and logins: the rate limits would end the run with 429s.
    server = start_server(
        workers=1,
        env={"DTZ_SCHEDULER_INTERVAL": "3600", "DTZ_RATE_LIMIT_LOGIN": "0/1", "DTZ_RATE_LIMIT_TOKENS": "0/1"},
    )
    yield server
    stop_server(server)


@pytest.mark.slow
async def test_every_operation_as_every_role_answers_as_documented(fuzz_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=fuzz_server.url, timeout=30) as client:
        world = await build_world(client)
    headers = {
        "admin": world.actors["admin"].headers,
        "organiser": world.actors["organiser"].headers,
        "board_secretary": world.actors["board_secretary"].headers,
        "partner_a": world.actors["partner_a"].headers,
        "anonymous": {},
    }
    report = await asyncio.to_thread(fuzz, fuzz_server.url, headers, EXAMPLES, BUDGET_SECONDS)
    assert len(report.operations) > 40, sorted(report.operations)
    assert not report.failures, f"{len(report.failures)} of {report.calls} calls:\n" + "\n".join(
        report.failures[:40]
    )
