"""A real SMTP server in-process for the mail tests and the outbox benchmark (aiosmtpd).

:class:`SmtpServer` listens on a loopback port (plain, STARTTLS or implicit TLS, optionally with
AUTH), keeps every message it accepted, can refuse chosen recipients, and can be stopped and started
again on the same port (a mail server that goes down and comes back). Tests wait for messages with
:meth:`SmtpServer.wait_for`, a bounded wait on a condition (no sleeps).
"""
from __future__ import annotations

import email
import shutil
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=policy.default)


class _Handler:
    def __init__(self, server: "SmtpServer"):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.server.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in local recipient table"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.server.cond:
            self.server.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
                                                 or envelope.content))
            self.server.cond.notify_all()
        return "250 2.0.0 Ok: queued"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (openssl): ``(cert, key)``."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def have_openssl() -> bool:
    return shutil.which("openssl") is not None


class SmtpServer:
    """aiosmtpd on ``127.0.0.1:port``.

    Args:
        tls: None (plain), "starttls" (STARTTLS offered; required when ``users`` is given) or
            "smtps" (TLS from the first byte).
        cert: ``(cert, key)`` for TLS.
        users: accepted logins ``{user: password}`` (AUTH PLAIN/LOGIN, only over TLS).
    """

    def __init__(self, *, tls: str | None = None, cert: tuple[Path, Path] | None = None,
                 users: dict[str, str] | None = None, port: int | None = None):
        self.port = port or free_port()
        self.tls, self.cert, self.users = tls, cert, users
        self.messages: list[Received] = []
        self.refused: set[str] = set()
        self.logins: list[str] = []
        self.cond = threading.Condition()
        self._controller = None

    @property
    def url(self) -> str:
        scheme = "smtps" if self.tls == "smtps" else "smtp"
        return f"{scheme}://127.0.0.1:{self.port}"

    def url_with(self, user: str, password: str) -> str:
        from urllib.parse import quote

        scheme = "smtps" if self.tls == "smtps" else "smtp"
        return f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}"

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (isinstance(auth_data, LoginPassword) and self.users is not None
              and self.users.get(auth_data.login.decode()) == auth_data.password.decode())
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)      # False: the server answers 535 itself

    def start(self) -> "SmtpServer":
        """Start listening (again, on the same port after :meth:`stop`)."""
        from aiosmtpd.controller import Controller

        kwargs: dict = {}
        if self.tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*map(str, self.cert))
            if self.tls == "smtps":
                kwargs["ssl_context"] = context
            else:
                kwargs.update(tls_context=context, require_starttls=bool(self.users))
        if self.users is not None:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=True)
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until :meth:`start`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "SmtpServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """Block until at least ``count`` messages arrived; return them all."""
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.messages) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} message(s) within {timeout}s; got {len(self.messages)}")
            return list(self.messages)

    def client_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this server's certificate."""
        return ssl.create_default_context(cafile=str(self.cert[0]))
