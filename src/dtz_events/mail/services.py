"""The outbox: emails are rows first, written with the change that causes them; workers claim, render,
send and mark them. See DESIGN.md, Outbox."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import smtplib
import socket
import struct
from datetime import datetime, timedelta
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import Any

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
from dtz_events.registrations.links import LinkPurpose, create_link
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


async def _withdraw_stale_reminders(ids: list[int], token: str) -> list[int]:
    """A reminder can wait in the outbox (a retry, a busy worker) while its event is cancelled or moved, or
    its person cancels or declines. Send it only if it is still due; the rest of `ids` is returned."""
    rows = await OutboxMessage.select(
        OutboxMessage.id, OutboxMessage.dedup_key, OutboxMessage.registration
    ).where(OutboxMessage.id.is_in(ids), OutboxMessage.kind == EmailKind.reminder.value)
    if not rows:
        return ids
    registration_ids = [r["registration"] for r in rows if r["registration"]]
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
    stale = []
    for row in rows:
        reg = registrations.get(row["registration"])
        if not (
            reg is not None
            and reg["status"] in ("confirmed", "invited")
            and reg["rsvp"] != "declined"
            and reg["event_status"] == "published"
            and reg["starts_at"] > now
            and row["dedup_key"].endswith(_starts_tag(reg["starts_at"]))
        ):
            stale.append(row["id"])
    if stale:
        reason = (
            "not sent: no longer due (event cancelled, moved or begun; registration cancelled or declined)"
        )
        await _set_status(
            stale,
            token,
            {OutboxMessage.status: OutboxStatus.withdrawn.value, OutboxMessage.last_error: reason},
        )
    return [i for i in ids if i not in stale]


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


def _event_context(event: dict[str, Any], language: str) -> dict[str, Any]:
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


async def _participant_links(row: dict[str, Any], kind: EmailKind, language: str) -> dict[str, Any]:
    """Fresh single-purpose links for this email (only their digests are stored)."""
    base_url = MailSettings.settings.base_url
    links: dict[str, Any] = {"rsvp": None, "ticket_url": None, "survey": None}
    registration_id, person_id = row["registration"], row["person"]
    if registration_id is None:
        return links
    if kind in RSVP_KINDS:
        token = await create_link(LinkPurpose.rsvp, registration_id=registration_id, person_id=person_id)
        rsvp_base = f"{base_url}/rsvp/{token}"
        links["rsvp"] = {
            answer: f"{rsvp_base}?answer={answer}" for answer in ("accepted", "tentative", "declined")
        }
        links["ticket_url"] = f"{base_url}/ticket/{token}"
    if kind in SURVEY_KINDS:
        token = await create_link(LinkPurpose.survey, registration_id=registration_id, person_id=person_id)
        invitation = (
            await SurveyInvitation.select(SurveyInvitation.closes_at)
            .where(SurveyInvitation.registration == registration_id)
            .order_by(SurveyInvitation.wave, ascending=False)
            .first()
        )
        closes = format_date(local(invitation["closes_at"]), "long", locale=language) if invitation else ""
        links["survey"] = {"url": f"{base_url}/survey/{token}", "closes_on": closes}
    return links


async def _render(row: dict[str, Any], event: dict[str, Any] | None) -> dict[Any, Any]:
    settings = MailSettings.settings
    language = row["language"]
    kind = EmailKind(row["kind"])
    links = await _participant_links(row, kind, language) if event is not None else {}
    context = {
        "person": {"name": row["recipient_name"]},
        "event": _event_context(event, language) if event else None,
        "rsvp": links.get("rsvp"),
        "ticket_url": links.get("ticket_url"),
        "survey": links.get("survey"),
        "has_calendar": bool(row["ics_method"]),
        "organiser_email": parseaddr(settings.mail_from)[1],
        "base_url": settings.base_url,
        "reminder_hours": event["reminder_hours"] if event else 0,
    }
    email = render_email(kind.template, language, context)
    values: dict[Any, Any] = {
        OutboxMessage.subject: email.subject,
        OutboxMessage.text_body: email.text,
        OutboxMessage.html_body: email.html,
    }
    if row["ics_method"] and event is not None:
        method = ical.Method(row["ics_method"])
        partstat = ical.PartStat.needs_action
        values[OutboxMessage.ics] = ical.invitation(
            calendar_entry(event, row["sequence"], cancelled=method is ical.Method.cancel),
            method,
            organizer=ical.Party(email=settings.rsvp_address, name="Dutch TechZone"),
            attendee=ical.Party(email=row["recipient_email"], name=row["recipient_name"]),
            partstat=partstat,
        ).decode()
    return values


async def _render_missing(ids: list[int], token: str) -> list[int]:
    """Render rows not rendered yet; a row that cannot be rendered fails with the reason (retrying would
    not help). Returns the ids that can be sent."""
    rows = await OutboxMessage.select().where(OutboxMessage.id.is_in(ids) & OutboxMessage.subject.is_null())
    event_ids = list({r["event"] for r in rows if r["event"]})
    events = {e["id"]: e for e in await Event.select().where(Event.id.is_in(event_ids))} if event_ids else {}
    broken = []
    for row in rows:
        try:
            values = await _render(row, events.get(row["event"]))
        except Exception as exc:
            logger.exception("outbox row %s cannot be rendered", row["id"])
            await _fail(row, token, f"cannot be rendered: {exc!r}")
            broken.append(row["id"])
            continue
        await OutboxMessage.update(values).where(OutboxMessage.id == row["id"])
    return [i for i in ids if i not in broken]


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
    message["Message-ID"] = (
        # Stable per row (a retry carries the same id, so a receiver can drop a copy), and unguessable.
        f"<outbox-{row['id']}.{hashlib.sha256(row['dedup_key'].encode()).hexdigest()[:16]}@{settings.host}>"
    )
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


async def _claim(ids: list[int], token: str) -> list[int]:
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
        .returning(OutboxMessage.id)
    )
    return sorted(r["id"] for r in rows)


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
    claimed = await _claim(ids, token)
    if claimed:
        claimed = await _withdraw_stale_reminders(claimed, token)
    if not claimed:
        return
    claimed = await _render_missing(claimed, token)
    if not claimed:
        return
    rows = await OutboxMessage.select().where(OutboxMessage.id.is_in(claimed)).order_by(OutboxMessage.id)
    settings = MailSettings.settings
    if not settings.smtp_url:
        await _set_status(
            claimed, token, {OutboxMessage.status: OutboxStatus.held.value, OutboxMessage.sent_at: utcnow()}
        )
        return
    session = SmtpSession(SmtpConfig.from_url(settings.smtp_url))
    try:
        await asyncio.to_thread(session.open)
    except (OSError, smtplib.SMTPException) as exc:
        await _retry_later(rows, token, f"SMTP connection failed: {exc}")
        return
    try:
        for index, row in enumerate(rows):
            if not await _send_one(session, row, token, settings):
                await _retry_later(rows[index + 1 :], token, "SMTP connection lost during the batch")
                return
    finally:
        await asyncio.to_thread(session.close)


async def _send_one(session: SmtpSession, row: dict[str, Any], token: str, settings: Settings) -> bool:
    """Sends one row; False when the connection is gone and the rest of the batch must wait."""
    data = compose(row, settings).as_bytes()
    sender = parseaddr(settings.mail_from)[1]
    try:
        await asyncio.to_thread(session.begin, sender, row["recipient_email"], data)
    except SmtpRejected as exc:
        if exc.permanent:
            await _fail(row, token, str(exc))
        else:
            await _retry_later([row], token, str(exc))
        return True
    except (OSError, smtplib.SMTPException) as exc:
        await _retry_later([row], token, f"SMTP error: {exc}")
        session.abort()
        return False
    try:
        marked = await _mark_sent_and_send_dot(session, row["id"], token)
    except (OSError, smtplib.SMTPException) as exc:  # the dot did not go out: the server drops the message
        await _retry_later([row], token, f"SMTP error: {exc}")
        session.abort()
        return False
    if not marked:  # the sweep took the row back meanwhile: abandon this copy
        session.abort()
        return False
    try:
        code, reply = await asyncio.to_thread(session.read_reply)
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


async def _mark_sent_and_send_dot(session: SmtpSession, row_id: int, token: str) -> bool:
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
    values = {OutboxMessage.status: OutboxStatus.sent.value, OutboxMessage.sent_at: utcnow()}
    db = engine()
    if not isinstance(db, PostgresEngine) or db.current_transaction.get() is not None:
        # SQLite, or inside a caller's transaction (whose COMMIT is not ours to send): mark, then the dot.
        if not await _set_status([row_id], token, values):
            return False
        session.send_dot()
        return True
    error: OSError | None = None
    async with db.transaction() as txn:
        if not await _set_status([row_id], token, values):
            return False
        held = [_HeldSocket(_socket_of(txn.connection)), _HeldSocket(session.socket)]
        try:
            for sock in held:
                sock.hold()
            commit = asyncio.ensure_future(txn.commit())  # type: ignore[no-untyped-call]
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
        await commit
    if error is not None:
        raise error
    return True


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


async def sweep(now: datetime) -> int:
    """Take back rows whose worker died, and dispatch rows whose message was lost or whose retry is due."""
    async with write_transaction():
        stale = await _pick(
            [
                OutboxMessage.status == OutboxStatus.sending.value,
                OutboxMessage.claimed_at < now - MailSettings.claim_timeout,
            ]
        )
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
            await OutboxMessage.update({OutboxMessage.dispatched_at: now}).where(OutboxMessage.id.is_in(ids))
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
