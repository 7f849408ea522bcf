"""The bytes of an outbox email, written directly: the same bytes the `email` package's generator writes for
`services.compose()` (tests/integration/mail/test_batch_render.py compares them, hostile names included), at
a fortieth of its cost. The structure is fixed (multipart/mixed > multipart/alternative (text, html,
text/calendar) + invite.ics, or multipart/alternative (text, html) without a calendar); the bodies are
encoded with the email package's own encoders, and every header whose value is not plain ASCII is still
folded and encoded by its header classes, so only the layout is written here."""

from __future__ import annotations

import binascii
import hashlib
import random
import re
import sys
from email import quoprimime
from email.policy import SMTP
from email.utils import format_datetime
from functools import lru_cache
from typing import Any

from dtz_events.core.clock import utcnow
from dtz_events.core.templating import one_line

_POLICY = SMTP  # what compose() serialises with: CRLF, lines of at most 78 characters, 7-bit headers
_MAX_LINE = 78
_BOUNDARY_WIDTH = len(repr(sys.maxsize - 1))


def _boundary() -> str:
    """As email.generator makes one; QP and base64 bodies cannot contain a line that starts `--=`."""
    return "=" * 15 + f"{random.randrange(sys.maxsize):0{_BOUNDARY_WIDTH}d}" + "=="


@lru_cache(maxsize=512)
def header(name: str, value: str) -> bytes:
    """One header as the email package folds and encodes it (RFC 2047 words, 78-character lines)."""
    _, stored = _POLICY.header_store_parse(name, value)
    folded: bytes = _POLICY.fold_binary(name, stored)
    return folded


# Display names and addresses that need neither quoting, nor encoding, nor folding: `Name <address>` as is.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9'-]+(?: [A-Za-z0-9'-]+)*")
_ATOM = r"[A-Za-z0-9_%+-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def to_header(name: str, address: str) -> bytes:
    """The To header of compose(), which builds it from an Address (display name and address apart)."""
    if _PLAIN_ADDRESS.fullmatch(address) and (not name or _PLAIN_NAME.fullmatch(name)):
        value = f"{name} <{address}>" if name else address
        if len(value) + 4 <= _MAX_LINE:
            return f"To: {value}\r\n".encode()
    return _address_header("To", name, address)


def _address_header(name: str, display_name: str, address: str) -> bytes:
    from email.headerregistry import Address

    _, stored = _POLICY.header_store_parse(name, Address(display_name=display_name, addr_spec=address))  # type: ignore[arg-type]
    folded: bytes = _POLICY.fold_binary(name, stored)
    return folded


def _simple(name: str, value: str) -> bytes:
    """A header whose ASCII value has no spaces to fold at, if it fits on its line; else as the package."""
    line = f"{name}: {value}\r\n"
    if len(line) - 2 <= _MAX_LINE and value.isascii() and value.isprintable() and " " not in value:
        return line.encode()
    return _POLICY.fold_binary(name, _POLICY.header_store_parse(name, value)[1])


def _date(value: str) -> bytes:
    """`Date: Mon, 30 Nov 2026 17:14:11 +0000`: format_datetime() output, which the package keeps as is."""
    line = f"Date: {value}\r\n"
    if len(line) - 2 <= _MAX_LINE and value.isascii():
        return line.encode()
    return _POLICY.fold_binary("Date", _POLICY.header_store_parse("Date", value)[1])  # pragma: no cover


def message_id(row: dict[str, Any], host: str) -> str:
    # Stable per row (a retry carries the same id, so a receiver can drop a copy), and unguessable.
    digest = hashlib.sha256(row["dedup_key"].encode()).hexdigest()[:16]
    return f"<outbox-{row['id']}.{digest}@{host}>"


