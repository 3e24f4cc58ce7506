"""Sending mail over real SMTP: the server URL, the message, and a sender that says what happened.

``REFORMBOT_SMTP_URL`` takes three forms:

* ``smtps://[user:password@]host[:465]`` — TLS from the first byte;
* ``smtp://user:password@host[:587]`` — STARTTLS, required: the password never goes out in clear;
* ``smtp://host[:25]`` — no login; STARTTLS when the server offers it (a relay on the city network).

User and password are percent-encoded in the URL (``@`` → ``%40``). Certificates are verified
against the system's trust store. The password is kept out of ``repr``, logs and every error here.

:meth:`Mailer.send` tells failures apart by whether the server may have the message: before the
hand-over (connection, TLS, login, MAIL/RCPT, a refused DATA) nothing was delivered, and
:class:`MailTemporary` may be retried while :class:`MailRefused` may not; once the message went out,
a lost reply is :class:`MailOutcomeUnknown` — it may have been delivered. ``before_data`` runs right
before the message is handed over, so a caller can record that moment (or cancel).
"""
from __future__ import annotations

import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Callable
from urllib.parse import unquote, urlsplit

from feedback.clock import JST

DEFAULT_PORTS = {"smtps": 465, "starttls": 587, "opportunistic": 25}
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


class BadSmtpUrl(ValueError):
    "REFORMBOT_SMTP_URL is not an smtp:// or smtps:// URL this sender understands."


class MailError(Exception):
    "Sending a mail failed (the text never holds the password or an address)."


class MailTemporary(MailError):
    "The message was not delivered and may be tried again (server down, 4xx, TLS or login trouble)."


class MailRefused(MailError):
    "The mail server refused the message for good (5xx: unknown recipient, rejected sender)."


class MailOutcomeUnknown(MailError):
    "The connection broke after the message was handed over: it may have been delivered."


class HandOverCancelled(MailError):
    "``before_data`` said no: the message was not handed over."


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send: parsed from ``REFORMBOT_SMTP_URL`` by :func:`parse_smtp_url`."""

    host: str
    port: int
    security: str                 # "smtps" | "starttls" | "opportunistic"
    username: str = ""
    password: str = field(default="", repr=False)

    def redacted(self) -> str:
        """The URL to show in logs and ``reformbot config``: the password as ``***``."""
        scheme = "smtps" if self.security == "smtps" else "smtp"
        user = f"{self.username}:***@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpConfig:
    """Parse ``REFORMBOT_SMTP_URL`` (see the module docstring).

    Raises:
        BadSmtpUrl: with a message that names what is wrong and never repeats the password.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise BadSmtpUrl("REFORMBOT_SMTP_URL is not a URL like smtp://user:password@host:587 "
                         "(a port must be a number; write @ or : in the user or password as %40 or %3A)") from None
    if parts.scheme not in ("smtp", "smtps"):
        raise BadSmtpUrl(f"REFORMBOT_SMTP_URL must start with smtp:// or smtps://, not {parts.scheme or '(nothing)'}://")
    if not parts.hostname:
        raise BadSmtpUrl("REFORMBOT_SMTP_URL names no host: write smtp://host:25 or smtp://user:password@host:587")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise BadSmtpUrl("REFORMBOT_SMTP_URL takes no path or ?parameters: smtp://[user:password@]host[:port]")
    username, password = unquote(parts.username or ""), unquote(parts.password or "")
    if bool(username) != bool(password):
        raise BadSmtpUrl("REFORMBOT_SMTP_URL has a user without a password (or the reverse): give both or neither")
    security = "smtps" if parts.scheme == "smtps" else "starttls" if username else "opportunistic"
    return SmtpConfig(parts.hostname, port or DEFAULT_PORTS[security], security, username, password)


def build_message(*, from_addr: str, to_addr: str, subject: str, body: str, message_id: str,
                  date: datetime) -> EmailMessage:
    """A UTF-8 plain-text mail with the headers a mail server and a reader expect.

    Subject, From (a Japanese display name too) and To are encoded by the ``SMTP`` policy (RFC
    2047 where needed, CRLF line ends); the body is UTF-8 in base64, so it passes any server.

    Args:
        from_addr: ``REFORMBOT_MAIL_FROM``, e.g. ``厚木市 行政経営課 <gyokaku@example.jp>``.
        to_addr: the recipient.
        subject: the subject.
        body: the text.
        message_id: the Message-ID, ``<…@host>`` (the same on every attempt to send one mail).
        date: the Date header (written in Japan time).
    """
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = from_addr
    msg["To"] = to_addr
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date.astimezone(JST))
    msg["Message-ID"] = message_id
    # RFC 3834: no vacation or out-of-office replies to a machine-sent mail.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body, charset="utf-8", cte="base64")
    return msg


