"""Scheduling runs outside the request: the organiser's POST answers 202 at once with a run and its status
URL, a worker makes the schedule, the status URL tells queued/running/done/failed with the figures. One
run per event at a time (409); a redelivered message does nothing twice; the scheduler's sweep picks up
runs whose message was lost or whose worker died."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from dtz_events import scheduler
from dtz_events.core.clock import utcnow
from dtz_events.core.dispatch import dispatch
from dtz_events.mail.tables import OutboxMessage
from dtz_events.matchmaking.services import SCHEDULE_ACTOR, perform_run
from dtz_events.matchmaking.tables import Matchmaking, MatchmakingRun, Meeting
from tests.integration.matchmaking.helpers import (
    Setup,
    matchmaking_event,
    ok,
    profile,
    workers_away,
)
from tests.support.fixtures import MailEnv, World

pytestmark = pytest.mark.sqlite


async def one_meeting(client: httpx.AsyncClient, world: World) -> Setup:
    setup = await matchmaking_event(client, world, ("a1", "b1"))
    t = setup.tokens
    await profile(client, t["a1"])
    await profile(client, t["b1"])
    r = await ok(
        await client.post(f"/api/matchmaking/{t['a1']}/requests", json={"recipient_id": world.people["b1"]}),
        201,
    )
    await ok(await client.post(f"/api/matchmaking/{t['b1']}/requests/{r['id']}/accept"))
    return setup


async def test_the_request_queues_a_run_and_the_status_url_follows_it(
    client: httpx.AsyncClient, world: World, mail_env: MailEnv
) -> None:
    setup = await one_meeting(client, world)
    organiser = world.actors["organiser"].headers
    path = f"/api/events/{setup.event_id}/matchmaking/schedule"

    # The workers are away: the request answers all the same, and solves nothing itself.
    with workers_away():
        response = await client.post(path, headers=organiser)
        run = await ok(response, 202)
        assert response.headers["location"] == run["status_url"]
        assert (run["status"], run["trigger"], run["result"], run["started_at"]) == (
            "queued",
            "organiser",
            None,
            None,
        )
        # Nothing was solved in the request.
        assert [m["status"] for m in await Meeting.select(Meeting.status)] == ["unscheduled"]
        assert (await ok(await client.get(run["status_url"], headers=organiser)))["status"] == "queued"

        # A second request while one is queued: 409, naming the run under way; no second run.
        again = await client.post(path, headers=organiser)
        assert again.status_code == 409
        assert run["status_url"] in again.json()["detail"]
        assert await MatchmakingRun.count() == 1
    dispatch(SCHEDULE_ACTOR, run["id"])  # the message reaches a worker
    await mail_env.flush()
    done = await ok(await client.get(run["status_url"], headers=organiser))
    assert done["status"] == "done"
    figures = done["result"]
    assert (
        figures["accepted"],
        figures["scheduled"],
        figures["moved"],
        figures["dropped_from_schedule"],
    ) == (
        1,
        1,
        0,
        0,
    )
    assert figures["method"].startswith(("cp-sat", "greedy"))
    assert figures["seconds"] >= 0
    assert figures["agendas_queued"] is None
    assert done["started_at"] <= done["finished_at"]
    assert [m["status"] for m in await Meeting.select(Meeting.status)] == ["scheduled"]
    settings = await ok(await client.get(f"/api/events/{setup.event_id}/matchmaking", headers=organiser))
    assert settings["last_run"] == done
    assert settings["scheduled_at"] is not None

    # Once it is done, a new run can be asked for.
    second = await ok(await client.post(path, headers=organiser), 202)
    assert second["id"] != run["id"]
    await mail_env.flush()
    assert (await ok(await client.get(second["status_url"], headers=organiser)))["status"] == "done"

    # Another event's path, or a run that does not exist: 404.
    missing = await client.get(f"/api/events/{setup.event_id}/matchmaking/runs/987654", headers=organiser)
    assert missing.status_code == 404
    elsewhere = await client.get(
        f"/api/events/{world.events['board']}/matchmaking/runs/{run['id']}", headers=organiser
    )
    assert elsewhere.status_code == 404


async def test_a_redelivered_message_does_nothing_twice(
    client: httpx.AsyncClient, world: World, mail_env: MailEnv
) -> None:
    setup = await one_meeting(client, world)
    organiser = world.actors["organiser"].headers
    run = await ok(
        await client.post(f"/api/events/{setup.event_id}/matchmaking/schedule", headers=organiser), 202
    )
    # The broker delivers the message twice (a worker lost its connection before the ack).
    dispatch(SCHEDULE_ACTOR, run["id"])
    await mail_env.flush()
    row = await MatchmakingRun.select().where(MatchmakingRun.id == run["id"]).first()
    assert row is not None
    assert (row["status"], row["attempts"]) == ("done", 1)
    [meeting] = await Meeting.select()
    mails = await OutboxMessage.count()
    invitations = OutboxMessage.dedup_key.like("meeting_scheduled:%")
    assert await OutboxMessage.count().where(invitations) == 2  # one to each of the two, once

    # And once more, later: a done run is left alone.
    await perform_run(run["id"])
    await mail_env.flush()
    assert await MatchmakingRun.select().where(MatchmakingRun.id == run["id"]).first() == row
    assert await Meeting.select() == [meeting]
    assert await OutboxMessage.count() == mails


async def test_the_sweep_picks_up_lost_messages_and_dead_workers(
    client: httpx.AsyncClient, world: World, mail_env: MailEnv
) -> None:
    setup = await one_meeting(client, world)
    await Matchmaking.update({Matchmaking.auto_schedule: False}).where(Matchmaking.event == setup.event_id)
    long_ago = utcnow() - timedelta(minutes=30)

    # A run whose message never reached a worker (the broker was down when it was sent).
    [lost] = await MatchmakingRun.insert(
        MatchmakingRun(event=setup.event_id, status="queued", requested_at=long_ago, dispatched_at=long_ago)
    ).returning(MatchmakingRun.id)
    done = await scheduler.tick()
    assert done["matchmaking.schedule"] == 0  # nothing new was due; the sweep dispatched the lost one
    await mail_env.flush()
    row = await MatchmakingRun.select().where(MatchmakingRun.id == lost["id"]).first()
    assert row is not None
    assert (row["status"], row["attempts"]) == ("done", 1)
    assert [m["status"] for m in await Meeting.select(Meeting.status)] == ["scheduled"]

    # A run whose worker was killed mid-run: claimed again by the next attempt.
    [dead] = await MatchmakingRun.insert(
        MatchmakingRun(
            event=setup.event_id,
            status="running",
            requested_at=long_ago,
            dispatched_at=long_ago,
            started_at=long_ago,
            attempts=1,
            claim_token="killed",
        )
    ).returning(MatchmakingRun.id)
    # While it looks alive, a redelivered message leaves it to its attempt.
    await MatchmakingRun.update({MatchmakingRun.started_at: utcnow()}).where(MatchmakingRun.id == dead["id"])
    await perform_run(dead["id"])
    row = await MatchmakingRun.select().where(MatchmakingRun.id == dead["id"]).first()
    assert row is not None
    assert (row["status"], row["claim_token"]) == ("running", "killed")
    await MatchmakingRun.update({MatchmakingRun.started_at: long_ago}).where(MatchmakingRun.id == dead["id"])
    await scheduler.tick()
    await mail_env.flush()
    row = await MatchmakingRun.select().where(MatchmakingRun.id == dead["id"]).first()
    assert row is not None
    assert (row["status"], row["attempts"]) == ("done", 2)

    # One that died on every attempt is given up, and says so.
    [hopeless] = await MatchmakingRun.insert(
        MatchmakingRun(
            event=setup.event_id,
            status="running",
            requested_at=long_ago,
            dispatched_at=long_ago,
            started_at=long_ago,
            attempts=3,
        )
    ).returning(MatchmakingRun.id)
    await scheduler.tick()
    await mail_env.flush()
    organiser = world.actors["organiser"].headers
    failed = await ok(
        await client.get(f"/api/events/{setup.event_id}/matchmaking/runs/{hopeless['id']}", headers=organiser)
    )
    assert failed["status"] == "failed"
    assert "gave up after 3 attempts" in failed["error"]
    assert failed["result"] is None
    # A failed run does not block the next one.
    await ok(await client.post(f"/api/events/{setup.event_id}/matchmaking/schedule", headers=organiser), 202)


async def test_a_run_that_cannot_be_made_fails_and_says_so(
    client: httpx.AsyncClient, world: World, mail_env: MailEnv
) -> None:
    setup = await one_meeting(client, world)
    organiser = world.actors["organiser"].headers
    with workers_away():
        run = await ok(
            await client.post(f"/api/events/{setup.event_id}/matchmaking/schedule", headers=organiser), 202
        )
        # The matchmaking window disappears before a worker gets to the run.
        await Matchmaking.delete().where(Matchmaking.event == setup.event_id)
    dispatch(SCHEDULE_ACTOR, run["id"])
    await mail_env.flush()
    row = await MatchmakingRun.select().where(MatchmakingRun.id == run["id"]).first()
    assert row is not None
    assert row["status"] == "failed"
    assert row["finished_at"] is not None
    assert "could not be made" in row["error"]
    assert [m["status"] for m in await Meeting.select(Meeting.status)] == ["unscheduled"]
