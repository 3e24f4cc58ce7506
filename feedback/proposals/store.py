"""The proposals store: SQLite through sqlite-utils, numbered migrations, WAL.

Personal data (name, email) lives in its own table ``proposal_personal`` so that listings,
exports and Slack never show it unless asked to; :meth:`ProposalStore.redact` reads the name only
to mask it where the submitter repeated it in the text. Reading it needs a
:class:`~.model.PersonalAccess` (who and why), written to ``personal_access_log`` before the data
leaves the store; erasing it (on request, or at the end of the retention period) deletes the row
and compacts the file, so no copy stays in the database or its write-ahead log. What citizens see of a published proposal
is only the title and excerpt a staff member approved (``proposal_public``). Vectors for "similar by meaning" are kept as
float32 blobs in ``proposal_vectors`` (one row per proposal and model).

Staff answers are rows of ``proposal_answers`` (an edit adds a row; the latest is the current
answer). Mail to a citizen who left an address goes into ``mail_outbox`` in the same transaction
as the answer (or the proposal, for a receipt); ``outbox.py`` sends it. The outbox methods here
claim, hand over and settle rows so that no row is ever sent twice (see :meth:`claim_mail`).

One connection per store, shared by threads behind a lock; several processes may open the
same file (WAL + ``BEGIN IMMEDIATE`` + busy timeout serialise the writers).
"""
from __future__ import annotations

import hmac
import json
import logging
import secrets
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from feedback.clock import JST, SYSTEM_CLOCK, Clock
from feedback.sqlite import connect_private, enable_wal, tighten_sidecars

from .lookup_keys import key_hash, new_key, normalise_key
from .mailtext import MailOptions, answer_mail, message_id, receipt_mail
from .masking import excerpt, mask_personal
from .model import (STATUSES, TRANSITIONS, AccessRecord, Erasure, LinkResult, MailRecord, OutboxMail,
                    PersonalAccess, Proposal, ProposalAnswer, ProposalInput, PublicProposal, PublicText,
                    SectionLink, Similar, StatusChange)
from .receipts import candidates, normalise_receipt, receipt_day
from .validation import (PUBLIC_EXCERPT_CHARS, PUBLIC_LIMITS, Validation, validate_answer,
                         validate_public_text)

log = logging.getLogger(__name__)


class ProposalNotFound(LookupError):
    "No proposal has that id or receipt number."


class BadTransition(ValueError):
    "The status cannot change from its current value to the one asked for."


class BadPublicText(ValueError):
    "Publishing needs an approved public title and excerpt free of personal data."


class ReasonRequired(ValueError):
    "Reading or erasing personal data needs who and why (kept in the access log)."


class BadAnswer(ValueError):
    "An answer is blank, too long, holds personal data while public, or sets a status not allowed."

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


migrations = Migrations("reformbot.proposals")


@migrations(name="0001_proposals")
def m0001_proposals(db: Database) -> None:
    db["proposals"].create({
        "id": int, "receipt_no": str, "submission_token": str, "source": str, "staff_user_id": str,
        "title": str, "body": str, "goal": str, "residency": str, "age_group": str, "lang": str,
        "consent_version": str, "created_at": str, "status": str, "status_at": str,
        "published": int, "link_state": str, "linked_goal": str, "goal_scores": str,
        "slack_channel": str, "slack_ts": str,
    }, pk="id", not_null={"receipt_no", "title", "body", "source", "created_at", "status"},
        defaults={"status": "received", "published": 0, "link_state": "pending"})
    db["proposals"].create_index(["receipt_no"], unique=True)
    db["proposals"].create_index(["submission_token"], unique=True)   # NULLs allowed many times
    db["proposals"].create_index(["status", "created_at"])
    db["proposal_personal"].create({"proposal_id": int, "name": str, "email": str},
                                   pk="proposal_id", foreign_keys=[("proposal_id", "proposals", "id")])
    db["proposal_status_history"].create({
        "id": int, "proposal_id": int, "status": str, "actor": str, "note": str, "at": str,
    }, pk="id", foreign_keys=[("proposal_id", "proposals", "id")])
    db["proposal_status_history"].create_index(["proposal_id"])
    db["proposal_sections"].create({
        "proposal_id": int, "rank": int, "chunk_id": str, "section": str, "page": int, "score": float,
    }, pk=("proposal_id", "rank"), foreign_keys=[("proposal_id", "proposals", "id")])
    db["proposal_similar"].create({
        "proposal_id": int, "similar_id": int, "score": float, "duplicate": int,
    }, pk=("proposal_id", "similar_id"))
    db["proposal_vectors"].create({
        "proposal_id": int, "model": str, "dim": int, "content_hash": str, "vector": bytes,
    }, pk=("proposal_id", "model"))
    db["proposal_meta"].create({"key": str, "value": str}, pk="key")
    # Secret for CSRF tokens: generated once per database, never leaves it.
    db["proposal_meta"].insert({"key": "form_secret", "value": secrets.token_hex(32)})


@migrations(name="0002_receipt_secret")
def m0002_receipt_secret(db: Database) -> None:
    # Key that splits receipt numbers into real ones and the honeypot's decoys (receipts.py).
    db["proposal_meta"].insert({"key": "receipt_secret", "value": secrets.token_hex(32)})


@migrations(name="0003_public_text")
def m0003_public_text(db: Database) -> None:
    # What citizens see of a published proposal: the title and excerpt a staff member approved.
    db["proposal_public"].create({
        "proposal_id": int, "title": str, "excerpt": str, "approved_by": str, "approved_at": str,
    }, pk="proposal_id", not_null={"title", "excerpt"}, foreign_keys=[("proposal_id", "proposals", "id")])
    # Proposals published before showed a regex's masking of their text to anyone; none of it was
    # approved. They go back to unpublished (kept in their history) until staff publish them again.
    at = iso(datetime.now(timezone.utc))
    for pid, status in db.execute("SELECT id, status FROM proposals WHERE published = 1").fetchall():
        db.execute("UPDATE proposals SET published = 0 WHERE id = ?", (pid,))
        db.execute("INSERT INTO proposal_status_history (proposal_id, status, actor, note, at) VALUES (?,?,?,?,?)",
                   (pid, status, "system", "unpublished: publish again to approve the text citizens see", at))


@migrations(name="0004_answers")
def m0004_answers(db: Database) -> None:
    # Staff answers: an edit adds a row and points the one it replaces at it (replaced_by), so the
    # current answer is the latest row and every earlier text stays as history.
    db["proposal_answers"].create({
        "id": int, "proposal_id": int, "text": str, "status": str, "published": int, "author": str,
        "created_at": str, "replaced_by": int,
    }, pk="id", not_null={"proposal_id", "text", "status", "published", "author", "created_at"},
        foreign_keys=[("proposal_id", "proposals", "id")])
    db["proposal_answers"].create_index(["proposal_id"])
    # Mail to citizens, written in the same transaction as what it tells (answer or receipt) and
    # sent by outbox.py. message_id is fixed per row: every attempt carries the same Message-ID.
    db["mail_outbox"].create({
        "id": int, "proposal_id": int, "kind": str, "to_addr": str, "subject": str, "body": str,
        "message_id": str, "state": str, "attempts": int, "next_try_at": str, "last_error": str,
        "created_at": str, "sent_at": str,
    }, pk="id", not_null={"proposal_id", "kind", "to_addr", "subject", "body", "message_id", "state",
                          "attempts", "created_at"},
        defaults={"state": "pending", "attempts": 0}, foreign_keys=[("proposal_id", "proposals", "id")])
    db["mail_outbox"].create_index(["message_id"], unique=True)
    db["mail_outbox"].create_index(["state", "next_try_at"])
    db["mail_outbox"].create_index(["proposal_id"])


