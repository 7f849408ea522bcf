"""The outbox: emails are rows first, written with the change that causes them; workers claim, render,
send and mark them. See DESIGN.md, Outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import smtplib
import socket
import struct
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from typing import Any

from asyncpg.exceptions import InterfaceError
from babel.dates import format_date
from piccolo.engine.postgres import PostgresEngine
from piccolo.query.functions.aggregate import Count

from dtz_events.core import ical
from dtz_events.core.clock import local, local_or_none, utcnow
from dtz_events.core.db import after_commit, engine, is_postgres, write_transaction
from dtz_events.core.dispatch import dispatch, handler, is_active
from dtz_events.core.schemas import Page, Pagination, page_out
from dtz_events.core.templating import RenderedEmail, format_when, one_line, render_email
from dtz_events.events.tables import Event
from dtz_events.mail import mime
from dtz_events.mail.schemas import (
    CALENDAR_METHOD,
    KIND_FOR_STATUS,
    EmailKind,
    OutboxCounts,
    OutboxOut,
    OutboxStatus,
)
from dtz_events.mail.smtp import SmtpConfig, SmtpRejected, SmtpSession
from dtz_events.mail.tables import OutboxMessage
from dtz_events.registrations.links import LinkPurpose, create_links
from dtz_events.registrations.tables import Registration
from dtz_events.settings import Settings
from dtz_events.surveys.tables import SurveyInvitation

logger = logging.getLogger(__name__)

SEND_ACTOR = "mail.send"
BATCH_SIZE = 50
KIND_LABELS = {
    "promotion_day": {"nl": "Techniekpromotiedag", "en": "Technology promotion day"},
    "network_meeting": {"nl": "Netwerkbijeenkomst", "en": "Business network meeting"},
    "board_session": {"nl": "Bestuurlijk Overleg", "en": "Board session"},
}


class MailSettings:
    """What the mail machinery reads from the settings; set by the app and the worker at start."""

    settings = Settings.from_env()
    retry_base = timedelta(seconds=30)
    retry_max = timedelta(hours=1)
    claim_timeout = timedelta(minutes=5)
    redispatch_after = timedelta(seconds=60)


def configure(
    settings: Settings, *, retry_base: float | None = None, claim_timeout: float | None = None
) -> None:
    import os

    MailSettings.settings = settings
    base = retry_base if retry_base is not None else float(os.environ.get("DTZ_MAIL_RETRY_SECONDS", "30"))
    claim = (
        claim_timeout if claim_timeout is not None else float(os.environ.get("DTZ_MAIL_CLAIM_TIMEOUT", "300"))
    )
    MailSettings.retry_base = timedelta(seconds=base)
    MailSettings.claim_timeout = timedelta(seconds=claim)
    MailSettings.redispatch_after = timedelta(seconds=max(2 * base, 5))


# ---------------------------------------------------------------- queueing


def _kind_sql(kind: EmailKind | None) -> tuple[str, list[Any]]:
    if kind is not None:
        return "{}", [kind.value]
    cases = " ".join(f"WHEN '{status}' THEN '{k.value}'" for status, k in KIND_FOR_STATUS.items())
    return f"(CASE r.status {cases} END)", []


def _method_sql(kind: EmailKind | None, with_calendar: bool = True) -> str:
    """The iTIP method for each row: none for people without a calendar entry (waiting list)."""
    if not with_calendar:
        return "NULL"
    if kind is None:
        return (
            "(CASE r.status WHEN 'confirmed' THEN 'REQUEST' WHEN 'invited' THEN 'REQUEST' "
            "WHEN 'cancelled' THEN 'CANCEL' END)"
        )
    method = CALENDAR_METHOD.get(kind)
    if method is None:
        return "NULL"
    return f"(CASE WHEN r.status IN ('confirmed', 'invited', 'cancelled') THEN '{method}' END)"


async def _queue(
    where_sql: str,
    where_params: list[Any],
    kind: EmailKind | None,
    key_by_sequence: bool,
    with_calendar: bool = True,
    key_suffix: str | None = None,
) -> list[int]:
    kind_expr, kind_params = _kind_sql(kind)
    suffix = key_suffix or ("':sequence ' || e.sequence" if key_by_sequence else "':revision ' || r.revision")
    now = utcnow()
    method = _method_sql(kind, with_calendar)
    sql = f"""
        INSERT INTO outbox (dedup_key, kind, language, recipient_email, recipient_name, person, event,
                            registration, sequence, ics_method, status, attempts, next_attempt_at,
                            created_at, dispatched_at)
        SELECT {kind_expr} || ':registration ' || r.id || {suffix}, {kind_expr}, p.language, p.email, p.name,
               p.id, e.id, r.id, e.sequence + r.revision, {method}, 'queued', 0, {{}}, {{}}, {{}}
        FROM registration r JOIN person p ON p.id = r.person JOIN event e ON e.id = r.event
        WHERE e.status IN ('published', 'cancelled', 'completed') AND {where_sql}
        ON CONFLICT (dedup_key) DO NOTHING
        RETURNING id
    """
    # Without a dispatcher (a CLI command) the rows are left for the next sweep, at once.
    dispatched_at = now if is_active() else None
    params = [*kind_params, *kind_params, now, now, dispatched_at, *where_params]
    rows = await OutboxMessage.raw(sql, *params)
    ids = sorted(r["id"] for r in rows)
    if ids:
        after_commit(lambda: dispatch_ids(ids))
    return ids


def _in_list(values: list[Any]) -> tuple[str, list[Any]]:
    return "(" + ", ".join("{}" for _ in values) + ")", list(values)


async def queue_for_registrations(
    registration_ids: list[int],
    kind: EmailKind | None = None,
    *,
    with_calendar: bool = True,
    key_suffix: str | None = None,
) -> list[int]:
    """Queue the email each registration's current status calls for (or `kind`), if its event is published."""
    if not registration_ids:
        return []
    in_sql, params = _in_list(registration_ids)
    return await _queue(
        f"r.id IN {in_sql}",
        params,
        kind,
        key_by_sequence=False,
        with_calendar=with_calendar,
        key_suffix=key_suffix,
    )