@lru_cache(maxsize=8)
def _fixed_headers(mail_from: str, reply_to: str) -> tuple[bytes, bytes]:
    """From, and the headers after Message-ID up to MIME-Version: the same for every message."""
    from email.headerregistry import Address

    sender = header("From", mail_from)
    answer = Address(addr_spec=reply_to) if reply_to else mail_from
    _, stored = _POLICY.header_store_parse("Reply-To", answer)  # type: ignore[arg-type]
    after = (
        header("Auto-Submitted", "auto-generated")
        + _POLICY.fold_binary("Reply-To", stored)
        + b"MIME-Version: 1.0\r\n"
    )
    return sender, after


def _text_body(text: str) -> bytes:
    """A text part's quoted-printable body as contentmanager encodes it and the generator writes it. The
    encoding works line by line, and most lines are the same in every email of a batch: each is encoded
    once."""
    lines = text.encode("utf-8").splitlines() or [b""]
    return "".join([_qp_line(line.decode("latin-1")) for line in lines]).encode("ascii")


@lru_cache(maxsize=4096)
def _qp_line(line: str) -> str:
    return quoprimime.body_encode(line + "\n", _MAX_LINE, "\r\n")


def _base64(data: bytes) -> bytes:
    per_line = _MAX_LINE // 4 * 3
    encoded = b"".join(binascii.b2a_base64(data[i : i + per_line]) for i in range(0, len(data), per_line))
    return encoded.replace(b"\n", b"\r\n")


def message_bytes(row: dict[str, Any], mail_from: str, reply_to: str, host: str) -> bytes:
    """What `compose(row, settings).as_bytes()` gives (with other random boundaries), for an outbox row with
    recipient_name, recipient_email, subject, text_body, html_body, ics, ics_method, language, id and
    dedup_key. `reply_to` is the RSVP address ('' for none)."""
    sender, fixed = _fixed_headers(mail_from, reply_to)
    ics = row["ics"]
    outer = _boundary()
    head = [
        sender,
        to_header(one_line(row["recipient_name"] or ""), row["recipient_email"]),
        header("Subject", one_line(row["subject"] or "")),
        _date(format_datetime(utcnow())),
        _simple("Message-ID", message_id(row, host)),
        fixed,
    ]
    alternative = [
        b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n',
        _text_body(row["text_body"] or ""),
        b"\r\n--",
        b"",  # the boundary of the alternative part, below
        b'\r\nContent-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n'
        b"MIME-Version: 1.0\r\n\r\n",
        _text_body(row["html_body"] or ""),
    ]
    language = header("Content-Language", row["language"])
    if not ics:
        alternative[3] = outer.encode()
        return b"".join(
            [
                *head,
                b'Content-Type: multipart/alternative;\r\n boundary="%s"\r\n' % outer.encode(),
                language,
                b"\r\n--%s\r\n" % outer.encode(),
                *alternative,
                b"\r\n--%s--\r\n" % outer.encode(),
            ]
        )
    inner = _boundary().encode()
    alternative[3] = inner
    calendar = _base64(b"\r\n".join(ics.encode("utf-8").splitlines()) + b"\r\n")
    attachment = _base64(ics.encode("utf-8"))
    return b"".join(
        [
            *head,
            b'Content-Type: multipart/mixed; boundary="%s"\r\n' % outer.encode(),
            language,
            b"\r\n--%s\r\n" % outer.encode(),
            b'Content-Type: multipart/alternative;\r\n boundary="%s"\r\n\r\n--%s\r\n' % (inner, inner),
            *alternative,
            b"\r\n--%s\r\nContent-Transfer-Encoding: base64\r\n" % inner,
            b'Content-Type: text/calendar; charset="utf-8"; method="%s"\r\n' % row["ics_method"].encode(),
            b"MIME-Version: 1.0\r\n\r\n",
            calendar,
            b"\r\n--%s--\r\n" % inner,
            b"\r\n--%s\r\n" % outer.encode(),
            b"Content-Type: application/ics\r\nContent-Transfer-Encoding: base64\r\n"
            b'Content-Disposition: attachment; filename="invite.ics"\r\nMIME-Version: 1.0\r\n\r\n',
            attachment,
            b"\r\n--%s--\r\n" % outer.encode(),
        ]
    )
