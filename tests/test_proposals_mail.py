"""Mail to citizens over real SMTP (aiosmtpd in-process): the outbox worker delivers an answer once,
retries with back-off while the server is down, gives up and reports after the last try, refuses to
resend after a crash between the hand-over and the record, and never shows the address or the
password. Time moves by a manual clock; nothing sleeps."""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from clock_support import ManualClock, jst
from feedback.mail import (BadSmtpUrl, Mailer, MailOutcomeUnknown, MailRefused, MailTemporary, build_message,
                           parse_smtp_url)
from feedback.proposals.mailtext import MailOptions
from feedback.proposals.model import ProposalInput
from feedback.proposals.outbox import OutboxPolicy, OutboxWorker, backoff
from feedback.proposals.store import ProposalStore
from smtp_support import SmtpServer, have_openssl, make_certificate

ROOT = Path(__file__).resolve().parent.parent
FROM = "厚木市 行政経営課 <gyokaku@example.jp>"
CITIZEN = "hanako@example.jp"
ANSWER = "ご提案ありがとうございます。\n令和９年度から公民館の予約をオンラインで受け付けます。"


@pytest.fixture
def clock():
    return ManualClock(jst(2026, 11, 30, 10, 0, 0))


@pytest.fixture
def store(tmp_path, clock):
    s = ProposalStore(tmp_path / "data" / "reformbot.db", clock=clock,
                      mail=MailOptions(public_url="https://teian.example.jp/"))
    yield s
    s.close()


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def proposal(store, email=CITIZEN, lang="ja", title="公民館の予約をオンラインで"):
    p, _ = store.add(ProposalInput(title=title, body="窓口に行かずに予約したい。", goal="3", residency="resident",
                                   name="厚木花子", email=email, lang=lang))
    return p


def worker(store, url, clock, reporter=None, **kwargs):
    return OutboxWorker(store, Mailer(parse_smtp_url(url), timeout=5, **kwargs), FROM, reporter=reporter, clock=clock)


class Reports:
    """Collects what the worker reports (the Slack notifier's two methods)."""

    def __init__(self):
        self.failed, self.sent = [], []

    def mail_failed(self, p, record):
        self.failed.append((p.receipt_no, record))

    def mail_sent(self, p, record):
        self.sent.append((p.receipt_no, record))


# --- the SMTP URL, settings and the message ---------------------------------------------------

@pytest.mark.parametrize("url, expect", [
    ("smtp://user:pass@mail.example.jp:587", ("mail.example.jp", 587, "starttls", "user", "pass")),
    ("smtp://user:pass@mail.example.jp", ("mail.example.jp", 587, "starttls", "user", "pass")),
    ("smtps://user:pass@mail.example.jp", ("mail.example.jp", 465, "smtps", "user", "pass")),
    ("smtp://relay.city.local:25", ("relay.city.local", 25, "opportunistic", "", "")),
    ("smtp://relay.city.local", ("relay.city.local", 25, "opportunistic", "", "")),
    ("smtp://reformbot%40city.jp:p%40ss%3Aw0rd@mail.example.jp:2525",
     ("mail.example.jp", 2525, "starttls", "reformbot@city.jp", "p@ss:w0rd")),
])
def test_smtp_urls(url, expect):
    c = parse_smtp_url(url)
    assert (c.host, c.port, c.security, c.username, c.password) == expect
    assert "pass" not in repr(c).replace("password", "") and "w0rd" not in repr(c)
    assert c.redacted().startswith(url.split(":")[0]) and "w0rd" not in c.redacted()


