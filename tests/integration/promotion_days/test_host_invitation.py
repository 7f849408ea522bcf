"""End to end: the contact of a host's workshop finds, at the SMTP server, the workshop's schedule with a
calendar invitation (METHOD:REQUEST, UID `workshop-<id>@<host>`, first round to last, Europe/Amsterdam); a
change to the day raises SEQUENCE; a cancelled day, a withdrawn workshop or a new contact cancels it
(METHOD:CANCEL, same UID, a higher SEQUENCE)."""

from __future__ import annotations

from datetime import datetime

import icalendar
import pytest

from tests.integration.promotion_days.conftest import Day, group_body
from tests.support.fixtures import at

pytestmark = pytest.mark.sqlite

HOST = "anouk.jansen@emmtec.example"
COLLEAGUE = "bram.devries@emmtec.example"
SUBJECTS = {"Indeling", "Gewijzigde indeling", "Vervallen"}


def invite_of(arrival) -> tuple[str, icalendar.Event]:
    """The text/calendar part's method= and its one VEVENT; the METHOD inside must say the same."""
    part = next(p for p in arrival.message.walk() if p.get_content_type() == "text/calendar")
    calendar = icalendar.Calendar.from_ical(part.get_content())
    assert str(calendar["METHOD"]) == part.get_param("method")
    [event] = calendar.walk("VEVENT")
    return part.get_param("method"), event


def workshop_mail(mail_env, address: str) -> list:
    """What reached `address` about workshops (the world's other emails to the same person left out)."""
    return [a for a in mail_env.sink.to(address) if a.message["Subject"].split(": ")[0] in SUBJECTS]


def by_uid(arrivals) -> dict[str, list[tuple[str, int, str]]]:
    """(method, SEQUENCE, subject) of each arrival, by UID, in order of arrival."""
    out: dict[str, list[tuple[str, int, str]]] = {}
    for arrival in arrivals:
        method, event = invite_of(arrival)
        out.setdefault(str(event["UID"]), []).append(
            (method, int(event["SEQUENCE"]), str(arrival.message["Subject"]))
        )
    return out


async def _published(client, world, day: Day, mail_env) -> list[int]:
    """One group, two visits: the ids of the two workshops whose host is told."""
    admin, school = world.actors["admin"].headers, world.actors["partner_b"].headers
    body = group_body("8A", "m.smit@drenthecollege.example")
    assert (
        await client.post(f"/api/events/{day.event_id}/school-groups", json=body, headers=school)
    ).status_code == 201
    r = await client.post(f"/api/events/{day.event_id}/rotation/generate?time_limit=2", headers=admin)
    assert r.json()["complete"], r.text
    assert (
        await client.post(f"/api/events/{day.event_id}/rotation/publish", headers=admin)
    ).status_code == 200
    await mail_env.flush()
    return sorted({a["workshop_id"] for a in r.json()["assignments"]})


async def test_the_host_gets_an_invitation_updated_and_cancelled_with_the_day(
    client, world, day: Day, mail_env
) -> None:
    from dtz_events import scheduler

    admin = world.actors["admin"].headers
    told = await _published(client, world, day, mail_env)
    assert len(told) == 2
    uids = {f"workshop-{w}@testserver.local" for w in told}

    first = workshop_mail(mail_env, HOST)
    assert len(first) == 2  # one email, and one invitation, per workshop
    for arrival in first:
        method, event = invite_of(arrival)
        assert method == "REQUEST"
        assert int(event["SEQUENCE"]) == 0
        assert arrival.message["Subject"].startswith("Indeling: ")
        # From the first round (10:00) to the last (12:00) of the day, in Amsterdam time.
        assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
        assert str(event["DTSTART"].dt.tzinfo) == "Europe/Amsterdam"
        assert event["DTSTART"].dt == datetime.fromisoformat(at(30, 10))
        assert event["DTEND"].dt == datetime.fromisoformat(at(30, 12))
        assert "Emmtec Industry & Business Park" in str(event["LOCATION"])
        assert "8A (Drenthe College, 24)" in str(event["DESCRIPTION"])
        text = arrival.message.get_body(("plain",)).get_content()
        assert "De agenda-uitnodiging voor je workshop zit als bijlage bij deze e-mail." in text
    assert set(by_uid(first)) == uids

    # The day moves to another venue: each host's entry is sent again, SEQUENCE 1, the same UID.
    r = await client.patch(
        f"/api/events/{day.event_id}", json={"venue": "Drenthe College, Emmen"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert (await scheduler.tick())["promotion_days.updates"] >= 2
    # The day is cancelled: the teacher's and both hosts' entries are cancelled, once.
    assert (await client.post(f"/api/events/{day.event_id}/cancel", headers=admin)).status_code == 200
    assert (await scheduler.tick())["promotion_days.updates"] == 3
    assert (await scheduler.tick())["promotion_days.updates"] == 0
    await mail_env.flush()

    arrivals = workshop_mail(mail_env, HOST)
    history = by_uid(arrivals)
    assert set(history) == uids
    for uid in uids:
        assert [(m, s) for m, s, _ in history[uid]] == [("REQUEST", 0), ("REQUEST", 1), ("CANCEL", 2)]
        assert history[uid][1][2].startswith("Gewijzigde indeling: ")
        assert history[uid][2][2].startswith("Vervallen: ")
    moved = [invite_of(a)[1] for a in arrivals if int(invite_of(a)[1]["SEQUENCE"]) == 1]
    assert all("Drenthe College, Emmen" in str(e["LOCATION"]) for e in moved)
    cancels = [a for a in arrivals if invite_of(a)[0] == "CANCEL"]
    for arrival in cancels:
        assert str(invite_of(arrival)[1]["STATUS"]) == "CANCELLED"
        assert "Techniekdag Emmen gaat niet door." in arrival.message.get_body(("plain",)).get_content()


async def test_a_withdrawn_workshop_or_a_new_contact_cancels_the_hosts_entry(
    client, world, day: Day, mail_env
) -> None:
    admin = world.actors["admin"].headers
    handed_over, withdrawn = await _published(client, world, day, mail_env)

    # Another colleague becomes the contact: Anouk's entry is cancelled, Bram gets it (same UID, higher).
    r = await client.patch(
        f"/api/workshops/{handed_over}", json={"contact_person_id": world.people["a2"]}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert (await client.post(f"/api/workshops/{withdrawn}/withdraw", headers=admin)).status_code == 200
    await mail_env.flush()

    anouk = by_uid(workshop_mail(mail_env, HOST))
    handed_uid = f"workshop-{handed_over}@testserver.local"
    withdrawn_uid = f"workshop-{withdrawn}@testserver.local"
    assert [(m, s) for m, s, _ in anouk[handed_uid]] == [("REQUEST", 0), ("CANCEL", 1)]
    assert [(m, s) for m, s, _ in anouk[withdrawn_uid]] == [("REQUEST", 0), ("CANCEL", 1)]
    texts = {
        str(invite_of(a)[1]["UID"]): a.message.get_body(("plain",)).get_content()
        for a in workshop_mail(mail_env, HOST)
        if invite_of(a)[0] == "CANCEL"
    }
    assert "Een andere collega is nu contactpersoon" in texts[handed_uid]
    assert "is teruggetrokken van Techniekdag Emmen" in texts[withdrawn_uid]

    [arrival] = workshop_mail(mail_env, COLLEAGUE)
    method, event = invite_of(arrival)
    assert method == "REQUEST"
    assert str(event["UID"]) == handed_uid
    assert int(event["SEQUENCE"]) == 2
    assert event["DTSTART"].dt == datetime.fromisoformat(at(30, 10))
