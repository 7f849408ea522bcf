"""Answering a survey (validation per question type, changing answers until it closes), editing a survey
before it goes out, the results and their CSV export, and who may see them."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from dtz_events.core.clock import utcnow
from dtz_events.core.errors import PROBLEM_JSON, Conflict, InvalidInput
from dtz_events.partners.tables import Person
from dtz_events.surveys import services as surveys
from dtz_events.surveys.schemas import Label, Question, QuestionType
from dtz_events.surveys.tables import ReportedContact, SurveyInvitation, SurveyResponse
from tests.integration.surveys.helpers import (
    DAY,
    HOUR,
    add_people,
    invitations,
    past_event,
    register,
    survey_link,
    tick_at,
)

pytestmark = pytest.mark.sqlite


def label(text: str) -> dict[str, str]:
    return {"nl": text, "en": text}


QUESTIONS = [
    {"id": "overall", "type": "rating", "label": label("Overall"), "required": True},
    {"id": "recommend", "type": "nps", "label": label("Recommend")},
    {
        "id": "format",
        "type": "single_choice",
        "label": label("Format"),
        "options": [{"id": "short", "label": label("Short")}, {"id": "long", "label": label("Long")}],
    },
    {
        "id": "value",
        "type": "multiple_choice",
        "label": label("Value"),
        "options": [
            {"id": "contacts", "label": label("Contacts")},
            {"id": "knowledge", "label": label("Knowledge")},
            {"id": "project", "label": label("Project")},
        ],
    },
    {"id": "contacts", "type": "organisations", "label": label("Contacts")},
    {"id": "remarks", "type": "text", "label": label("Remarks")},
]


async def sent_survey(client, world, *people: str, questions=None, **config) -> tuple[int, dict[str, str]]:
    """An event that ended yesterday, its survey (edited first) sent; the survey link of each person."""
    event_id, ends = await past_event(client, world, DAY)
    registrations = await register(client, world, event_id, *people)
    changes = dict(config)
    if questions is not None:
        changes["questions"] = questions
    if changes:
        r = await client.patch(
            f"/api/events/{event_id}/survey", json=changes, headers=world.actors["organiser"].headers
        )
        assert r.status_code == 200, r.text
    await tick_at(ends + 2 * HOUR)
    links = {p: await survey_link(registrations[p]["id"]) for p in people}
    return event_id, links


# ---------------------------------------------------------------- validation


async def test_answers_are_validated_per_question_type_and_errors_name_the_question(client, world):
    event_id, links = await sent_survey(client, world, "a1", "b1", "c1", questions=QUESTIONS)
    link = links["a1"]
    org_a, org_b, org_c = (world.organisations[k] for k in "abc")
    ok = {"overall": ["4"]}
    bad = [
        ({}, "overall"),  # required
        ({"overall": [""]}, "overall"),
        ({"overall": ["0"]}, "overall"),
        ({"overall": ["6"]}, "overall"),
        ({"overall": ["abc"]}, "overall"),
        ({"overall": ["4.5"]}, "overall"),
        ({"overall": ["-1"]}, "overall"),
        ({"overall": ["²"]}, "overall"),  # str.isdigit() says yes, int() says no
        ({**ok, "recommend": ["11"]}, "recommend"),
        ({**ok, "recommend": ["-1"]}, "recommend"),
        ({**ok, "format": ["medium"]}, "format"),
        ({**ok, "value": ["contacts", "bribes"]}, "value"),
        ({**ok, "remarks": ["x" * 5001]}, "remarks"),
        ({**ok, f"contacts.{org_b}": ["married"]}, "contacts"),
        ({**ok, f"contacts.{org_a}": ["contact"]}, "contacts"),  # one's own organisation
        ({**ok, "contacts.999999": ["contact"]}, "contacts"),  # not at the event
        ({**ok, "contacts.emmtec": ["contact"]}, "contacts"),
    ]
    for form, question in bad:
        with pytest.raises(InvalidInput) as caught:
            await surveys.submit(link, form)
        [error] = caught.value.errors
        assert error.field.split(".")[0] == question, (form, error)
        assert error.message
    assert await SurveyResponse.count() == 0
    assert all(i["responded_at"] is None for i in await invitations(event_id))
    assert await ReportedContact.count() == 0

    await surveys.submit(
        link,
        {
            "overall": ["5"],
            "recommend": ["0"],
            "format": ["long"],
            "value": ["project", "contacts", "contacts"],
            "remarks": ["  " + "x" * 5000 + "  "],
            f"contacts.{org_b}": ["follow_up"],
            f"contacts.{org_c}": [""],  # not talked to
            "unrelated-field": ["ignored"],
        },
    )
    [response] = await SurveyResponse.select()
    answers = surveys._decoded(response["answers"])
    assert answers == {
        "overall": 5,
        "recommend": 0,
        "format": "long",
        "value": ["contacts", "project"],
        "remarks": "x" * 5000,
    }
    contacts = await ReportedContact.select(ReportedContact.other, ReportedContact.outcome)
    assert contacts == [{"other": org_b, "outcome": "follow_up"}]
    assert (await surveys.submit(links["b1"], {"overall": ["1"], "recommend": ["10"]}))["open"]


async def test_answers_can_be_changed_until_the_survey_closes(client, world):
    event_id, links = await sent_survey(client, world, "a1", "b1")
    org_b = world.organisations["b"]
    link = links["a1"]
    await surveys.submit(link, {"overall": ["2"], "remarks": ["Te lang"], f"contacts.{org_b}": ["contact"]})
    first = await SurveyResponse.select().first()
    await surveys.submit(link, {"overall": ["4"], "recommend": ["9"], f"contacts.{org_b}": ["joint_project"]})

    [response] = await SurveyResponse.select()  # one row, changed
    assert response["id"] == first["id"]
    assert surveys._decoded(response["answers"]) == {"overall": 4, "recommend": 9}
    assert await ReportedContact.select(ReportedContact.other, ReportedContact.outcome) == [
        {"other": org_b, "outcome": "joint_project"}  # wave 0 may be corrected either way
    ]
    page = await surveys.survey_page(link)
    assert page["answers"] == {"overall": 4, "recommend": 9}
    assert page["contacts"] == {org_b: "joint_project"}

    # Closed: the page says so, and a change is refused and leaves the answers as they were.
    await SurveyInvitation.update({SurveyInvitation.closes_at: utcnow() - timedelta(seconds=1)}).where(
        SurveyInvitation.id == page["invitation"]["id"]
    )
    assert not (await surveys.survey_page(link))["open"]
    with pytest.raises(Conflict):
        await surveys.submit(link, {"overall": ["1"]})
    [after] = await SurveyResponse.select()
    assert surveys._decoded(after["answers"]) == {"overall": 4, "recommend": 9}
    # Someone who never answered cannot answer a closed survey either.
    await SurveyInvitation.update({SurveyInvitation.closes_at: utcnow() - timedelta(seconds=1)}).where(
        SurveyInvitation.survey.event == event_id  # type: ignore[attr-defined]
    )
    with pytest.raises(Conflict):
        await surveys.submit(links["b1"], {"overall": ["5"]})
    assert await SurveyResponse.count() == 1


async def test_a_survey_sent_late_is_closed_by_its_closing_day(client, world):
    event_id, ends = await past_event(client, world, 15 * DAY)
    registrations = await register(client, world, event_id, "a1")
    await tick_at(ends + 2 * HOUR)  # the scheduler was late: the real clock is past ends + 14 days
    link = await survey_link(registrations["a1"]["id"])
    assert not (await surveys.survey_page(link))["open"]
    with pytest.raises(Conflict):
        await surveys.submit(link, {"overall": ["5"]})


# ---------------------------------------------------------------- editing the survey


async def test_questions_can_be_edited_until_the_survey_goes_out(client, world):
    event_id, ends = await past_event(client, world, DAY)
    await register(client, world, event_id, "a1")
    organiser = world.actors["organiser"].headers
    url = f"/api/events/{event_id}/survey"

    r = await client.get(url, headers=organiser)
    assert r.status_code == 200, r.text
    template = r.json()
    assert [q["id"] for q in template["questions"]] == [
        "overall",
        "recommend",
        "value",
        "contacts",
        "remarks",
    ]
    assert (template["send_after_hours"], template["remind_after_days"], template["max_reminders"]) == (
        2,
        3,
        2,
    )
    assert (template["close_after_days"], template["followup_months"], template["anonymous"]) == (
        14,
        [3, 6, 12],
        False,
    )

    r = await client.patch(url, json={"questions": QUESTIONS, "anonymous": True}, headers=organiser)
    assert r.status_code == 200, r.text
    r = await client.get(url, headers=organiser)
    assert [q["id"] for q in r.json()["questions"]] == [q["id"] for q in QUESTIONS]
    assert r.json()["anonymous"] is True
    r = await client.patch(url, json={"anonymous": False}, headers=organiser)
    assert r.status_code == 200, r.text

    duplicate = [QUESTIONS[0], {**QUESTIONS[1], "id": "overall"}]
    one_option = [{**QUESTIONS[2], "options": QUESTIONS[2]["options"][:1]}]
    for questions, field in [(duplicate, "questions[1].id"), (one_option, "questions[0].options")]:
        r = await client.patch(url, json={"questions": questions}, headers=organiser)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith(PROBLEM_JSON)
        assert [e["field"] for e in r.json()["errors"]] == [field]
    for body in ({"questions": [{**QUESTIONS[0], "type": "essay"}]}, {"questions": []}, {"max_reminders": 9}):
        r = await client.patch(url, json=body, headers=organiser)
        assert r.status_code in (400, 422), r.text

    await tick_at(ends + 2 * HOUR)
    assert len(await invitations(event_id)) == 1
    for body in ({"questions": QUESTIONS[:1]}, {"anonymous": True}):
        r = await client.patch(url, json=body, headers=organiser)
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith(PROBLEM_JSON)
    r = await client.get(url, headers=organiser)
    assert [q["id"] for q in r.json()["questions"]] == [q["id"] for q in QUESTIONS]
    assert r.json()["anonymous"] is False
    # Timing may still change after it went out.
    r = await client.patch(url, json={"max_reminders": 1, "followup_months": [6]}, headers=organiser)
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------- results and CSV

NPS_SCORES = [10, 9, 8, 7, 6, 0]
RATINGS = [5, 4, 4, 3, 5, 2]
REMARKS = [
    '=HYPERLINK("http://evil.example","klik")',
    "+31 6 12345678",
    "-2 punten",
    "@SUM(A1:A9)",
    "Goed",
    "",
]


async def answered_survey(client, world, *, anonymous: bool = False) -> tuple[int, list[str], str]:
    """Seven invited, six answered with NPS scores 10, 9, 8, 7, 6, 0; the last one did not answer."""
    extra = await add_people(client, world, 3)
    await Person.update({Person.name: "=Kwaadwillige Naam"}).where(Person.id == world.people[extra[0]])
    people = ["a1", "a2", "b1", *extra, "c1"]
    event_id, links = await sent_survey(client, world, *people, anonymous=anonymous)
    org_a, org_b, org_c = (world.organisations[k] for k in "abc")
    contacts = {
        "a1": {f"contacts.{org_b}": ["follow_up"], f"contacts.{org_c}": ["contact"]},
        "a2": {f"contacts.{org_b}": ["follow_up"]},
        "b1": {f"contacts.{org_a}": ["agreement"]},
    }
    value = [["contacts"], ["contacts", "knowledge"], ["project"], [], ["knowledge", "contacts"], ["nothing"]]
    for person, nps, rating, remark, chosen in zip(
        people[:6], NPS_SCORES, RATINGS, REMARKS, value, strict=True
    ):
        form = {"overall": [str(rating)], "recommend": [str(nps)], "remarks": [remark], "value": chosen}
        await surveys.submit(links[person], {**form, **contacts.get(person, {})})
    return event_id, people, "c1"


async def test_results_count_rates_averages_nps_and_contacts_exactly(client, world):
    event_id, _, silent = await answered_survey(client, world)
    r = await client.get(
        f"/api/events/{event_id}/survey/results?lang=en", headers=world.actors["organiser"].headers
    )
    assert r.status_code == 200, r.text
    results = r.json()
    assert (results["invited"], results["responded"], results["anonymous"]) == (7, 6, False)
    assert results["response_rate"] == round(6 / 7, 4)
    assert results["non_respondents"] == [
        {"person_id": world.people[silent], "name": "Dirk Smit", "organisation_id": world.organisations["c"]}
    ]
    questions = {q["id"]: q for q in results["questions"]}
    assert list(questions) == ["overall", "recommend", "value", "remarks"]  # organisations go to contacts

    overall = questions["overall"]
    assert overall["label"] == "How do you rate this event?"
    assert overall["answered"] == 6
    assert overall["average"] == round(23 / 6, 2)
    assert [(d["option"], d["count"]) for d in overall["distribution"]] == [
        ("1", 0),
        ("2", 1),
        ("3", 1),
        ("4", 2),
        ("5", 2),
    ]
    recommend = questions["recommend"]
    assert recommend["average"] == round(40 / 6, 2)
    assert recommend["nps"] == 0  # (2 promoters - 2 detractors) / 6 * 100
    assert {d["option"]: d["count"] for d in recommend["distribution"] if d["count"]} == {
        "0": 1,
        "6": 1,
        "7": 1,
        "8": 1,
        "9": 1,
        "10": 1,
    }
    value = questions["value"]
    assert value["answered"] == 5  # one left it empty
    assert {d["option"]: d["count"] for d in value["distribution"]} == {
        "contacts": 3,
        "knowledge": 2,
        "project": 1,
        "nothing": 1,
    }
    assert sorted(questions["remarks"]["texts"]) == sorted(t for t in REMARKS if t)

    org_a, org_b, org_c = (world.organisations[k] for k in "abc")
    assert [(c["organisation_id"], c["organisation_name"], c["outcomes"]) for c in results["contacts"]] == [
        (org_a, "Emmtec Industry & Business Park", {"agreement": 1}),
        (org_b, "Drenthe College", {"follow_up": 2}),
        (org_c, "Gemeente Coevorden", {"contact": 1}),
    ]


def test_nps_is_promoters_minus_detractors_over_all_answers():
    question = Question(id="recommend", type=QuestionType.nps, label=Label(nl="x", en="x"))
    for scores, nps in [
        ([10, 9, 8, 7, 6, 0], 0.0),
        ([10, 10, 9, 6], 50.0),
        ([0, 6], -100.0),
        ([9], 100.0),
        ([8, 7], 0.0),
        ([10, 9, 6], 33.3),
    ]:
        result = surveys._question_result(question, [{"recommend": s} for s in scores], "nl")
        assert result.nps == nps, scores
    assert surveys._question_result(question, [{}], "nl").nps is None


async def test_the_csv_has_one_row_per_response_with_names_and_defused_formulas(client, world):
    event_id, _, _ = await answered_survey(client, world)
    r = await client.get(
        f"/api/events/{event_id}/survey/results.csv", headers=world.actors["organiser"].headers
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == f'attachment; filename="survey-event-{event_id}.csv"'
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["wave", "answered_at", "name", "overall", "recommend", "value", "remarks"]
    body = rows[1:]
    assert len(body) == 6
    by_name = {row[2]: row for row in body}
    assert set(by_name) == {
        "Anouk Jansen",
        "Bram de Vries",
        "Cor Bakker",
        "'=Kwaadwillige Naam",
        "Deelnemer p6",
        "Deelnemer p7",
    }
    assert [row[3] for row in body] == [str(v) for v in RATINGS]
    assert [row[4] for row in body] == [str(v) for v in NPS_SCORES]
    assert [row[6] for row in body] == [
        '\'=HYPERLINK("http://evil.example","klik")',
        "'+31 6 12345678",
        "'-2 punten",
        "'@SUM(A1:A9)",
        "Goed",
        "",
    ]
    assert by_name["Bram de Vries"][5] == "contacts;knowledge"
    assert all(row[0] == "0" and row[1][:4].isdigit() for row in body)
    assert not any(cell[:1] in ("=", "+", "-", "@") for row in body for cell in row)


# ---------------------------------------------------------------- access


async def test_partners_and_the_board_secretary_cannot_reach_survey_or_check_in(client, world):
    event_id, _ = await sent_survey(client, world, "a1")
    base = f"/api/events/{event_id}"
    calls = [
        ("GET", f"{base}/survey", None),
        ("PATCH", f"{base}/survey", {"max_reminders": 0}),
        ("GET", f"{base}/survey/results", None),
        ("GET", f"{base}/survey/results.csv", None),
        ("POST", f"{base}/check-ins", {"registration_id": 1}),
        ("POST", f"{base}/walk-ins", {"person_id": world.people["a2"]}),
    ]
    for method, url, body in calls:
        for actor, allowed in [
            ("partner_a", (403, 404)),
            ("partner_b", (403, 404)),
            ("board_secretary", (403,)),  # may manage board sessions only
            ("anonymous", (401,)),
        ]:
            r = await client.request(method, url, json=body, headers=world.actors[actor].headers)
            assert r.status_code in allowed, (method, url, actor, r.status_code, r.text)
            assert r.headers["content-type"].startswith(PROBLEM_JSON), (method, url, actor)
            assert "Anouk" not in r.text
    # The organiser's own calls work: the denials above are about who, not about the requests.
    organiser = world.actors["organiser"].headers
    for method, url, body in calls[:4]:
        r = await client.request(method, url, json=body, headers=organiser)
        assert r.status_code == 200, (method, url, r.text)
    r = await client.get(f"{base}/survey", headers=organiser)
    assert r.json()["max_reminders"] == 0