@pytest.mark.parametrize("url, says", [
    ("http://user:s3cret@mail.example.jp", "must start with smtp:// or smtps://"),
    ("smtp://user:s3cret@", "names no host"),
    ("smtp://user@mail.example.jp", "give both or neither"),
    ("smtp://user:s3cret@mail.example.jp:port", "a port must be a number"),
    ("smtp://user:s3cret@mail.example.jp/x?tls=off", "no path or ?parameters"),
])
def test_bad_smtp_urls_say_why_without_the_password(url, says):
    with pytest.raises(BadSmtpUrl) as err:
        parse_smtp_url(url)
    assert says in str(err.value) and "s3cret" not in str(err.value)


def test_settings_check_mail_and_config_masks_the_password(monkeypatch):
    from typer.testing import CliRunner

    from bot import cli
    from bot.settings import Settings, SettingsError

    env = {"REFORMBOT_SMTP_URL": "smtp://reformbot:s3cret-pw@mail.example.jp:587"}
    with pytest.raises(SettingsError, match="REFORMBOT_MAIL_FROM is not"):
        Settings.from_env(env)
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"REFORMBOT_SMTP_URL": "imap://reformbot:s3cret-pw@mail.example.jp"})
    assert "s3cret-pw" not in str(err.value)
    with pytest.raises(SettingsError, match="REFORMBOT_PUBLIC_URL"):
        Settings.from_env({"REFORMBOT_PUBLIC_URL": "teian.example.jp"})
    with pytest.raises(SettingsError, match="REFORMBOT_MAIL_RECEIPTS must be 1"):
        Settings.from_env({"REFORMBOT_MAIL_RECEIPTS": "2"})
    settings = Settings.from_env({**env, "REFORMBOT_MAIL_FROM": FROM})
    assert "s3cret-pw" not in repr(settings)
    for k, v in {**env, "REFORMBOT_MAIL_FROM": FROM}.items():
        monkeypatch.setenv(k, v)
    out = CliRunner().invoke(cli.app, ["config"]).output
    assert "REFORMBOT_SMTP_URL=smtp://reformbot:***@mail.example.jp:587" in out and "s3cret-pw" not in out
    assert "REFORMBOT_PUBLIC_URL=http://127.0.0.1:8000" in out


def test_the_message_is_utf8_japanese_with_encoded_headers():
    msg = build_message(from_addr=FROM, to_addr=CITIZEN, subject="【厚木市】ご提案への回答（受付番号 20261130-12345）",
                        body=ANSWER, message_id="<abc.reformbot@teian.example.jp>", date=jst(2026, 11, 30, 10, 0, 0))
    raw = msg.as_bytes()
    assert raw.isascii() and b"\r\n" in raw                          # 7-bit, CRLF: any server takes it
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert "Subject: =?utf-8?" in head and "From: =?utf-8?" in head and "<gyokaku@example.jp>" in head
    assert f"To: {CITIZEN}" in head and "Date: Mon, 30 Nov 2026 10:00:00 +0900" in head
    assert "Message-ID: <abc.reformbot@teian.example.jp>" in head and "Auto-Submitted: auto-generated" in head
    assert "Content-Type: text/plain; charset=\"utf-8\"" in head and "Content-Transfer-Encoding: base64" in head
    back = BytesParser(policy=policy.default).parsebytes(raw)
    assert back["Subject"] == "【厚木市】ご提案への回答（受付番号 20261130-12345）"
    assert back["From"].addresses[0].display_name == "厚木市 行政経営課"
    assert back.get_content() == ANSWER.replace("\n", "\r\n") + "\r\n"      # MIME's canonical line ends


def test_backoff_doubles_from_a_minute_to_an_hour():
    assert [backoff(n, OutboxPolicy()) for n in range(1, 10)] == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


# --- delivery ---------------------------------------------------------------------------------