async def queue_for_event(event_id: int, kind: EmailKind | None, statuses: list[str]) -> list[int]:
    """Fan out to the event's registrations in these statuses, with one INSERT ... SELECT."""
    in_sql, params = _in_list(statuses)
    by_sequence = kind in (EmailKind.event_changed, EmailKind.event_cancelled)
    return await _queue(f"r.event = {{}} AND r.status IN {in_sql}", [event_id, *params], kind, by_sequence)


async def queue_reminders(event_id: int, starts_at: datetime) -> list[int]:
    """Reminders to confirmed or invited people who have not declined; keyed by the start time, so a moved
    event gets reminders for its new time and a second tick adds none."""
    suffix = f"'{_starts_tag(starts_at)}'"
    return await _queue(
        "r.event = {} AND r.status IN ('confirmed', 'invited') AND r.rsvp <> 'declined'"
        " AND e.status = 'published'",
        [event_id],
        EmailKind.reminder,
        key_by_sequence=False,
        key_suffix=suffix,
    )


def _starts_tag(starts_at: datetime) -> str:
    return f":starts {int(starts_at.timestamp())}"


async def _withdraw_stale_reminders(rows: list[dict[str, Any]], token: str) -> list[dict[str, Any]]:
    """A reminder can wait in the outbox (a retry, a busy worker) while its event is cancelled or moved, or
    its person cancels or declines. Send it only if it is still due; the rest of `rows` is returned."""
    reminders = [r for r in rows if r["kind"] == EmailKind.reminder.value]
    if not reminders:
        return rows
    registration_ids = [r["registration"] for r in reminders if r["registration"]]
    registrations = {
        r["id"]: r
        for r in await Registration.select(
            Registration.id,
            Registration.status,
            Registration.rsvp,
            Registration.event.status.as_alias("event_status"),
            Registration.event.starts_at.as_alias("starts_at"),
        ).where(Registration.id.is_in(registration_ids or [0]))
    }
    now = utcnow()
    stale = set()
    for row in reminders:
        reg = registrations.get(row["registration"])
        if not (
            reg is not None
            and reg["status"] in ("confirmed", "invited")
            and reg["rsvp"] != "declined"
            and reg["event_status"] == "published"
            and reg["starts_at"] > now
            and row["dedup_key"].endswith(_starts_tag(reg["starts_at"]))
        ):
            stale.add(row["id"])
    if stale:
        reason = (
            "not sent: no longer due (event cancelled, moved or begun; registration cancelled or declined)"
        )
        await _set_status(
            sorted(stale),
            token,
            {OutboxMessage.status: OutboxStatus.withdrawn.value, OutboxMessage.last_error: reason},
        )
    return [r for r in rows if r["id"] not in stale]


async def queue_rendered(
    *,
    dedup_key: str,
    kind: str,
    recipient_email: str,
    recipient_name: str,
    language: str,
    email: RenderedEmail,
    person_id: int | None = None,
    event_id: int | None = None,
    ics: str | None = None,
    ics_method: str | None = None,
    sequence: int = 0,
) -> int | None:
    """An email its domain renders itself (a meeting invitation, a board agenda, a rotation schedule): one
    row in the caller's transaction, dispatched after commit. `dedup_key` makes it idempotent: a key queued
    before queues nothing and returns None. Render with `core.templating.render_email`; build `ics` with
    `core.ical.invitation`."""
    now = utcnow()
    values = {
        "dedup_key": dedup_key,
        "kind": kind,
        "language": language,
        "recipient_email": recipient_email,
        "recipient_name": recipient_name,
        "person": person_id,
        "event": event_id,
        "sequence": sequence,
        "subject": email.subject,
        "text_body": email.text,
        "html_body": email.html,
        "ics": ics,
        "ics_method": ics_method,
        "status": OutboxStatus.queued.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "dispatched_at": now if is_active() else None,
    }
    placeholders = ", ".join("{}" for _ in values)
    rows = await OutboxMessage.raw(
        f"INSERT INTO outbox ({', '.join(values)}) VALUES ({placeholders}) "
        "ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
        *values.values(),
    )
    if not rows:
        return None
    row_id = int(rows[0]["id"])
    after_commit(lambda: dispatch_ids([row_id]))
    return row_id


def dispatch_ids(ids: list[int]) -> None:
    for start in range(0, len(ids), BATCH_SIZE):
        dispatch(SEND_ACTOR, ids[start : start + BATCH_SIZE])


# ---------------------------------------------------------------- rendering


def calendar_location(event: dict[str, Any]) -> str:
    """Venue, address and municipality on one line."""
    place = [event["venue"], event["address"], event["municipality"] or ""]
    return ", ".join(one_line(p) for p in place if p and p.strip())


