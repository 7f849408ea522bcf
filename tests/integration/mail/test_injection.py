"""Hostile text from the API (CR/LF, quotes, markup, accents, emoji, iCalendar delimiters) in the email that
arrives at a real SMTP server, in its calendar, on the RSVP page and in the feed: no injected header, no
unescaped markup, every line within its limit, every calendar value escaped and folded."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

import httpx
import icalendar
import pytest
import vobject
from markupsafe import escape

from tests.support.fixtures import at
from tests.support.smtp import Received

pytestmark = pytest.mark.sqlite

HOST = "testserver.local"
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
NAME = f'Zoë "Z" O\'Brien; Jr., {SCRIPT} 🚀\r\nBcc: evil@example.com'
TITLE = f'Zoë\'s "Tech" Café; proeven, {SCRIPT} C:\\temp\\new 🚀\r\nBcc: evil@example.com'
VENUE = 'Hal "3"; Gebouw, A\\B 🏭\r\nX-Injected: yes'
ADDRESS = "Bargermeerweg 1\nEND:VEVENT"
DESCRIPTION = (
    'Eerste regel; met, tekens \\ en "quotes" en ümlauts\r\n'
    f"Tweede regel {SCRIPT} Zoë 🚀\n"
    "END:VEVENT\r\n"
    "ATTENDEE:mailto:evil@example.com\n" + "Een lange regel met accenten: " + "éàüø🚀" * 30
)
PEOPLE = {"nl": "zoe.obrien@emmtec.example", "en": "zed.obrien@emmtec.example"}
EVIL = "evil@example.com"
ALLOWED_HEADERS = {
    "from", "to", "subject", "date", "message-id", "auto-submitted", "reply-to", "mime-version",
    "content-type", "content-transfer-encoding", "content-language",
}  # fmt: skip
PART_HEADERS = {"content-type", "content-transfer-encoding", "content-disposition", "mime-version"}


def one_line(text: str) -> str:
    return " ".join(text.split())


def location() -> str:
    return f"{one_line(VENUE)}, {one_line(ADDRESS)}, Emmen"


# ---------------------------------------------------------------- set-up through the API


async def hostile_world(client: httpx.AsyncClient, world: Any) -> tuple[int, dict[str, int], dict[str, int]]:
    """A published event and two people (Dutch and English) whose every text is hostile, both registered."""
    organiser = world.actors["organiser"].headers
    people = {}
    for language, email in PEOPLE.items():
        r = await client.post(
            "/api/people",
            json={
                "name": NAME,
                "email": email,
                "organisation_id": world.organisations["a"],
                "language": language,
            },
            headers=organiser,
        )
        assert r.status_code == 201, r.text
        assert r.json()["name"] == NAME  # kept as given; every output escapes it its own way
        people[language] = r.json()["id"]
    r = await client.post(
        "/api/events",
        json={
            "kind": "network_meeting",
            "title": TITLE,
            "description": DESCRIPTION,
            "venue": VENUE,
            "address": ADDRESS,
            "municipality": "Emmen",
            "starts_at": at(25, 15),
            "ends_at": at(25, 18),
            "capacity": 10,
        },
        headers=organiser,
    )
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    r = await client.post(f"/api/events/{event_id}/publish", headers=organiser)
    assert r.status_code == 200, r.text
    registrations = {}
    for language, person_id in people.items():
        r = await client.post(
            f"/api/events/{event_id}/registrations", json={"person_id": person_id}, headers=organiser
        )
        assert r.status_code == 201, r.text
        registrations[language] = r.json()["id"]
    return event_id, people, registrations


# ---------------------------------------------------------------- checks on what arrives


def check_raw_message(received: Received, recipient: str) -> None:
    """On the bytes as they came over SMTP: CRLF only, lines within 998 octets, one line per header
    (unfolded), ASCII headers with RFC 2047 words, and no header anyone put there with a CR/LF."""
    raw = received.data
    assert received.rcpt_tos == [recipient]
    assert re.search(rb"(?<!\r)\n", raw) is None, "bare LF"
    assert re.search(rb"\r(?!\n)", raw) is None, "bare CR"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    headers = re.sub(rb"\r\n[ \t]+", b" ", head).split(b"\r\n")
    names = []
    for header in headers:
        match = re.match(rb"^([!-9;-~]+):[ \t]", header)
        assert match, header
        names.append(match.group(1).decode().lower())
    assert set(names) <= ALLOWED_HEADERS, names
    assert len(names) == len(set(names)), names
    assert not re.search(rb"(?im)^(bcc|x-injected):", head)
    by_name = dict(zip(names, headers, strict=True))
    assert re.search(rb"=\?utf-8\?[bq]\?", by_name["subject"], re.IGNORECASE)
    assert re.search(rb"=\?utf-8\?[bq]\?", by_name["to"], re.IGNORECASE)
    # decoded as RFC 2047 says (the space between adjacent encoded words is dropped): one mailbox
    to = str(make_header(decode_header(by_name["to"].decode().split(":", 1)[1])))
    assert one_line(to) == f"{one_line(NAME)} <{recipient}>"


def check_parsed_message(message: EmailMessage, recipient: str) -> None:
    [to] = message["To"].addresses
    assert isinstance(to, Address)
    assert to.addr_spec == recipient
    assert to.display_name.startswith("Zoë")  # (Python's parser adds spaces between encoded words)
    assert one_line(TITLE) in message["Subject"]
    for part in message.walk():
        for name, value in part.items():
            assert "\r" not in value
            assert "\n" not in value
            if part is not message:
                assert name.lower() in PART_HEADERS, name
    assert message.get_all("Bcc") is None
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert one_line(TITLE) in text  # the characters intact: quotes, markup, accents, emoji, backslashes
    assert f"O'Brien; Jr., {SCRIPT} 🚀" in text
    assert "<script" not in html.lower()
    assert ESCAPED_SCRIPT in html
    assert "Zoë" in html
    assert "🚀" in html


def unescape_text(value: str) -> str:
    """An RFC 5545 TEXT value, refusing any unescaped `,` or `;` and any backslash that escapes nothing."""
    out, i = [], 0
    while i < len(value):
        char = value[i]
        if char == "\\":
            following = value[i + 1 : i + 2]
            assert following in ("\\", ";", ",", "n", "N"), f"bad escape in {value!r}"
            out.append("\n" if following in "nN" else following)
            i += 2
            continue
        assert char not in ",;", f"unescaped {char!r} in {value!r}"
        out.append(char)
        i += 1
    return "".join(out)


CONTENT_LINE = re.compile(
    r'^(?P<name>[A-Za-z0-9-]+)(?P<params>(;[A-Za-z0-9-]+=("[^"]*"|[^";:,]*))*):(?P<value>.*)$'
)


def content_lines(ics: bytes) -> list[re.Match[str]]:
    """Checks the physical lines (CRLF, at most 75 octets, each valid UTF-8 on its own) and returns the
    unfolded content lines, each parsed into name, parameters and value."""
    assert ics.endswith(b"\r\n")
    assert re.search(rb"(?<!\r)\n|\r(?!\n)", ics) is None
    physical = ics[:-2].split(b"\r\n")
    for line in physical:
        assert len(line) <= 75, (len(line), line)
        line.decode("utf-8")  # folding never splits a character
    unfolded = re.sub(rb"\r\n[ \t]", b"", ics).decode("utf-8")[:-2].split("\r\n")
    assert len(unfolded) < len(physical)  # the long values were folded
    parsed = []
    for line in unfolded:
        match = CONTENT_LINE.match(line)
        assert match, line
        parsed.append(match)
    return parsed


def check_calendar_text(ics: bytes, expect_attendee: str | None) -> dict[str, list[re.Match[str]]]:
    lines = content_lines(ics)
    by_name: dict[str, list[re.Match[str]]] = {}
    for line in lines:
        by_name.setdefault(line["name"].upper(), []).append(line)
    begins = [line["value"] for line in by_name["BEGIN"]]
    assert begins.count("VEVENT") == len(by_name["UID"])
    [summary] = [line for line in by_name["SUMMARY"]]
    assert unescape_text(summary["value"]) == one_line(TITLE)
    assert "\\;" in summary["value"]
    assert "\\," in summary["value"]
    assert "C:\\\\temp\\\\new" in summary["value"]
    [place] = by_name["LOCATION"]
    assert unescape_text(place["value"]) == location()
    [description] = by_name["DESCRIPTION"]
    assert unescape_text(description["value"]) == DESCRIPTION.replace("\r\n", "\n")
    assert "\\nEND:VEVENT\\nATTENDEE:mailto:evil@example.com\\n" in description["value"]
    if expect_attendee is None:
        assert "ATTENDEE" not in by_name
    else:
        [attendee] = by_name["ATTENDEE"]
        assert attendee["value"].lower() == f"mailto:{expect_attendee}"
        cn = re.search(r';CN=("[^"]*"|[^";:,]*)', attendee["params"])
        assert cn
        quoted = cn.group(1)
        assert quoted.startswith('"')
        assert quoted.endswith('"')  # quoted, as its `:` and `;` need; no DQUOTE inside
        decoded = quoted[1:-1].replace("^'", '"').replace("^n", "\n").replace("^^", "^")  # RFC 6868
        assert decoded == one_line(NAME)
    return by_name


def check_calendar_parsers(ics: bytes, attendee: str | None) -> None:
    """icalendar and vobject read the same values back."""
    calendar = icalendar.Calendar.from_ical(ics)
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == one_line(TITLE)
    assert str(vevent["LOCATION"]) == location()
    assert str(vevent["DESCRIPTION"]) == DESCRIPTION.replace("\r\n", "\n")
    other = vobject.readOne(ics.decode("utf-8")).vevent
    assert other.summary.value == one_line(TITLE)
    assert other.location.value == location()
    assert other.description.value == DESCRIPTION.replace("\r\n", "\n")
    if attendee is not None:
        assert str(vevent["ATTENDEE"]).lower() == f"mailto:{attendee}"
        assert vevent["ATTENDEE"].params["CN"] == one_line(NAME)
        [only] = other.attendee_list
        assert only.value.lower() == f"mailto:{attendee}"


def check_email(received: Received, recipient: str) -> EmailMessage:
    check_raw_message(received, recipient)
    message = received.message
    check_parsed_message(message, recipient)
    calendars = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(calendars) == 1
    for part in calendars:
        ics = part.get_payload(decode=True)
        [attachment] = list(message.iter_attachments())
        assert attachment.get_payload(decode=True) == ics
        check_calendar_text(ics, expect_attendee=recipient)
        check_calendar_parsers(ics, attendee=recipient)
    return message


# ---------------------------------------------------------------- tests


async def test_hostile_text_in_every_email_that_arrives(client, world, mail_env):
    event_id, _, registrations = await hostile_world(client, world)
    await mail_env.flush()
    organiser = world.actors["organiser"].headers
    r = await client.patch(
        f"/api/events/{event_id}",
        json={"starts_at": at(26, 15), "ends_at": at(26, 18)},
        headers=organiser,
    )
    assert r.status_code == 200, r.text
    await mail_env.flush()
    r = await client.post(f"/api/registrations/{registrations['nl']}/cancel", headers=organiser)
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/events/{event_id}/cancel", headers=organiser)
    assert r.status_code == 200, r.text
    await mail_env.flush()

    assert mail_env.sink.to(EVIL) == []
    for recipient in PEOPLE.values():
        confirmation = mail_env.sink.to(recipient)[0].message
        text = confirmation.get_body(("plain",)).get_content().replace("\r\n", "\n")
        html = confirmation.get_body(("html",)).get_content()
        for line in DESCRIPTION.splitlines():  # the description keeps its lines and characters
            assert f"\n{line}\n" in text
        assert f"Tweede regel {ESCAPED_SCRIPT} Zoë 🚀" in html
    methods = {}
    for language, recipient in PEOPLE.items():
        received = mail_env.sink.to(recipient)
        methods[language] = []
        for item in received:
            message = check_email(item, recipient)
            assert message["Content-Language"] == language
            part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
            methods[language].append(part.get_param("method"))
    assert methods == {"nl": ["REQUEST", "REQUEST", "CANCEL"], "en": ["REQUEST", "REQUEST", "CANCEL"]}


async def test_rsvp_page_escapes_the_name_and_the_title(client, world, mail_env):
    await hostile_world(client, world)
    await mail_env.flush()
    for recipient in PEOPLE.values():
        [received] = mail_env.sink.to(recipient)
        text = received.message.get_body(("plain",)).get_content()
        match = re.search(rf"http://{re.escape(HOST)}(/rsvp/\S+)\?answer=accepted", text)
        assert match, text
        page = await client.get(match.group(1))
        assert page.status_code == 200, page.text
        assert "<script>alert" not in page.text
        assert ESCAPED_SCRIPT in page.text
        assert str(escape(TITLE.split("\r\n")[0])) in page.text
        assert str(escape(NAME.split("\r\n")[0])) in page.text  # Zoë &#34;Z&#34; O&#39;Brien &lt;script&gt;…
        assert "Bcc: evil@example.com" in page.text  # as text, not as anything else


async def test_feed_escapes_and_folds_the_hostile_values(client, world, mail_env):
    _, people, _ = await hostile_world(client, world)
    await mail_env.flush()
    r = await client.post(f"/api/people/{people['nl']}/feed-link", headers=world.actors["organiser"].headers)
    assert r.status_code == 201, r.text
    feed = await client.get(r.json()["url"].removeprefix(f"http://{HOST}"))
    assert feed.status_code == 200, feed.text
    by_name = check_calendar_text(feed.content, expect_attendee=None)
    [calname] = by_name["X-WR-CALNAME"]
    assert unescape_text(calname["value"]) == f"Dutch TechZone – {one_line(NAME)}"
    assert "METHOD" not in by_name
    check_calendar_parsers(feed.content, attendee=None)
