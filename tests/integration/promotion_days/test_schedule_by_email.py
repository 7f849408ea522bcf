"""End to end: a school's coordinator registers two groups through the API, the organiser generates and
publishes the rotation, and the teacher finds the schedule of each group with its calendar invitation at
the SMTP server; the host finds who comes when. A cancelled group's invitation is cancelled."""

from __future__ import annotations

import icalendar
import pytest

from tests.integration.promotion_days.conftest import Day, group_body, make_day

pytestmark = pytest.mark.sqlite

TEACHER = "m.smit@drenthecollege.example"


def calendar_of(message) -> icalendar.Calendar:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return part.get_param("method"), icalendar.Calendar.from_ical(part.get_content())


async def test_teacher_and_host_receive_the_published_schedule(client, world, day: Day, mail_env) -> None:
    school = world.actors["partner_b"].headers
    admin = world.actors["admin"].headers
    groups = []
    for name in ("3 vmbo-t A", "3 vmbo-t B"):
        r = await client.post(
            f"/api/events/{day.event_id}/school-groups", json=group_body(name, TEACHER), headers=school
        )
        assert r.status_code == 201, r.text
        assert r.json()["school_id"] == world.organisations["b"]
        groups.append(r.json()["id"])
    # The school sees its own groups, a company's coordinator sees none of them.
    mine = await client.get(f"/api/events/{day.event_id}/school-groups", headers=school)
    assert [g["id"] for g in mine.json()] == groups
    other = world.actors["partner_a"].headers
    assert (await client.get(f"/api/events/{day.event_id}/school-groups", headers=other)).json() == []
    assert (await client.get(f"/api/school-groups/{groups[0]}", headers=other)).status_code == 404

    r = await client.post(f"/api/events/{day.event_id}/rotation/generate?time_limit=2", headers=admin)
    assert r.status_code == 200, r.text
    rotation = r.json()
    assert rotation["complete"], rotation
    assert rotation["outcome"]["status"] == "complete"
    for load in rotation["load"]:
        assert load["pupils"] <= load["capacity"]
    r = await client.post(f"/api/events/{day.event_id}/rotation/publish", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["emails_queued"] >= 3  # two groups and at least one host
    await mail_env.flush()

    received = mail_env.sink.to(TEACHER)
    assert len(received) == 2  # one email, and one invitation, per group
    uids = set()
    for arrival in received:
        message = arrival.message
        method, calendar = calendar_of(message)
        assert method == "REQUEST"
        event = calendar.walk("VEVENT")[0]
        uids.add(str(event["UID"]))
        assert int(event["SEQUENCE"]) == 0
        assert "Rooster" in message["Subject"]
        text = message.get_body(("plain",)).get_content()
        assert "Ronde 1" in text
        assert "Ronde 2" in text
        assert any(
            t in text for t in ("Lassen met een robot", "Proefjes met waterstof", "Programmeer een PLC")
        )
    assert uids == {f"school-group-{g}@testserver.local" for g in groups}

    # The school now sees its groups' schedule through the API too.
    group = (await client.get(f"/api/school-groups/{groups[0]}", headers=school)).json()
    assert [v["round"] for v in group["schedule"]] == [1, 2]

    host_mail = mail_env.sink.to("anouk.jansen@emmtec.example")
    assert host_mail, "the host's contact gets who comes when"
    host_text = "\n".join(m.message.get_body(("plain",)).get_content() for m in host_mail)
    assert "3 vmbo-t A" in host_text
    assert "24 leerlingen" in host_text

    # A cancelled group: the teacher's calendar entry is cancelled with the same UID, a higher SEQUENCE.
    r = await client.post(f"/api/school-groups/{groups[1]}/cancel", headers=school)
    assert r.status_code == 200, r.text
    await mail_env.flush()
    cancels = [m for m in mail_env.sink.to(TEACHER) if calendar_of(m.message)[0] == "CANCEL"]
    assert len(cancels) == 1
    event = calendar_of(cancels[0].message)[1].walk("VEVENT")[0]
    assert str(event["UID"]) == f"school-group-{groups[1]}@testserver.local"
    assert int(event["SEQUENCE"]) == 1
    assert str(event["STATUS"]) == "CANCELLED"


async def test_a_late_change_moves_little_and_updates_only_those_concerned(client, world, mail_env) -> None:
    day = await make_day(client, world, rounds=3, per_group=2)
    admin = world.actors["admin"].headers
    school = world.actors["partner_b"].headers
    groups = []
    for n in range(3):
        body = group_body(
            f"groep 8{'ABC'[n]}", f"docent{n}@drenthecollege.example", pupils=20, level="primary_7_8"
        )
        r = await client.post(f"/api/events/{day.event_id}/school-groups", json=body, headers=school)
        groups.append(r.json()["id"])
    assert (
        await client.post(f"/api/events/{day.event_id}/rotation/generate?time_limit=2", headers=admin)
    ).json()["complete"]
    assert (
        await client.post(f"/api/events/{day.event_id}/rotation/publish", headers=admin)
    ).status_code == 200
    await mail_env.flush()
    before = (await client.get(f"/api/events/{day.event_id}/rotation", headers=admin)).json()["assignments"]
    # The busiest workshop is withdrawn: only the groups in it move, and only their teachers hear of it.
    used = {}
    for a in before:
        used[a["workshop_id"]] = used.get(a["workshop_id"], 0) + 1
    gone = max(used, key=used.get)
    assert (await client.post(f"/api/workshops/{gone}/withdraw", headers=admin)).status_code == 200
    r = await client.post(f"/api/events/{day.event_id}/rotation/generate?time_limit=2", headers=admin)
    after = r.json()
    assert after["complete"], after["outcome"]
    kept = {(a["group_id"], a["round"], a["workshop_id"]) for a in before if a["workshop_id"] != gone}
    now = {(a["group_id"], a["round"], a["workshop_id"]) for a in after["assignments"]}
    assert len(kept - now) <= 1, "a late change moves as little as possible"
    affected = {a["group_id"] for a in before if a["workshop_id"] == gone} | {g for g, _, _ in kept - now}
    await mail_env.flush()
    for n, group_id in enumerate(groups):
        updates = [
            m
            for m in mail_env.sink.to(f"docent{n}@drenthecollege.example")
            if "Gewijzigd" in m.message["Subject"]
        ]
        assert len(updates) == (1 if group_id in affected else 0), (group_id, affected)
        for m in updates:
            assert int(calendar_of(m.message)[1].walk("VEVENT")[0]["SEQUENCE"]) == 1


async def test_infeasible_rotation_says_why(client, world, day: Day) -> None:
    admin = world.actors["admin"].headers
    body = group_body("MBO Techniek 1", "docent@drenthecollege.example", level="mbo")
    body["school_id"] = world.organisations["b"]
    assert (
        await client.post(f"/api/events/{day.event_id}/school-groups", json=body, headers=admin)
    ).status_code == 201
    r = await client.post(f"/api/events/{day.event_id}/rotation/generate?time_limit=2", headers=admin)
    assert r.status_code == 200, r.text
    outcome = r.json()["outcome"]
    assert outcome["status"] == "partial"
    assert any("only 0 suitable workshop(s)" in reason for reason in outcome["reasons"]), outcome
    r = await client.post(f"/api/events/{day.event_id}/rotation/publish", headers=admin)
    assert r.status_code == 409
    assert "MBO Techniek 1" in r.json()["detail"]


async def test_a_new_teacher_gets_the_invitation_and_the_old_one_a_cancel(
    client, world, day: Day, mail_env
) -> None:
    admin, school = world.actors["admin"].headers, world.actors["partner_b"].headers
    r = await client.post(
        f"/api/events/{day.event_id}/school-groups", json=group_body("2 havo", TEACHER), headers=school
    )
    group_id = r.json()["id"]
    await client.post(f"/api/events/{day.event_id}/rotation/generate?time_limit=2", headers=admin)
    assert (
        await client.post(f"/api/events/{day.event_id}/rotation/publish", headers=admin)
    ).status_code == 200
    await mail_env.flush()
    new = {"name": "Teacher Jones", "email": "t.jones@drenthecollege.example", "language": "en"}
    r = await client.patch(f"/api/school-groups/{group_id}", json={"teacher": new}, headers=school)
    assert r.status_code == 200, r.text
    await mail_env.flush()
    old_mail = [calendar_of(m.message) for m in mail_env.sink.to(TEACHER)]
    assert [method for method, _ in old_mail] == ["REQUEST", "CANCEL"]
    [arrival] = mail_env.sink.to("t.jones@drenthecollege.example")
    assert arrival.message["Subject"].startswith("Changed schedule")
    method, calendar = calendar_of(arrival.message)
    event = calendar.walk("VEVENT")[0]
    assert method == "REQUEST"
    assert str(event["UID"]) == f"school-group-{group_id}@testserver.local"
    assert int(event["SEQUENCE"]) > int(old_mail[1][1].walk("VEVENT")[0]["SEQUENCE"])


async def test_changes_made_elsewhere_reach_teachers_at_the_next_tick(
    client, world, day: Day, mail_env
) -> None:
    """A renamed promotion day updates the schedules; a cancelled one cancels every group's invitation.
    Driven by `scheduler.tick`, as the scheduler process does."""
    from dtz_events import scheduler

    admin, school = world.actors["admin"].headers, world.actors["partner_b"].headers
    r = await client.post(
        f"/api/events/{day.event_id}/school-groups", json=group_body("8A", TEACHER), headers=school
    )
    group_id = r.json()["id"]
    await client.post(f"/api/events/{day.event_id}/rotation/generate?time_limit=2", headers=admin)
    assert (
        await client.post(f"/api/events/{day.event_id}/rotation/publish", headers=admin)
    ).status_code == 200
    await mail_env.flush()
    assert (await scheduler.tick())["promotion_days.updates"] == 0

    r = await client.patch(
        f"/api/events/{day.event_id}", json={"venue": "Drenthe College, Emmen"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert (await scheduler.tick())["promotion_days.updates"] >= 1
    assert (await scheduler.tick())["promotion_days.updates"] == 0
    assert (await client.post(f"/api/events/{day.event_id}/cancel", headers=admin)).status_code == 200
    # The teacher's entry and the two visited workshops' host entries are cancelled.
    assert (await scheduler.tick())["promotion_days.updates"] == 3
    assert (await scheduler.tick())["promotion_days.updates"] == 0
    await mail_env.flush()
    methods = [calendar_of(m.message)[0] for m in mail_env.sink.to(TEACHER)]
    assert methods == ["REQUEST", "REQUEST", "CANCEL"]
    sequences = [
        int(calendar_of(m.message)[1].walk("VEVENT")[0]["SEQUENCE"]) for m in mail_env.sink.to(TEACHER)
    ]
    assert sequences == [0, 1, 2]
    uids = {str(calendar_of(m.message)[1].walk("VEVENT")[0]["UID"]) for m in mail_env.sink.to(TEACHER)}
    assert uids == {f"school-group-{group_id}@testserver.local"}