def event_context(event: dict[str, Any], language: str) -> dict[str, Any]:
    """What an email template knows of an event, in the recipient's language."""
    return {
        "title": event["title"],
        "kind": event["kind"],
        "kind_label": KIND_LABELS[event["kind"]][language],
        "description": event["description"],
        "venue": event["venue"],
        "address": event["address"],
        "municipality": event["municipality"],
        "location": calendar_location(event),
        "when": format_when(event["starts_at"], event["ends_at"], language),
        "starts_at": local(event["starts_at"]),
        "ends_at": local(event["ends_at"]),
    }


def calendar_entry(event: dict[str, Any], sequence: int, cancelled: bool) -> ical.CalendarEntry:
    return ical.CalendarEntry(
        uid=event["calendar_uid"],
        sequence=sequence,
        title=event["title"],
        starts_at=event["starts_at"],
        ends_at=event["ends_at"],
        location=calendar_location(event),
        description=event["description"],
        category=event["kind"].replace("_", "-").upper(),
        cancelled=cancelled,
    )


# Emails that carry RSVP links and the participant's ticket page, and those that carry a survey link.
RSVP_KINDS = frozenset(
    {
        EmailKind.invitation,
        EmailKind.registration_confirmed,
        EmailKind.promoted,
        EmailKind.event_changed,
        EmailKind.reminder,
    }
)
SURVEY_KINDS = frozenset({EmailKind.survey_invitation, EmailKind.survey_reminder, EmailKind.survey_followup})


def _link_owners(rows: list[dict[str, Any]], kinds: frozenset[EmailKind]) -> list[dict[str, Any]]:
    names = {kind.value for kind in kinds}
    return [r for r in rows if r["registration"] is not None and r["kind"] in names and not _on_waitlist(r)]


def _on_waitlist(row: dict[str, Any]) -> bool:
    """A change notice to someone on the waiting list: the only one without a calendar update, and without
    RSVP links (there is no seat to answer for)."""
    return row["kind"] == EmailKind.event_changed.value and not row["ics_method"]


@dataclass(frozen=True, slots=True)
class _Links:
    """An email's single-purpose links: the RSVP token (also its ticket page's) and the survey token."""

    rsvp_token: str | None = None
    survey_token: str | None = None
    closes_on: str = ""

    def context(self) -> dict[str, Any]:
        base_url = MailSettings.settings.base_url
        context: dict[str, Any] = {"rsvp": None, "ticket_url": None, "survey": None}
        if self.rsvp_token is not None:
            rsvp_base = f"{base_url}/rsvp/{self.rsvp_token}"
            context["rsvp"] = {
                answer: f"{rsvp_base}?answer={answer}" for answer in ("accepted", "tentative", "declined")
            }
            context["ticket_url"] = f"{base_url}/ticket/{self.rsvp_token}"
        if self.survey_token is not None:
            context["survey"] = {"url": f"{base_url}/survey/{self.survey_token}", "closes_on": self.closes_on}
        return context


async def _participant_links(
    rows: list[dict[str, Any]], events: dict[int, dict[str, Any]]
) -> dict[int, _Links]:
    """Fresh single-purpose links for these emails (only their digests are stored), by row id: one INSERT
    for each purpose and one query for the surveys' closing dates, whatever the number of rows."""
    rows = [r for r in rows if r["event"] in events]
    links = {r["id"]: _Links() for r in rows}
    rsvp_rows = _link_owners(rows, RSVP_KINDS)
    tokens = await create_links(LinkPurpose.rsvp, [(r["registration"], r["person"]) for r in rsvp_rows])
    for row, token in zip(rsvp_rows, tokens, strict=True):
        links[row["id"]] = replace(links[row["id"]], rsvp_token=token)
    survey_rows = _link_owners(rows, SURVEY_KINDS)
    if survey_rows:
        tokens = await create_links(
            LinkPurpose.survey, [(r["registration"], r["person"]) for r in survey_rows]
        )
        closes_at = await _survey_closing(list({r["registration"] for r in survey_rows}))
        for row, token in zip(survey_rows, tokens, strict=True):
            closes = closes_at.get(row["registration"])
            closes_on = format_date(local(closes), "long", locale=row["language"]) if closes else ""
            links[row["id"]] = replace(links[row["id"]], survey_token=token, closes_on=closes_on)
    return links


async def _survey_closing(registration_ids: list[int]) -> dict[int, datetime]:
    """The closing time of each registration's latest survey wave."""
    rows = (
        await SurveyInvitation.select(
            SurveyInvitation.registration, SurveyInvitation.wave, SurveyInvitation.closes_at
        )
        .where(SurveyInvitation.registration.is_in(registration_ids))
        .order_by(SurveyInvitation.wave)
    )
    return {r["registration"]: r["closes_at"] for r in rows}  # the highest wave last, so it stays


def _calendars(rows: list[dict[str, Any]], events: dict[int, dict[str, Any]]) -> dict[int, str]:
    """Each row's invitation, by row id: the calendar of an (event, sequence, method) is built once and only
    the ATTENDEE line differs. A group that cannot be built is left out (its rows fail one by one)."""
    groups: dict[tuple[int, int, str], list[dict[str, Any]]] = {}
    for row in rows:
        if row["ics_method"] and row["event"] in events:
            groups.setdefault((row["event"], row["sequence"], row["ics_method"]), []).append(row)
    calendars: dict[int, str] = {}
    for (event_id, sequence, method_name), members in groups.items():
        try:
            method = ical.Method(method_name)
            texts = ical.invitations(
                calendar_entry(events[event_id], sequence, cancelled=method is ical.Method.cancel),
                method,
                organizer=_organizer(),
                attendees=[ical.Party(email=r["recipient_email"], name=r["recipient_name"]) for r in members],
                partstat=ical.PartStat.needs_action,
            )
        except Exception:
            logger.exception("the calendar of event %s cannot be built", event_id)
            continue
        for row, text in zip(members, texts, strict=True):
            calendars[row["id"]] = text.decode()
    return calendars