def scrub(text: str, *secrets: str) -> str:
    """``text`` without email addresses or any of ``secrets`` (for errors, logs and Slack)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _EMAIL.sub("<address>", text)


def _quote_data(data: bytes) -> bytes:
    """The DATA payload: CRLF line ends, leading dots doubled, ended by ``CRLF.CRLF`` (RFC 5321)."""
    data = re.sub(rb"(?:\r\n|\n|\r(?!\n))", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class Mailer:
    """Sends one message per connection to the server in an :class:`SmtpConfig`.

    Args:
        config: the server.
        ssl_context: for TLS (default: the system's trust store, certificates verified).
        timeout: seconds for connecting and for each reply.
        local_hostname: the name given in EHLO (default: this machine's host name).
    """

    def __init__(self, config: SmtpConfig, *, ssl_context: ssl.SSLContext | None = None, timeout: float = 30.0,
                 local_hostname: str | None = None):
        self.config = config
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.timeout = timeout
        self.local_hostname = local_hostname or socket.gethostname() or "localhost"

    def __repr__(self) -> str:
        return f"Mailer({self.config.redacted()})"

    def _fail(self, exc: BaseException, kind: type[MailError], step: str, *addresses: str) -> MailError:
        if isinstance(exc, smtplib.SMTPResponseException):
            detail = f"{exc.smtp_code} {exc.smtp_error.decode('utf-8', 'replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
        elif isinstance(exc, ssl.SSLError):
            detail = f"TLS: {exc.reason or exc}"
        elif isinstance(exc, OSError) and exc.strerror:
            detail = exc.strerror
        else:
            detail = str(exc) or type(exc).__name__
        where = f"{self.config.host}:{self.config.port}"
        return kind(scrub(f"{step} ({where}): {detail}", self.config.password, *addresses))

    def _reply(self, code: int, reply: bytes, step: str, *addresses: str) -> MailError:
        text = f"{code} {reply.decode('utf-8', 'replace')}"
        kind = MailTemporary if 400 <= code < 500 else MailRefused
        return kind(scrub(f"{step} refused ({self.config.host}:{self.config.port}): {text}",
                          self.config.password, *addresses))

    def _open(self) -> smtplib.SMTP:
        c = self.config
        try:
            if c.security == "smtps":
                smtp = smtplib.SMTP_SSL(c.host, c.port, local_hostname=self.local_hostname, timeout=self.timeout,
                                        context=self.ssl_context)
            else:
                smtp = smtplib.SMTP(c.host, c.port, local_hostname=self.local_hostname, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise self._fail(exc, MailTemporary, "cannot connect") from None
        try:
            smtp.ehlo_or_helo_if_needed()
            if c.security == "starttls" or (c.security == "opportunistic" and smtp.has_extn("starttls")):
                if not smtp.has_extn("starttls"):
                    raise MailTemporary(f"the mail server {c.host}:{c.port} offers no STARTTLS: the password is "
                                        "not sent in clear (use smtps:// or a server with STARTTLS)")
                smtp.starttls(context=self.ssl_context)
                smtp.ehlo()
            if c.username:
                smtp.login(c.username, c.password)
        except MailError:
            smtp.close()
            raise
        except (OSError, smtplib.SMTPException) as exc:
            smtp.close()
            step = "login" if isinstance(exc, smtplib.SMTPAuthenticationError) else "TLS or greeting"
            raise self._fail(exc, MailTemporary, step) from None
        return smtp

    def send(self, msg: EmailMessage, *, before_data: Callable[[], bool] | None = None) -> None:
        """Send ``msg`` to its To address from its From address.

        Args:
            msg: from :func:`build_message`.
            before_data: called after the server accepted sender and recipient, right before the
                message is handed over; returning False cancels (nothing is sent).

        Raises:
            MailTemporary: not delivered; may be tried again.
            MailRefused: not delivered; the server refused it for good.
            MailOutcomeUnknown: handed over, but the server's answer was lost.
            HandOverCancelled: ``before_data`` returned False.
        """
        sender, rcpt = parseaddr(str(msg["From"]))[1], parseaddr(str(msg["To"]))[1]
        utf8 = not (sender + rcpt).isascii()
        smtp = self._open()
        try:
            if utf8 and not smtp.has_extn("smtputf8"):
                raise MailRefused("the address is not ASCII and the mail server does not accept SMTPUTF8")
            try:
                code, reply = smtp.mail(sender, ["SMTPUTF8", "BODY=8BITMIME"] if utf8 else [])
                if code != 250:
                    raise self._reply(code, reply, "sender", sender, rcpt)
                code, reply = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    raise self._reply(code, reply, "recipient", sender, rcpt)
            except (OSError, smtplib.SMTPException) as exc:
                raise self._fail(exc, MailTemporary, "before the message", sender, rcpt) from None
            if before_data is not None and not before_data():
                raise HandOverCancelled("not handed over: the claim on this mail was lost")
            payload = _quote_data(msg.as_bytes(policy=policy.SMTPUTF8 if utf8 else policy.SMTP))
            try:
                smtp.putcmd("data")
                code, reply = smtp.getreply()
                if code != 354:
                    raise self._reply(code, reply, "DATA", sender, rcpt)
                smtp.send(payload)      # until the final CRLF.CRLF is out, the server cannot deliver
            except (OSError, smtplib.SMTPException) as exc:
                raise self._fail(exc, MailTemporary, "while sending the message", sender, rcpt) from None
            try:
                code, reply = smtp.getreply()
            except (OSError, smtplib.SMTPException) as exc:
                raise self._fail(exc, MailOutcomeUnknown, "no answer after the message was sent",
                                 sender, rcpt) from None
            if code != 250:
                raise self._reply(code, reply, "message", sender, rcpt)
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