def test_an_answer_is_mailed_once_with_the_link_to_the_status_page(store, smtp, clock):
    p = proposal(store)
    store.answer(p.receipt_no, ANSWER, "done", published=False, author="cli:suzuki")
    reports = Reports()
    w = worker(store, smtp.url, clock, reports)
    assert w.send_due() == 1
    [got] = smtp.wait_for(1)
    assert got.rcpt_tos == [CITIZEN] and got.mail_from == "gyokaku@example.jp"
    msg = got.message
    [record] = store.get(p.id).mails
    assert msg["Message-ID"] == record.message_id and record.message_id.endswith("@teian.example.jp>")
    assert msg["Subject"] == f"【厚木市 行政改革への市民提案】ご提案への回答（受付番号 {p.receipt_no}）"
    assert msg["Date"].datetime.utcoffset().total_seconds() == 9 * 3600
    body = msg.get_content()
    body = body.replace("\r\n", "\n")
    assert ANSWER in body and "対応状況: 対応済" in body and p.title in body
    assert f"https://teian.example.jp/proposals/status?receipt={p.receipt_no}" in body
    assert "厚木花子" not in body                                 # the name is not needed to answer
    assert record.state == "sent" and record.attempts == 1 and record.sent_at == "2026-11-30T01:00:00Z"
    assert [r for r, _ in reports.sent] == [p.receipt_no] and not reports.failed
    assert w.send_due() == 0 and len(smtp.messages) == 1        # nothing left: never twice


def test_an_english_proposal_gets_an_english_mail_and_an_edit_a_second_mail(store, smtp, clock):
    p = proposal(store, lang="en", title="Online booking")
    store.answer(p.id, "Thank you. We will start online booking next year.", "reviewing", published=True,
                 author="cli:suzuki")
    store.answer(p.id, "Online booking starts in April.", "done", published=True, author="cli:suzuki")
    assert worker(store, smtp.url, clock).send_due() == 2
    first, second = [m.message for m in smtp.wait_for(2)]
    assert first["Subject"] == f"[Atsugi City: citizen proposals for administrative reform] Our answer to your proposal ({p.receipt_no})"
    assert "Outcome: Under review" in first.get_content()
    assert second["Subject"].startswith("[Atsugi City") and "We updated our answer" in second["Subject"]
    assert "this is the current one" in second.get_content() and "Outcome: Done" in second.get_content()
    assert first["Message-ID"] != second["Message-ID"]


def test_no_address_no_mail_and_receipts_only_when_asked(tmp_path, clock, smtp):
    store = ProposalStore(tmp_path / "r.db", clock=clock, mail=MailOptions(receipts=True))
    silent = proposal(store, email=None)
    store.answer(silent.id, ANSWER, "done", published=False, author="cli:suzuki")
    assert store.get(silent.id).mails == ()
    p, created = store.add(ProposalInput(title="図書館", body="夜も開けて", goal="3", email=CITIZEN,
                                         submission_token="form-1"))
    again, created_again = store.add(ProposalInput(title="図書館", body="夜も開けて", goal="3", email=CITIZEN,
                                                   submission_token="form-1"))
    assert created and not created_again and again.id == p.id
    assert [m.kind for m in store.get(p.id).mails] == ["receipt"]           # a double submit: one receipt
    worker(store, smtp.url, clock).send_due()
    [got] = smtp.wait_for(1)
    assert got.message["Subject"].endswith(f"ご提案を受け付けました（受付番号 {p.receipt_no}）")
    body = got.message.get_content()
    assert "受付日時: 2026-11-30 10:00 JST" in body and "http://127.0.0.1:8000/proposals/status?receipt=" in body
    assert p.lookup_key and f"照会キー: {p.lookup_key}" in body          # the key the status page asks for
    off = ProposalStore(tmp_path / "off.db", clock=clock)              # receipts off (the default)
    assert off.get(proposal(off).id).mails == ()


# --- the mail server goes down, and comes back ------------------------------------------------