def _organizer() -> ical.Party:
    return ical.Party(email=MailSettings.settings.rsvp_address, name="Dutch TechZone")


def _calendar_of(row: dict[str, Any], event: dict[str, Any] | None, calendar: str | None) -> dict[str, Any]:
    if not row["ics_method"] or event is None:
        return {}
    if calendar is None:  # its group failed: build it alone, to fail this row with the reason
        method = ical.Method(row["ics_method"])
        calendar = ical.invitation(
            calendar_entry(event, row["sequence"], cancelled=method is ical.Method.cancel),
            method,
            organizer=_organizer(),
            attendee=ical.Party(email=row["recipient_email"], name=row["recipient_name"]),
        ).decode()
    return {"ics": calendar}


def _render_email(
    row: dict[str, Any],
    event: dict[str, Any] | None,
    links: _Links,
    event_contexts: dict[tuple[int, str], dict[str, Any]],
) -> dict[str, Any]:
    settings = MailSettings.settings
    language = row["language"]
    shown_event = None
    if event is not None:
        key = (event["id"], language)
        shown_event = event_contexts.get(key)
        if shown_event is None:
            shown_event = event_contexts[key] = event_context(event, language)
    context = {
        "person": {"name": row["recipient_name"]},
        "event": shown_event,
        **links.context(),
        "has_calendar": bool(row["ics_method"]),
        "on_waitlist": _on_waitlist(row),
        "organiser_email": _sender(settings.mail_from),
        "base_url": settings.base_url,
        "reminder_hours": event["reminder_hours"] if event else 0,
    }
    email = render_email(EmailKind(row["kind"]).template, language, context)
    return {"subject": email.subject, "text_body": email.text, "html_body": email.html}


# Stand-ins for what differs between the emails of a batch: rendered once with these, then replaced.
# Private-use characters, which no filter, escaping or CSS inlining changes.
_NAME, _RSVP, _SURVEY = "\ue000name\ue001", "\ue000rsvp\ue001", "\ue000survey\ue001"
# A name with these is rendered on its own: escaping, one_line and the HTML serialiser of CSS inlining
# change them.
_NOT_AS_IS = re.compile("[\x00-\x1f\x7f-\xa0&<>\"'\ue000-\uf8ff]")


def _as_is(row: dict[str, Any]) -> bool:
    return not _NOT_AS_IS.search(row["recipient_name"] or "")


def _render_alike(
    rows: list[dict[str, Any]],
    event: dict[str, Any] | None,
    links: dict[int, _Links],
    event_contexts: dict[tuple[int, str], dict[str, Any]],
) -> dict[int, dict[str, Any]] | None:
    """The emails of rows that differ only in name and link tokens (same kind, language, event, calendar
    or not, and which links): the templates are rendered once with stand-ins, which are then replaced in
    each. Checked against a full render of the first row; None when they differ (a template that does more
    with a name than print it), and the rows are rendered one by one."""
    first = rows[0]
    first_links = links.get(first["id"], _Links())
    stand_in = {**first, "recipient_name": _NAME if first["recipient_name"] else ""}
    shared_links = replace(
        first_links,
        rsvp_token=_RSVP if first_links.rsvp_token else None,
        survey_token=_SURVEY if first_links.survey_token else None,
    )
    shared = _render_email(stand_in, event, shared_links, event_contexts)
    rendered = {}
    for row in rows:
        row_links = links.get(row["id"], _Links())
        name = one_line(row["recipient_name"] or "")
        values = {}
        for column, text in shared.items():
            text = text.replace(_NAME, name)
            if row_links.rsvp_token:
                text = text.replace(_RSVP, row_links.rsvp_token)
            if row_links.survey_token:
                text = text.replace(_SURVEY, row_links.survey_token)
            values[column] = text
        rendered[row["id"]] = values
    if rendered[first["id"]] != _render_email(first, event, first_links, event_contexts):
        logger.warning("template %s does not render by replacement; rendering one by one", first["kind"])
        return None
    return rendered


def _alike_key(row: dict[str, Any], links: _Links) -> tuple[Any, ...]:
    return (
        row["kind"],
        row["language"],
        row["event"],
        bool(row["ics_method"]),
        bool(row["recipient_name"]),
        links.rsvp_token is not None,
        links.survey_token is not None,
        links.closes_on,
    )


async def _render_missing(rows: list[dict[str, Any]], token: str) -> list[dict[str, Any]]:
    """Render the rows not rendered yet, in place, and store what they say with one UPDATE; a row that
    cannot be rendered fails with the reason (retrying would not help). Returns the rows that can be sent."""
    todo = [r for r in rows if r["subject"] is None]
    if not todo:
        return rows
    event_ids = list({r["event"] for r in todo if r["event"]})
    events = {e["id"]: e for e in await Event.select().where(Event.id.is_in(event_ids))} if event_ids else {}
    links = await _participant_links(todo, events)
    calendars = _calendars(todo, events)
    event_contexts: dict[tuple[int, str], dict[str, Any]] = {}
    emails: dict[int, dict[str, Any]] = {}
    alike: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in todo:
        if _as_is(row):
            alike.setdefault(_alike_key(row, links.get(row["id"], _Links())), []).append(row)
    for members in alike.values():
        if len(members) > 1:
            with contextlib.suppress(Exception):  # rendered one by one below, failing with the reason
                emails.update(
                    _render_alike(members, events.get(members[0]["event"]), links, event_contexts) or {}
                )
    broken, rendered = set(), []
    for row in todo:
        event = events.get(row["event"])
        try:
            values = emails.get(row["id"]) or _render_email(
                row, event, links.get(row["id"], _Links()), event_contexts
            )
            values = {**values, **_calendar_of(row, event, calendars.get(row["id"]))}
        except Exception as exc:
            logger.exception("outbox row %s cannot be rendered", row["id"])
            await _fail(row, token, f"cannot be rendered: {exc!r}")
            broken.add(row["id"])
            continue
        row.update(values)
        rendered.append(row)
    await _store_rendered(rendered, token)
    return [r for r in rows if r["id"] not in broken]


