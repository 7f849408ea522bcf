"""Export, erasure, retention and the audit log, as an organiser, an admin and the person would check them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dtz_events.core.clock import utcnow
from dtz_events.events.tables import Event
from dtz_events.mail.tables import OutboxMessage
from dtz_events.partners.tables import Person
from dtz_events.privacy.services import ERASED_DOMAIN, person_graph, retention_run
from dtz_events.registrations.links import LinkPurpose, create_link, resolve_link
from dtz_events.registrations.tables import LinkToken, Registration
from dtz_events.tables import all_tables

pytestmark = pytest.mark.sqlite


async def _register(client, world, person: str, event: str = "network") -> int:
    r = await client.post(
        f"/api/events/{world.events[event]}/registrations",
        json={"person_id": world.people[person]},
        headers=world.actors["organiser"].headers,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_every_table_pointing_at_a_person_is_exported():
    """The generic walk reaches each table with a foreign key to Person (other domains' new ones too)."""
    from dtz_events.partners.tables import Person as P

    direct = {
        t._meta.tablename
        for t in all_tables()
        for c in t._meta.foreign_key_columns
        if c._foreign_key_meta.resolved_references is P and t._meta.tablename != "audit_entry"
    }
    reached = {table._meta.tablename for table, _, _ in person_graph()}
    assert direct <= reached
    assert {"registration", "link_token", "outbox", "survey_invitation", "survey_response"} <= reached


async def test_export_has_the_person_their_registrations_links_and_emails(client, world):
    registration = await _register(client, world, "a1")
    token = await create_link(LinkPurpose.person_feed, person_id=world.people["a1"])
    await _register(client, world, "a2")  # someone else's data must not appear
    r = await client.get(
        f"/api/people/{world.people['a1']}/export", headers=world.actors["organiser"].headers
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["person"]["email"] == "anouk.jansen@emmtec.example"
    assert [row["id"] for row in body["data"]["registration"]] == [registration]
    assert {row["person"] for row in body["data"]["outbox"]} == {world.people["a1"]}
    assert all("html_body" not in row and "claim_token" not in row for row in body["data"]["outbox"])
    links = body["data"]["link_token"]
    assert links
    assert all("digest" not in row for row in links)
    assert token not in r.text
    assert "bram.devries" not in r.text
    # The export is in the audit log, with who asked for whose data.
    log = await client.get("/api/audit-log", headers=world.actors["admin"].headers)
    entry = log.json()["items"][0]
    assert (entry["method"], entry["route"]) == ("GET", "/api/people/{person_id}/export")
    assert entry["target_ids"] == {"person_id": world.people["a1"]}
    assert entry["account_email"] == "organisator@dutchtechzone.nl"


async def test_erase_anonymises_and_keeps_the_counts(client, world):
    registration = await _register(client, world, "a1")
    await _register(client, world, "a2")
    token = await create_link(LinkPurpose.person_feed, person_id=world.people["a1"])
    before = await client.get(
        f"/api/events/{world.events['network']}", headers=world.actors["organiser"].headers
    )
    r = await client.post(f"/api/people/{world.people['a1']}/erase", headers=world.actors["admin"].headers)
    assert r.status_code == 200, r.text
    assert r.json()["rows"]["registration"] == 1
    person = await Person.select().where(Person.id == world.people["a1"]).first()
    assert person["name"] == "(erased)"
    assert person["email"].endswith("@" + ERASED_DOMAIN)
    assert "Anouk" not in str(person)
    assert "anouk" not in str(person)
    # The registration still counts; its door code is gone; the feed link no longer works.
    row = await Registration.select().where(Registration.id == registration).first()
    assert row is not None
    assert row["checkin_code"] is None
    after = await client.get(
        f"/api/events/{world.events['network']}", headers=world.actors["organiser"].headers
    )
    assert after.json() == before.json()
    assert await resolve_link(LinkPurpose.person_feed, token) is None
    assert (
        await LinkToken.count().where(
            (LinkToken.person == world.people["a1"]) & LinkToken.revoked_at.is_null()
        )
        == 0
    )
    emails = await OutboxMessage.select().where(OutboxMessage.person == world.people["a1"])
    assert emails
    assert all(
        e["recipient_email"] == f"erased@{ERASED_DOMAIN}" and e["subject"] is None and e["status"] == "failed"
        for e in emails
    )
    # The other person's email is untouched and still goes out.
    others = await OutboxMessage.select().where(OutboxMessage.person == world.people["a2"])
    assert others
    assert all(e["status"] == "queued" for e in others)
    # A second erasure is refused (and changes nothing, so it is not in the audit log); an organiser may
    # not erase (that refusal is in it); the erasure is.
    again = await client.post(
        f"/api/people/{world.people['a1']}/erase", headers=world.actors["admin"].headers
    )
    assert again.status_code == 409
    forbidden = await client.post(
        f"/api/people/{world.people['a2']}/erase", headers=world.actors["organiser"].headers
    )
    assert forbidden.status_code == 403
    log = (await client.get("/api/audit-log", headers=world.actors["admin"].headers)).json()["items"]
    assert [(e["route"], e["account_email"], e["outcome"]) for e in log[:2]] == [
        ("/api/people/{person_id}/erase", "organisator@dutchtechzone.nl", "refused"),
        ("/api/people/{person_id}/erase", "beheer@dutchtechzone.nl", "done"),
    ]


async def test_retention_erases_people_of_old_events_only(client, world):
    old = await _register(client, world, "a1")
    await _register(client, world, "a2")
    # The network meeting ended 800 days ago (retention 730 days); a2 also has a newer registration.
    long_ago = utcnow() - timedelta(days=800)
    await Event.update({Event.starts_at: long_ago - timedelta(hours=3), Event.ends_at: long_ago}).where(
        Event.id == world.events["network"]
    )
    await _register(client, world, "a2", event="board")
    run = await retention_run(utcnow())
    assert run.people == [world.people["a1"]]
    person = await Person.select(Person.email).where(Person.id == world.people["a1"]).first()
    assert person["email"].endswith("@" + ERASED_DOMAIN)
    kept = await Person.select(Person.email).where(Person.id == world.people["a2"]).first()
    assert kept["email"] == "bram.devries@emmtec.example"
    assert await Registration.exists().where(Registration.id == old)
    assert (await retention_run(utcnow())).people == [], "a second run does nothing"
    r = await client.get("/api/audit-log/retention", headers=world.actors["admin"].headers)
    assert r.json()["days_after_event"]["network_meeting"] == 730


async def test_audit_log_records_changes_not_reads_and_only_for_admins(client, world):
    h = world.actors["organiser"].headers
    await client.get("/api/events", headers=h)
    r = await client.post(f"/api/events/{world.events['promotion_draft']}/publish", headers=h)
    assert r.status_code == 200
    refused = await client.post("/api/accounts", json={}, headers=h)
    assert refused.status_code == 403
    items = (await client.get("/api/audit-log", headers=world.actors["admin"].headers)).json()["items"]
    mine = [e for e in items if e["account_email"] == "organisator@dutchtechzone.nl"]
    assert [(e["method"], e["route"], e["status"], e["outcome"]) for e in mine] == [
        ("POST", "/api/accounts", 403, "refused"),
        ("POST", "/api/events/{event_id}/publish", 200, "done"),
    ]
    assert mine[1]["target_ids"] == {"event_id": world.events["promotion_draft"]}
    assert mine[1]["request_id"]
    assert (await client.get("/api/audit-log", headers=h)).status_code == 403
