"""The scheduler's board jobs: the secretary is warned once when a session's quorum is at risk within its
warning time; owners are reminded once of actions that fall due."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from dtz_events import scheduler
from dtz_events.board.services import remind_due_actions, warn_quorum_at_risk
from dtz_events.core.clock import local, utcnow
from dtz_events.events.tables import Event
from tests.integration.board.helpers import answer, board_session, build_board, text_of
from tests.support.fixtures import World

SECRETARY = "secretaris@dutchtechzone.nl"


def test_the_board_jobs_run_on_every_tick() -> None:
    jobs = dict(scheduler.JOBS)
    assert jobs["board.quorum_warnings"] is warn_quorum_at_risk
    assert jobs["board.action_reminders"] is remind_due_actions
    names = [name for name, _ in scheduler.JOBS]
    assert names.index("board.action_reminders") < names.index("mail.sweep")


async def test_the_secretary_is_warned_once_when_the_quorum_is_at_risk(
    client: httpx.AsyncClient, world: World, mail_env
) -> None:
    board = await build_board(client, world)
    h = board.secretary
    at_risk = await board_session(client, board, days=2)  # within the default 72 hours
    safe = await board_session(client, board, days=2)
    later = await board_session(client, board, days=10)  # not within its warning time yet
    for event_id in (at_risk, safe, later):
        assert (
            await client.post(f"/api/board/sessions/{event_id}/invitations", headers=h)
        ).status_code == 200
    for seat in ("Gemeente Emmen", "Gemeente Coevorden", "Gemeente Hoogeveen", "Provincie Drenthe"):
        await answer(client, board, safe, seat, "accepted")
    for seat in ("Gemeente Emmen", "Gemeente Coevorden"):
        await answer(client, board, at_risk, seat, "accepted")
    await mail_env.flush()

    now = utcnow()
    assert await warn_quorum_at_risk(now) == 1
    assert await warn_quorum_at_risk(now + timedelta(minutes=1)) == 0  # once
    await mail_env.flush()
    warnings = mail_env.sink.to(SECRETARY)
    assert len(warnings) == 1
    message = warnings[0].message
    assert "Quorum" in message["Subject"]
    assert "2 van de 7" in text_of(message)
    assert f"/board/secretary/sessions/{at_risk}" in text_of(message)

    # The session ten days ahead is warned about once its own warning time has come, and only then.
    starts = (await Event.select(Event.starts_at).where(Event.id == later).first() or {})["starts_at"]
    assert await warn_quorum_at_risk(starts - timedelta(hours=73)) == 0
    assert await warn_quorum_at_risk(starts - timedelta(hours=71)) == 1
    assert await warn_quorum_at_risk(starts - timedelta(hours=70)) == 0
    await mail_env.flush()
    assert len(mail_env.sink.to(SECRETARY)) == 2


async def test_owners_are_reminded_once_of_due_actions(
    client: httpx.AsyncClient, world: World, mail_env
) -> None:
    board = await build_board(client, world)
    event_id = await board_session(client, board, days=-1)
    h = board.secretary
    today = local(utcnow()).date()
    owner = board.members["Provincie Drenthe"]
    other = board.members["Onderwijs"]

    async def action(who: int, due: date) -> int:
        body = {
            "description": "Notitie regionale acquisitiestrategie",
            "owner_id": who,
            "due_on": due.isoformat(),
        }
        r = await client.post(f"/api/board/sessions/{event_id}/actions", json=body, headers=h)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    due_soon = await action(owner, today + timedelta(days=2))
    far = await action(other, today + timedelta(days=30))
    done = await action(other, today + timedelta(days=1))
    r = await client.patch(f"/api/board/actions/{done}", json={"status": "done"}, headers=h)
    assert r.status_code == 200
    assert r.json()["status"] == "done"

    now = utcnow()
    assert await remind_due_actions(now) == 1
    assert await remind_due_actions(now + timedelta(minutes=1)) == 0
    await mail_env.flush()
    reminders = mail_env.sink.to("h.brink@drenthe.example")
    assert len(reminders) == 1
    assert "Notitie regionale acquisitiestrategie" in text_of(reminders[0].message)
    assert mail_env.sink.to("r.smit@drenthecollege.example") == []

    # A new due date earns a new reminder when it comes near; the far one is reminded in its time.
    r = await client.patch(
        f"/api/board/actions/{due_soon}", json={"due_on": (today + timedelta(days=1)).isoformat()}, headers=h
    )
    assert r.status_code == 200
    assert await remind_due_actions(now) == 1
    assert await remind_due_actions(now + timedelta(days=28)) == 1  # the far one
    await mail_env.flush()
    assert len(mail_env.sink.to("h.brink@drenthe.example")) == 2
    assert len(mail_env.sink.to("r.smit@drenthecollege.example")) == 1
    assert far