def test_server_down_then_up_backs_off_and_delivers_once(store, clock, caplog):
    server = SmtpServer()                    # a port nobody listens on yet: connection refused
    p = proposal(store)
    store.answer(p.id, ANSWER, "done", published=False, author="cli:suzuki")
    w = worker(store, server.url, clock)
    caplog.set_level(logging.INFO, logger="feedback")
    assert w.send_due() == 1
    [m] = store.get(p.id).mails
    assert (m.state, m.attempts, m.next_try_at) == ("pending", 1, "2026-11-30T01:01:00Z")
    assert "cannot connect (127.0.0.1:" in m.last_error
    assert w.send_due() == 0                  # not due yet: the clock has not moved
    clock.advance(60)
    assert w.send_due() == 1
    assert store.get(p.id).mails[0].next_try_at == "2026-11-30T01:03:00Z"      # 2 minutes after the 2nd try
    clock.advance(119)
    assert w.send_due() == 0
    with server:                              # the mail server is back
        clock.advance(1)
        assert w.send_due() == 1
        [got] = server.wait_for(1)
    [m] = store.get(p.id).mails
    assert (m.state, m.attempts) == ("sent", 3) and got.message["Message-ID"] == m.message_id
    assert CITIZEN not in caplog.text and "厚木花子" not in caplog.text
    assert f"outbox {m.id}: attempt 1 of 10 failed" in caplog.text


def test_after_the_last_try_the_failure_is_reported_in_slack_and_in_show(tmp_path, clock, monkeypatch):
    from slack_sdk import WebClient
    from typer.testing import CliRunner

    from feedback.proposals.cli import proposals_app
    from feedback.proposals.slack import SlackNotifier
    from slack_emulator import SlackEmulator

    store = ProposalStore(tmp_path / "data" / "reformbot.db", clock=clock)
    p = proposal(store)
    store.set_slack_message(p.id, "C0PROPOSALS", "1700000000.000042")
    store.answer(p.id, ANSWER, "done", published=False, author="slack:U0STAFF2")
    down = SmtpServer()
    with SlackEmulator() as slack:
        notifier = SlackNotifier(WebClient(token="xoxb-test-token", base_url=slack.base_url), "C0PROPOSALS", store)
        w = worker(store, down.url, clock, notifier)
        waits = []
        for _ in range(10):
            assert w.send_due() == 1
            due = store.next_mail_due()
            if due is None:
                break
            waits.append((due - clock.now()).total_seconds())
            clock.advance(waits[-1])
        assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]     # ten tries over ~4.5 hours
        [m] = store.get(p.id).mails
        assert (m.state, m.attempts) == ("failed", 10) and "gave up after 10 attempts" in m.last_error
        [post] = slack.wait_for("chat.postMessage", where=lambda c: c.get("channel") == "C0PROPOSALS")
        assert p.receipt_no in post["text"] and "送れませんでした（10 回試行）" in post["text"]
        assert f"reformbot proposals show {p.receipt_no}" in post["text"]
        [upd] = slack.wait_for("chat.update")
        shown = json.dumps(upd["blocks"], ensure_ascii=False)
        assert "市民へのメール: 回答 送信できませんでした" in shown and ANSWER.splitlines()[0] in shown
        for call in slack.calls:
            assert CITIZEN not in json.dumps(call.body, ensure_ascii=False)
        assert w.send_due() == 0                                      # given up: never tried again
    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(tmp_path / "data"))
    out = CliRunner().invoke(proposals_app, ["show", p.receipt_no]).output
    assert f"outbox {m.id}  回答  送信できませんでした  試行 10" in out and "gave up after 10 attempts" in out
    assert m.message_id in out and CITIZEN not in out


