"""RSVP from the email's link, and calendar feeds."""

from __future__ import annotations

import re

import icalendar
import pytest

from dtz_events.registrations.tables import Registration
from tests.support.pages import send_csrf_token

pytestmark = pytest.mark.sqlite


async def registered_and_mailed(client, world, mail_env, person: str = "a1") -> str:
    r = await client.post(
        f"/api/events/{world.events['network']}/registrations",
        json={"person_id": world.people[person]},
        headers=world.actors["organiser"].headers,
    )
    assert r.status_code == 201, r.text
    await mail_env.flush()
    [received] = mail_env.sink.to("anouk.jansen@emmtec.example")
    text = received.message.get_body(("plain",)).get_content()
    return re.search(r"http://testserver\.local(/rsvp/\S+\?answer=accepted)", text).group(1)


async def rsvp_of(person_id: int) -> str:
    row = await Registration.select(Registration.rsvp).where(Registration.person == person_id).first()
    return row["rsvp"]


async def test_rsvp_link_shows_a_page_and_only_a_post_answers(client, world, mail_env):
    link = await registered_and_mailed(client, world, mail_env)
    page = await client.get(link)
    assert page.status_code == 200
    assert "Netwerkbijeenkomst Smart Industry" in page.text
    assert 'lang="nl"' in page.text
    assert await rsvp_of(world.people["a1"]) == "needs_action"  # a link scanner's GET answers nothing

    token_path = link.split("?")[0]
    await send_csrf_token(client)  # what the page's form carries
    done = await client.post(token_path, data={"answer": "accepted"})
    assert done.status_code == 200
    assert "Bedankt" in done.text
    assert await rsvp_of(world.people["a1"]) == "accepted"

    r = await client.get(
        f"/api/events/{world.events['network']}/registrations", headers=world.actors["partner_a"].headers
    )
    assert [item["rsvp"] for item in r.json()["items"]] == ["accepted"]


async def test_tampered_rsvp_link_shows_a_clear_page(client, world, mail_env):
    link = await registered_and_mailed(client, world, mail_env)
    tampered = link.split("?")[0][:-3] + "xyz"
    page = await client.get(tampered)
    assert page.status_code == 404
    assert "niet geldig" in page.text or "not valid" in page.text
    await send_csrf_token(client)
    answer = await client.post(tampered, data={"answer": "declined"})
    assert answer.status_code == 404
    assert await rsvp_of(world.people["a1"]) == "needs_action"


async def test_person_feed_lists_confirmed_events_and_is_revocable(client, world, mail_env):
    await registered_and_mailed(client, world, mail_env)
    organiser = world.actors["organiser"].headers
    r = await client.post(f"/api/people/{world.people['a1']}/feed-link", headers=organiser)
    assert r.status_code == 201, r.text
    url = r.json()["url"].removeprefix("http://testserver.local")
    feed = await client.get(url)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(feed.content)
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Netwerkbijeenkomst Smart Industry"]
    assert "METHOD" not in calendar

    other = await client.post(
        f"/api/people/{world.people['a1']}/feed-link", headers=world.actors["partner_b"].headers
    )
    assert other.status_code == 404

    r = await client.post(f"/api/people/{world.people['a1']}/feed-link/revoke", headers=organiser)
    assert r.json() == {"revoked": 1}
    assert (await client.get(url)).status_code == 404
