"""The fast paths of the sender say exactly what the slow ones say: the MIME bytes written directly equal the
email package's (hostile names and subjects included), an invitation spliced from a calendar built once per
batch equals one built alone (and parses in icalendar and vobject), a batch of rows renders as each row
alone does, and what arrives at the SMTP server is byte for byte what `compose()` makes of the stored row."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import vobject
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dtz_events.core import ical
from dtz_events.mail import mime
from dtz_events.mail.services import compose, deliver, message_bytes
from dtz_events.mail.tables import OutboxMessage
from dtz_events.settings import Settings

pytestmark = pytest.mark.sqlite

HOSTILE = [
    'Zoë "Z" O\'Brien; Jr., <script>alert(1)</script> 🚀\r\nBcc: evil@example.com',
    "Anne-Marie van der Berg",
    "O'Brien",
    "=?utf-8?q?Zo=C3=AB?=",
    "x@y, z <w@v>",
    "Mr. (Dr.) Ünïcödé " * 8,
    "",
    " Jan  Jansen ",
    "a" * 120,
    "Group: one;",
]
PLAIN = ["Jan Jansen", "Els de Vries", "Piet Pietersen", "Sanne Bakker", "Jan Jansen"]
EMAILS = ["deelnemer.00001@partner.example", "a.b-c@b-x.example", "x_y+z@sub.domain.example"]
BOUNDARY = re.compile(rb"={15}\d{19}==")
DATE = re.compile(rb"\r\nDate: [^\r]*\r\n")


def normalised(data: bytes) -> bytes:
    """Boundaries (random) numbered in order of appearance, and the Date (the clock) left out."""
    seen: dict[bytes, int] = {}
    data = BOUNDARY.sub(lambda m: b"BOUNDARY-%d" % seen.setdefault(m.group(0), len(seen)), data)
    return DATE.sub(b"\r\nDate: -\r\n", data)


def entry(
    title: str = "Netwerkbijeenkomst Smart Industry", description: str = "Eerste; regel,\n\\twee"
) -> ical.CalendarEntry:
    starts = datetime(2026, 12, 10, 14, tzinfo=UTC)
    return ical.CalendarEntry(
        uid="event-7@dutchtechzone.nl",
        sequence=2,
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        location="Emmtec, Bijlakstraat 2; Emmen",
        description=description,
        category="NETWORK-MEETING",
    )


ORGANIZER = ical.Party(email="rsvp@dutchtechzone.nl", name="Dutch TechZone")


def outbox_row(name: str, email: str, subject: str, text: str, ics: str | None, language: str) -> dict:
    return {
        "id": 4711,
        "dedup_key": "registration_confirmed:registration 3:revision 0",
        "recipient_name": name,
        "recipient_email": email,
        "subject": subject,
        "text_body": text,
        "html_body": f"<p>{text}</p>\n",
        "ics": ics,
        "ics_method": "REQUEST" if ics else None,
        "language": language,
    }


# ---------------------------------------------------------------- MIME bytes


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("with_calendar", [True, False])
def test_message_bytes_equal_the_email_packages(name: str, with_calendar: bool) -> None:
    app = Settings.from_env()
    text = "Hallo Zoë,\r\n.begint met een punt\nregel met spatie aan het eind \n" + "é🚀" * 80 + "\n"
    ics = ical.invitation(entry(), ical.Method.request, ORGANIZER, ical.Party(EMAILS[0], name)).decode()
    for subject in (f"Aanmelding bevestigd: {name}", "Herinnering: " + "lang " * 30):
        row = outbox_row(name, EMAILS[0], subject, text, ics if with_calendar else None, "nl")
        assert normalised(message_bytes(row, app)) == normalised(compose(row, app).as_bytes())


@given(
    name=st.text(max_size=90),
    address=st.sampled_from(EMAILS),
    subject=st.text(max_size=150),
    text=st.text(max_size=400),
    with_calendar=st.booleans(),
    language=st.sampled_from(["nl", "en"]),
)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_message_bytes_equal_the_email_packages_for_any_text(
    name: str, address: str, subject: str, text: str, with_calendar: bool, language: str
) -> None:
    app = Settings.from_env()
    ics = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n" if with_calendar else None
    row = outbox_row(name, address, subject, text, ics, language)
    assert normalised(message_bytes(row, app)) == normalised(compose(row, app).as_bytes())


def test_the_fixed_headers_follow_other_settings() -> None:
    app = replace(Settings.from_env(), mail_from="Dütch TechZone <events@dutchtechzone.nl>", rsvp_address="")
    row = outbox_row("Zoë", EMAILS[1], "Onderwerp", "Tekst\n", None, "en")
    assert normalised(message_bytes(row, app)) == normalised(compose(row, app).as_bytes())


@pytest.mark.parametrize(
    "moment", [datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)]
)
def test_the_date_header_is_the_packages(moment: datetime) -> None:
    from email.policy import SMTP
    from email.utils import format_datetime

    value = format_datetime(moment)
    assert mime._date(value) == SMTP.fold_binary("Date", SMTP.header_store_parse("Date", value)[1])


# ---------------------------------------------------------------- invitations spliced per attendee


@given(
    names=st.lists(st.text(max_size=80), min_size=1, max_size=4),
    cancel=st.booleans(),
    title=st.text(min_size=1, max_size=100),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_invitations_for_many_equal_each_built_alone(names: list[str], cancel: bool, title: str) -> None:
    method = ical.Method.cancel if cancel else ical.Method.request
    attendees = [ical.Party(email=f"p{i}@partner.example", name=n) for i, n in enumerate(names)]
    together = ical.invitations(entry(title=title), method, ORGANIZER, attendees)
    stamp = re.search(rb"\r\nDTSTAMP:(\d{8}T\d{6}Z)\r\n", together[0])
    assert stamp
    moment = datetime.strptime(stamp.group(1).decode(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    for attendee, text in zip(attendees, together, strict=True):
        assert text == ical.invitation(entry(title=title), method, ORGANIZER, attendee, stamp=moment)


@pytest.mark.parametrize("name", HOSTILE)
def test_a_spliced_attendee_parses_in_both_parsers(name: str) -> None:
    attendees = [ical.Party(email=EMAILS[0], name="Eerste"), ical.Party(email=EMAILS[1], name=name)]
    text = ical.invitations(entry(), ical.Method.request, ORGANIZER, attendees)[1]
    for line in text.split(b"\r\n"):
        assert len(line) <= 75
    [vevent] = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert str(vevent["ATTENDEE"]) == f"mailto:{EMAILS[1]}"
    assert vevent["ATTENDEE"].params["CN"] == " ".join(name.split())
    assert vevent["ATTENDEE"].params["RSVP"] == "TRUE"
    assert str(vevent["DESCRIPTION"]) == "Eerste; regel,\n\\twee"
    other = vobject.readOne(text.decode()).vevent
    [only] = other.attendee_list
    assert only.value == f"mailto:{EMAILS[1]}"
    assert other.description.value == "Eerste; regel,\n\\twee"


# ---------------------------------------------------------------- a batch renders as each row alone


TOKEN = re.compile(r"(rsvp|survey)_[A-Za-z0-9_-]{43}")
STAMP = re.compile(r"DTSTAMP:\d{8}T\d{6}Z")


def comparable(row: dict) -> dict:
    """The rendered columns with the fresh link tokens and the DTSTAMP (both new on each render) masked."""
    out = {}
    for column in ("subject", "text_body", "html_body", "ics"):
        value = row[column]
        out[column] = STAMP.sub("DTSTAMP:-", TOKEN.sub(r"\1_-", value)) if value else value
    return out


async def test_a_batch_renders_what_each_row_alone_renders_and_sends_it(client, world, mail_env):
    organiser = world.actors["organiser"].headers
    people = []
    for i, name in enumerate([*HOSTILE[:6], *PLAIN]):
        r = await client.post(
            "/api/people",
            json={
                "name": name.strip() or "Naamloos",
                "email": f"batch{i}@emmtec.example",
                "organisation_id": world.organisations["a"],
                "language": "nl" if i % 2 else "en",
            },
            headers=organiser,
        )
        assert r.status_code == 201, r.text
        people.append(r.json()["id"])
    r = await client.post(
        f"/api/events/{world.events['network']}/registrations/bulk",
        json={"person_ids": people},
        headers=organiser,
    )
    assert r.status_code == 201, r.text
    await mail_env.flush()
    rows = await OutboxMessage.select().order_by(OutboxMessage.id)
    assert len(rows) == len(people)
    assert {r["status"] for r in rows} == {"sent"}
    assert len({TOKEN.search(r["text_body"]).group(0) for r in rows}) == len(rows)  # type: ignore[union-attr]

    # What arrived is, byte for byte, what the email package makes of the stored row.
    for row in rows:
        [received] = mail_env.sink.to(row["recipient_email"])
        assert normalised(received.data) == normalised(compose(row, mail_env.settings).as_bytes())

    # Each row again, alone: the same subject, bodies and calendar (but for the new tokens and DTSTAMP).
    batch = {r["id"]: comparable(r) for r in rows}
    for row in rows:
        await OutboxMessage.update(
            {
                OutboxMessage.status: "queued",
                OutboxMessage.subject: None,
                OutboxMessage.text_body: None,
                OutboxMessage.html_body: None,
                OutboxMessage.ics: None,
                OutboxMessage.claim_token: None,
                OutboxMessage.next_attempt_at: datetime.now(UTC) - timedelta(seconds=1),
            }
        ).where(OutboxMessage.id == row["id"])
        await deliver([row["id"]])
        [alone] = await OutboxMessage.select().where(OutboxMessage.id == row["id"])
        assert alone["status"] == "sent"
        assert comparable(alone) == batch[row["id"]]


@given(
    names=st.lists(st.text(max_size=40), min_size=2, max_size=5),
    language=st.sampled_from(["nl", "en"]),
    kind=st.sampled_from(["registration_confirmed", "invitation", "event_changed", "survey_invitation"]),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_rendering_alike_rows_by_replacement_equals_rendering_each(
    names: list[str], language: str, kind: str
) -> None:
    from dtz_events.mail import services

    starts = datetime(2026, 12, 10, 14, tzinfo=UTC)
    event = {
        "id": 7, "title": 'Netwerk & "Smart" <Industry>', "kind": "network_meeting",
        "description": "Regel één\nRegel twee & <b>drie</b>", "venue": "Emmtec", "address": "Bijlakstraat 2",
        "municipality": "Emmen", "starts_at": starts, "ends_at": starts + timedelta(hours=3),
        "calendar_uid": "event-7@x", "reminder_hours": 48,
    }  # fmt: skip
    rows = [
        {
            "id": i,
            "event": 7,
            "kind": kind,
            "language": language,
            "recipient_name": name,
            "ics_method": "REQUEST",
        }
        for i, name in enumerate(names)
    ]
    rows = [r for r in rows if services._as_is(r)]
    survey = kind == "survey_invitation"
    links = {
        r["id"]: services._Links(
            rsvp_token=None if survey else f"rsvp_{r['id']:043d}",
            survey_token=f"survey_{r['id']:043d}" if survey else None,
            closes_on="1 januari 2027" if survey else "",
        )
        for r in rows
    }
    by_key: dict = {}
    for row in rows:
        by_key.setdefault(services._alike_key(row, links[row["id"]]), []).append(row)
    for members in by_key.values():
        together = services._render_alike(members, event, links, {})
        assert together is not None
        for row in members:
            assert together[row["id"]] == services._render_email(row, event, links[row["id"]], {})