def test_a_refused_recipient_fails_at_once_without_the_address_anywhere(store, smtp, clock, caplog):
    smtp.refused.add("nobody@example.jp")
    p = proposal(store, email="nobody@example.jp")
    store.answer(p.id, ANSWER, "done", published=False, author="cli:suzuki")
    reports = Reports()
    caplog.set_level(logging.INFO, logger="feedback")
    assert worker(store, smtp.url, clock, reports).send_due() == 1
    [m] = store.get(p.id).mails
    assert (m.state, m.attempts) == ("failed", 1)
    assert "recipient refused" in m.last_error and "550 5.1.1" in m.last_error and "User unknown" in m.last_error
    assert "nobody@example.jp" not in m.last_error and "<***>: Recipient address rejected" in m.last_error
    assert [r for r, _ in reports.failed] == [p.receipt_no]
    assert smtp.messages == [] and "nobody@example.jp" not in caplog.text
    clock.advance(86400)
    assert worker(store, smtp.url, clock).send_due() == 0                # refused for good: not retried


def test_a_temporary_refusal_is_retried(store, smtp, clock):
    class Greylist:                                 # 451 the first time, as greylisting relays do
        seen = False

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if not Greylist.seen:
                Greylist.seen = True
                return "451 4.7.1 Greylisted, try again later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    original = smtp._controller.handler.handle_RCPT
    smtp._controller.handler.handle_RCPT = Greylist().handle_RCPT
    p = proposal(store)
    store.answer(p.id, ANSWER, "done", published=False, author="cli:suzuki")
    w = worker(store, smtp.url, clock)
    w.send_due()
    [m] = store.get(p.id).mails
    assert m.state == "pending" and "451 4.7.1" in m.last_error
    smtp._controller.handler.handle_RCPT = original
    clock.advance(60)
    w.send_due()
    assert store.get(p.id).mails[0].state == "sent" and len(smtp.wait_for(1)) == 1


# --- a crash between sending and marking -------------------------------------------------------

CHILD = """
import os, sys
from feedback.mail import Mailer, parse_smtp_url
from feedback.proposals.outbox import OutboxWorker
from feedback.proposals.store import ProposalStore

store = ProposalStore(sys.argv[1])
if sys.argv[3] == "after":     # the server said 250; the process dies before recording it
    ProposalStore.mark_mail_sent = lambda *a, **k: os._exit(9)
else:                          # the process dies after claiming the row, before reaching the server
    ProposalStore.hand_over_mail = lambda *a, **k: os._exit(9)
OutboxWorker(store, Mailer(parse_smtp_url(sys.argv[2]), timeout=5), "gyokaku@example.jp").send_due()
"""


