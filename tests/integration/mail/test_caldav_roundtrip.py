"""Every .ics the service produces, read by a second parser (vobject) and stored in a real CalDAV server.

Invitations are taken from the mail that arrives at the SMTP sink, feeds from the API. Each calendar is
checked with vobject (UID, SEQUENCE, DTSTART with TZID=Europe/Amsterdam, METHOD), then stored in Radicale the
way a calendar client does it: an iMIP message without its METHOD, replacing the stored copy only when its
SEQUENCE is higher; a feed split into one resource per UID and refreshed in place. What Radicale hands back
is parsed again, and calendar queries show what the user's calendar shows."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import vobject
from defusedxml import ElementTree  # Radicale's own dependency

from dtz_events.core.clock import LOCAL_TZ
from tests.support.fixtures import at, free_port

pytestmark = pytest.mark.sqlite

TZID = "Europe/Amsterdam"
HOST = "testserver.local"
ANOUK = "anouk.jansen@emmtec.example"
BRAM = "bram.devries@emmtec.example"
AUTH = ("dtz", "calendar")
DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"


# ---------------------------------------------------------------- a real CalDAV server


@dataclass
class Radicale:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="module")
def radicale() -> Iterator[Radicale]:
    """Radicale 3 on a free loopback port, storing in a temporary folder; stopped when the module ends."""
    folder = Path(tempfile.mkdtemp(prefix="dtz-radicale-"))
    port = free_port()
    log = folder / "radicale.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "radicale",
                "--config",
                "",  # no configuration files of the machine or the user
                "--server-hosts",
                f"127.0.0.1:{port}",
                "--storage-filesystem-folder",
                str(folder / "collections"),
                "--auth-type",
                "none",
                "--rights-type",
                "owner_only",
                "--logging-level",
                "warning",
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = Radicale(url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"radicale exited with {process.returncode}: {log.read_text()}")
            try:
                httpx.request("OPTIONS", server.url + "/", auth=AUTH, timeout=1)
                break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"radicale did not start: {log.read_text()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


class CalDavCalendar:
    """One calendar collection, spoken to over HTTP the way a CalDAV client does."""

    def __init__(self, http: httpx.AsyncClient, path: str) -> None:
        self.http = http
        self.path = path

    @classmethod
    async def create(cls, http: httpx.AsyncClient) -> CalDavCalendar:
        path = f"/{AUTH[0]}/{uuid.uuid4().hex}/"
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>'
            "<D:displayname>Agenda</D:displayname>"
            '<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>'
            "</D:prop></D:set></C:mkcalendar>"
        )
        r = await http.request("MKCALENDAR", path, content=body, headers={"Content-Type": "application/xml"})
        assert r.status_code == 201, r.text
        return cls(http, path)

    @staticmethod
    def resource_name(uid: str) -> str:
        return hashlib.sha256(uid.encode()).hexdigest()[:32] + ".ics"

    async def get(self, name: str) -> tuple[bytes, str] | None:
        r = await self.http.get(self.path + name)
        if r.status_code == 404:
            return None
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/calendar")
        return r.content, r.headers["etag"]

    async def put(self, name: str, ics: bytes, etag: str | None) -> None:
        condition = {"If-Match": etag} if etag else {"If-None-Match": "*"}
        r = await self.http.put(
            self.path + name,
            content=ics,
            headers={"Content-Type": "text/calendar; charset=utf-8", **condition},
        )
        assert r.status_code in (201, 204), f"Radicale refused the calendar: {r.status_code} {r.text}"

    async def delete(self, name: str) -> None:
        r = await self.http.delete(self.path + name)
        assert r.status_code in (200, 204), r.text

    async def names(self) -> set[str]:
        r = await self.http.request("PROPFIND", self.path, headers={"Depth": "1"})
        assert r.status_code == 207, r.text
        hrefs = [h.text or "" for h in ElementTree.fromstring(r.content).iter(f"{DAV}href")]
        return {h.rsplit("/", 1)[1] for h in hrefs if h.endswith(".ics")}

    async def query(
        self, start: datetime | None = None, end: datetime | None = None, *, active: bool = False
    ) -> list[Any]:
        """calendar-query REPORT: the stored calendars with a VEVENT in [start, end); with `active`, only
        those whose STATUS is not CANCELLED, the ones a calendar shows as a plain appointment."""
        time_range = ""
        if start is not None and end is not None:
            time_range = f'<C:time-range start="{utc_stamp(start)}" end="{utc_stamp(end)}"/>'
        status = (
            '<C:prop-filter name="STATUS">'
            '<C:text-match negate-condition="yes" collation="i;ascii-casemap">CANCELLED</C:text-match>'
            "</C:prop-filter>"
            if active
            else ""
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
            '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
            f"{time_range}{status}"
            "</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
        )
        r = await self.http.request(
            "REPORT",
            self.path,
            content=body,
            headers={"Content-Type": "application/xml; charset=utf-8", "Depth": "1"},
        )
        assert r.status_code == 207, r.text
        found = []
        for data in ElementTree.fromstring(r.content).iter(f"{CALDAV}calendar-data"):
            if data.text:
                found.append(vobject.readOne(data.text))
        return found


NewCalendar = Callable[[], Awaitable[CalDavCalendar]]


@pytest.fixture
async def new_calendar(radicale: Radicale) -> AsyncIterator[NewCalendar]:
    """Makes fresh calendar collections (one per user or subscription) in the running Radicale."""
    async with httpx.AsyncClient(base_url=radicale.url, auth=AUTH, timeout=10) as http:

        async def make() -> CalDavCalendar:
            return await CalDavCalendar.create(http)

        yield make


# ---------------------------------------------------------------- what a calendar client does


def check_calendar(ics: bytes, method: str | None) -> Any:
    """Parses with vobject (not icalendar) and checks the frame: METHOD (or none, for a stored object or a
    feed), one VTIMEZONE for Europe/Amsterdam, and every VEVENT's times in that zone."""
    assert ics.endswith(b"\r\n")
    calendar = vobject.readOne(ics.decode("utf-8"))
    assert calendar.name == "VCALENDAR"
    assert calendar.version.value == "2.0"
    if method is None:
        assert "method" not in calendar.contents
    else:
        assert calendar.method.value == method
    assert [tz.tzid.value for tz in calendar.contents.get("vtimezone", [])] == [TZID]
    for vevent in calendar.vevent_list:
        for prop in (vevent.dtstart, vevent.dtend):
            assert prop.params.get("X-VOBJ-ORIGINAL-TZID") == [TZID], prop
            assert isinstance(prop.value, datetime)
            assert prop.value.tzinfo is not None
        assert vevent.dtstamp.value.utcoffset() == timedelta(0)
        assert len(vevent.contents["uid"]) == 1
    return calendar


