"""iCalendar for invitations (iMIP REQUEST/CANCEL to one attendee) and for subscription feeds.

Rules (DESIGN.md, Calendar invitations): one ATTENDEE, the recipient, with RSVP=TRUE; ORGANIZER is the
cooperation's RSVP mailbox; stable UID; SEQUENCE from the event; times with TZID=Europe/Amsterdam and its
VTIMEZONE over a narrow range; a fresh DTSTAMP each time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache

from icalendar import Calendar, Component, vCalAddress, vText
from icalendar import Event as VEvent

from dtz_events.core.clock import LOCAL_TZ, utcnow

PRODID = "-//Dutch TechZone//dtz-events//NL"


class Method(StrEnum):
    request = "REQUEST"
    cancel = "CANCEL"
    publish = "PUBLISH"


class PartStat(StrEnum):
    needs_action = "NEEDS-ACTION"
    accepted = "ACCEPTED"
    tentative = "TENTATIVE"
    declined = "DECLINED"


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """What a calendar needs to know about one event or meeting."""

    uid: str
    sequence: int
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str = ""
    description: str = ""
    url: str = ""
    category: str = ""
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class Party:
    email: str
    name: str


def _mailto(party: Party, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{party.email}")
    address.params["CN"] = vText(_one_line(party.name))
    for key, value in params.items():
        address.params[key] = value
    return address


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _vevent(entry: CalendarEntry, stamp: datetime) -> VEvent:
    event = VEvent()
    event.add("uid", entry.uid)
    event.add("sequence", entry.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", entry.starts_at.astimezone(LOCAL_TZ))
    event.add("dtend", entry.ends_at.astimezone(LOCAL_TZ))
    event.add("summary", _one_line(entry.title))
    if entry.location:
        event.add("location", _one_line(entry.location))
    if entry.description:
        event.add("description", entry.description)
    if entry.url:
        event.add("url", entry.url)
    if entry.category:
        event.add("categories", [entry.category])
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if entry.cancelled else "OPAQUE")
    return event


def _calendar(method: Method | None, entries: list[CalendarEntry]) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method is not None:
        calendar.add("method", method.value)
    return calendar


def _add_timezones(calendar: Calendar, entries: list[CalendarEntry]) -> None:
    if not entries:
        return
    first = min(e.starts_at for e in entries).astimezone(LOCAL_TZ).date() - timedelta(days=1)
    last = max(e.ends_at for e in entries).astimezone(LOCAL_TZ).date() + timedelta(days=1)
    calendar.subcomponents.insert(0, _vtimezone(first.year, last.year))


@cache
def _vtimezone(first_year: int, last_year: int) -> Component:
    """Europe/Amsterdam's VTIMEZONE for these years, built once (building it is half the cost of an
    invitation). A narrow range keeps it to the transitions that matter (1970-2038 would make 3 kB)."""
    calendar = Calendar()
    probe = VEvent()
    probe.add("dtstart", datetime(first_year, 6, 1, tzinfo=LOCAL_TZ))
    calendar.add_component(probe)
    calendar.add_missing_timezones(first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1))
    [timezone] = calendar.timezones
    return timezone


def _attendee(attendee: Party, method: Method, partstat: PartStat, role: str) -> vCalAddress:
    params = {"ROLE": role, "PARTSTAT": partstat.value, "RSVP": "TRUE", "CUTYPE": "INDIVIDUAL"}
    if method is Method.cancel:
        params["RSVP"] = "FALSE"
    return _mailto(attendee, **params)


def invitation(
    entry: CalendarEntry,
    method: Method,
    organizer: Party,
    attendee: Party,
    partstat: PartStat = PartStat.needs_action,
    role: str = "REQ-PARTICIPANT",
    *,
    stamp: datetime | None = None,
) -> bytes:
    """An iTIP REQUEST or CANCEL for one attendee (DTSTAMP now, unless `stamp` is given)."""
    calendar = _calendar(method, [entry])
    vevent = _vevent(entry, stamp or utcnow())
    vevent.add("organizer", _mailto(organizer))
    vevent.add("attendee", _attendee(attendee, method, partstat, role))
    calendar.add_component(vevent)
    _add_timezones(calendar, [entry])
    ical_bytes: bytes = calendar.to_ical()
    return ical_bytes


_PLACEHOLDER = Party(email="attendee@placeholder.invalid", name="Attendee Placeholder")


def _attendee_line(attendee: Party, method: Method, partstat: PartStat, role: str) -> bytes:
    """The ATTENDEE content line exactly as `Calendar.to_ical()` writes it: escaped, folded, CRLF."""
    line: bytes = VEvent().content_line("ATTENDEE", _attendee(attendee, method, partstat, role)).to_ical()
    return line + b"\r\n"


def invitations(
    entry: CalendarEntry,
    method: Method,
    organizer: Party,
    attendees: list[Party],
    partstat: PartStat = PartStat.needs_action,
    role: str = "REQ-PARTICIPANT",
) -> list[bytes]:
    """`invitation()` for each attendee, with one DTSTAMP: the calendar is built once and each attendee's
    line (the only difference) put in its place, a tenth of the cost of building each one."""
    stamp = utcnow()
    template = invitation(entry, method, organizer, _PLACEHOLDER, partstat, role, stamp=stamp)
    placeholder = b"\r\n" + _attendee_line(_PLACEHOLDER, method, partstat, role)
    if template.count(placeholder) != 1:  # pragma: no cover - the placeholder is one plain line
        return [invitation(entry, method, organizer, a, partstat, role, stamp=stamp) for a in attendees]
    head, tail = template.split(placeholder)
    head += b"\r\n"
    return [head + _attendee_line(a, method, partstat, role) + tail for a in attendees]


def feed(name: str, entries: list[CalendarEntry]) -> bytes:
    """A subscription feed (no METHOD, as RFC 5545 feeds are published)."""
    calendar = _calendar(None, entries)
    # vText: icalendar writes an X- property it does not know unescaped, but its value type is TEXT.
    calendar.add("x-wr-calname", vText(_one_line(name)))
    calendar.add("x-wr-timezone", "Europe/Amsterdam")
    stamp = utcnow()
    for entry in entries:
        calendar.add_component(_vevent(entry, stamp))
    _add_timezones(calendar, entries)
    ical_bytes: bytes = calendar.to_ical()
    return ical_bytes
