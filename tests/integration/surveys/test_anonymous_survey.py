"""In anonymous mode no query joins an answer to a person.

What is checked, on the database's own catalogue and data rather than on the code's intentions:
- the stored rows: an anonymous survey_response has no invitation, and no other column that points at a
  person, registration, invitation or organisation;
- the schema: following foreign keys outward from survey_response, every path that reaches `person` starts
  with the `invitation` column (PostgreSQL: pg_constraint; SQLite: PRAGMA foreign_key_list);
- the values: `respondent_key` is none of the stored link digests, and no equality join of a
  survey_response column with any column of the person-linked tables (survey_invitation, reported_contact,
  link_token) finds a row. Left out are the response's own row id (a counter, equal to other counters by
  coincidence) and `survey` and `wave` (the same for every respondent, so they identify no one);
- the control: the same queries on a survey that is not anonymous DO find the person, so the test can fail.
Organisations reported (reported_contact) still feed the results in anonymous mode: they are about
organisations, not about what someone rated or wrote."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections import deque
from datetime import timedelta
from typing import Any

import pytest

from dtz_events.core.db import is_postgres
from dtz_events.mail.services import MailSettings
from dtz_events.registrations.tables import LinkToken
from dtz_events.surveys import services as surveys
from dtz_events.surveys.tables import ReportedContact, SurveyResponse
from tests.integration.surveys.helpers import (
    DAY,
    HOUR,
    invitations,
    past_event,
    register,
    survey_link,
    tick_at,
)

pytestmark = pytest.mark.sqlite

PERSONAL_TABLES = {"person", "registration", "survey_invitation", "organisation", "account", "link_token"}
# Tables whose rows lead to a person: a value shared with one of them would re-identify a response.
PERSON_LINKED = ("survey_invitation", "reported_contact", "link_token")
# survey_response columns that carry no individual information (see the module docstring).
STRUCTURAL = {"id", "survey", "wave"}
SECOND = timedelta(seconds=1)


async def raw(sql: str, *args: Any) -> list[dict[str, Any]]:
    return list(await SurveyResponse.raw(sql, *args))


async def foreign_keys() -> dict[str, list[tuple[str, str]]]:
    """Every foreign key in the database as table -> [(column, referenced table)], from the catalogue."""
    graph: dict[str, list[tuple[str, str]]] = {}
    if is_postgres():
        rows = await raw(
            """
            SELECT cl.relname AS tbl, att.attname AS col, ref.relname AS target
            FROM pg_constraint con
            JOIN pg_class cl ON cl.oid = con.conrelid
            JOIN pg_namespace ns ON ns.oid = cl.relnamespace
            JOIN pg_class ref ON ref.oid = con.confrelid
            JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = ANY (con.conkey)
            WHERE con.contype = 'f' AND ns.nspname = current_schema()
            """
        )
        for row in rows:
            graph.setdefault(row["tbl"], []).append((row["col"], row["target"]))
    else:
        tables = await raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        for table in (t["name"] for t in tables):
            for row in await raw(f"PRAGMA foreign_key_list({table})"):
                graph.setdefault(table, []).append((row["from"], row["table"]))
    return graph


async def columns(table: str) -> list[str]:
    if is_postgres():
        rows = await raw(
            "SELECT column_name AS name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = {} ORDER BY ordinal_position",
            table,
        )
    else:
        rows = await raw(f"PRAGMA table_info({table})")
    return [r["name"] for r in rows]


def paths_to(graph: dict[str, list[tuple[str, str]]], start: str, goal: str) -> list[list[str]]:
    """Every simple path of outgoing foreign keys from `start` to `goal`, as ['table.column', ...]."""
    found, todo = [], deque([(start, [start], [])])
    while todo:
        table, seen, path = todo.popleft()
        for column, target in graph.get(table, []):
            step = [*path, f"{table}.{column}"]
            if target == goal:
                found.append(step)
            elif target not in seen:
                todo.append((target, [*seen, target], step))
    return found


async def joins_to_people(survey_id: int) -> dict[str, int]:
    """For every pair (survey_response column, column of a person-linked table): how many rows an equality
    join of this survey's responses finds. Compared as text, so that no column type hides a match."""
    counts = {}
    mine = [c for c in await columns("survey_response") if c not in STRUCTURAL | {"answers"}]
    for other in PERSON_LINKED:
        for theirs in await columns(other):
            for column in mine:
                [row] = await raw(
                    f"SELECT count(*) AS n FROM survey_response r JOIN {other} o "
                    f"ON CAST(r.{column} AS TEXT) = CAST(o.{theirs} AS TEXT) WHERE r.survey = {{}}",
                    survey_id,
                )
                counts[f"survey_response.{column} = {other}.{theirs}"] = int(row["n"])
    return counts


async def names_behind_responses(survey_id: int) -> list[str]:
    """The people a plain join from the responses reaches: the query anonymity has to defeat."""
    rows = await raw(
        "SELECT p.name AS name FROM survey_response r "
        "JOIN survey_invitation i ON i.id = r.invitation "
        "JOIN registration g ON g.id = i.registration "
        "JOIN person p ON p.id = g.person WHERE r.survey = {} ORDER BY p.name",
        survey_id,
    )
    return [r["name"] for r in rows]