def check_times(vevent: Any, starts_at: str, ends_at: str) -> None:
    """The same instants as the API's, and the same wall-clock time in Amsterdam."""
    for prop, expected_text in ((vevent.dtstart, starts_at), (vevent.dtend, ends_at)):
        expected = datetime.fromisoformat(expected_text)
        assert prop.value == expected
        assert prop.value.replace(tzinfo=None) == expected.astimezone(LOCAL_TZ).replace(tzinfo=None)


def strip_method(ics: bytes) -> bytes:
    """What a client stores from an iMIP message: the VCALENDAR without METHOD (RFC 4791, 4.1)."""
    lines = ics.split(b"\r\n")
    kept = [line for line in lines if not line.upper().startswith(b"METHOD:")]
    assert len(lines) - len(kept) == 1
    return b"\r\n".join(kept)


async def apply_imip(calendar: CalDavCalendar, ics: bytes) -> Any:
    """Process an iMIP REQUEST or CANCEL as a client does: store it under its UID, replacing the stored
    version (a CANCEL replaces it with the cancelled one) if the SEQUENCE is higher. Returns what the
    server then holds, parsed again."""
    incoming = vobject.readOne(ics.decode("utf-8"))
    [vevent] = incoming.vevent_list
    name = calendar.resource_name(vevent.uid.value)
    current = await calendar.get(name)
    etag = None
    if current is not None:
        stored = vobject.readOne(current[0].decode("utf-8")).vevent
        assert stored.uid.value == vevent.uid.value
        assert int(vevent.sequence.value) > int(stored.sequence.value), "a client ignores a stale update"
        etag = current[1]
    await calendar.put(name, strip_method(ics), etag)
    fetched = await calendar.get(name)
    assert fetched is not None
    return check_calendar(fetched[0], method=None)


