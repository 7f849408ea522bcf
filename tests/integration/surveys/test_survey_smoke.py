"""The survey path end to end through the services: sent after the end to those checked in, answered."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from dtz_events import scheduler
from dtz_events.core.clock import utcnow
from dtz_events.surveys import services as surveys
from dtz_events.surveys.tables import SurveyResponse
from tests.support.fixtures import at

pytestmark = pytest.mark.sqlite


async def test_survey_goes_to_checked_in_people_after_the_end_and_is_answered(client, world, mail_env):
    organiser = world.actors["organiser"].headers
    r = await client.post(
        "/api/events",
        json={
            "kind": "network_meeting",
            "title": "Netwerkborrel IT Hub",
            "starts_at": at(-1, 9),
            "ends_at": at(-1, 12),
            "capacity": 20,
        },
        headers=organiser,
    )
    event_id = r.json()["id"]
    assert (await client.post(f"/api/events/{event_id}/publish", headers=organiser)).status_code == 200
    r = await client.post(
        f"/api/events/{event_id}/registrations/bulk",
        json={"person_ids": [world.people["a1"], world.people["b1"]]},
        headers=organiser,
    )
    a1_registration = r.json()[0]["id"]
    r = await client.post(
        f"/api/events/{event_id}/check-ins", json={"registration_id": a1_registration}, headers=organiser
    )
    assert r.status_code == 200, r.text
    assert r.json()["already_checked_in"] is False
    r = await client.post(
        f"/api/events/{event_id}/check-ins", json={"registration_id": a1_registration}, headers=organiser
    )
    assert r.json()["already_checked_in"] is True

    await scheduler.tick(utcnow())
    await scheduler.tick(utcnow() + timedelta(minutes=1))
    await mail_env.flush()
    surveys_sent = [
        m for m in mail_env.sink.received if "survey" in m.message.get_body(("plain",)).get_content()
    ]
    assert [m.rcpt_tos for m in surveys_sent] == [["anouk.jansen@emmtec.example"]]
    text = surveys_sent[0].message.get_body(("plain",)).get_content()
    token = re.search(r"/survey/(\S+)", text).group(1)

    page = await surveys.survey_page(token)
    assert page["open"]
    await surveys.submit(
        token, {"overall": ["4"], "recommend": ["9"], f"contacts.{world.organisations['b']}": ["follow_up"]}
    )
    await surveys.submit(token, {"overall": ["5"], "recommend": ["10"]})
    assert await SurveyResponse.count() == 1
    r = await client.get(f"/api/events/{event_id}/survey/results", headers=organiser)
    assert r.status_code == 200, r.text
    results = r.json()
    assert results["invited"] == 1
    assert results["responded"] == 1
    overall = next(q for q in results["questions"] if q["id"] == "overall")
    assert overall["average"] == 5