_RENDERED = ("subject", "text_body", "html_body", "ics")


async def _store_rendered(rows: list[dict[str, Any]], token: str) -> None:
    if not rows:
        return
    if is_postgres():
        await OutboxMessage.raw(
            "UPDATE outbox AS o SET subject = v.subject, text_body = v.text_body, html_body = v.html_body, "
            "ics = v.ics FROM unnest({}::integer[], {}::text[], {}::text[], {}::text[], {}::text[]) "
            "AS v(id, subject, text_body, html_body, ics) WHERE o.id = v.id AND o.claim_token = {}",
            [r["id"] for r in rows],
            *([r.get(c) for r in rows] for c in _RENDERED),
            token,
        )
        return
    for row in rows:
        await OutboxMessage.update({c: row.get(c) for c in _RENDERED}).where(
            (OutboxMessage.id == row["id"]) & (OutboxMessage.claim_token == token)
        )


class _HeaderClasses(HeaderRegistry):
    """The standard registry creates a new class with type() for every header it is asked for: the largest
    single cost of composing a message (some fifty headers with the parts). The classes are the same every
    time, so they are made once."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


_POLICY = SMTP.clone(header_factory=_HeaderClasses())


def compose(row: dict[str, Any], settings: Settings) -> EmailMessage:
    """The MIME message: multipart/mixed > multipart/alternative (text, html, text/calendar) + invite.ics."""
    message = EmailMessage(policy=_POLICY)
    message["From"] = settings.mail_from
    name = one_line(row["recipient_name"] or "")
    # An Address, not a formataddr() string: the header is then built from its parts, so a name with
    # `:`, `@` or `<` cannot turn into another recipient when the encoded name is folded.
    message["To"] = Address(display_name=name, addr_spec=row["recipient_email"])
    message["Subject"] = one_line(row["subject"] or "")
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = mime.message_id(row, settings.host)
    message["Auto-Submitted"] = "auto-generated"
    message["Reply-To"] = (
        Address(addr_spec=settings.rsvp_address) if settings.rsvp_address else settings.mail_from
    )
    message.set_content(row["text_body"] or "", subtype="plain", cte="quoted-printable")
    message.add_alternative(row["html_body"] or "", subtype="html", cte="quoted-printable")
    if row["ics"]:
        method = row["ics_method"]
        message.add_alternative(row["ics"], subtype="calendar", cte="base64", params={"method": method})
        message.add_attachment(
            row["ics"].encode(),
            maintype="application",
            subtype="ics",
            filename="invite.ics",
        )
    message["Content-Language"] = row["language"]  # after the body: set_content drops Content-* headers
    return message


# ---------------------------------------------------------------- sending


def _backoff(attempts: int) -> timedelta:
    delay: timedelta = MailSettings.retry_base * (2 ** max(attempts - 1, 0))
    return min(delay, MailSettings.retry_max)


# What the sender needs of a row; the claim's UPDATE returns it, so no SELECT follows.
_SEND_COLUMNS = [
    OutboxMessage._meta.get_column_by_name(name)
    for name in (
        "id", "dedup_key", "kind", "language", "recipient_email", "recipient_name", "person", "event",
        "registration", "sequence", "subject", "text_body", "html_body", "ics", "ics_method", "attempts",
    )
]  # fmt: skip


async def _claim(ids: list[int], token: str) -> list[dict[str, Any]]:
    now = utcnow()
    rows = (
        await OutboxMessage.update(
            {
                OutboxMessage.status: OutboxStatus.sending.value,
                OutboxMessage.claimed_at: now,
                OutboxMessage.claim_token: token,
                OutboxMessage.attempts: OutboxMessage.attempts + 1,
            }
        )
        .where(
            OutboxMessage.id.is_in(ids),
            OutboxMessage.status == OutboxStatus.queued.value,
            OutboxMessage.next_attempt_at <= now,
        )
        .returning(*_SEND_COLUMNS)
    )
    return sorted(rows, key=lambda r: r["id"])


async def _set_status(ids: list[int], token: str, values: dict[Any, Any]) -> int:
    rows = (
        await OutboxMessage.update(values)
        .where(OutboxMessage.id.is_in(ids), OutboxMessage.claim_token == token)
        .returning(OutboxMessage.id)
    )
    return len(rows)


async def _retry_later(rows: list[dict[str, Any]], token: str, error: str) -> None:
    for row in rows:
        await _set_status(
            [row["id"]],
            token,
            {
                OutboxMessage.status: OutboxStatus.queued.value,
                OutboxMessage.sent_at: None,
                OutboxMessage.next_attempt_at: utcnow() + _backoff(row["attempts"]),
                OutboxMessage.dispatched_at: None,
                OutboxMessage.last_error: error[:2000],
                OutboxMessage.claim_token: None,
            },
        )


async def _fail(row: dict[str, Any], token: str, error: str) -> None:
    await _set_status(
        [row["id"]],
        token,
        {OutboxMessage.status: OutboxStatus.failed.value, OutboxMessage.last_error: error[:2000]},
    )


@handler(SEND_ACTOR, queue_name="mail")
async def deliver(ids: list[int]) -> None:
    """Claim, render and send these outbox rows over one SMTP connection. Safe to call twice."""
    token = secrets.token_hex(8)
    rows = await _claim(ids, token)
    if any(r["kind"] == EmailKind.reminder.value for r in rows):
        rows = await _withdraw_stale_reminders(rows, token)
    if not rows:
        return
    rows = await _render_missing(rows, token)
    if not rows:
        return
    settings = MailSettings.settings
    if not settings.smtp_url:
        await _set_status(
            [r["id"] for r in rows],
            token,
            {OutboxMessage.status: OutboxStatus.held.value, OutboxMessage.sent_at: utcnow()},
        )
        return
    session = SmtpSession(SmtpConfig.from_url(settings.smtp_url))
    try:
        await session.open()
    except (OSError, smtplib.SMTPException) as exc:
        session.abort()
        await _retry_later(rows, token, f"SMTP connection failed: {exc}")
        return
    marker = _Marker()
    try:
        for index, row in enumerate(rows):
            if not await _send_one(session, row, token, settings, marker):
                await _retry_later(rows[index + 1 :], token, "SMTP connection lost during the batch")
                return
    finally:
        await session.close()
        await marker.close()


@lru_cache(maxsize=8)
def _sender(mail_from: str) -> str:
    return parseaddr(mail_from)[1]


def message_bytes(row: dict[str, Any], settings: Settings) -> bytes:
    """The email as it goes out: the bytes `compose(row, settings).as_bytes()` would give, written directly
    (see mail/mime.py)."""
    return mime.message_bytes(row, settings.mail_from, settings.rsvp_address, settings.host)


async def _send_one(
    session: SmtpSession, row: dict[str, Any], token: str, settings: Settings, marker: _Marker
) -> bool:
    """Sends one row; False when the connection is gone and the rest of the batch must wait."""
    data = message_bytes(row, settings)
    # The row is locked for its mark while MAIL, RCPT and DATA go back and forth: a round trip less.
    locking = _lock_early(row["id"], token, marker)
    try:
        await session.begin(_sender(settings.mail_from), row["recipient_email"], data)
    except BaseException as exc:
        await _unlock(locking, marker)  # before the row is written to from another connection
        if isinstance(exc, SmtpRejected):
            await (_fail(row, token, str(exc)) if exc.permanent else _retry_later([row], token, str(exc)))
            return True
        if not isinstance(exc, OSError | smtplib.SMTPException):
            raise
        await _retry_later([row], token, f"SMTP error: {exc}")
        session.abort()
        return False
    try:
        marked = await _mark_sent_and_send_dot(session, row["id"], token, marker, locking)
    except DotSentUnmarked as exc:
        await _mark_sent_when_reachable(row["id"], token, str(exc))
        session.abort()
        return False
    except (OSError, smtplib.SMTPException) as exc:  # the dot did not go out: the server drops the message
        await _retry_later([row], token, f"SMTP error: {exc}")
        session.abort()
        return False
    if not marked:  # the sweep took the row back meanwhile: abandon this copy
        session.abort()
        return False
    try:
        code, reply = await session.read_reply()
    except (OSError, smtplib.SMTPException) as exc:
        if session.dot_pending:  # the end of the message never went out: the server drops it
            await _retry_later([row], token, f"SMTP error: {exc}")
        else:
            # The final dot went out but no answer came: the server most likely has it. Re-sending could
            # double it, so the row stays sent, with the doubt on record.
            await _set_status([row["id"]], token, {OutboxMessage.last_error: f"no reply after DATA: {exc}"})
        session.abort()
        return False
    if code >= 400:
        await _set_status(
            [row["id"]],
            token,
            {OutboxMessage.status: OutboxStatus.sending.value, OutboxMessage.sent_at: None},
        )
        error = f"{code} {reply}"
        await (_fail(row, token, error) if code >= 500 else _retry_later([row], token, error))
    return True


def _marks_on_postgres() -> PostgresEngine | None:
    """The engine when rows are marked by _Marker: PostgreSQL, outside a caller's transaction (whose
    COMMIT is not ours to send)."""
    db = engine()
    return db if isinstance(db, PostgresEngine) and db.current_transaction.get() is None else None


def _lock_early(row_id: int, token: str, marker: _Marker) -> asyncio.Task[bool] | None:
    db = _marks_on_postgres()
    return asyncio.ensure_future(marker.lock(db, row_id, token)) if db is not None else None


async def _unlock(locking: asyncio.Task[bool] | None, marker: _Marker) -> None:
    if locking is None:
        return
    with contextlib.suppress(Exception):
        await locking
    await marker.rollback()


async def _mark_sent_and_send_dot(
    session: SmtpSession,
    row_id: int,
    token: str,
    marker: _Marker | None = None,
    locking: asyncio.Task[bool] | None = None,
) -> bool:
    """Record the row as sent and hand the final dot to the kernel: both, or (if this process dies on the
    way) neither. A worker killed before the dot leaves an unfinished SMTP transaction that the server drops
    (the sweep sends the row again); killed after it, the row says sent. False when the row is not ours.

    On PostgreSQL over TCP: the row is locked by an UPDATE in a transaction; then the COMMIT and the dot are
    written into their sockets held back (TCP_CORK) and set to be dropped should the process die
    (SO_LINGER 0: the kernel resets the connection, PostgreSQL rolls back, the SMTP server discards); then
    two setsockopt calls in a row make both survive death (the kernel sends what it holds on exit) and the
    corks come off. Between those two calls nothing can hand the CPU to another thread or wake another
    process; with plain writes, the second one could wait for milliseconds, and a death in between loses
    the email."""
    db = _marks_on_postgres()
    if db is not None:
        marker = marker or _Marker()
        try:
            locked = await (locking if locking is not None else marker.lock(db, row_id, token))
            return locked and await _commit_with_dot(marker.connection_, session)
        finally:
            if marker.connection_ is not None and _gone(marker.connection_):
                await marker.close()
    # SQLite, or inside a caller's transaction: mark, then the dot.
    values = {OutboxMessage.status: OutboxStatus.sent.value, OutboxMessage.sent_at: utcnow()}
    if not await _set_status([row_id], token, values):
        return False
    session.send_dot()
    return True


_TOKEN = re.compile(r"[0-9a-f]{1,32}")


class _Marker:
    """The PostgreSQL connection on which a batch marks its rows sent: taken from the pool once a batch, not
    once a message; taken again after one was dropped."""

    def __init__(self) -> None:
        self.db: PostgresEngine | None = None
        self.connection_: Any = None

    async def connection(self, db: PostgresEngine) -> Any:
        if self.connection_ is None:
            self.db = db
            self.connection_ = await (db.pool.acquire() if db.pool is not None else db.get_new_connection())
        return self.connection_

    async def lock(self, db: PostgresEngine, row_id: int, token: str) -> bool:
        """BEGIN and the UPDATE that marks the row sent, in one round trip (a simple query: its values are
        all ours, an int, a hex token and a timestamp); rolled back at once when the row is not ours."""
        if not _TOKEN.fullmatch(token):
            raise ValueError("a claim token is hexadecimal")
        connection = await self.connection(db)
        try:
            status = await connection.execute(
                f"BEGIN; UPDATE outbox SET status = 'sent', sent_at = '{utcnow().isoformat()}' "
                f"WHERE id = {int(row_id)} AND claim_token = '{token}'"
            )
            if status != "UPDATE 1":
                await connection.execute("ROLLBACK")
                return False
            return True
        except BaseException:
            _drop(connection)
            raise

    async def rollback(self) -> None:
        connection = self.connection_
        if connection is not None and not _gone(connection) and connection.is_in_transaction():
            try:
                await connection.execute("ROLLBACK")
            except Exception:
                _drop(connection)

    async def close(self) -> None:
        connection, self.connection_ = self.connection_, None
        if connection is not None and self.db is not None:
            if self.db.pool is not None:
                await self.db.pool.release(connection)
            else:
                await connection.close()


def _gone(connection: Any) -> bool:
    try:
        return bool(connection.is_closed())
    except InterfaceError:  # a pool's proxy whose connection was lost: asyncpg has taken it back already
        return True


def _drop(connection: Any) -> None:
    if not _gone(connection) and connection.is_in_transaction():
        connection.terminate()  # PostgreSQL rolls back; the pool replaces the connection


async def _commit_with_dot(connection: Any, session: SmtpSession) -> bool:
    """The COMMIT of the locked row's transaction and the final dot, released together."""
    error: OSError | None = None
    try:
        held = [_HeldSocket(_socket_of(connection)), _HeldSocket(session.socket)]
        try:
            for sock in held:
                sock.hold()
            commit = asyncio.ensure_future(connection.execute("COMMIT"))
            await asyncio.sleep(0)  # that task writes the COMMIT in its first step; this one runs next
            try:
                session.send_dot()
            except OSError as exc:  # smtplib's errors are OSErrors too
                error = exc
        finally:
            for sock in held:
                sock.keep()  # the two calls that commit both
            for sock in held:
                sock.release()
        try:
            await commit
        except Exception as exc:
            if error is None and not session.dot_pending:
                raise DotSentUnmarked(repr(exc)) from exc
            raise
    except BaseException:
        _drop(connection)
        raise
    if error is not None:
        raise error
    return True