@migrations(name="0006_personal_access")
def m0006_personal_access(db: Database) -> None:
    # Every read and erasure of names and emails: who, when, what, why (`reformbot proposals access-log`).
    # No foreign key: the log outlives what it names, and never stops a change to a proposal.
    db["personal_access_log"].create({
        "id": int, "at": str, "by": str, "action": str, "proposal_id": int, "subject": str, "reason": str,
    }, pk="id", not_null={"at", "by", "action", "subject", "reason"})
    db["personal_access_log"].create_index(["proposal_id"])


@migrations(name="0005_status_keys")
def m0005_status_keys(db: Database) -> None:
    # 照会キー: only an HMAC of each key under a per-database pepper (lookup_keys.py). Proposals
    # stored before this have no key and cannot be looked up on the status page.
    db.execute("CREATE TABLE proposal_status_keys (proposal_id INTEGER PRIMARY KEY"
               " REFERENCES proposals(id) ON DELETE CASCADE, key_hash TEXT NOT NULL, created_at TEXT NOT NULL)")
    db["proposal_meta"].insert({"key": "status_key_pepper", "value": secrets.token_hex(32)})


@migrations(name="0007_public_list")
def m0007_public_list(db: Database) -> None:
    # The public list's search by meaning embeds the approved public text (never the stored text);
    # vectors go when the approved text does (unpublishing deletes it).
    db.execute("CREATE TABLE proposal_public_vectors (proposal_id INTEGER NOT NULL"
               " REFERENCES proposal_public(proposal_id) ON DELETE CASCADE, model TEXT NOT NULL,"
               " content_hash TEXT NOT NULL, dim INTEGER NOT NULL, vector BLOB NOT NULL,"
               " PRIMARY KEY (proposal_id, model))")
    # The Atom feed's id (urn:uuid:…), the same whatever host name the feed is fetched under.
    db["proposal_meta"].insert({"key": "feed_id", "value": str(uuid.uuid4())})