def split_feed(ics: bytes) -> dict[str, bytes]:
    """A feed as a client stores it: one VCALENDAR per UID, each with the feed's VTIMEZONE."""
    head: list[bytes] = []
    timezones: list[bytes] = []
    events: list[list[bytes]] = []
    target, depth = head, 0  # depth: nesting inside VCALENDAR; continuation lines go with their line
    for line in ics.split(b"\r\n"):
        upper = line.upper()
        if not line or upper in (b"BEGIN:VCALENDAR", b"END:VCALENDAR"):
            continue
        if upper.startswith(b"BEGIN:"):
            if depth == 0:
                if upper == b"BEGIN:VEVENT":
                    events.append([])
                    target = events[-1]
                else:
                    target = timezones
            depth += 1
        target.append(line)
        if upper.startswith(b"END:"):
            depth -= 1
            if depth == 0:
                target = head
    objects = {}
    for event in events:
        body = b"\r\n".join([b"BEGIN:VCALENDAR", *head, *timezones, *event, b"END:VCALENDAR", b""])
        [vevent] = vobject.readOne(body.decode("utf-8")).vevent_list
        assert vevent.uid.value not in objects, "a feed repeats a UID"
        objects[vevent.uid.value] = body
    return objects


async def sync_feed(calendar: CalDavCalendar, ics: bytes) -> dict[str, Any]:
    """Refresh a subscription: store each UID, replace what changed, delete what the feed no longer has.
    Returns what the server then holds per UID, parsed again."""
    objects = split_feed(ics)
    wanted = {calendar.resource_name(uid): uid for uid in objects}
    for name in await calendar.names() - set(wanted):
        await calendar.delete(name)
    stored = {}
    for name, uid in wanted.items():
        current = await calendar.get(name)
        await calendar.put(name, objects[uid], current[1] if current else None)
        fetched = await calendar.get(name)
        assert fetched is not None
        [vevent] = check_calendar(fetched[0], method=None).vevent_list
        assert vevent.uid.value == uid
        stored[uid] = vevent
    return stored


# ---------------------------------------------------------------- the service's side


