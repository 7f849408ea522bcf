"""An SMTP session on the event loop that splits DATA so the outbox can record "sent" between the message
and its final dot: a worker killed before the dot leaves an incomplete transaction that the server discards,
so the email is sent again, once; killed after it, the row already says sent."""

from __future__ import annotations

import asyncio
import base64
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
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
_MAX_LINE = 8192


@lru_cache(maxsize=1)
def _local_name() -> str:
    """This host's name for EHLO, as smtplib finds it (once: it may ask the DNS)."""
    return socket.getfqdn() or "localhost"


class SmtpSession:
    """An SMTP client on the event loop (no thread a message), with the DATA split: `begin` sends the message
    without its final dot, `send_dot` hands the dot to the kernel without waiting, `read_reply` reads the
    server's answer. Failures raise OSError (connections, timeouts), smtplib's exceptions (protocol) or
    SmtpRejected (a refusal of the sender, the recipient or DATA)."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.features: dict[str, str] = {}
        self.in_data = False  # a message went out and its reply has not been read

    @property
    def socket(self) -> Any:
        return self.writer.get_extra_info("socket") if self.writer is not None else None

    @property
    def dot_pending(self) -> bool:
        """Part of the final dot never reached the kernel: the server cannot have the message."""
        return self.writer is not None and self.writer.transport.get_write_buffer_size() > 0

    async def open(self) -> None:
        c = self.config
        context = ssl.create_default_context() if c.mode in ("ssl", "starttls") else None
        async with asyncio.timeout(c.timeout):
            self.reader, self.writer = await asyncio.open_connection(
                c.host, c.port, ssl=context if c.mode == "ssl" else None, limit=_MAX_LINE * 2
            )
            _write_through(self.writer)
            code, reply = await self._reply()
            if code != 220:
                raise smtplib.SMTPConnectError(code, reply)
            await self._ehlo()
            if c.mode == "starttls":
                if "starttls" not in self.features:
                    raise smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server.")
                await self._expect(b"STARTTLS", 220)
                assert context is not None
                await self.writer.start_tls(context, server_hostname=c.host)
                _write_through(self.writer)
                await self._ehlo()
            if c.username:
                await self._login(c.username, c.password or "")

    async def begin(self, sender: str, recipient: str, message: bytes) -> None:
        """MAIL, RCPT, DATA and the message, without the final dot."""
        writer = self._writer()
        async with asyncio.timeout(self.config.timeout):
            for command in (b"MAIL FROM:<%s>" % _ascii(sender), b"RCPT TO:<%s>" % _ascii(recipient)):
                code, reply = await self._command(command)
                if code >= 400:
                    await self._reset()
                    raise SmtpRejected(code, reply)
            code, reply = await self._command(b"DATA")
            if code != 354:
                await self._reset()
                raise SmtpRejected(code, reply)
            stuff = message.startswith(b".") or b"\n." in message  # a search in C, not a regex pass
            body = _LEADING_DOT.sub(b"..", message) if stuff else message
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            writer.write(body)
            self.in_data = True
            await writer.drain()

    def send_dot(self) -> None:
        """Hand the final dot to the kernel without waiting for the reply: from then on the server gets the
        message even if this process dies. When the socket's send buffer is full (rare), the rest waits in
        the transport (`dot_pending`) and `read_reply` sends it."""
        writer = self._writer()
        if writer.transport.is_closing():
            raise smtplib.SMTPServerDisconnected("not connected")
        writer.write(b".\r\n")

    async def read_reply(self) -> tuple[int, str]:
        """The server's answer to the message."""
        async with asyncio.timeout(self.config.timeout):
            await self._writer().drain()
            reply = await self._reply()
            self.in_data = False
            return reply

    def abort(self) -> None:
        """Drop the connection mid-DATA: the server discards the unfinished message."""
        if self.writer is not None:
            self.writer.transport.abort()
            self.writer = self.reader = None

    async def close(self) -> None:
        if self.writer is None:
            return
        if self.in_data:  # a QUIT now would be part of the message: drop it, and the server drops it
            self.abort()
            return
        try:
            async with asyncio.timeout(min(self.config.timeout, 5)):
                await self._command(b"QUIT")
        except (OSError, smtplib.SMTPException):
            pass
        self.abort()

    # ------------------------------------------------------------ the protocol

    async def _ehlo(self) -> None:
        code, reply = await self._command(b"EHLO " + _local_name().encode("idna"))
        if code != 250:
            code, reply = await self._command(b"HELO " + _local_name().encode("idna"))
            if code != 250:
                raise smtplib.SMTPHeloError(code, reply.encode())
            self.features = {}
            return
        self.features = {}
        for line in reply.split("\n")[1:]:
            keyword, _, params = line.partition(" ")
            self.features[keyword.lower()] = params.strip()

    async def _login(self, username: str, password: str) -> None:
        methods = self.features.get("auth", "").upper().split()
        if "PLAIN" in methods:
            secret = base64.b64encode(f"\0{username}\0{password}".encode())
            code, reply = await self._command(b"AUTH PLAIN " + secret)
        elif "LOGIN" in methods:
            code, reply = await self._command(b"AUTH LOGIN")
            for value in (username, password):
                if code != 334:
                    break
                code, reply = await self._command(base64.b64encode(value.encode()))
        else:
            raise smtplib.SMTPNotSupportedError("No suitable authentication method found.")
        if code not in (235, 503):
            raise smtplib.SMTPAuthenticationError(code, reply.encode())

    async def _expect(self, command: bytes, wanted: int) -> None:
        code, reply = await self._command(command)
        if code != wanted:
            raise smtplib.SMTPResponseException(code, reply.encode())

    async def _command(self, command: bytes) -> tuple[int, str]:
        writer = self._writer()
        writer.write(command + b"\r\n")
        await writer.drain()
        return await self._reply()

    async def _reply(self) -> tuple[int, str]:
        reader = self.reader
        if reader is None:
            raise smtplib.SMTPServerDisconnected("not connected")
        lines = []
        code = -1
        while True:
            try:
                line = await reader.readline()
            except ValueError:  # longer than the reader's limit
                self.abort()
                raise smtplib.SMTPResponseException(500, b"Line too long.") from None
            if not line.endswith(b"\n"):
                self.abort()
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            if len(line) > _MAX_LINE:
                self.abort()
                raise smtplib.SMTPResponseException(500, b"Line too long.")
            lines.append(line[4:].strip(b" \t\r\n"))
            try:
                code = int(line[:3])
            except ValueError:
                code = -1
                break
            if line[3:4] != b"-":
                break
        return code, b"\n".join(lines).decode(errors="replace")

    async def _reset(self) -> None:
        try:
            await self._command(b"RSET")
        except (smtplib.SMTPException, OSError):
            self.abort()

    def _writer(self) -> asyncio.StreamWriter:
        if self.writer is None:
            raise smtplib.SMTPServerDisconnected("not connected")
        return self.writer


def _write_through(writer: asyncio.StreamWriter) -> None:
    """drain() returns once nothing waits in this process: the message is in the kernel before its row is
    marked, and the dot goes straight after it. (TLS transports pause at the high mark itself, and pass
    what they encrypted on to the socket's transport, which holds bytes only when the kernel's buffer is
    full.)"""
    transport = writer.transport
    tls = transport.get_extra_info("sslcontext") is not None
    transport.set_write_buffer_limits(high=1 if tls else 0, low=0)


def _ascii(address: str) -> bytes:
    try:
        return address.encode("ascii")
    except UnicodeEncodeError:
        raise SmtpRejected(553, f"address not in ASCII: {address!r}") from None