async def answered(client, world, anonymous: bool) -> tuple[int, int, dict[str, int]]:
    """a1, a2 and b1 answer (a2 twice), c1 does not; a1 and b1 report organisations."""
    event_id, ends = await past_event(client, world, DAY)
    registrations = await register(client, world, event_id, "a1", "a2", "b1", "c1")
    r = await client.patch(
        f"/api/events/{event_id}/survey",
        json={"anonymous": anonymous},
        headers=world.actors["organiser"].headers,
    )
    assert r.status_code == 200, r.text
    await tick_at(ends + 2 * HOUR + 17 * SECOND)  # not on a whole minute
    org_a, org_b, org_c = (world.organisations[k] for k in "abc")
    links = {p: await survey_link(registrations[p]["id"]) for p in registrations}
    await surveys.submit(
        links["a1"],
        {
            "overall": ["4"],
            "remarks": ["Prima"],
            f"contacts.{org_b}": ["follow_up"],
            f"contacts.{org_c}": ["contact"],
        },
    )
    await surveys.submit(
        links["b1"], {"overall": ["5"], "recommend": ["9"], f"contacts.{org_a}": ["agreement"]}
    )
    await surveys.submit(links["a2"], {"overall": ["2"]})
    await surveys.submit(links["a2"], {"overall": ["3"], "remarks": ["Anders"]})  # changed
    [invitation, *_] = await invitations(event_id)
    return event_id, invitation["survey"], {p: r["id"] for p, r in registrations.items()}


@pytest.mark.parametrize("anonymous", [True, False], ids=["anonymous", "named"])
async def test_in_anonymous_mode_no_query_joins_an_answer_to_a_person(client, world, anonymous):
    event_id, survey_id, _ = await answered(client, world, anonymous)
    responses = await SurveyResponse.select().where(SurveyResponse.survey == survey_id)
    assert len(responses) == 3

    # The schema: the only way from a response to a person is its invitation column.
    graph = await foreign_keys()
    personal_columns = {c for c, target in graph["survey_response"] if target in PERSONAL_TABLES}
    assert personal_columns == {"invitation"}
    paths = paths_to(graph, "survey_response", "person")
    assert paths, "the catalogue shows no path at all: the query above reads it wrongly"
    assert ["survey_response.invitation", "survey_invitation.registration", "registration.person"] in paths
    assert all(path[0] == "survey_response.invitation" for path in paths), paths

    invitation_ids = [i["id"] for i in await invitations(event_id)]
    keys = {r["respondent_key"] for r in responses}
    digests = {t["digest"] for t in await LinkToken.select(LinkToken.digest)}
    assert digests
    assert not keys & digests
    secret = MailSettings.settings.secret_key.encode()
    for invitation_id in invitation_ids:  # not a plain hash that anyone could recompute
        for text in (str(invitation_id), f"survey-response:{invitation_id}"):
            assert hashlib.sha256(text.encode()).hexdigest() not in keys
    keyed = {
        hmac.new(secret, f"survey-response:{i}".encode(), hashlib.sha256).hexdigest() for i in invitation_ids
    }
    assert keys <= keyed  # only the server's secret finds a response again (for the link's holder)

    joins = await joins_to_people(survey_id)
    found = {pair: n for pair, n in joins.items() if n}
    names = await names_behind_responses(survey_id)
    if anonymous:
        assert all(r["invitation"] is None for r in responses)
        assert all(r[c] is None for r in responses for c in personal_columns)
        assert found == {}, found
        assert names == []
    else:
        # The control: the same queries find everyone who answered.
        assert all(r["invitation"] is not None for r in responses)
        assert found["survey_response.invitation = survey_invitation.id"] == 3
        # ...and the value joins can see a match: named responses keep their exact times.
        assert found["survey_response.updated_at = survey_invitation.responded_at"] == 3
        assert names == ["Anouk Jansen", "Bram de Vries", "Cor Bakker"]


async def test_anonymous_responses_still_feed_the_cooperation_ledger_and_the_results(client, world):
    event_id, _, _ = await answered(client, world, anonymous=True)
    org_a, org_b, org_c = (world.organisations[k] for k in "abc")
    contacts = await ReportedContact.select(
        ReportedContact.reporter, ReportedContact.other, ReportedContact.outcome
    )
    assert sorted((c["reporter"], c["other"], c["outcome"]) for c in contacts) == sorted(
        [(org_a, org_b, "follow_up"), (org_a, org_c, "contact"), (org_b, org_a, "agreement")]
    )

    organiser = world.actors["organiser"].headers
    r = await client.get(f"/api/events/{event_id}/survey/results", headers=organiser)
    assert r.status_code == 200, r.text
    results = r.json()
    assert (results["anonymous"], results["invited"], results["responded"]) == (True, 4, 3)
    assert results["non_respondents"] is None  # who did not answer is who did: not shown
    assert {c["organisation_id"]: c["outcomes"] for c in results["contacts"]} == {
        org_a: {"agreement": 1},
        org_b: {"follow_up": 1},
        org_c: {"contact": 1},
    }
    overall = next(q for q in results["questions"] if q["id"] == "overall")
    assert overall["average"] == 4.0  # 4, 5 and a2's changed 3

    r = await client.get(f"/api/events/{event_id}/survey/results.csv", headers=organiser)
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["wave", "answered_at", "overall", "recommend", "value", "remarks"]
    assert len(rows) == 4
    for name in ("Anouk", "Bram", "Cor", "Dirk"):
        assert name not in r.text