async def register(
    client: httpx.AsyncClient, world: Any, person: str, event: str = "network"
) -> dict[str, Any]:
    r = await client.post(
        f"/api/events/{world.events[event]}/registrations",
        json={"person_id": world.people[person]},
        headers=world.actors["organiser"].headers,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def calendars_sent_to(mail_env: Any, address: str) -> list[bytes]:
    """The text/calendar part of each email to `address`, in order; the invite.ics attachment is the same."""
    found = []
    for received in mail_env.sink.to(address):
        message = received.message
        [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        [attachment] = list(message.iter_attachments())
        ics = part.get_payload(decode=True)
        assert attachment.get_payload(decode=True) == ics
        method = vobject.readOne(ics.decode("utf-8")).method.value
        assert part.get_param("method") == method
        found.append(ics)
    return found


async def event_of(client: httpx.AsyncClient, world: Any, event: str = "network") -> dict[str, Any]:
    r = await client.get(f"/api/events/{world.events[event]}", headers=world.actors["organiser"].headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def the_attendee(vevent: Any) -> Any:
    [attendee] = vevent.attendee_list
    assert vevent.organizer.value.lower() != attendee.value.lower()
    return attendee


# ---------------------------------------------------------------- tests


async def test_invitation_move_and_cancellation_in_a_real_calendar(client, world, mail_env, new_calendar):
    calendar = await new_calendar()
    organiser = world.actors["organiser"].headers
    event_id = world.events["network"]
    uid = f"event-{event_id}@{HOST}"
    await register(client, world, "a1")
    await mail_env.flush()
    before = await event_of(client, world)

    # The invitation: a REQUEST, read by vobject, then in Radicale as a confirmed appointment.
    [invite] = calendars_sent_to(mail_env, ANOUK)
    [vevent] = check_calendar(invite, method="REQUEST").vevent_list
    assert vevent.uid.value == uid
    first_sequence = int(vevent.sequence.value)
    check_times(vevent, before["starts_at"], before["ends_at"])
    attendee = the_attendee(vevent)
    assert attendee.value.lower() == f"mailto:{ANOUK}"
    assert attendee.params["PARTSTAT"] == ["NEEDS-ACTION"]
    assert attendee.params["RSVP"] == ["TRUE"]
    stored = (await apply_imip(calendar, invite)).vevent
    assert (stored.uid.value, int(stored.sequence.value)) == (uid, first_sequence)
    assert stored.status.value == "CONFIRMED"
    check_times(stored, before["starts_at"], before["ends_at"])

    # A move: a REQUEST with the same UID, a higher SEQUENCE and the new times replaces the appointment.
    new_start, new_end = at(22, 11), at(22, 13)
    r = await client.patch(
        f"/api/events/{event_id}", json={"starts_at": new_start, "ends_at": new_end}, headers=organiser
    )
    assert r.status_code == 200, r.text
    await mail_env.flush()
    moved = await event_of(client, world)
    _, update = calendars_sent_to(mail_env, ANOUK)
    [vevent] = check_calendar(update, method="REQUEST").vevent_list
    assert vevent.uid.value == uid
    update_sequence = int(vevent.sequence.value)
    assert update_sequence > first_sequence
    check_times(vevent, moved["starts_at"], moved["ends_at"])
    stored = (await apply_imip(calendar, update)).vevent
    assert (stored.uid.value, int(stored.sequence.value)) == (uid, update_sequence)
    check_times(stored, new_start, new_end)

    old_start = datetime.fromisoformat(before["starts_at"])
    old_end = datetime.fromisoformat(before["ends_at"])
    assert await calendar.query(old_start, old_end) == []  # nothing left at the old time
    [shown] = await calendar.query(datetime.fromisoformat(new_start), datetime.fromisoformat(new_end))
    assert shown.vevent.uid.value == uid
    assert len(await calendar.query()) == 1  # one appointment, not a copy per email

    # The cancellation: a CANCEL with a higher SEQUENCE; the appointment stays, marked cancelled.
    r = await client.post(f"/api/events/{event_id}/cancel", headers=organiser)
    assert r.status_code == 200, r.text
    await mail_env.flush()
    _, _, cancel = calendars_sent_to(mail_env, ANOUK)
    [vevent] = check_calendar(cancel, method="CANCEL").vevent_list
    assert vevent.uid.value == uid
    assert int(vevent.sequence.value) > update_sequence
    assert vevent.status.value == "CANCELLED"
    check_times(vevent, new_start, new_end)
    assert the_attendee(vevent).value.lower() == f"mailto:{ANOUK}"
    stored = (await apply_imip(calendar, cancel)).vevent
    assert stored.status.value == "CANCELLED"
    assert int(stored.sequence.value) == int(vevent.sequence.value)
    [shown] = await calendar.query(datetime.fromisoformat(new_start), datetime.fromisoformat(new_end))
    assert shown.vevent.status.value == "CANCELLED"
    assert await calendar.query(active=True) == []  # no appointment to go to any more


async def test_cancelling_one_registration_cancels_only_that_persons_appointment(
    client, world, mail_env, new_calendar
):
    anouk_calendar, bram_calendar = await new_calendar(), await new_calendar()
    uid = f"event-{world.events['network']}@{HOST}"
    registration = await register(client, world, "a1")
    await register(client, world, "a2")
    await mail_env.flush()
    event = await event_of(client, world)
    [anouk_invite] = calendars_sent_to(mail_env, ANOUK)
    [bram_invite] = calendars_sent_to(mail_env, BRAM)
    await apply_imip(anouk_calendar, anouk_invite)
    await apply_imip(bram_calendar, bram_invite)
    first_sequence = int(vobject.readOne(anouk_invite.decode()).vevent.sequence.value)

    r = await client.post(
        f"/api/registrations/{registration['id']}/cancel", headers=world.actors["organiser"].headers
    )
    assert r.status_code == 200, r.text
    await mail_env.flush()
    _, cancel = calendars_sent_to(mail_env, ANOUK)
    [vevent] = check_calendar(cancel, method="CANCEL").vevent_list
    assert vevent.uid.value == uid
    assert int(vevent.sequence.value) > first_sequence
    assert vevent.status.value == "CANCELLED"
    check_times(vevent, event["starts_at"], event["ends_at"])
    attendee = the_attendee(vevent)
    assert attendee.value.lower() == f"mailto:{ANOUK}"
    assert attendee.params["RSVP"] == ["FALSE"]

    stored = (await apply_imip(anouk_calendar, cancel)).vevent
    assert stored.status.value == "CANCELLED"
    assert await anouk_calendar.query(active=True) == []
    assert len(calendars_sent_to(mail_env, BRAM)) == 1  # the colleague keeps the seat and the appointment
    [kept] = await bram_calendar.query(active=True)
    assert kept.vevent.uid.value == uid


async def test_person_partner_and_programme_feeds_in_a_real_calendar(client, world, mail_env, new_calendar):
    organiser = world.actors["organiser"].headers
    event_id = world.events["network"]
    uid = f"event-{event_id}@{HOST}"
    r = await client.patch(f"/api/events/{event_id}", json={"visibility": "public"}, headers=organiser)
    assert r.status_code == 200, r.text
    await register(client, world, "a1")
    await register(client, world, "a2")
    await mail_env.flush()
    r = await client.post(f"/api/people/{world.people['a1']}/feed-link", headers=organiser)
    assert r.status_code == 201, r.text
    person_feed = r.json()["url"]
    r = await client.post("/api/partner-feed-link", headers=world.actors["partner_a"].headers)
    assert r.status_code == 201, r.text
    partner_feed = r.json()["url"]
    feeds = {
        "person": person_feed.removeprefix(f"http://{HOST}"),
        "partner": partner_feed.removeprefix(f"http://{HOST}"),
        "programme": "/feeds/programmes/smart-industry-hub.ics",
    }
    assert all(path.startswith("/feeds/") for path in feeds.values())
    subscriptions = {name: await new_calendar() for name in feeds}

    async def refresh(event: dict[str, Any]) -> dict[str, Any]:
        """Fetch each feed, check it with vobject, sync it into its calendar; the stored VEVENTs."""
        stored = {}
        for name, path in feeds.items():
            r = await client.get(path)
            assert r.status_code == 200, (name, r.text)
            assert r.headers["content-type"].startswith("text/calendar")
            calendar = check_calendar(r.content, method=None)
            assert calendar.contents["x-wr-calname"][0].value.startswith("Dutch TechZone")
            [vevent] = calendar.vevent_list  # two colleagues on one event: still one VEVENT
            assert vevent.uid.value == uid
            assert int(vevent.sequence.value) == event["sequence"]
            check_times(vevent, event["starts_at"], event["ends_at"])
            assert "attendee" not in vevent.contents  # a feed is no invitation
            synced = await sync_feed(subscriptions[name], r.content)
            assert list(synced) == [uid]
            stored[name] = synced[uid]
            check_times(stored[name], event["starts_at"], event["ends_at"])
            assert int(stored[name].sequence.value) == event["sequence"]
            assert len(await subscriptions[name].query()) == 1
        return stored

    before = await event_of(client, world)
    for vevent in (await refresh(before)).values():
        assert vevent.status.value == "CONFIRMED"

    new_start, new_end = at(23, 9), at(23, 12)
    r = await client.patch(
        f"/api/events/{event_id}", json={"starts_at": new_start, "ends_at": new_end}, headers=organiser
    )
    assert r.status_code == 200, r.text
    moved = await event_of(client, world)
    assert moved["sequence"] > before["sequence"]
    await refresh(moved)
    old = datetime.fromisoformat(before["starts_at"]), datetime.fromisoformat(before["ends_at"])
    for subscription in subscriptions.values():
        assert await subscription.query(*old) == []
        assert len(await subscription.query(active=True)) == 1

    r = await client.post(f"/api/events/{event_id}/cancel", headers=organiser)
    assert r.status_code == 200, r.text
    cancelled = await event_of(client, world)
    assert cancelled["sequence"] > moved["sequence"]
    for vevent in (await refresh(cancelled)).values():
        assert vevent.status.value == "CANCELLED"
    for subscription in subscriptions.values():
        assert await subscription.query(active=True) == []