def crash_worker(db: Path, url: str, when: str) -> float:
    """Run a worker in another process that dies as ``when`` says; returns its claim's lease end
    (epoch seconds), read from the row: the child's clock, whatever clock this process runs on."""
    r = subprocess.run([sys.executable, "-c", CHILD, str(db), url, when], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 9, r.stderr
    with sqlite3.connect(db) as con:
        [(state, lease_end)] = con.execute("SELECT state, next_try_at FROM mail_outbox").fetchall()
    assert state == "sending"
    return datetime.strptime(lease_end, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def test_a_crash_after_the_hand_over_is_never_resent(tmp_path, smtp):
    db = tmp_path / "data" / "reformbot.db"
    first = ProposalStore(db, clock=ManualClock(jst(2020, 1, 1)))    # due for the child, whatever its clock
    p = proposal(first)
    first.answer(p.id, ANSWER, "done", published=False, author="cli:suzuki")
    first.close()
    lease_end = crash_worker(db, smtp.url, "after")
    [got] = smtp.wait_for(1)                         # delivered, but nothing recorded that
    later = ManualClock(lease_end + 1)               # restarted after the claim's 5-minute lease
    store = ProposalStore(db, clock=later)
    [m] = store.get(p.id).mails
    assert m.state == "sending" and m.sent_at                        # handed over, outcome unknown
    reports = Reports()
    w = worker(store, smtp.url, later, reports)
    assert w.send_due() == 0
    [m] = store.get(p.id).mails
    assert m.state == "failed" and "may have been delivered, so it is not sent again" in m.last_error
    assert got.message["Message-ID"] == m.message_id                 # what to look for in the server's log
    assert [r for r, _ in reports.failed] == [p.receipt_no]
    later.advance(86400)
    assert w.send_due() == 0 and len(smtp.messages) == 1             # never twice


def test_a_crash_before_the_hand_over_is_sent_once_after_the_restart(tmp_path, smtp):
    db = tmp_path / "data" / "reformbot.db"
    first = ProposalStore(db, clock=ManualClock(jst(2020, 1, 1)))    # due for the child, whatever its clock
    p = proposal(first)
    first.answer(p.id, ANSWER, "done", published=False, author="cli:suzuki")
    first.close()
    lease_end = crash_worker(db, smtp.url, "before")
    assert smtp.messages == []
    clock = ManualClock(lease_end - 290)             # restarted at once: the lease still holds
    store = ProposalStore(db, clock=clock)
    w = worker(store, smtp.url, clock)
    assert w.send_due() == 0                         # still within the lease: another worker may hold it
    clock.advance(300)
    assert w.send_due() == 1
    [m] = store.get(p.id).mails
    assert (m.state, m.attempts) == ("sent", 2) and len(smtp.wait_for(1)) == 1


def test_a_worker_whose_claim_was_taken_over_does_not_send(store, smtp, clock):
    p = proposal(store)
    store.answer(p.id, ANSWER, "done", published=False, author="cli:suzuki")
    slow = store.claim_mail(clock.now(), 300)        # a worker that stalls before DATA
    clock.advance(301)
    assert store.recover_mail(clock.now(), 10) == []  # back to pending: it never reached the server
    fast = store.claim_mail(clock.now(), 300)
    assert (slow.record.attempts, fast.record.attempts) == (1, 2)
    assert not store.hand_over_mail(slow.record.id, slow.record.attempts, clock.now())
    assert not store.mark_mail_sent(slow.record.id, slow.record.attempts, clock.now())
    assert store.hand_over_mail(fast.record.id, fast.record.attempts, clock.now())


# --- TLS and login -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if not have_openssl():
        pytest.skip("openssl is not installed (needed to make a test certificate)")
    return make_certificate(tmp_path_factory.mktemp("tls"))


def test_starttls_with_login_delivers_and_a_wrong_password_is_never_shown(store, clock, certificate, caplog):
    caplog.set_level(logging.DEBUG)
    with SmtpServer(tls="starttls", cert=certificate, users={"reformbot@city.jp": "p@ss w0rd!"}) as server:
        p = proposal(store)
        store.answer(p.id, ANSWER, "done", published=False, author="cli:suzuki")
        wrong = worker(store, server.url_with("reformbot@city.jp", "not-the-pw"), clock,
                       ssl_context=server.client_context())
        wrong.send_due()
        [m] = store.get(p.id).mails
        assert m.state == "pending" and "login" in m.last_error and "535" in m.last_error
        assert "not-the-pw" not in m.last_error and "not-the-pw" not in caplog.text
        clock.advance(60)
        right = worker(store, server.url_with("reformbot@city.jp", "p@ss w0rd!"), clock,
                       ssl_context=server.client_context())
        right.send_due()
        [got] = server.wait_for(1)
        assert server.logins == ["reformbot@city.jp"] and store.get(p.id).mails[0].state == "sent"
        assert "p@ss w0rd!" not in caplog.text and "w0rd" not in repr(right.mailer)


def test_the_password_is_not_sent_without_starttls(store, smtp, clock):
    p = proposal(store)
    store.answer(p.id, ANSWER, "done", published=False, author="cli:suzuki")
    worker(store, smtp.url_with("reformbot", "s3cret"), clock).send_due()      # a server without STARTTLS
    [m] = store.get(p.id).mails
    assert m.state == "pending" and "offers no STARTTLS" in m.last_error and "s3cret" not in m.last_error


def test_smtps_delivers_and_an_untrusted_certificate_is_refused(store, clock, certificate):
    with SmtpServer(tls="smtps", cert=certificate) as server:
        p = proposal(store)
        store.answer(p.id, ANSWER, "done", published=False, author="cli:suzuki")
        worker(store, server.url, clock).send_due()             # the system's trust store: self-signed refused
        [m] = store.get(p.id).mails
        assert m.state == "pending" and "TLS" in m.last_error and "CERTIFICATE_VERIFY_FAILED" in m.last_error
        clock.advance(60)
        worker(store, server.url, clock, ssl_context=server.client_context()).send_due()
        assert store.get(p.id).mails[0].state == "sent" and len(server.wait_for(1)) == 1


def test_mailer_errors_are_classified(smtp):
    msg = build_message(from_addr=FROM, to_addr="nobody@example.jp", subject="件名", body="本文",
                        message_id="<x@example.jp>", date=jst(2026, 11, 30, 10, 0, 0))
    smtp.refused.add("nobody@example.jp")
    with pytest.raises(MailRefused):
        Mailer(parse_smtp_url(smtp.url), timeout=5).send(msg)
    with pytest.raises(MailTemporary):
        Mailer(parse_smtp_url(SmtpServer().url), timeout=5).send(msg)


def test_a_reply_lost_after_the_message_is_outcome_unknown_and_not_resent(store, smtp, clock):
    """The server takes the whole message and the connection drops before its 250: it may have
    delivered it (here it did), so the mail is failed and reported, never sent again."""
    keep = smtp._controller.handler.handle_DATA

    async def take_and_hang_up(server, session, envelope):
        await keep(server, session, envelope)
        server.transport.close()
        return "250 never heard"

    smtp._controller.handler.handle_DATA = take_and_hang_up
    p = proposal(store)
    store.answer(p.id, ANSWER, "done", published=False, author="cli:suzuki")
    reports = Reports()
    w = worker(store, smtp.url, clock, reports)
    w.send_due()
    [m] = store.get(p.id).mails
    assert m.state == "failed" and m.attempts == 1 and m.sent_at
    assert "no answer after the message was sent" in m.last_error and "not sent again" in m.last_error
    assert len(smtp.wait_for(1)) == 1 and [r for r, _ in reports.failed] == [p.receipt_no]
    smtp._controller.handler.handle_DATA = keep
    clock.advance(86400)
    assert w.send_due() == 0 and len(smtp.messages) == 1
    with pytest.raises(MailOutcomeUnknown):
        smtp._controller.handler.handle_DATA = take_and_hang_up
        Mailer(parse_smtp_url(smtp.url), timeout=5).send(build_message(
            from_addr=FROM, to_addr=CITIZEN, subject="件名", body="本文", message_id="<y@example.jp>",
            date=jst(2026, 11, 30, 10, 0, 0)))


# --- with the server -------------------------------------------------------------------------

def test_the_server_starts_the_worker_and_a_slack_answer_reaches_the_citizen(tmp_path, smtp):
    """mount_proposals with REFORMBOT_SMTP_URL: the worker starts with the server, a saved answer
    wakes it, the mail arrives, and shutdown stops it before the store closes."""
    from bot.settings import Settings
    from feedback.proposals.web import mount_proposals

    settings = Settings(data_dir=tmp_path / "data", smtp_url=smtp.url, mail_from=FROM,
                        public_url="https://teian.example.jp")
    mount = mount_proposals(settings)
    assert mount.outbox is not None
    for start in mount.startup:
        start()
    try:
        p = proposal(mount.store)
        mount.store.answer(p.id, ANSWER, "done", published=False, author="slack:U0STAFF2")
        [got] = smtp.wait_for(1)
        assert f"https://teian.example.jp/proposals/status?receipt={p.receipt_no}" in got.message.get_content()
    finally:
        for stop in mount.shutdown:
            stop()
    assert mount.outbox._thread is None
