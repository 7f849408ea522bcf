"""The quorum rules and the decision numbers."""

from __future__ import annotations

import pytest

from dtz_events.board.schemas import QuorumRule
from dtz_events.board.services import decision_code, required_seats

pytestmark = pytest.mark.sqlite


@pytest.fixture(autouse=True)
def empty_tables() -> None:
    """Overrides conftest's emptying of the tables: these tests touch no database."""


@pytest.mark.parametrize(
    ("rule", "seats", "count", "required"),
    [
        (QuorumRule.majority, 7, None, 4),  # the Bestuurlijk Overleg DTZ: seven seats
        (QuorumRule.majority, 8, None, 5),
        (QuorumRule.majority, 1, None, 1),
        (QuorumRule.two_thirds, 7, None, 5),
        (QuorumRule.two_thirds, 9, None, 6),
        (QuorumRule.fixed, 7, 3, 3),
    ],
)
def test_required_seats(rule: QuorumRule, seats: int, count: int | None, required: int) -> None:
    assert required_seats(rule, seats, count) == required


def test_decision_codes_are_zero_padded_per_year() -> None:
    assert decision_code(2026, 14) == "BO-2026-014"
    assert decision_code(2027, 1) == "BO-2027-001"
    assert decision_code(2026, 1234) == "BO-2026-1234"