class DotSentUnmarked(Exception):
    """The final dot went out, but the COMMIT that marks its row sent did not come back (the database went
    away in between): the email is with the SMTP server and its row does not say so yet."""


# How long a worker keeps trying to mark a row whose dot went out: a database outage of any length the
# service is meant to ride out (the worker does nothing else meanwhile; nothing else works either).
UNMARKED_PATIENCE = timedelta(minutes=8)


async def _mark_sent_when_reachable(row_id: int, token: str, error: str) -> None:
    """Marks a row whose dot went out as sent, retrying while the database is away. The sweep leaves the
    claim alone meanwhile: until `claim_timeout` after the claim and, when PostgreSQL restarted, until
    `claim_timeout` after the restart (see `_stale_claims`); retries come at least ten times in that window,
    so the row is marked before the sweep could take it back."""
    claim = MailSettings.claim_timeout.total_seconds()
    deadline = asyncio.get_running_loop().time() + max(claim * 0.8, UNMARKED_PATIENCE.total_seconds())
    delay, longest = 0.1, min(5.0, claim / 10)
    while True:
        values = {
            OutboxMessage.status: OutboxStatus.sent.value,
            OutboxMessage.sent_at: utcnow(),
            OutboxMessage.last_error: f"marked sent once the database was back: {error}",
        }
        try:
            if await _set_status([row_id], token, values):
                logger.warning("outbox row %s was sent; marked so once the database was back", row_id)
            else:
                logger.error("outbox row %s was sent, but its claim was taken back: it may go twice", row_id)
            return
        except Exception:
            if asyncio.get_running_loop().time() + delay > deadline:
                logger.exception("outbox row %s was sent but cannot be marked so", row_id)
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest)


