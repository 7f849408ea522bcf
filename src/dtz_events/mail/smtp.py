"""A blocking SMTP session (run in a thread) that splits DATA so the outbox can record "sent" between the
message and its final dot: a worker killed before the dot leaves an incomplete transaction that the server
discards, so the email is sent again, once; killed after it, the row already says sent."""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit


class SmtpRejected(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message

    @property
    def permanent(self) -> bool:
        return self.code >= 500


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    mode: str  # plain, starttls or ssl
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """smtp://host:25, smtp+starttls://user:pass@host:587, smtps://user:pass@host:465 (?timeout=30)."""
        parts = urlsplit(url)
        modes = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("ssl", 465)}
        if parts.scheme not in modes:
            raise ValueError(
                f"DTZ_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, not {url!r}"
            )
        mode, default_port = modes[parts.scheme]
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or default_port,
            mode=mode,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            timeout=float(query.get("timeout", ["30"])[0]),
        )


_LEADING_DOT = re.compile(rb"(?m)^\.")


class SmtpSession:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.conn: smtplib.SMTP | None = None
        self._unsent = b""  # what send_dot() could not hand over yet

    @property
    def socket(self) -> socket.socket | None:
        return self.conn.sock if self.conn is not None else None

    @property
    def dot_pending(self) -> bool:
        """Part of the final dot never reached the kernel: the server cannot have the message."""
        return bool(self._unsent)

    def open(self) -> None:
        c = self.config
        if c.mode == "ssl":
            self.conn = smtplib.SMTP_SSL(
                c.host, c.port, timeout=c.timeout, context=ssl.create_default_context()
            )
        else:
            self.conn = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        # The message and its final dot are separate writes before a read: with Nagle's algorithm the dot
        # waits for the server's delayed ACK of the message (40 ms a message on Linux).
        if self.conn.sock is not None:
            self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn.ehlo()
        if c.mode == "starttls":
            self.conn.starttls(context=ssl.create_default_context())
            self.conn.ehlo()
        if c.username:
            self.conn.login(c.username, c.password or "")

    def begin(self, sender: str, recipient: str, message: bytes) -> None:
        """MAIL, RCPT, DATA and the message, without the final dot."""
        conn = self._conn()
        for code, reply in (conn.mail(sender), conn.rcpt(recipient)):
            if code >= 400:
                self._reset()
                raise SmtpRejected(code, reply.decode(errors="replace"))
        code, reply = conn.docmd("DATA")
        if code != 354:
            self._reset()
            raise SmtpRejected(code, reply.decode(errors="replace"))
        body = _LEADING_DOT.sub(b"..", message)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        conn.send(body)
        self._unsent = b".\r\n"

    def finish(self) -> tuple[int, str]:
        self.send_dot()
        return self.read_reply()

    def send_dot(self) -> None:
        """Hand the final dot to the kernel without blocking and without waiting for the reply: from then
        on the server gets the message even if this process dies. Cheap enough to call from the event loop;
        when the socket's send buffer is full (rare), `read_reply` sends the rest of it."""
        sock = self._conn().sock
        if sock is None:
            raise smtplib.SMTPServerDisconnected("not connected")
        timeout = sock.gettimeout()
        sock.settimeout(0.0)
        try:
            sent = sock.send(self._unsent)
        except (BlockingIOError, ssl.SSLWantWriteError):
            sent = 0
        finally:
            sock.settimeout(timeout)
        self._unsent = self._unsent[sent:]

    def read_reply(self) -> tuple[int, str]:
        """The server's answer to the message (after sending what `send_dot` could not)."""
        conn = self._conn()
        if self._unsent:
            conn.send(self._unsent)
            self._unsent = b""
        code, reply = conn.getreply()
        return code, reply.decode(errors="replace")

    def abort(self) -> None:
        """Drop the connection mid-DATA: the server discards the unfinished message."""
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                self.conn.close()
            self.conn = None

    def _reset(self) -> None:
        try:
            self._conn().rset()
        except (smtplib.SMTPException, OSError):
            self.abort()

    def _conn(self) -> smtplib.SMTP:
        if self.conn is None:
            raise smtplib.SMTPServerDisconnected("not connected")
        return self.conn
