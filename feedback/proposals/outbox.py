"""The mail outbox worker: sends what the store queued, at most once per row.

The store writes each mail into ``mail_outbox`` in the same transaction as the answer (or the
proposal) it tells about. This worker, one thread started with the server, claims due rows,
sends them with :class:`feedback.mail.Mailer`, and settles them:

* accepted (250 after DATA) → ``sent``;
* not delivered and worth another try (server down, 4xx, TLS or login trouble) → ``pending`` again
  after a back-off (1, 2, 4 … minutes, at most an hour), until the last try → ``failed``;
* refused for good (5xx, e.g. an unknown recipient) → ``failed`` at once;
* handed over but the server's answer lost, or the process died after the hand-over → ``failed``,
  **not** sent again.

That last rule is the choice the issue asks for ("never twice"): **at most once**. SMTP cannot
make a delivery and our record of it one step, so one of them can always be lost; we would rather a
citizen miss a mail (staff are told in Slack and in ``reformbot proposals show``, with the
Message-ID to look up in the mail server's log) than get the same answer twice. The window is
small: ``sent_at`` is written just before DATA, so a crash any earlier (connecting, TLS, login,
MAIL/RCPT) is known to have sent nothing and the row is simply tried again.

Failures are reported in Slack through the notifier (``mail_failed``) once, when the row fails.
Addresses never appear in logs or reports: the outbox id and the 受付番号 do.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from feedback.clock import Clock
from feedback.mail import (HandOverCancelled, Mailer, MailOutcomeUnknown, MailRefused, MailTemporary,
                           build_message, scrub)

from .model import MailRecord, OutboxMail, Proposal
from .store import ProposalStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxPolicy:
    """Retries and leases of the outbox worker.

    With the defaults a mail is tried 10 times over about four and a half hours (1, 2, 4, 8, 16,
    32 minutes, then hourly), long enough to ride out a mail server's restart or a short outage,
    short enough that staff hear of a failure the same day.
    """

    max_attempts: int = 10
    first_delay: float = 60.0     # seconds before the 2nd attempt; doubled each time
    max_delay: float = 3600.0
    lease: float = 300.0          # a claimed row is the worker's for this long (> a slow send: 4 steps × timeout)
    poll: float = 15.0            # look for mail queued by other processes (the CLI) this often
    batch: int = 100              # mails per round, so a backlog cannot starve recovery


def backoff(attempt: int, policy: OutboxPolicy) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    return min(policy.first_delay * 2 ** (attempt - 1), policy.max_delay)


class MailReporter(Protocol):
    """Where failures and deliveries are shown (the Slack notifier)."""

    def mail_failed(self, p: Proposal, record: MailRecord) -> None: ...

    def mail_sent(self, p: Proposal, record: MailRecord) -> None: ...


class OutboxWorker:
    """Sends queued mail in the background.

    Args:
        store: the proposals store (the outbox lives in it).
        mailer: the SMTP sender.
        from_addr: the From header (``REFORMBOT_MAIL_FROM``).
        policy: retries and leases.
        reporter: told of failed and sent mail (None: logs only).
        clock: time for back-off, leases and the Date header (default: the store's).
    """

    def __init__(self, store: ProposalStore, mailer: Mailer, from_addr: str, *,
                 policy: OutboxPolicy = OutboxPolicy(), reporter: MailReporter | None = None,
                 clock: Clock | None = None):
        self.store = store
        self.mailer = mailer
        self.from_addr = from_addr
        self.policy = policy
        self.reporter = reporter
        self.clock = clock or store.clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one round (tests call this directly with a manual clock) ------------------------------

    def send_due(self) -> int:
        """Settle rows abandoned by a dead worker, then send every mail that is due now.

        Returns:
            How many sending attempts were made.
        """
        for mail in self.store.recover_mail(self.clock.now(), self.policy.max_attempts):
            log.error("outbox %d: %s", mail.record.id, mail.record.last_error)
            self._report(mail, failed=True)
        attempts = 0
        while attempts < self.policy.batch:
            mail = self.store.claim_mail(self.clock.now(), self.policy.lease)
            if mail is None:
                break
            self._send(mail)
            attempts += 1
        return attempts

    def _send(self, mail: OutboxMail) -> None:
        rec = mail.record
        try:
            msg = build_message(from_addr=self.from_addr, to_addr=mail.to_addr, subject=mail.subject, body=mail.body,
                                message_id=rec.message_id, date=self.clock.now())
            self.mailer.send(msg, before_data=lambda: self.store.hand_over_mail(rec.id, rec.attempts, self.clock.now()))
        except HandOverCancelled:
            log.warning("outbox %d: another worker took this mail over; not sent by this one", rec.id)
        except MailRefused as exc:
            self._give_up(mail, str(exc))
        except MailOutcomeUnknown as exc:
            self._give_up(mail, f"{exc}: it may have been delivered, so it is not sent again")
        except MailTemporary as exc:
            self._later(mail, str(exc))
        except Exception as exc:        # a bug or an unusable From: kept, retried, then reported
            log.exception("outbox %d: sending failed unexpectedly", rec.id)
            self._later(mail, scrub(f"{type(exc).__name__}: {exc}", mail.to_addr))
        else:
            if self.store.mark_mail_sent(rec.id, rec.attempts, self.clock.now()):
                log.info("outbox %d: %s mail for proposal %d sent, attempt %d, %s",
                         rec.id, rec.kind, mail.proposal_id, rec.attempts, rec.message_id)
                self._report(mail, failed=False)

    def _later(self, mail: OutboxMail, error: str) -> None:
        rec = mail.record
        if rec.attempts >= self.policy.max_attempts:
            self._give_up(mail, f"{error} (gave up after {rec.attempts} attempts)")
            return
        delay = backoff(rec.attempts, self.policy)
        if self.store.retry_mail(rec.id, rec.attempts, self.clock.now() + timedelta(seconds=delay), error):
            log.warning("outbox %d: attempt %d of %d failed: %s; next try in %d s",
                        rec.id, rec.attempts, self.policy.max_attempts, error, delay)

    def _give_up(self, mail: OutboxMail, error: str) -> None:
        if self.store.fail_mail(mail.record.id, mail.record.attempts, error):
            log.error("outbox %d: %s mail for proposal %d not sent: %s", mail.record.id, mail.record.kind,
                      mail.proposal_id, error)
            self._report(mail, failed=True)

    def _report(self, mail: OutboxMail, *, failed: bool) -> None:
        if self.reporter is None:
            return
        try:
            p = self.store.get(mail.proposal_id)
            [record] = [r for r in p.mails if r.id == mail.record.id]
            (self.reporter.mail_failed if failed else self.reporter.mail_sent)(p, record)
        except Exception:
            log.exception("outbox %d: reporting to Slack failed", mail.record.id)

    # --- the thread ---------------------------------------------------------------------------

    def wake(self, _outbox_id: int | None = None) -> None:
        """Look at the outbox now (the store calls this when it queues a mail)."""
        self._wake.set()

    def start(self) -> None:
        """Start the background thread (idempotent); it sends what is due, including leftovers."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="mail-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current mail (a send in progress is finished and settled)."""
        if self._thread is None:
            return
        self._stop.set()
        self._wake.set()
        self._thread.join()
        self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.send_due()
            except Exception:
                log.exception("mail outbox round failed; trying again in %d s", self.policy.poll)
            self._wake.wait(self._until_next())
            self._wake.clear()

    def _until_next(self) -> float:
        """Seconds until the next due mail or lease end, at most ``poll`` (mail from other processes)."""
        try:
            due = self.store.next_mail_due()
        except Exception:
            return self.policy.poll
        if due is None:
            return self.policy.poll
        return min(max((due - self.clock.now()).total_seconds(), 0.05), self.policy.poll)