def _socket_of(connection: Any) -> Any:
    transport = getattr(connection, "_transport", None)  # asyncpg keeps it private
    return transport.get_extra_info("socket") if transport is not None else None


_LINGER_RESET = struct.pack("ii", 1, 0)
_LINGER_DEFAULT = struct.pack("ii", 0, 0)


class _HeldSocket:
    """A TCP socket whose writes the kernel holds back and, should this process die, drops; `keep()` makes
    them survive death, `release()` sends them. Not TCP (or not Linux): all three do nothing."""

    def __init__(self, sock: Any) -> None:
        tcp = sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6)
        self.sock = sock if tcp and hasattr(socket, "TCP_CORK") else None

    def hold(self) -> None:
        if self.sock is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)

    def keep(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):  # a connection already gone has nothing to keep
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_DEFAULT)

    def release(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)


# ---------------------------------------------------------------- the sweep


async def _pick(where: list[Any]) -> list[int]:
    """Inside write_transaction(): ids of matching rows, locked; rows another sweep holds are skipped, so
    concurrent sweeps (two schedulers, or a tick that overlaps) neither wait for each other nor deadlock."""
    query = OutboxMessage.select(OutboxMessage.id).where(*where).order_by(OutboxMessage.id).limit(5000)
    if is_postgres():
        query = query.lock_rows(skip_locked=True)
    return [r["id"] for r in await query]


