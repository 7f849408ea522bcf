"""Promotion days record groups, not pupils: no column and no API field can hold a pupil's name, birth date
or other personal data; a body that tries is refused. Teachers' contact details go a set time after the day
(the retention job, driven here with a controlled clock), and the counts stay."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from dtz_events import scheduler
from dtz_events.promotion_days.tables import SchoolGroup, SchoolGroupContact
from dtz_events.tables import all_tables
from tests.integration.promotion_days.conftest import Day, group_body

pytestmark = pytest.mark.sqlite

PUPIL_LEVEL = re.compile(
    r"(birth|geboorte|gender|geslacht|\bsex\b|bsn|student|leerling|pupil_?(name|email|phone|id)|"
    r"first_?name|last_?name|surname|roepnaam|achternaam|\bage\b|diagnos|allerg)",
    re.IGNORECASE,
)


def test_no_table_has_a_pupil_level_column() -> None:
    offending = [
        f"{table._meta.tablename}.{column._meta.name}"
        for table in all_tables()
        for column in table._meta.columns
        if PUPIL_LEVEL.search(column._meta.name)
    ]
    assert offending == []
    columns = {c._meta.name for c in SchoolGroup._meta.columns}
    assert "pupil_count" in columns  # a headcount is all there is


def _property_names(node: object, found: set[str], pupils: list[object]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                found.update(value)
                if "pupils" in value:
                    pupils.append(value["pupils"])
            _property_names(value, found, pupils)
    elif isinstance(node, list):
        for item in node:
            _property_names(item, found, pupils)


async def test_the_api_has_no_pupil_level_field(client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    names: set[str] = set()
    pupils: list[object] = []
    _property_names(document, names, pupils)
    assert {"pupil_count", "class_name", "level"} <= names
    assert sorted(n for n in names if PUPIL_LEVEL.search(n)) == []
    assert all(p == {"type": "integer"} for p in pupils), pupils  # "pupils" is only ever a count


async def test_a_list_of_pupils_is_refused(client, world, day: Day) -> None:
    body = group_body("8A", "juf@drenthecollege.example")
    body["pupils"] = [{"name": "Sanne", "birth_date": "2013-04-01"}]
    r = await client.post(
        f"/api/events/{day.event_id}/school-groups", json=body, headers=world.actors["partner_b"].headers
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "pupils"
    assert await SchoolGroup.count() == 0


async def test_retention_removes_contacts_after_the_day_and_keeps_counts(
    client, world, day: Day, monkeypatch
) -> None:
    monkeypatch.setenv("DTZ_PROMOTION_CONTACT_RETENTION_DAYS", "30")
    school = world.actors["partner_b"].headers
    r = await client.post(
        f"/api/events/{day.event_id}/school-groups",
        json=group_body("8A", "juf@drenthecollege.example"),
        headers=school,
    )
    group_id = r.json()["id"]
    event = (await client.get(f"/api/events/{day.event_id}", headers=school)).json()
    from datetime import datetime

    ends = datetime.fromisoformat(event["ends_at"])

    # The day after the event, and until 30 days later: everything is still there.
    for now in (ends + timedelta(days=1), ends + timedelta(days=29, hours=23)):
        done = await scheduler.tick(now)
        assert done["promotion_days.contact_retention"] == 0
    assert await SchoolGroupContact.count().where(SchoolGroupContact.school_group == group_id) == 2

    done = await scheduler.tick(ends + timedelta(days=30, minutes=1))
    assert done["promotion_days.contact_retention"] == 1
    assert await SchoolGroupContact.count() == 0
    group = (await client.get(f"/api/school-groups/{group_id}", headers=school)).json()
    assert group["teacher"] is None
    assert group["supervisors"] == []
    assert group["accessibility_needs"] == ""
    assert group["contacts_removed_at"] is not None
    assert (group["pupil_count"], group["level"], group["supervisor_count"]) == (24, "vmbo", 1)
    # A second tick finds nothing more to do.
    assert (await scheduler.tick(ends + timedelta(days=31)))["promotion_days.contact_retention"] == 0
