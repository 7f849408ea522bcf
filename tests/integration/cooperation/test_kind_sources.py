"""Links and figures from the kind-specific parts: a held 1:1 meeting (network meetings) and a school group
in a host's workshop (promotion days), and the pupils reached per school, level and municipality."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dtz_events.cooperation import services
from dtz_events.cooperation.refresh import refresh
from dtz_events.cooperation.schemas import LinkStatus, Source
from dtz_events.core.auth import Principal, Role
from dtz_events.events.tables import Event
from dtz_events.matchmaking.tables import Meeting, MeetingRequest
from dtz_events.promotion_days.tables import RotationAssignment, SchoolGroup, Workshop
from tests.integration.cooperation.world import Ledger, build_ledger, moment, organisation

pytestmark = pytest.mark.sqlite

ORGANISER = Principal(account_id=1, role=Role.organiser, name="Organisator", email="o@dutchtechzone.nl")


async def _promotion_day(ledger: Ledger) -> None:
    """On the promotion day E3: Drenthe College (S) brings two groups, a Hardenberg school one, and a
    cancelled group counts for nothing; S's vmbo group goes to Emmtec's (A) workshop."""
    e3 = ledger.events["E3"]
    await organisation(ledger, "T", "Vechtdal College", "school", "education", "Hardenberg")
    groups = [
        SchoolGroup(event=e3, school=ledger.orgs["S"], class_name="3b", level="vmbo", pupil_count=24),
        SchoolGroup(event=e3, school=ledger.orgs["S"], class_name="4a", level="havo_vwo", pupil_count=20),
        SchoolGroup(event=e3, school=ledger.orgs["T"], class_name="2c", level="vmbo", pupil_count=18),
        SchoolGroup(
            event=e3,
            school=ledger.orgs["T"],
            class_name="2d",
            level="vmbo",
            pupil_count=30,
            status="cancelled",
        ),
    ]
    for g in groups:
        await g.save()
    workshop = Workshop(event=e3, host=ledger.orgs["A"], title_nl="Lassen", title_en="Welding", capacity=30)
    await workshop.save()
    await RotationAssignment(school_group=groups[0].id, workshop=workshop.id, round=1).save()


async def _meeting(ledger: Ledger) -> None:
    """Anouk (A) and the Coevorden official (G) held a 1:1 meeting at E2; B and G's meeting did not happen."""
    e2 = ledger.events["E2"]
    starts = moment((await _day(ledger, "E2")), 16)
    for a, b, held in (("a1", "g1", True), ("b1", "g1", False)):
        request = MeetingRequest(
            event=e2,
            requester=ledger.people[a],
            recipient=ledger.people[b],
            status="accepted",
            expires_at=starts,
        )
        await request.save()
        await Meeting(
            event=e2,
            request=request.id,
            person_a=ledger.people[a],
            person_b=ledger.people[b],
            status="scheduled",
            starts_at=starts,
            ends_at=starts + timedelta(minutes=20),
            held=held,
        ).save()


async def _day(ledger: Ledger, event: str) -> date:
    row = await Event.select(Event.starts_at).where(Event.id == ledger.events[event]).first()
    assert row is not None
    return row["starts_at"].date()  # type: ignore[no-any-return]


async def test_meetings_workshops_and_pupils() -> None:
    ledger = await build_ledger()
    await _promotion_day(ledger)
    await _meeting(ledger)
    assert await refresh() == 4
    s = await services.selection(ORGANISER, period="2025")
    links = {(i.organisation_a, i.organisation_b): i for i in (await services.links(s, per_page=200)).items}

    a, g, sch = ledger.orgs["A"], ledger.orgs["G"], ledger.orgs["S"]
    ag = links[(min(a, g), max(a, g))]
    assert [(e.event_id, sorted(x.value for x in e.sources)) for e in ag.events] == [
        (ledger.events["E2"], ["attended", "meeting", "survey"])
    ]
    assert (ag.status, ag.outcome) == (LinkStatus.reported, "agreement")
    # B was not checked in at E2 and its meeting was not held: no link B-G.
    b = ledger.orgs["B"]
    assert (min(b, g), max(b, g)) not in links

    as_ = links[(min(a, sch), max(a, sch))]
    by_event = {e.event_id: e.sources for e in as_.events}
    assert by_event[ledger.events["E3"]] == [Source.workshop]  # A was not checked in at E3
    assert as_.status is LinkStatus.reported  # S named A at E1

    pupils = await services.pupils(s)
    assert pupils.available
    assert [(r.school, r.level, r.groups, r.pupils) for r in pupils.rows] == [
        ("Drenthe College", "havo_vwo", 1, 20),
        ("Drenthe College", "vmbo", 1, 24),
        ("Vechtdal College", "vmbo", 1, 18),
    ]
    assert pupils.total == 62
    assert [(m.helix, m.count) for m in pupils.by_municipality] == [("Emmen", 44), ("Hardenberg", 18)]
    assert [(m.helix, m.count) for m in pupils.by_level] == [("havo_vwo", 20), ("vmbo", 42)]
    hardenberg = await services.pupils(
        await services.selection(ORGANISER, period="2025", municipality="Hardenberg")
    )
    assert hardenberg.total == 18
    assert (await services.pupils(await services.selection(ORGANISER, period="2024"))).total == 0
    assert (await services.summary(s)).pupils == 62

    # A school's coordinator sees its own pupils only.
    school = Principal(
        account_id=2, role=Role.partner_coordinator, name="C", email="c@x.example", organisation_id=sch
    )
    own = await services.pupils(await services.selection(school, period="2025"))
    assert own.total == 44

    # The meeting no longer counts once it is marked not held: the refresh sees the change.
    await Meeting.update({Meeting.held: False}).where(Meeting.held.eq(True))
    assert await refresh() == 1
    links = {(i.organisation_a, i.organisation_b): i for i in (await services.links(s, per_page=200)).items}
    assert [sorted(x.value for x in e.sources) for e in links[(min(a, g), max(a, g))].events] == [
        ["attended", "survey"]
    ]


async def test_demo_history_makes_links_once() -> None:
    from dtz_events.cooperation.demo import PAST_EVENTS, demo_cooperation

    await build_ledger()
    await refresh()
    before = await services.summary(await services.selection(ORGANISER, period="all"))
    assert await demo_cooperation() == len(PAST_EVENTS)
    after = await services.summary(await services.selection(ORGANISER, period="all"))
    assert after.links > before.links
    assert after.reported + after.confirmed > before.reported + before.confirmed
    assert after.moved_up > before.moved_up  # the 3-month follow-ups climbed a rung
    assert await demo_cooperation() == 0
    assert await refresh() == 0
