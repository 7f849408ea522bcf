"""After a network meeting the survey asks, for each of the person's 1:1 meetings, whether it took place and
what came of it; the answers set the meeting's `held` and `outcome` (which feed the cooperation ledger)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from dtz_events.core.clock import utcnow
from dtz_events.core.errors import InvalidInput
from dtz_events.matchmaking.tables import Meeting, MeetingRequest
from dtz_events.surveys import services as surveys
from tests.integration.surveys.helpers import DAY, HOUR, past_event, register, survey_link, tick_at
from tests.support.fixtures import World

pytestmark = pytest.mark.sqlite


async def _meeting(event_id: int, a: int, b: int, starts_at: datetime, table: int) -> int:
    """A meeting that was scheduled at the event (written in directly: booking closed long ago)."""
    request = await MeetingRequest.insert(
        MeetingRequest(
            event=event_id, requester=a, recipient=b, status="accepted", priority=2, expires_at=starts_at
        )
    ).returning(MeetingRequest.id)
    rows = await Meeting.insert(
        Meeting(
            event=event_id,
            request=request[0]["id"],
            person_a=a,
            person_b=b,
            status="scheduled",
            slot=0,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=20),
            table_number=table,
            invited=True,
        )
    ).returning(Meeting.id)
    return int(rows[0]["id"])


async def test_the_survey_asks_about_each_meeting(client: httpx.AsyncClient, world: World) -> None:
    event_id, ends = await past_event(client, world, DAY)
    registrations = await register(client, world, event_id, "a1", "b1", "c1")
    p = world.people
    start = ends - 2 * HOUR
    with_b1 = await _meeting(event_id, p["a1"], p["b1"], start, 3)
    with_c1 = await _meeting(event_id, p["c1"], p["a1"], start + timedelta(minutes=20), 4)
    await tick_at(ends + 2 * HOUR)
    a1 = await survey_link(registrations["a1"]["id"])
    b1 = await survey_link(registrations["b1"]["id"])

    page = await client.get(f"/survey/{a1}")
    assert page.status_code == 200
    assert "Cor Bakker (Drenthe College)" in page.text
    assert "tafel 3" in page.text
    assert f'name="meeting.{with_c1}"' in page.text

    await surveys.submit(
        a1, {"overall": ["4"], f"meeting.{with_b1}": ["follow_up"], f"meeting.{with_c1}": ["not_held"]}
    )
    rows = {r["id"]: r for r in await Meeting.select()}
    assert (rows[with_b1]["held"], rows[with_b1]["outcome"]) == (True, "follow_up")
    assert (rows[with_c1]["held"], rows[with_c1]["outcome"]) == (False, None)
    # The other side says more came of it: the highest outcome counts; held stays true.
    await surveys.submit(b1, {"overall": ["5"], f"meeting.{with_b1}": ["joint_project"]})
    row = await Meeting.select(Meeting.held, Meeting.outcome).where(Meeting.id == with_b1).first()
    assert row == {"held": True, "outcome": "joint_project"}
    # The form opens with the earlier answers.
    again = await client.get(f"/survey/{a1}")
    assert '<option value="follow_up" selected>' in again.text
    # Someone else's meeting, or an unknown answer, is refused and names the field.
    with pytest.raises(InvalidInput) as refused:
        await surveys.submit(b1, {"overall": ["5"], f"meeting.{with_c1}": ["contact"]})
    assert refused.value.errors[0].field == f"meeting.{with_c1}"
    with pytest.raises(InvalidInput):
        await surveys.submit(a1, {"overall": ["5"], f"meeting.{with_b1}": ["great"]})
    assert utcnow() > ends