async def _stale_claims(now: datetime) -> list[int]:
    """Inside write_transaction(): claims whose worker has most likely died. Right after PostgreSQL
    restarted, none: a worker whose final dot went out just before the restart may still be waiting to
    mark its row sent (`_mark_sent_when_reachable`), and every claim made before the restart looks old."""
    if is_postgres():
        restarted = await OutboxMessage.raw(
            "SELECT now() - pg_postmaster_start_time() < {} AS recent", MailSettings.claim_timeout
        )
        if restarted[0]["recent"]:
            return []
    return await _pick(
        [
            OutboxMessage.status == OutboxStatus.sending.value,
            OutboxMessage.claimed_at < now - MailSettings.claim_timeout,
        ]
    )


async def sweep(now: datetime) -> int:
    """Take back rows whose worker died, and dispatch rows whose message was lost or whose retry is due."""
    async with write_transaction():
        stale = await _stale_claims(now)
        if stale:
            await OutboxMessage.update(
                {
                    OutboxMessage.status: OutboxStatus.queued.value,
                    OutboxMessage.claim_token: None,
                    OutboxMessage.dispatched_at: None,
                }
            ).where(OutboxMessage.id.is_in(stale))
    async with write_transaction():
        ids = await _pick(
            [
                OutboxMessage.status == OutboxStatus.queued.value,
                OutboxMessage.next_attempt_at <= now,
                OutboxMessage.dispatched_at.is_null()
                | (OutboxMessage.dispatched_at < now - MailSettings.redispatch_after),
            ]
        )
        if ids:
            # Never stamped later than the real time: a sweep run for a moment ahead (a scheduler's
            # controlled clock) would otherwise keep a row that is not yet due for the worker from being
            # dispatched again until that moment.
            stamp = min(now, utcnow())
            await OutboxMessage.update({OutboxMessage.dispatched_at: stamp}).where(
                OutboxMessage.id.is_in(ids)
            )
            after_commit(lambda: dispatch_ids(ids))
    return len(ids)


# ---------------------------------------------------------------- reading the outbox


def outbox_out(row: dict[str, Any]) -> OutboxOut:
    return OutboxOut(
        id=row["id"],
        kind=row["kind"],
        language=row["language"],
        recipient_email=row["recipient_email"],
        recipient_name=row["recipient_name"],
        subject=row["subject"],
        status=OutboxStatus(row["status"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        event_id=row["event"],
        ics_method=row["ics_method"],
        created_at=local(row["created_at"]),
        sent_at=local_or_none(row["sent_at"]),
    )


_LIST_COLUMNS = [
    c for c in OutboxMessage._meta.columns if c._meta.name not in ("text_body", "html_body", "ics")
]


async def list_outbox(pagination: Pagination, status: OutboxStatus | None = None) -> Page[OutboxOut]:
    where = [OutboxMessage.status == status.value] if status else []
    total = await OutboxMessage.count().where(*where)
    rows = (
        await OutboxMessage.select(*_LIST_COLUMNS)
        .where(*where)
        .order_by(OutboxMessage.id, ascending=False)
        .limit(pagination.per_page)
        .offset(pagination.offset)
    )
    return page_out([outbox_out(r) for r in rows], total, pagination)


async def get_outbox_row(message_id: int) -> dict[str, Any] | None:
    return await OutboxMessage.select().where(OutboxMessage.id == message_id).first()


async def outbox_counts() -> OutboxCounts:
    rows = await OutboxMessage.select(OutboxMessage.status, Count(alias="n")).group_by(OutboxMessage.status)
    counts = OutboxCounts()
    for row in rows:
        setattr(counts, row["status"], row["n"])
    return counts