@migrations(name="0008_goal_text")
def m0008_goal_text(db: Database) -> None:
    # A proposal keeps the goal as the document named it when it was chosen or linked, so it reads
    # the same after the document and its goals change. Rows from before held only a number, of
    # the goals the form offered then (goals_before_0007.json); goal_scores move from numbers to labels.
    for column in ("goal_label", "goal_text", "linked_goal_label", "linked_goal_text"):
        db["proposals"].add_column(column, str)
    before = json.loads((Path(__file__).with_name("goals_before_0007.json")).read_text(encoding="utf-8"))["goals"]
    rows = db.execute("SELECT id, goal, linked_goal, goal_scores FROM proposals").fetchall()
    for pid, goal, linked, scores in rows:
        chosen, found = before.get(goal or ""), before.get(linked or "")
        shares = {before.get(k, {}).get("label", k): v for k, v in json.loads(scores or "{}").items()}
        db.execute("UPDATE proposals SET goal_label = ?, goal_text = ?, linked_goal_label = ?, linked_goal_text = ?,"
                   " goal_scores = ? WHERE id = ?",
                   (chosen and chosen["label"], chosen and chosen["text"], found and found["label"],
                    found and found["text"], json.dumps(shares, ensure_ascii=False) if scores else scores, pid))


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def jst_iso(iso_text: str | None) -> str | None:
    """A stored UTC timestamp as ISO 8601 in Japan time, e.g. ``2026-11-28T00:30:00+09:00``: the
    date is the one in the 受付番号, and the offset says which zone it is (exports, JSON output)."""
    if not iso_text:
        return iso_text
    dt = datetime.strptime(iso_text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return dt.astimezone(JST).isoformat(timespec="seconds")


def local_time(iso_text: str) -> str:
    """An ISO UTC timestamp shown in Japan time, e.g. ``2026-11-27 09:41 JST``."""
    dt = datetime.strptime(iso_text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return f"{dt.astimezone(JST):%Y-%m-%d %H:%M} JST"


class ProposalStore:
    """Proposals in one SQLite file. Thread-safe; open one per process."""

    def __init__(self, path: Path | str | None = None, clock: Clock = SYSTEM_CLOCK, *,
                 randbelow: Callable[[int], int] = secrets.randbelow, mail: MailOptions = MailOptions()):
        """Open (creating if needed) the database at ``path``; ``None`` for an in-memory store.

        Args:
            path: the SQLite file, or None for an in-memory store.
            clock: time source for ``created_at``, receipt dates and status times.
            randbelow: random source for receipt numbers (tests pass a scripted one).
            mail: how mail to citizens is written into the outbox (the link's origin; receipts).
        """
        self.clock = clock
        self.mail = mail
        self._outbox_listeners: list[Callable[[int], None]] = []
        self._randbelow = randbelow
        if path is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False)
        else:
            conn = connect_private(path, timeout=30)      # names, emails, secrets: owner-only
        self.path = Path(path) if path else None
        self._lock = threading.RLock()
        self._added_listeners: list[Callable[[Proposal], None]] = []
        self.db = Database(conn)
        conn.execute("PRAGMA busy_timeout = 30000")
        if path is not None:
            enable_wal(self.db)
            tighten_sidecars(path)
            conn.execute("PRAGMA synchronous = NORMAL")   # safe with WAL; durable at checkpoints
        conn.execute("PRAGMA foreign_keys = ON")
        # Erased names and emails must leave the file: freed space is zeroed (not every SQLite
        # build does this by default), and VACUUM's scratch copy stays in memory, not in /tmp.
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        with self._lock:
            self._migrate()
        self._receipt_secret = bytes.fromhex(
            self._read("SELECT value FROM proposal_meta WHERE key = 'receipt_secret'")[0]["value"])
        self._key_pepper = bytes.fromhex(
            self._read("SELECT value FROM proposal_meta WHERE key = 'status_key_pepper'")[0]["value"])
        # Compared against when a receipt number is unknown, so that costs what a wrong key costs.
        self._no_key_hash = key_hash(self._key_pepper, normalise_key(new_key()))

    def _migrate(self) -> None:
        # Several processes may open a new file at once: hold the write lock (waiting up to the
        # busy timeout) while checking and applying, so exactly one of them migrates.
        # sqlite-utils' atomic() nests as savepoints inside this transaction.
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            migrations.apply(self.db)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self.db.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _read(self, sql: str, params=()) -> list[dict]:
        with self._lock:
            cur = self.db.conn.execute(sql, params)
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, row)) for row in cur.fetchall()]

    # --- settings kept in the database -------------------------------------------------------

    @property
    def form_secret(self) -> bytes:
        """Secret for signing form tokens (created by the first migration)."""
        rows = self._read("SELECT value FROM proposal_meta WHERE key = 'form_secret'")
        return bytes.fromhex(rows[0]["value"])

    # --- writing -------------------------------------------------------------------------------

    def add_listener(self, listener: Callable[[Proposal], None]) -> None:
        """Call ``listener(proposal)`` after each proposal :meth:`add` stores (not for a double
        submit), once it is committed; errors are logged. ``/metrics`` counts proposals here."""
        self._added_listeners.append(listener)

    def add(self, item: ProposalInput, now: datetime | None = None) -> tuple[Proposal, bool]:
        """Store a proposal, once per ``submission_token``, with a new 照会キー (lookup key).

        Returns:
            ``(proposal, created)``; ``created`` is False when the token was already used and the
            earlier proposal is returned instead (a double submit). Only a created proposal carries
            its ``lookup_key``: the store keeps a hash of it, so it can never be shown again.
        """
        now = now or self.clock.now()
        with self._write() as conn:
            if item.submission_token:
                row = conn.execute("SELECT id FROM proposals WHERE submission_token = ?",
                                   (item.submission_token,)).fetchone()
                if row:
                    existing = row[0]
                    created = False
                else:
                    existing = None
            else:
                existing = None
            if existing is None:
                new_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM proposals").fetchone()[0]
                receipt_no = self._unused_receipt(conn, now, decoy=False)
                at = iso(now)
                conn.execute(
                    "INSERT INTO proposals (id, receipt_no, submission_token, source, staff_user_id, title,"
                    " body, goal, residency, age_group, lang, consent_version, created_at, status,"
                    " status_at, published, link_state, goal_label, goal_text)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,'pending',?,?)",
                    (new_id, receipt_no, item.submission_token, item.source,
                     item.staff_user_id, item.title, item.body, item.goal, item.residency,
                     item.age_group, item.lang, item.consent_version, at, "received", at,
                     item.goal_label, item.goal_text))
                if item.name or item.email:
                    conn.execute("INSERT INTO proposal_personal (proposal_id, name, email) VALUES (?,?,?)",
                                 (new_id, item.name, item.email))
                actor = f"slack:{item.staff_user_id}" if item.staff_user_id else item.source
                conn.execute("INSERT INTO proposal_status_history (proposal_id, status, actor, note, at)"
                             " VALUES (?,?,?,?,?)", (new_id, "received", actor, "", at))
                lookup_key = new_key()
                conn.execute("INSERT INTO proposal_status_keys (proposal_id, key_hash, created_at) VALUES (?,?,?)",
                             (new_id, key_hash(self._key_pepper, normalise_key(lookup_key)), at))
                fresh = Proposal(
                    id=new_id, receipt_no=receipt_no, title=item.title, body=item.body,
                    goal=item.goal, residency=item.residency, age_group=item.age_group, lang=item.lang,
                    source=item.source, staff_user_id=item.staff_user_id, consent_version=item.consent_version,
                    created_at=at, status="received", published=False, link_state="pending", linked_goal=None,
                    history=(StatusChange("received", actor, "", at),), lookup_key=lookup_key,
                    goal_label=item.goal_label, goal_text=item.goal_text)
                queued = None
                if item.email and self.mail.receipts:
                    subject, text = receipt_mail(fresh, self.mail.public_url, self.mail.city_name())
                    queued = self._queue_mail(conn, new_id, "receipt", item.email, subject, text, at)
                    fresh = replace(fresh, mails=(self._record_of(conn, queued),))
        if existing is None:
            if queued is not None:
                self._outbox_written(queued)
            for listener in list(self._added_listeners):
                try:
                    listener(fresh)
                except Exception:
                    log.exception("proposal listener %r failed", listener)
            return fresh, True     # built here: no read-back on the hot path
        return self.get(existing), created

    def token_used(self, token: str | None) -> bool:
        """True when a proposal was already stored with this submission token (double submit)."""
        if not token:
            return False
        return bool(self._read("SELECT 1 AS x FROM proposals WHERE submission_token = ?", (token,)))

    def _unused_receipt(self, conn: sqlite3.Connection, now: datetime, *, decoy: bool) -> str:
        # For a real proposal this runs inside the BEGIN IMMEDIATE write transaction, so no other
        # writer can take the number between this check and the INSERT (the UNIQUE index backs it up).
        for number in candidates(self._receipt_secret, receipt_day(now), decoy=decoy, randbelow=self._randbelow):
            if not conn.execute("SELECT 1 FROM proposals WHERE receipt_no = ?", (number,)).fetchone():
                return number
        raise AssertionError("unreachable: candidates() never ends")

    def decoy_receipt_no(self, now: datetime | None = None) -> str:
        """A receipt number for a bot caught by the honeypot: shaped like a real one, never stored,
        never issued to a proposal, and not equal to any number issued before."""
        with self._lock:
            return self._unused_receipt(self.db.conn, now or self.clock.now(), decoy=True)

    def status_lookup(self, receipt_text: str, key_text: str) -> Proposal | None:
        """The proposal a citizen asks about with its 受付番号 and 照会キー, or None.

        An unknown number, a proposal without a key and a wrong key are one answer (None), and
        cost the same: one indexed read and one HMAC compared in constant time, always.
        """
        receipt = normalise_receipt(receipt_text) or ""
        key = normalise_key(key_text) or ""
        # Always exactly one row, and always one lookup in each index: an unknown number looks for
        # the key of proposal -1, which costs what finding a real one does.
        row = self._read(
            "SELECT n.id, (SELECT key_hash FROM proposal_status_keys WHERE proposal_id = COALESCE(n.id, -1))"
            " AS key_hash FROM (SELECT (SELECT id FROM proposals WHERE receipt_no = ?) AS id) n", (receipt,))[0]
        stored = row["key_hash"]
        matches = hmac.compare_digest(key_hash(self._key_pepper, key), stored or self._no_key_hash)
        if not (matches and stored and key):
            return None
        return self.get(row["id"])

    def set_status(self, ref: int | str, status: str, actor: str, note: str = "",
                   now: datetime | None = None) -> Proposal:
        """Change a proposal's status and record who did it.

        Raises:
            ProposalNotFound: no such proposal.
            BadTransition: the move is not allowed from the current status.
        """
        if status not in STATUSES:
            raise BadTransition(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
        pid = self._resolve(ref)
        at = iso(now or self.clock.now())
        with self._write() as conn:
            current = conn.execute("SELECT status FROM proposals WHERE id = ?", (pid,)).fetchone()[0]
            if status not in TRANSITIONS[current]:
                raise BadTransition(f"cannot change from {current} to {status}")
            conn.execute("UPDATE proposals SET status = ?, status_at = ? WHERE id = ?", (status, at, pid))
            conn.execute("INSERT INTO proposal_status_history (proposal_id, status, actor, note, at)"
                         " VALUES (?,?,?,?,?)", (pid, status, actor, note, at))
        return self.get(pid)

    # --- answers ---------------------------------------------------------------------------------

    def check_answer(self, ref: int | str, text: str | None, status: str | None, *, published: bool,
                     lang: str = "ja") -> Validation:
        """Validate an answer to ``ref`` before saving it (see :func:`validate_answer`): the edges call
        this to show errors in the staff member's language; :meth:`answer` checks again."""
        pid = self._resolve(ref)
        current = self._read("SELECT status FROM proposals WHERE id = ?", (pid,))[0]["status"]
        return validate_answer(text, status, current, published=published, lang=lang,
                               names=self._names([pid]).get(pid, ()))

    def answer(self, ref: int | str, text: str, status: str, *, published: bool, author: str,
               now: datetime | None = None) -> ProposalAnswer:
        """Save a staff answer to a proposal, set its status, and queue the mail to the citizen.

        One transaction: the answer row (an earlier answer stays, pointing at this one through
        ``replaced_by``), the status and a history entry (as :meth:`set_status`), and, when the
        submitter left an email address, the outbox row with the composed mail. A crash leaves all
        of it or none of it.

        Args:
            ref: proposal id or 受付番号.
            text: the answer.
            status: the outcome to set (a status code; see :func:`answer_statuses`).
            published: show the answer to citizens on the status page.
            author: who answers ("slack:U…", "cli:<name>").
            now: the time to record (default: the store's clock).

        Raises:
            ProposalNotFound: no such proposal.
            BadAnswer: the text or status is not acceptable (``errors`` by field).
        """
        pid = self._resolve(ref)
        at = iso(now or self.clock.now())
        names = self._names([pid]).get(pid, ())
        queued = None
        with self._write() as conn:
            row = self._row(conn, "SELECT * FROM proposals WHERE id = ?", (pid,))
            current = row["status"]
            checked = validate_answer(text, status, current, published=published, lang="en", names=names)
            if not checked.ok:
                raise BadAnswer(checked.errors)
            saved = ProposalAnswer(checked.value, status, bool(published), author, at)
            earlier = conn.execute("SELECT id FROM proposal_answers WHERE proposal_id = ? ORDER BY id DESC LIMIT 1",
                                   (pid,)).fetchone()
            new_id = conn.execute(
                "INSERT INTO proposal_answers (proposal_id, text, status, published, author, created_at)"
                " VALUES (?,?,?,?,?,?)", (pid, saved.text, status, int(saved.published), author, at)).lastrowid
            if earlier:
                conn.execute("UPDATE proposal_answers SET replaced_by = ? WHERE id = ?", (new_id, earlier[0]))
            if status != current:
                conn.execute("UPDATE proposals SET status = ?, status_at = ? WHERE id = ?", (status, at, pid))
            conn.execute("INSERT INTO proposal_status_history (proposal_id, status, actor, note, at)"
                         " VALUES (?,?,?,?,?)", (pid, status, author, "answer edited" if earlier else "answered", at))
            email = conn.execute("SELECT email FROM proposal_personal WHERE proposal_id = ?", (pid,)).fetchone()
            if email and email[0]:
                subject, body = answer_mail(_proposal(row), saved, self.mail.public_url, edit=bool(earlier),
                                            city=self.mail.city_name())
                queued = self._queue_mail(conn, pid, "answer", email[0], subject, body, at)
        if queued is not None:
            self._outbox_written(queued)
        return saved

    def has_email(self, ref: int | str) -> bool:
        """Whether the submitter left an email address (saving an answer mails them); not the address."""
        pid = self._resolve(ref)
        return bool(self._read("SELECT 1 AS x FROM proposal_personal WHERE proposal_id = ? AND email IS NOT NULL"
                               " AND email != ''", (pid,)))

    def current_answer(self, pid: int | str) -> ProposalAnswer | None:
        """The latest answer to a proposal, or None when it has none."""
        history = self.answer_history(pid)
        return history[-1] if history else None

    def answer_history(self, pid: int | str) -> list[ProposalAnswer]:
        """Every answer saved for a proposal, oldest first (the last is the current one)."""
        pid = self._resolve(pid)
        return [ProposalAnswer(r["text"], r["status"], bool(r["published"]), r["author"], r["created_at"])
                for r in self._read("SELECT * FROM proposal_answers WHERE proposal_id = ? ORDER BY id", (pid,))]

    def public_draft(self, ref: int | str) -> PublicText:
        """The public title and excerpt offered to a staff member for approval: the proposal's own,
        with contact details, long numbers and the submitter's name masked, the excerpt cut short."""
        p = self.redact(self.get(ref))
        title = " ".join(p.title.split())
        if len(title) > PUBLIC_LIMITS["public_title"]:
            title = title[: PUBLIC_LIMITS["public_title"] - 1] + "…"
        return PublicText(title, excerpt(p.body, PUBLIC_EXCERPT_CHARS))

    def check_public_text(self, ref: int | str, title: str | None, excerpt_text: str | None,
                          lang: str = "ja") -> Validation:
        """Validate a public title and excerpt for proposal ``ref`` (see :func:`validate_public_text`),
        including that the submitter's name does not appear in them."""
        pid = self._resolve(ref)
        return validate_public_text(title, excerpt_text, lang, self._names([pid]).get(pid, ()))

    def set_published(self, ref: int | str, published: bool, actor: str,
                      public: PublicText | None = None) -> Proposal:
        """Publish a proposal with the public text a staff member approved, or unpublish it.

        Citizens see a published proposal in the form's similar-proposals preview, as ``public``
        says and nothing more. Unpublishing forgets the approved text, so publishing again means
        approving again.

        Raises:
            ProposalNotFound: no such proposal.
            BadPublicText: publishing without ``public``, or with text that fails
                :meth:`check_public_text` (the edges check first and show why).
        """
        pid = self._resolve(ref)
        at = iso(self.clock.now())
        if published:
            if public is None:
                raise BadPublicText("publishing needs the public title and excerpt a staff member approved")
            checked = self.check_public_text(pid, public.title, public.excerpt, "en")
            if not checked.ok:
                raise BadPublicText("; ".join(checked.errors.values()))
            public = checked.value
        with self._write() as conn:
            conn.execute("UPDATE proposals SET published = ? WHERE id = ?", (int(published), pid))
            conn.execute("DELETE FROM proposal_public WHERE proposal_id = ?", (pid,))
            if published:
                conn.execute("INSERT INTO proposal_public (proposal_id, title, excerpt, approved_by, approved_at)"
                             " VALUES (?,?,?,?,?)", (pid, public.title, public.excerpt, actor, at))
            conn.execute("INSERT INTO proposal_status_history (proposal_id, status, actor, note, at)"
                         " VALUES (?, (SELECT status FROM proposals WHERE id = ?), ?, ?, ?)",
                         (pid, pid, actor, "published" if published else "unpublished", at))
        return self.get(pid)

    def public_texts(self, ids: list[int]) -> dict[int, PublicText]:
        """Approved public text of those of ``ids`` that are published (what citizens may see)."""
        if not ids:
            return {}
        marks = ",".join("?" for _ in ids)
        rows = self._read(
            "SELECT u.* FROM proposal_public u JOIN proposals p ON p.id = u.proposal_id"
            f" WHERE p.published = 1 AND u.proposal_id IN ({marks})", list(ids))
        return {r["proposal_id"]: PublicText(r["title"], r["excerpt"], r["approved_by"] or "", r["approved_at"] or "")
                for r in rows}

    def published(self, *, goal: str | None = None, status: str | None = None, ids: list[int] | None = None,
                  receipt_no: str | None = None, limit: int = -1, offset: int = 0) -> list[PublicProposal]:
        """Published proposals as citizens see them: the approved title and excerpt, never the text.

        Args:
            goal: only proposals whose submitter chose this goal, by its label as stored with them
                (「基本方針Ⅰ」), or "unknown" (わからない); None: all.
            status: only this status, or all.
            ids: only these proposals, returned in this order (a search's ranking).
            receipt_no: only the proposal with this (normalised) 受付番号.
            limit: at most this many (-1: all); newest publication first unless ``ids`` orders them.
            offset: skip this many first.
        """
        sql, params = self._published_where(goal, status)
        if receipt_no is not None:
            sql += " AND p.receipt_no = ?"
            params.append(receipt_no)
        if ids is not None:
            if not ids:
                return []
            sql += f" AND p.id IN ({','.join('?' for _ in ids)})"
            params += list(ids)
        rows = self._read(
            "SELECT p.id, p.receipt_no, p.goal, p.goal_label, p.goal_text, p.status, p.created_at, p.status_at,"
            f" u.title, u.excerpt, u.approved_at {sql} ORDER BY u.approved_at DESC, p.id DESC"
            + ("" if ids is not None else " LIMIT ? OFFSET ?"), params + ([] if ids is not None else [limit, offset]))
        found = [PublicProposal(id=r["id"], receipt_no=r["receipt_no"], title=r["title"], excerpt=r["excerpt"],
                                goal=r["goal"] or "unknown", status=r["status"], created_at=r["created_at"],
                                status_at=r["status_at"] or r["created_at"], published_at=r["approved_at"] or "",
                                goal_label=r["goal_label"], goal_text=r["goal_text"])
                 for r in rows]
        if ids is not None:
            order = {pid: i for i, pid in enumerate(ids)}
            found = sorted(found, key=lambda p: order[p.id])[offset:None if limit < 0 else offset + limit]
        return found

    def published_count(self, *, goal: str | None = None, status: str | None = None) -> int:
        """How many proposals :meth:`published` lists with these filters."""
        sql, params = self._published_where(goal, status)
        return self._read(f"SELECT COUNT(*) AS n {sql}", params)[0]["n"]

    @staticmethod
    def _published_where(goal: str | None, status: str | None) -> tuple[str, list]:
        sql = "FROM proposals p JOIN proposal_public u ON u.proposal_id = p.id WHERE p.published = 1"
        params: list = []
        if goal == "unknown":
            sql += " AND COALESCE(p.goal, 'unknown') = 'unknown'"
        elif goal:       # by the label stored with the proposal: goals of another document are other goals
            sql += " AND p.goal_label = ?"
            params.append(goal)
        if status:
            sql += " AND p.status = ?"
            params.append(status)
        return sql, params

    @property
    def feed_id(self) -> str:
        """A UUID naming this database's public feed (created by migration 0006)."""
        return self._read("SELECT value FROM proposal_meta WHERE key = 'feed_id'")[0]["value"]

    def public_vectors(self, model: str) -> dict[int, tuple[str, bytes]]:
        """``{proposal_id: (content_hash, float32 bytes)}`` of published proposals' public text."""
        rows = self._read("SELECT v.proposal_id, v.content_hash, v.vector FROM proposal_public_vectors v"
                          " JOIN proposals p ON p.id = v.proposal_id WHERE p.published = 1 AND v.model = ?", (model,))
        return {r["proposal_id"]: (r["content_hash"], r["vector"]) for r in rows}

    def save_public_vectors(self, model: str, rows: list[tuple[int, str, object]]) -> None:
        """Keep embeddings of public texts: ``(proposal_id, content_hash, vector)`` each. A proposal
        unpublished meanwhile is skipped (its approved text, which the vector is of, is gone)."""
        import numpy as np

        with self._write() as conn:
            for pid, content_hash, vector in rows:
                vec = np.asarray(vector, dtype=np.float32).ravel()
                conn.execute("INSERT OR REPLACE INTO proposal_public_vectors (proposal_id, model, content_hash,"
                             " dim, vector) SELECT ?,?,?,?,? WHERE EXISTS (SELECT 1 FROM proposal_public"
                             " WHERE proposal_id = ?)", (pid, model, content_hash, int(vec.shape[0]), vec.tobytes(), pid))

    def _names(self, ids: list[int]) -> dict[int, tuple[str, ...]]:
        """Submitters' names by proposal id, only to mask them; never returned to callers."""
        ids = list(dict.fromkeys(ids))        # a listed proposal may also be another's similar one
        if not ids:
            return {}
        marks = ",".join("?" for _ in ids)
        rows = self._read(f"SELECT proposal_id, name FROM proposal_personal WHERE proposal_id IN ({marks})"
                          " AND name IS NOT NULL AND name != ''", ids)
        return {r["proposal_id"]: (r["name"],) for r in rows}

    def redact(self, p: Proposal) -> Proposal:
        """``p`` as staff see it without personal data: emails, phone numbers, long numbers and the
        submitter's own name masked in its title and text, and in the titles of its similar proposals.

        Everything that shows proposals without ``--include-personal`` (Slack, listings, exports)
        goes through this; the name is read here and never handed out.
        """
        return self.redact_all([p])[0]

    def redact_all(self, proposals: list[Proposal]) -> list[Proposal]:
        """:meth:`redact` for many proposals with one query for the names."""
        names = self._names([p.id for p in proposals] + [s.proposal_id for p in proposals for s in p.similar])
        return [replace(p, title=mask_personal(p.title, names.get(p.id, ())),
                        body=mask_personal(p.body, names.get(p.id, ())),
                        similar=tuple(replace(s, title=mask_personal(s.title, names.get(s.proposal_id, ())))
                                      for s in p.similar))
                for p in proposals]

    def save_link(self, pid: int, link: LinkResult | None, similar: list[Similar] = ()) -> None:
        """Record the outline links and similar proposals found for ``pid`` (None: linking failed)."""
        with self._write() as conn:
            conn.execute("DELETE FROM proposal_sections WHERE proposal_id = ?", (pid,))
            conn.execute("DELETE FROM proposal_similar WHERE proposal_id = ?", (pid,))
            if link is None:
                conn.execute("UPDATE proposals SET link_state = 'failed' WHERE id = ?", (pid,))
                return
            conn.executemany(
                "INSERT INTO proposal_sections (proposal_id, rank, chunk_id, section, page, score)"
                " VALUES (?,?,?,?,?,?)",
                [(pid, s.rank, s.chunk_id, s.section, s.page, float(s.score)) for s in link.sections])
            conn.executemany(
                "INSERT INTO proposal_similar (proposal_id, similar_id, score, duplicate) VALUES (?,?,?,?)",
                [(pid, s.proposal_id, float(s.score), int(s.duplicate)) for s in similar])
            conn.execute("UPDATE proposals SET link_state = 'linked', linked_goal = ?, goal_scores = ?,"
                         " linked_goal_label = ?, linked_goal_text = ? WHERE id = ?",
                         (link.goal, json.dumps(link.goal_scores, ensure_ascii=False), link.goal_label,
                          link.goal_text, pid))

    def save_vector(self, pid: int, model: str, vector, content_hash: str) -> None:
        """Keep a proposal's embedding (float32 blob) for later similarity searches."""
        import numpy as np

        vec = np.asarray(vector, dtype=np.float32).ravel()
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO proposal_vectors (proposal_id, model, dim, content_hash,"
                         " vector) VALUES (?,?,?,?,?)", (pid, model, int(vec.shape[0]), content_hash,
                                                         vec.tobytes()))

    def mark_pending(self, ids: list[int]) -> None:
        """Queue proposals for linking again (``reformbot proposals relink``)."""
        with self._write() as conn:
            conn.executemany("UPDATE proposals SET link_state = 'pending' WHERE id = ?", [(i,) for i in ids])

    def set_slack_message(self, pid: int, channel: str, ts: str) -> None:
        """Remember where the proposal was posted so status changes can update that message."""
        with self._write() as conn:
            conn.execute("UPDATE proposals SET slack_channel = ?, slack_ts = ? WHERE id = ?", (channel, ts, pid))

    # --- the mail outbox -------------------------------------------------------------------------
    #
    # pending --claim--> sending --hand over (sent_at set, just before DATA)--> 250: sent
    #                       |  refused before DATA, or 4xx: pending again (back-off) or failed
    #                       '-- a lease: a row still "sending" after it ran out belongs to a worker
    #                           that died. Without sent_at it never reached the server: pending
    #                           again. With sent_at it may have been delivered: failed, not resent.
    # Every update after the claim names the attempt (attempts), so a worker whose row was taken
    # over by recovery cannot settle it.

    def add_outbox_listener(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(outbox_id)`` after a mail is committed to the outbox (wakes the worker)."""
        self._outbox_listeners.append(listener)

    def _outbox_written(self, outbox_id: int) -> None:
        for listener in list(self._outbox_listeners):
            try:
                listener(outbox_id)
            except Exception:
                log.exception("outbox listener %r failed", listener)

    def _queue_mail(self, conn: sqlite3.Connection, pid: int, kind: str, to_addr: str, subject: str,
                    body: str, at: str) -> int:
        return conn.execute(
            "INSERT INTO mail_outbox (proposal_id, kind, to_addr, subject, body, message_id, state, attempts,"
            " next_try_at, created_at) VALUES (?,?,?,?,?,?,'pending',0,?,?)",
            (pid, kind, to_addr, subject, body, message_id(self.mail.public_url), at, at)).lastrowid

    @staticmethod
    def _row(conn: sqlite3.Connection, sql: str, params=()) -> dict:
        cur = conn.execute(sql, params)
        cols = [c[0] for c in cur.description]
        got = cur.fetchone()
        return dict(zip(cols, got)) if got else {}

    def _record_of(self, conn: sqlite3.Connection, outbox_id: int) -> MailRecord:
        return _mail_record(self._row(conn, "SELECT * FROM mail_outbox WHERE id = ?", (outbox_id,)))

    def mail_records(self, pid: int | str) -> tuple[MailRecord, ...]:
        """The outbox rows of a proposal, oldest first, without address or text."""
        pid = self._resolve(pid)
        return tuple(_mail_record(r) for r in self._read(
            "SELECT * FROM mail_outbox WHERE proposal_id = ? ORDER BY id", (pid,)))

    def outbox_mail(self, outbox_id: int) -> OutboxMail:
        """One outbox row with its address and text (personal data: only the worker needs it)."""
        rows = self._read("SELECT * FROM mail_outbox WHERE id = ?", (outbox_id,))
        if not rows:
            raise LookupError(f"no outbox row {outbox_id}")
        return _outbox_mail(rows[0])

    def outbox_counts(self) -> dict[str, int]:
        """Outbox rows per state."""
        counts = {s: 0 for s in ("pending", "sending", "sent", "failed")}
        for r in self._read("SELECT state, COUNT(*) AS n FROM mail_outbox GROUP BY state"):
            counts[r["state"]] = r["n"]
        return counts

    def next_mail_due(self) -> datetime | None:
        """When the next pending mail is due, or a claimed one's lease runs out (None: nothing to do)."""
        got = self._read("SELECT MIN(next_try_at) AS at FROM mail_outbox WHERE state IN ('pending', 'sending')")
        at = got[0]["at"] if got else None
        return datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) if at else None

    def claim_mail(self, now: datetime, lease_seconds: float) -> OutboxMail | None:
        """Take the next due pending mail for sending: state ``sending``, one more attempt, and a lease
        until ``now + lease_seconds`` (in ``next_try_at``). Several workers or processes never claim
        the same row (``BEGIN IMMEDIATE``).

        Returns:
            The claimed row (``record.attempts`` is this attempt's number), or None.
        """
        at, until = iso(now), iso(now + timedelta(seconds=lease_seconds))
        with self._write() as conn:
            row = self._row(conn, "SELECT * FROM mail_outbox WHERE state = 'pending' AND next_try_at <= ?"
                                  " ORDER BY next_try_at, id LIMIT 1", (at,))
            if not row:
                return None
            conn.execute("UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1, next_try_at = ?,"
                         " sent_at = NULL WHERE id = ?", (until, row["id"]))
            return _outbox_mail(self._row(conn, "SELECT * FROM mail_outbox WHERE id = ?", (row["id"],)))

    def hand_over_mail(self, outbox_id: int, attempt: int, now: datetime) -> bool:
        """Record, just before the message goes to the mail server (SMTP DATA), that from now on it
        may be delivered. False when the claim was lost (recovery took the row): then do not send."""
        with self._write() as conn:
            return conn.execute("UPDATE mail_outbox SET sent_at = ? WHERE id = ? AND attempts = ? AND state = 'sending'",
                                (iso(now), outbox_id, attempt)).rowcount == 1

    def mark_mail_sent(self, outbox_id: int, attempt: int, now: datetime) -> bool:
        """The mail server accepted the message (250 after DATA). Also corrects a row that recovery
        had marked failed as "may have been delivered" while this attempt was still running."""
        with self._write() as conn:
            return conn.execute(
                "UPDATE mail_outbox SET state = 'sent', sent_at = ?, next_try_at = NULL, last_error = NULL"
                " WHERE id = ? AND attempts = ? AND state IN ('sending', 'failed')",
                (iso(now), outbox_id, attempt)).rowcount == 1

    def retry_mail(self, outbox_id: int, attempt: int, next_try: datetime, error: str) -> bool:
        """The attempt failed before the hand-over (server down, 4xx): pending again from ``next_try``."""
        with self._write() as conn:
            return conn.execute(
                "UPDATE mail_outbox SET state = 'pending', next_try_at = ?, last_error = ?, sent_at = NULL"
                " WHERE id = ? AND attempts = ? AND state = 'sending'",
                (iso(next_try), error, outbox_id, attempt)).rowcount == 1

    def fail_mail(self, outbox_id: int, attempt: int, error: str) -> bool:
        """Give up on a mail (refused, out of tries, or outcome unknown): it is never sent again."""
        with self._write() as conn:
            return conn.execute(
                "UPDATE mail_outbox SET state = 'failed', next_try_at = NULL, last_error = ?"
                " WHERE id = ? AND attempts = ? AND state = 'sending'", (error, outbox_id, attempt)).rowcount == 1

    def recover_mail(self, now: datetime, max_attempts: int) -> list[OutboxMail]:
        """Settle mails whose worker died while sending them (state ``sending``, lease run out).

        Not handed over (no ``sent_at``): the server never got the message, so it is pending again
        (or failed when that was its last try). Handed over: the server may have delivered it and
        nothing recorded the answer, so it is marked failed and **not** sent again (at most once).

        Returns:
            The rows marked failed here, for reporting.
        """
        failed = []
        at = iso(now)
        with self._write() as conn:
            rows = conn.execute("SELECT id, attempts, sent_at FROM mail_outbox WHERE state = 'sending'"
                                " AND next_try_at <= ?", (at,)).fetchall()
            for outbox_id, attempts, sent_at in rows:
                if sent_at:
                    error = (f"interrupted after the message was handed to the mail server at {local_time(sent_at)}:"
                             " it may have been delivered, so it is not sent again (check the mail server's log"
                             " for its Message-ID)")
                elif attempts >= max_attempts:
                    error = f"interrupted before reaching the mail server, on the last of {attempts} attempts"
                else:
                    conn.execute("UPDATE mail_outbox SET state = 'pending', next_try_at = ?, last_error = ?"
                                 " WHERE id = ?", (at, "interrupted before reaching the mail server; sent again",
                                                   outbox_id))
                    continue
                conn.execute("UPDATE mail_outbox SET state = 'failed', next_try_at = NULL, last_error = ?"
                             " WHERE id = ?", (error, outbox_id))
                failed.append(outbox_id)
        return [self.outbox_mail(i) for i in failed]

    # --- reading -------------------------------------------------------------------------------

    def vectors(self, model: str, *, published_only: bool = False, exclude: int | None = None):
        """``(ids, matrix)`` of stored vectors for ``model`` (matrix is n x dim float32)."""
        import numpy as np

        sql = ("SELECT v.proposal_id, v.dim, v.vector FROM proposal_vectors v JOIN proposals p"
               " ON p.id = v.proposal_id WHERE v.model = ?")
        params: list = [model]
        if published_only:   # published with approved public text: what citizens may see
            sql += " AND p.published = 1 AND EXISTS (SELECT 1 FROM proposal_public u WHERE u.proposal_id = p.id)"
        if exclude is not None:
            sql += " AND v.proposal_id != ?"
            params.append(exclude)
        rows = self._read(sql + " ORDER BY v.proposal_id", params)
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        mat = np.stack([np.frombuffer(r["vector"], dtype=np.float32) for r in rows])
        return [r["proposal_id"] for r in rows], mat

    def _resolve(self, ref: int | str) -> int:
        """The row id for an id or a receipt number as a person typed it (full-width, other dashes)."""
        receipt = None if isinstance(ref, int) else normalise_receipt(str(ref))
        if receipt is None and (isinstance(ref, int) or str(ref).strip().isdecimal()):
            rows = self._read("SELECT id FROM proposals WHERE id = ?", (int(ref),))
        else:
            rows = self._read("SELECT id FROM proposals WHERE receipt_no = ?", (receipt or str(ref).strip(),))
        if not rows:
            raise ProposalNotFound(f"no proposal {ref!r}")
        return rows[0]["id"]

    def get(self, ref: int | str, include_personal: bool = False,
            access: PersonalAccess | None = None) -> Proposal:
        """One proposal by id or receipt number, with links, similar proposals and history.

        Args:
            ref: id or 受付番号.
            include_personal: also return the submitter's name and email; ``access`` is written
                to the access log first.
            access: who reads the personal data and why (needed with ``include_personal``).

        Raises:
            ProposalNotFound: no such proposal.
            ReasonRequired: ``include_personal`` without who and why.
        """
        if include_personal:
            access = _checked(access)
        pid = self._resolve(ref)
        row = self._read("SELECT * FROM proposals WHERE id = ?", (pid,))[0]
        sections = tuple(SectionLink(r["rank"], r["chunk_id"], r["section"], r["page"], r["score"])
                         for r in self._read("SELECT * FROM proposal_sections WHERE proposal_id = ?"
                                             " ORDER BY rank", (pid,)))
        similar = tuple(Similar(r["similar_id"], r["receipt_no"], r["title"], r["score"], bool(r["duplicate"]))
                        for r in self._read(
                            "SELECT s.*, p.receipt_no, p.title FROM proposal_similar s JOIN proposals p"
                            " ON p.id = s.similar_id WHERE s.proposal_id = ? ORDER BY s.score DESC", (pid,)))
        history = tuple(StatusChange(r["status"], r["actor"], r["note"] or "", r["at"])
                        for r in self._read("SELECT * FROM proposal_status_history WHERE proposal_id = ?"
                                            " ORDER BY id", (pid,)))
        personal = {}
        if include_personal:
            with self._write() as conn:          # logged before the data leaves the store
                self._record(conn, iso(self.clock.now()), access, "show", pid, row["receipt_no"])
                got = conn.execute("SELECT name, email FROM proposal_personal WHERE proposal_id = ?",
                                   (pid,)).fetchone()
            personal = {"name": got[0], "email": got[1]} if got else {}
        return replace(_proposal(row, sections, similar, history, personal),
                       public=self.public_texts([pid]).get(pid), answers=tuple(self.answer_history(pid)),
                       mails=self.mail_records(pid))

    def list(self, status: str | None = None, limit: int = 50, offset: int = 0,
             source: str | None = None) -> list[Proposal]:
        """Proposals, newest first (without sections/history; use :meth:`get` for those)."""
        sql, params = "SELECT * FROM proposals WHERE 1=1", []
        if status:
            sql += " AND status = ?"
            params.append(status)
        if source:
            sql += " AND source = ?"
            params.append(source)
        sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
        params += [limit, offset]
        return [_proposal(r) for r in self._read(sql, params)]

    def pending_count(self) -> int:
        """How many proposals wait to be linked to the outline (the pipeline's backlog)."""
        return self._read("SELECT COUNT(*) AS n FROM proposals WHERE link_state = 'pending'")[0]["n"]

    def pending_links(self) -> list[int]:
        """Ids of proposals not linked to the outline yet (e.g. after a restart)."""
        return [r["id"] for r in self._read("SELECT id FROM proposals WHERE link_state = 'pending' ORDER BY id")]

    def unposted(self, max_age_days: float = 7) -> list[int]:
        """Ids of linked proposals from the last ``max_age_days`` never posted to Slack (e.g. Slack
        was down). Older ones are left alone, so configuring a channel later does not flood it."""
        since = iso(self.clock.now() - timedelta(days=max_age_days))
        return [r["id"] for r in self._read(
            "SELECT id FROM proposals WHERE link_state != 'pending' AND slack_ts IS NULL AND created_at >= ?"
            " ORDER BY id", (since,))]

    def count(self) -> int:
        return self._read("SELECT COUNT(*) AS n FROM proposals")[0]["n"]

    def counts_by_goal(self) -> dict[str | None, int]:
        """Number of proposals per linked goal, by the goal's label as stored with each proposal
        (None: no goal matched, or not linked yet); labels in order of their first proposal."""
        counts: dict[str | None, int] = {}
        for r in self._read("SELECT linked_goal_label AS label, COUNT(*) AS n FROM proposals"
                            " GROUP BY linked_goal_label ORDER BY MIN(id)"):
            counts[r["label"] or None] = counts.get(r["label"] or None, 0) + r["n"]
        counts.setdefault(None, 0)
        return counts

    def counts_by_status(self) -> dict[str, int]:
        counts = {s: 0 for s in STATUSES}
        for r in self._read("SELECT status, COUNT(*) AS n FROM proposals GROUP BY status"):
            counts[r["status"]] = r["n"]
        return counts

    def export_rows(self, include_personal: bool = False, access: PersonalAccess | None = None) -> list[dict]:
        """Flat rows for CSV/JSON export; personal data only when ``include_personal`` (otherwise
        the text is masked as :meth:`redact` does). ``created_at`` is Japan time with its offset
        (:func:`jst_iso`), so its date is the 受付番号's.

        Raises:
            ReasonRequired: ``include_personal`` without who and why (``access``), which is
                written to the access log before anything is read.
        """
        if include_personal:
            access = _checked(access)
        proposals = self.list(limit=-1)
        personal: dict[int, tuple] = {}
        if include_personal:
            what = f"{len(proposals)} proposals" + (f" {access.detail}" if access.detail else "")
            with self._write() as conn:
                self._record(conn, iso(self.clock.now()), access, "export", None, what)
                personal = {r[0]: (r[1], r[2]) for r in
                            conn.execute("SELECT proposal_id, name, email FROM proposal_personal")}
        rows = []
        for p in proposals:
            full = self.get(p.id)
            if include_personal:
                name, email = personal.get(p.id, (None, None))
                full = replace(full, name=name, email=email)
            else:
                full = self.redact(full)
            row = {
                "id": full.id, "receipt_no": full.receipt_no, "created_at": jst_iso(full.created_at),
                "source": full.source, "staff_user_id": full.staff_user_id or "", "status": full.status,
                "published": full.published, "title": full.title, "body": full.body, "goal": full.goal,
                "goal_text": full.goal_text or "", "linked_goal": full.linked_goal or "",
                "linked_goal_text": full.linked_goal_text or "", "residency": full.residency,
                "age_group": full.age_group or "", "lang": full.lang,
                "consent_version": full.consent_version or "",
                "sections": "; ".join(f"{s.chunk_id} ({s.score:.3f})" for s in full.sections),
                "duplicates": "; ".join(s.receipt_no for s in full.duplicate_of),
                "public_title": full.public.title if full.public else "",
                "public_excerpt": full.public.excerpt if full.public else "",
            }
            if include_personal:
                row["name"] = full.name or ""
                row["email"] = full.email or ""
            rows.append(row)
        return rows


    # --- personal data: access log, erasure, retention -------------------------------------------

    @staticmethod
    def _record(conn: sqlite3.Connection, at: str, access: PersonalAccess, action: str,
                pid: int | None, subject: str) -> None:
        conn.execute("INSERT INTO personal_access_log (at, by, action, proposal_id, subject, reason)"
                     " VALUES (?,?,?,?,?,?)", (at, access.by.strip(), action, pid, subject, access.reason.strip()))

    def access_log(self, limit: int = 100, ref: int | str | None = None) -> list[AccessRecord]:
        """The newest ``limit`` lines of the personal-data access log (``-1``: all), oldest first.

        Args:
            limit: how many lines.
            ref: only those about this proposal (id or 受付番号).

        Raises:
            ProposalNotFound: ``ref`` names no proposal.
        """
        sql, params = "SELECT * FROM personal_access_log", []
        if ref is not None:
            sql += " WHERE proposal_id = ?"
            params.append(self._resolve(ref))
        rows = self._read(f"SELECT * FROM ({sql} ORDER BY id DESC LIMIT ?) ORDER BY id", [*params, limit])
        return [AccessRecord(r["id"], r["at"], r["by"], r["action"], r["subject"], r["reason"], r["proposal_id"])
                for r in rows]

    def personal_due(self, retention_days: int, now: datetime | None = None) -> list[tuple[int, str, str]]:
        """Proposals that still hold a name or email ``retention_days`` days or more after their
        last status change (``status_at``; the receipt time if it never changed).

        Returns:
            ``(id, 受付番号, last status change)`` for each, the oldest change first.
        """
        cutoff = iso((now or self.clock.now()) - timedelta(days=retention_days))
        rows = self._read(
            "SELECT p.id, p.receipt_no, COALESCE(p.status_at, p.created_at) AS last FROM proposals p"
            " JOIN proposal_personal u ON u.proposal_id = p.id"
            " WHERE COALESCE(p.status_at, p.created_at) <= ? ORDER BY last, p.id", (cutoff,))
        return [(r["id"], r["receipt_no"], r["last"]) for r in rows]

    def erase_personal(self, refs: list[int | str], access: PersonalAccess, *, action: str = "erase",
                       now: datetime | None = None) -> Erasure:
        """Erase the submitter's name and email of each proposal in ``refs``; the proposals stay.

        The ``proposal_personal`` row is deleted, and the name (with any email or phone number)
        is masked where the submitter repeated it in the title and text, as every view without
        personal data already shows it: once the name is gone it could no longer be masked. Each
        erasure is written to the access log, also a request for a proposal with nothing stored.
        Then the file is compacted (:meth:`compact`) so that no copy stays in it.

        Args:
            refs: ids or 受付番号.
            access: who erases and why.
            action: ``erase`` (on request) or ``purge`` (retention period over).
            now: the time recorded (default: the store's clock).

        Returns:
            An :class:`Erasure`: the 受付番号 whose name or email was erased (those with none
            stored left out), and whether the file was compacted.

        Raises:
            ProposalNotFound: a ref names no proposal (nothing is erased).
            ReasonRequired: no who or why.
        """
        access = _checked(access)
        ids = [self._resolve(r) for r in refs]
        at = iso(now or self.clock.now())
        erased = []
        with self._write() as conn:
            for pid in ids:
                receipt, title, body = conn.execute("SELECT receipt_no, title, body FROM proposals WHERE id = ?",
                                                    (pid,)).fetchone()
                got = conn.execute("SELECT name FROM proposal_personal WHERE proposal_id = ?", (pid,)).fetchone()
                if got is None:
                    self._record(conn, at, access, action, pid, f"{receipt} (no name or email stored)")
                    continue
                names = (got[0],) if got[0] else ()
                conn.execute("UPDATE proposals SET title = ?, body = ? WHERE id = ?",
                             (mask_personal(title, names), mask_personal(body, names), pid))
                conn.execute("DELETE FROM proposal_personal WHERE proposal_id = ?", (pid,))
                # The outbox keeps the address of every mail: it goes too. A mail still waiting can no
                # longer be delivered; it is closed as failed, with the reason, never sent.
                conn.execute("UPDATE mail_outbox SET state = 'failed', last_error = 'address erased'"
                             " WHERE proposal_id = ? AND state IN ('pending', 'sending')", (pid,))
                conn.execute("UPDATE mail_outbox SET to_addr = '' WHERE proposal_id = ?", (pid,))
                self._record(conn, at, access, action, pid, receipt)
                erased.append(receipt)
        # Compacted even when nothing was left to erase: a request repeated after a compaction that
        # could not finish (another process was reading) completes it.
        return Erasure(tuple(erased), self.compact() if ids else True)

    def compact(self) -> bool:
        """Rewrite the file without free space and empty the write-ahead log (VACUUM, then a
        truncating checkpoint), so deleted rows are gone from the bytes on disk, not only from
        the tables. Zeroing freed space alone is not enough: copies moved while the tables grew
        stay in unused parts of pages.

        Returns:
            True when done; False when another connection kept it from finishing (logged: the
            rows stay deleted, and the next erasure compacts again).
        """
        with self._lock:
            conn = self.db.conn
            try:
                conn.execute("VACUUM")
                busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            except sqlite3.OperationalError as exc:
                log.warning("could not compact %s after erasing personal data (%s); erased rows may "
                            "remain in unused space until the next erasure or purge", self.path, exc)
                return False
        if busy:
            log.warning("could not empty the write-ahead log of %s (another connection is reading); "
                        "erased rows may remain in it until the next erasure or purge", self.path)
            return False
        return True


def _checked(access: PersonalAccess | None) -> PersonalAccess:
    """``access`` when it names who and why, else :class:`ReasonRequired`."""
    if access is None or not (access.reason or "").strip() or not (access.by or "").strip():
        raise ReasonRequired("reading or erasing names and emails needs who and why (PersonalAccess), "
                             "kept in the access log")
    return access


def _proposal(row: dict, sections=(), similar=(), history=(), personal: dict | None = None) -> Proposal:
    personal = personal or {}
    return Proposal(
        id=row["id"], receipt_no=row["receipt_no"], title=row["title"], body=row["body"],
        goal=row["goal"] or "unknown", residency=row["residency"] or "other", age_group=row["age_group"],
        lang=row["lang"] or "ja", source=row["source"], staff_user_id=row["staff_user_id"],
        consent_version=row["consent_version"], created_at=row["created_at"], status=row["status"],
        published=bool(row["published"]), link_state=row["link_state"] or "pending",
        linked_goal=row["linked_goal"], goal_scores=json.loads(row["goal_scores"] or "{}"),
        sections=tuple(sections), similar=tuple(similar), history=tuple(history),
        slack_channel=row["slack_channel"], slack_ts=row["slack_ts"],
        name=personal.get("name"), email=personal.get("email"),
        goal_label=row.get("goal_label"), goal_text=row.get("goal_text"),
        linked_goal_label=row.get("linked_goal_label"), linked_goal_text=row.get("linked_goal_text"),
    )


def _mail_record(row: dict) -> MailRecord:
    return MailRecord(id=row["id"], kind=row["kind"], state=row["state"], attempts=row["attempts"],
                      next_try_at=row["next_try_at"], last_error=row["last_error"], created_at=row["created_at"],
                      sent_at=row["sent_at"], message_id=row["message_id"])


def _outbox_mail(row: dict) -> OutboxMail:
    return OutboxMail(record=_mail_record(row), proposal_id=row["proposal_id"], to_addr=row["to_addr"],
                      subject=row["subject"], body=row["body"])
