"""End to end: two participants request and accept a meeting through the API (with their links), the
organiser schedules, both receive a calendar invitation for that one meeting at the SMTP server; moving it
sends an update with a higher SEQUENCE, dropping it sends both a CANCEL; the agenda page and email list
the meetings with their table numbers."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from dtz_events.core.clock import local
from dtz_events.mail.tables import OutboxMessage
from dtz_events.matchmaking.tables import Meeting, MeetingRequest
from tests.integration.matchmaking.helpers import (
    EMAILS,
    calendar_of,
    matchmaking_event,
    ok,
    profile,
    schedule,
    workers_away,
)
from tests.support.fixtures import MailEnv, World

pytestmark = pytest.mark.sqlite


def meeting_mails(mail_env: MailEnv, key: str, kind: str) -> list:
    return [r for r in mail_env.sink.to(EMAILS[key]) if kind in r.message["Subject"]]


async def test_request_accept_schedule_move_drop(
    client: httpx.AsyncClient, world: World, mail_env: MailEnv
) -> None:
    setup = await matchmaking_event(client, world)
    a1, b1 = setup.tokens["a1"], setup.tokens["b1"]
    await profile(client, a1, offers="Waterstofopslag en procesautomatisering", seeks="Stagiairs techniek")
    await profile(
        client, b1, offers="Stagiairs techniek, mbo-opleidingen", seeks="Bedrijven voor praktijkopdrachten"
    )

    others = await ok(await client.get(f"/api/matchmaking/{a1}/profiles"))
    assert [p["person_id"] for p in others] == [world.people["b1"]]
    suggestions = await ok(await client.get(f"/api/matchmaking/{a1}/suggestions"))
    assert suggestions[0]["profile"]["person_id"] == world.people["b1"]
    assert "offers what you look for" in suggestions[0]["reasons"]

    body = {"recipient_id": world.people["b1"], "message": "Zullen we het over stages hebben?", "priority": 3}
    request = await ok(await client.post(f"/api/matchmaking/{a1}/requests", json=body), 201)
    assert request["status"] == "pending"
    again = await client.post(f"/api/matchmaking/{a1}/requests", json=body)
    assert again.status_code == 409  # one open request per pair
    # Only the person asked can answer.
    refused = await client.post(f"/api/matchmaking/{a1}/requests/{request['id']}/accept")
    assert refused.status_code == 409
    accepted = await ok(await client.post(f"/api/matchmaking/{b1}/requests/{request['id']}/accept"))
    assert accepted["status"] == "accepted"
    meeting_id = accepted["meeting_id"]
    assert meeting_id is not None

    organiser = world.actors["organiser"].headers
    result = await schedule(client, setup.event_id, organiser, mail_env)
    assert result["scheduled"] == 1
    assert result["upper_bound"] == 1
    await mail_env.flush()

    # The request reached b1 first, with the link to answer it.
    asked = [r for r in mail_env.sink.to(EMAILS["b1"]) if "wil je spreken" in r.message["Subject"]]
    assert len(asked) == 1
    assert f"/matchmaking/{b1}" not in asked[0].message.get_body(("plain",)).get_content()  # a fresh link
    assert "/matchmaking/matchmaking_" in asked[0].message.get_body(("plain",)).get_content()

    row = await Meeting.select().where(Meeting.id == meeting_id).first()
    assert row is not None
    assert row["status"] == "scheduled"
    assert row["table_number"] is not None
    uid = f"meeting-{meeting_id}@testserver.local"
    for key, other in (("a1", "Cor Bakker"), ("b1", "Anouk Jansen")):
        [invitation] = meeting_mails(mail_env, key, "1-op-1 gesprek")
        method, vevent = calendar_of(invitation.message)
        assert method == "REQUEST"
        assert str(vevent["UID"]) == uid
        assert int(vevent["SEQUENCE"]) == 0
        assert vevent.decoded("DTSTART") == local(row["starts_at"])
        assert f"tafel {row['table_number']}" in str(vevent["LOCATION"])
        assert other in str(vevent["SUMMARY"])
        attendees = vevent["ATTENDEE"]
        attendees = attendees if isinstance(attendees, list) else [attendees]
        assert [str(a).lower() for a in attendees] == [f"mailto:{EMAILS[key]}"]
        assert f"Tafel: {row['table_number']}" in invitation.message.get_body(("plain",)).get_content()

    # The organiser moves it by hand (and so locks it): both get the update.
    new_slot = 4 if row["slot"] != 4 else 5
    moved = await ok(
        await client.patch(
            f"/api/meetings/{meeting_id}", json={"slot": new_slot, "table_number": 2}, headers=organiser
        )
    )
    assert (moved["slot"], moved["table_number"], moved["locked"], moved["sequence"]) == (
        new_slot,
        2,
        True,
        1,
    )
    # Slots 0-2, a 15-minute break, then 3-5.
    assert moved["starts_at"] == local(setup.starts_at + timedelta(minutes=20 * new_slot + 15)).isoformat()
    await mail_env.flush()
    for key in ("a1", "b1"):
        updates = meeting_mails(mail_env, key, "Gewijzigd")
        assert len(updates) == 1
        method, vevent = calendar_of(updates[0].message)
        assert (method, str(vevent["UID"]), int(vevent["SEQUENCE"])) == ("REQUEST", uid, 1)
        assert "tafel 2" in str(vevent["LOCATION"])

    # A schedule run keeps the locked meeting where it is: nobody gets mail.
    before = await OutboxMessage.count()
    await schedule(client, setup.event_id, organiser, mail_env)
    assert await OutboxMessage.count() == before

    # The agenda page and the agenda email show it with its table.
    page = await client.get(f"/matchmaking/{a1}")
    assert page.status_code == 200
    assert "Cor Bakker" in page.text
    assert "<td>2</td>" in page.text
    sent = await ok(await client.post(f"/api/events/{setup.event_id}/matchmaking/agendas", headers=organiser))
    assert sent["queued"] == 3  # c1 too: no meetings yet, but the link
    await mail_env.flush()
    [agenda] = [r for r in mail_env.sink.to(EMAILS["a1"]) if "Je 1-op-1 gesprekken" in r.message["Subject"]]
    text = agenda.message.get_body(("plain",)).get_content()
    assert "tafel 2: Cor Bakker (Drenthe College)" in text
    again_sent = await ok(
        await client.post(f"/api/events/{setup.event_id}/matchmaking/agendas", headers=organiser)
    )
    assert again_sent["queued"] == 0  # nothing changed: nothing sent twice

    # Dropping it sends both a CANCEL with a higher SEQUENCE.
    dropped = await ok(await client.post(f"/api/meetings/{meeting_id}/drop", headers=organiser))
    assert dropped["status"] == "dropped"
    await mail_env.flush()
    for key in ("a1", "b1"):
        [cancel] = meeting_mails(mail_env, key, "Geannuleerd")
        method, vevent = calendar_of(cancel.message)
        assert (method, str(vevent["UID"]), int(vevent["SEQUENCE"])) == ("CANCEL", uid, 2)
        assert str(vevent["STATUS"]) == "CANCELLED"
    # Dropping twice sends nothing more.
    await ok(await client.post(f"/api/meetings/{meeting_id}/drop", headers=organiser))
    await mail_env.flush()
    assert len(meeting_mails(mail_env, "a1", "Geannuleerd")) == 1


async def test_a_rerun_moves_only_what_it_must_and_cancels_what_no_longer_fits(
    client: httpx.AsyncClient, world: World, mail_env: MailEnv
) -> None:
    """Three meetings; then one person becomes free in one slot only. The re-run moves that person's
    meeting (an update with a higher SEQUENCE), leaves the others alone (no mail)."""
    setup = await matchmaking_event(client, world, ("a1", "a2", "b1", "c1"), tables=1, slots=3)
    t = setup.tokens
    for key in t:
        await profile(client, t[key], offers=f"aanbod {key}")
    pairs = [("a1", "b1"), ("a2", "c1"), ("b1", "c1")]
    for asker, asked in pairs:
        r = await ok(
            await client.post(
                f"/api/matchmaking/{t[asker]}/requests", json={"recipient_id": world.people[asked]}
            ),
            201,
        )
        await ok(await client.post(f"/api/matchmaking/{t[asked]}/requests/{r['id']}/accept"))
    organiser = world.actors["organiser"].headers
    first = await schedule(client, setup.event_id, organiser, mail_env)
    assert first["scheduled"] == 3  # one table, three slots
    await mail_env.flush()
    rows = {r["id"]: r for r in await Meeting.select()}
    a1_meeting = next(r for r in rows.values() if world.people["a1"] in (r["person_a"], r["person_b"]))
    # a1 is now free only in a slot that is not the current one.
    free = [s for s in range(3) if s != a1_meeting["slot"]][:1]
    await profile(client, t["a1"], offers="aanbod a1", available_slots=free)
    second = await schedule(client, setup.event_id, organiser, mail_env)
    await mail_env.flush()
    after = {r["id"]: r for r in await Meeting.select()}
    changed = [
        i for i in after if (after[i]["slot"], after[i]["status"]) != (rows[i]["slot"], rows[i]["status"])
    ]
    # a1's meeting had to go; it can only come back by taking another's slot (one table): at most that one.
    assert a1_meeting["id"] in changed
    assert len(changed) <= 2
    assert second["moved"] + second["dropped_from_schedule"] == len(changed)
    for i in changed:
        assert after[i]["sequence"] == 1
    untouched = [i for i in after if i not in changed]
    for i in untouched:
        assert after[i]["sequence"] == 0
    # Every change reached both people of that meeting; nobody else got mail about theirs.
    updates = await OutboxMessage.select(OutboxMessage.dedup_key).where(
        OutboxMessage.dedup_key.like("%:sequence 1")
    )
    assert len(updates) == 2 * len(changed)


async def test_requests_expire_and_limits_hold(client: httpx.AsyncClient, world: World) -> None:
    from dtz_events.core.clock import utcnow
    from dtz_events.matchmaking.services import expire_requests

    setup = await matchmaking_event(client, world)
    t = setup.tokens
    for key in t:
        await profile(client, t[key], max_meetings=1)
    r1 = await ok(
        await client.post(f"/api/matchmaking/{t['a1']}/requests", json={"recipient_id": world.people["b1"]}),
        201,
    )
    r2 = await ok(
        await client.post(f"/api/matchmaking/{t['c1']}/requests", json={"recipient_id": world.people["b1"]}),
        201,
    )
    await ok(await client.post(f"/api/matchmaking/{t['b1']}/requests/{r1['id']}/accept"))
    full = await client.post(f"/api/matchmaking/{t['b1']}/requests/{r2['id']}/accept")
    assert full.status_code == 409
    assert "most meetings" in full.json()["detail"]
    # Asking yourself, or someone not visible, names the field.
    bad = await client.post(f"/api/matchmaking/{t['a1']}/requests", json={"recipient_id": world.people["a1"]})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "recipient_id"
    # Unanswered requests expire.
    assert await expire_requests(utcnow() + timedelta(days=30)) == 1
    status = await MeetingRequest.select(MeetingRequest.status).where(MeetingRequest.id == r2["id"]).first()
    assert status == {"status": "expired"}
    late = await client.post(f"/api/matchmaking/{t['b1']}/requests/{r2['id']}/decline")
    assert late.status_code == 409


async def test_a_cancelled_registration_drops_the_meetings(
    client: httpx.AsyncClient, world: World, mail_env: MailEnv
) -> None:
    setup = await matchmaking_event(client, world, ("a1", "b1"))
    t, organiser = setup.tokens, world.actors["organiser"].headers
    await profile(client, t["a1"])
    await profile(client, t["b1"])
    r = await ok(
        await client.post(f"/api/matchmaking/{t['a1']}/requests", json={"recipient_id": world.people["b1"]}),
        201,
    )
    await ok(await client.post(f"/api/matchmaking/{t['b1']}/requests/{r['id']}/accept"))
    await schedule(client, setup.event_id, organiser, mail_env)
    registrations = await ok(
        await client.get(f"/api/events/{setup.event_id}/registrations", headers=organiser)
    )
    b1 = next(x for x in registrations["items"] if x["person_id"] == world.people["b1"])
    await ok(await client.post(f"/api/registrations/{b1['id']}/cancel", headers=organiser))
    result = await schedule(client, setup.event_id, organiser, mail_env)
    assert result["scheduled"] == 0
    await mail_env.flush()
    [cancel] = meeting_mails(mail_env, "a1", "Geannuleerd: 1-op-1")
    method, vevent = calendar_of(cancel.message)
    assert (method, int(vevent["SEQUENCE"])) == ("CANCEL", 1)
    assert [m["status"] for m in await Meeting.select(Meeting.status)] == ["dropped"]


async def test_the_schedule_runs_by_itself_when_booking_closes(
    client: httpx.AsyncClient, world: World, mail_env: MailEnv
) -> None:
    """When booking closes the scheduler queues a run (it does not solve in its tick); the worker makes the
    schedule and sends every participant their agenda in the same run."""
    from dtz_events import scheduler
    from dtz_events.core.dispatch import dispatch
    from dtz_events.matchmaking.services import SCHEDULE_ACTOR
    from dtz_events.matchmaking.tables import Matchmaking, MatchmakingRun

    setup = await matchmaking_event(client, world, ("a1", "b1"))
    t = setup.tokens
    await profile(client, t["a1"])
    await profile(client, t["b1"])
    r = await ok(
        await client.post(f"/api/matchmaking/{t['a1']}/requests", json={"recipient_id": world.people["b1"]}),
        201,
    )
    await ok(await client.post(f"/api/matchmaking/{t['b1']}/requests/{r['id']}/accept"))
    closes = setup.starts_at - timedelta(days=1)
    done = await scheduler.tick(closes - timedelta(minutes=1))
    assert done["matchmaking.schedule"] == 0  # not yet
    with workers_away():  # the tick itself solves nothing
        done = await scheduler.tick(closes + timedelta(minutes=1))
    assert done["matchmaking.schedule"] == 1
    [run] = await MatchmakingRun.select()
    assert (run["status"], run["trigger"], run["send_agendas"]) == ("queued", "booking_closed", True)
    assert [m["status"] for m in await Meeting.select(Meeting.status)] == ["unscheduled"]
    dispatch(SCHEDULE_ACTOR, run["id"])  # its message reaches a worker
    await mail_env.flush()
    assert [m["status"] for m in await Meeting.select(Meeting.status)] == ["scheduled"]
    agendas = await OutboxMessage.count().where(OutboxMessage.kind == "meeting_agenda")
    assert agendas == 2
    organiser = world.actors["organiser"].headers
    settings = await ok(await client.get(f"/api/events/{setup.event_id}/matchmaking", headers=organiser))
    last = settings["last_run"]
    assert (last["id"], last["status"], last["trigger"]) == (run["id"], "done", "booking_closed")
    assert (last["result"]["scheduled"], last["result"]["agendas_queued"]) == (1, 2)
    for key in ("a1", "b1"):
        assert [m for m in mail_env.sink.to(EMAILS[key]) if "Je 1-op-1 gesprekken" in m.message["Subject"]]
    done = await scheduler.tick(closes + timedelta(minutes=2))
    assert done["matchmaking.schedule"] == 0  # once
    await mail_env.flush()
    assert await MatchmakingRun.count() == 1
    assert (await Matchmaking.select(Matchmaking.scheduled_at).first())["scheduled_at"] is not None
