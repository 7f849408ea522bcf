"""The event-loop SMTP client against a real server (aiosmtpd): plain, STARTTLS with AUTH, and implicit TLS
(a certificate made for the test and trusted through SSL_CERT_FILE); refusals leave the session usable."""

from __future__ import annotations

import smtplib
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from dtz_events.mail.smtp import SmtpConfig, SmtpRejected, SmtpSession
from tests.support.fixtures import free_port
from tests.support.smtp import SinkHandler

pytestmark = pytest.mark.sqlite

MESSAGE = (
    b"From: a@dutchtechzone.nl\r\nTo: b@partner.example\r\nSubject: Test\r\n\r\n.begint met een punt\r\n"
)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"dtz", b"g3heim:w@chtwoord")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def server(request: pytest.FixtureRequest, certificate: tuple[Path, Path], monkeypatch) -> Iterator[Any]:
    """`request.param`: plain, starttls or ssl. Yields (handler, port)."""
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler, port = SinkHandler(), free_port()
    options: dict[str, Any] = {}
    if request.param == "starttls":
        options = {
            "server_kwargs": {"tls_context": context, "require_starttls": True},
            "authenticator": authenticator,
            "auth_require_tls": True,
        }
    elif request.param == "ssl":
        # aiosmtpd counts only STARTTLS as TLS for AUTH; this whole connection is TLS.
        options = {"ssl_context": context, "authenticator": authenticator, "auth_require_tls": False}
    controller = Controller(handler, hostname="localhost", port=port, **options)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


async def send(session: SmtpSession, recipient: str) -> tuple[int, str]:
    await session.begin("events@dutchtechzone.nl", recipient, MESSAGE)
    session.send_dot()
    assert not session.dot_pending
    return await session.read_reply()


@pytest.mark.parametrize(
    ("server", "url"),
    [
        ("plain", "smtp://localhost:{port}"),
        ("starttls", "smtp+starttls://dtz:g3heim%3Aw%40chtwoord@localhost:{port}"),
        ("ssl", "smtps://dtz:g3heim%3Aw%40chtwoord@localhost:{port}"),
    ],
    indirect=["server"],
)
async def test_each_mode_delivers_and_a_refusal_leaves_the_session_usable(server, url: str) -> None:
    handler, port = server
    handler.refuse["nobody@partner.example"] = "550 5.1.1 No such mailbox"
    session = SmtpSession(SmtpConfig.from_url(url.format(port=port)))
    await session.open()
    try:
        assert await send(session, "b@partner.example") == (250, "Message accepted for delivery")
        with pytest.raises(SmtpRejected) as refused:
            await send(session, "nobody@partner.example")
        assert refused.value.permanent
        assert await send(session, "c@partner.example") == (250, "Message accepted for delivery")
    finally:
        await session.close()
    assert [r.rcpt_tos for r in handler.received] == [["b@partner.example"], ["c@partner.example"]]
    assert handler.received[0].data.endswith(b"\r\n.begint met een punt\r\n")  # the dot unstuffed again


@pytest.mark.parametrize("server", ["starttls"], indirect=True)
async def test_a_wrong_password_is_an_smtp_error(server) -> None:
    _, port = server
    session = SmtpSession(SmtpConfig.from_url(f"smtp+starttls://dtz:fout@localhost:{port}"))
    with pytest.raises(smtplib.SMTPAuthenticationError):
        await session.open()
    session.abort()


async def test_no_server_is_an_os_error() -> None:
    session = SmtpSession(SmtpConfig.from_url(f"smtp://127.0.0.1:{free_port()}?timeout=2"))
    with pytest.raises(ConnectionRefusedError):
        await session.open()
