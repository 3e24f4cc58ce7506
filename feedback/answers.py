"""Answer feedback from staff: which answers were shown, and whether they helped.

Two tables in the shared SQLite file (``<data_dir>/reformbot.db``), created by numbered
sqlite-utils migrations applied on open:

- ``answer_log``: one row per answer the bot showed (question, chunk ids shown, found, where:
  :data:`SURFACES`).
- ``answer_votes``: one 👍/👎 per user per answer, with an optional comment (a Slack user, or
  ``web:<hash of a browser cookie>`` on the staff page).

Plain functions over a :class:`FeedbackStore`; no Slack imports here.
"""
from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from feedback.clock import SYSTEM_CLOCK, Clock
from feedback.sqlite import connect_private, enable_wal, tighten_sidecars

VERDICTS = ("up", "down")
SURFACES = ("mention", "dm", "thread", "slash", "web", "api", "cli")
"""Where an answer was shown: Slack (mention, dm, thread, slash), the staff page, /api/ask, `reformbot ask`."""

migrations = Migrations("answer_feedback")
SECTION_CHARS = 300
"""Longest breadcrumb kept with a logged answer."""


@migrations(name="001_answer_log_and_votes")
def _m001(db: Database) -> None:
    db["answer_log"].create(
        {
            "id": int,
            "question": str,
            "chunk_ids": str,        # JSON list of the chunk ids shown, in rank order
            "found": int,            # 1 when the outline answered, 0 when only "related" was shown
            "lang": str,
            "surface": str,          # one of SURFACES (mention | dm | thread | slash at first)
            "user_id": str,          # who asked
            "channel_id": str,
            "thread_ts": str,        # the conversation the answer belongs to ('' for none)
            "message_ts": str,       # the bot's message ('' for ephemeral answers)
            "index_version": str,
            "created_at": str,
        },
        pk="id",
    )
    db["answer_log"].create_index(["channel_id", "thread_ts"])
    db["answer_votes"].create(
        {
            "id": int,
            "answer_id": int,
            "user_id": str,
            "channel_id": str,
            "verdict": str,
            "comment": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("answer_id", "answer_log", "id")],
    )
    # One vote per user per answer message: the database says no to a second one.
    db["answer_votes"].create_index(["answer_id", "user_id"], unique=True)


@migrations(name="002_slack_event_claims")
def _m002(db: Database) -> None:
    # Slack events already taken by this app (event ids, channel+ts): a retry or redelivery
    # after a restart must not be answered a second time.
    db["slack_event_claims"].create({"key": str, "claimed_at": float}, pk="key")
    db["slack_event_claims"].create_index(["claimed_at"])


@migrations(name="003_answer_meta")
def _m003(db: Database) -> None:
    # Secret that signs the staff page's 👍/👎 forms (bot/web_feedback.py): generated once per
    # database, never leaves it.
    db["answer_meta"].create({"key": str, "value": str}, pk="key")
    db["answer_meta"].insert({"key": "vote_secret", "value": secrets.token_hex(32)})


@migrations(name="005_answer_log_section")
def _m005(db: Database) -> None:
    # The heading path that answered (first source, found answers only): a thread's follow-up
    # (「それって…」) is read with it (bot/conversation.py). Outline text, no personal data.
    # 005: 004 is the synonym suggestions' table (branch i12-suggest).
    db["answer_log"].add_column("section", str, not_null_default="")


class FeedbackError(Exception):
    "Answer feedback could not be recorded."


class UnknownAnswer(FeedbackError):
    "No answer with that id was logged."


class AlreadyVoted(FeedbackError):
    "This user has already voted on this answer."


class BadVerdict(FeedbackError):
    "A verdict must be 'up' or 'down'."


@dataclass(frozen=True)
class AnswerRecord:
    """An answer the bot showed, as logged."""

    id: int
    question: str
    chunk_ids: tuple[str, ...]
    found: bool
    lang: str
    surface: str
    user_id: str
    channel_id: str
    thread_ts: str
    message_ts: str
    index_version: str
    created_at: str


@dataclass(frozen=True)
class VoteCounts:
    up: int = 0
    down: int = 0


@dataclass(frozen=True)
class QuestionCount:
    question: str
    count: int


@dataclass(frozen=True)
class SurfaceCount:
    """Answers shown, not in the outline, and votes, on one surface (:data:`SURFACES`)."""

    surface: str
    answers: int = 0
    unanswered: int = 0
    votes_up: int = 0
    votes_down: int = 0


@dataclass(frozen=True)
class FeedbackStats:
    """The summary ``reformbot feedback stats`` prints."""

    answers: int
    unanswered: int
    votes_up: int
    votes_down: int
    most_unhelpful: tuple[QuestionCount, ...] = field(default=())
    most_unanswered: tuple[QuestionCount, ...] = field(default=())
    recent_comments: tuple[tuple[str, str], ...] = field(default=())   # (question, comment)
    by_surface: tuple[SurfaceCount, ...] = field(default=())

    def to_dict(self) -> dict:
        return {
            "answers": self.answers,
            "unanswered": self.unanswered,
            "votes": {"up": self.votes_up, "down": self.votes_down},
            "by_surface": {c.surface: {"answers": c.answers, "unanswered": c.unanswered,
                                       "votes": {"up": c.votes_up, "down": c.votes_down}}
                           for c in self.by_surface},
            "most_unhelpful": [{"question": q.question, "count": q.count} for q in self.most_unhelpful],
            "most_unanswered": [{"question": q.question, "count": q.count} for q in self.most_unanswered],
            "recent_comments": [{"question": q, "comment": c} for q, c in self.recent_comments],
        }


class FeedbackStore:
    """Answer log and votes in one SQLite file (WAL), safe to share between threads.

    Args:
        path: the SQLite file (created with its directory if missing), or ``":memory:"``.
    """

    def __init__(self, path: str | Path, clock: Clock = SYSTEM_CLOCK):
        self.path = str(path)
        self.clock = clock
        # One connection guarded by a lock: Bolt runs listeners on a thread pool. The file is the
        # one the proposals (personal data) live in: owner-only, like theirs.
        if self.path == ":memory:":
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
        else:
            conn = connect_private(self.path, timeout=10)
        self._lock = threading.RLock()
        self.db = Database(conn)
        with self._lock:
            if self.path != ":memory:":
                enable_wal(self.db)
                tighten_sidecars(self.path)
            self.db.execute("PRAGMA foreign_keys = ON")
            if migrations.pending(self.db):
                with self._write():
                    migrations.apply(self.db)

    @contextlib.contextmanager
    def _write(self):
        """A write transaction that takes the write lock up front (BEGIN IMMEDIATE).

        A deferred transaction that reads first and writes later fails at once with "database is
        locked" when another connection wrote in between; IMMEDIATE waits for the busy timeout.
        """
        with self._lock:
            self.db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.conn.rollback()
                raise
            else:
                self.db.conn.commit()

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()

    @property
    def vote_secret(self) -> bytes:
        """Secret for signing the staff page's vote forms (created by a migration)."""
        with self._lock:
            row = self.db.execute("select value from answer_meta where key = 'vote_secret'").fetchone()
        return bytes.fromhex(row[0])

    # --- Slack event claims ---------------------------------------------------------------
    def claim_event(self, key: str, *, now: float, ttl_seconds: float) -> bool:
        """Record ``key`` as handled; True the first time within ``ttl_seconds``, else False.

        Args:
            key: event id or channel+ts key.
            now: wall-clock time (seconds since the epoch).
            ttl_seconds: how long a claim lasts; older claims are pruned here.
        """
        with self._write() as db:
            db.execute("DELETE FROM slack_event_claims WHERE claimed_at < ?", [now - ttl_seconds])
            cur = db.execute("INSERT OR IGNORE INTO slack_event_claims (key, claimed_at) VALUES (?, ?)", [key, now])
            return cur.rowcount == 1

    # --- answers -------------------------------------------------------------------------
    def record_answer(
        self,
        *,
        question: str,
        chunk_ids: Sequence[str],
        found: bool,
        lang: str = "ja",
        surface: str = "",
        user_id: str = "",
        channel_id: str = "",
        thread_ts: str = "",
        message_ts: str = "",
        index_version: str = "",
        section: str = "",
    ) -> int:
        """Log an answer about to be shown and return its id (carried by the feedback buttons).

        ``section`` is the breadcrumb of the passage that answered ("" when not found), at most
        :data:`SECTION_CHARS` characters kept."""
        with self._write():
            table = self.db["answer_log"]
            table.insert(
                {
                    "question": question,
                    "chunk_ids": json.dumps(list(chunk_ids), ensure_ascii=False),
                    "found": int(bool(found)),
                    "lang": lang,
                    "surface": surface,
                    "user_id": user_id,
                    "channel_id": channel_id,
                    "thread_ts": thread_ts or "",
                    "message_ts": message_ts or "",
                    "index_version": index_version,
                    "created_at": self.clock.now().isoformat(timespec="seconds"),
                    "section": (section or "")[:SECTION_CHARS],
                }
            )
            return int(table.last_pk)

    def set_message_ts(self, answer_id: int, message_ts: str) -> None:
        """Remember which Slack message shows the answer (known only after posting)."""
        with self._write():
            self.db["answer_log"].update(answer_id, {"message_ts": message_ts})

    def get_answer(self, answer_id: int) -> AnswerRecord:
        """Raises:
            UnknownAnswer: no such id.
        """
        with self._lock:
            rows = list(self.db["answer_log"].rows_where("id = ?", [answer_id]))
        if not rows:
            raise UnknownAnswer(f"answer {answer_id} is not in the log")
        return _record(rows[0])

    def thread_questions(self, channel_id: str, thread_ts: str) -> list[str]:
        """Earlier questions the bot answered in this thread, oldest first.

        The thread is either the one the answers were posted in, or (in a DM, where answers are
        top-level messages) the thread started under one of the bot's answers.
        """
        if not thread_ts:
            return []
        with self._lock:
            rows = self.db["answer_log"].rows_where(
                "channel_id = ? and (thread_ts = ? or message_ts = ?)", [channel_id, thread_ts, thread_ts], order_by="id"
            )
            return [r["question"] for r in rows]

    def thread_turns(self, channel_id: str, thread_ts: str, limit: int = 10) -> list[dict]:
        """The last ``limit`` turns the bot answered in this thread, oldest first: ``{"question",
        "section"}`` (the section that answered, "" when not found). Same thread rule as
        :meth:`thread_questions`."""
        if not thread_ts:
            return []
        with self._lock:
            rows = list(self.db.execute(
                "select question, section from answer_log where channel_id = ? and (thread_ts = ? or message_ts = ?)"
                " order by id desc limit ?", [channel_id, thread_ts, thread_ts, int(limit)]).fetchall())
        return [{"question": q, "section": s or ""} for q, s in reversed(rows)]

    def thread_askers(self, channel_id: str, thread_ts: str) -> set[str]:
        """Users whose questions the bot answered in this thread."""
        if not thread_ts:
            return set()
        with self._lock:
            rows = self.db.execute(
                "select distinct user_id from answer_log where channel_id = ? and (thread_ts = ? or message_ts = ?)",
                [channel_id, thread_ts, thread_ts],
            ).fetchall()
        return {r[0] for r in rows if r[0]}

    # --- votes ---------------------------------------------------------------------------
    def vote(self, answer_id: int, *, user_id: str, channel_id: str, verdict: str) -> VoteCounts:
        """Store one user's verdict on one answer and return the new counts.

        Raises:
            BadVerdict: verdict is not ``up``/``down``.
            UnknownAnswer: the answer id is not in the log.
            AlreadyVoted: this user already voted on this answer (the first vote stands).
        """
        if verdict not in VERDICTS:
            raise BadVerdict(f"verdict must be one of {VERDICTS}, not {verdict!r}")
        with self._lock:
            self.get_answer(answer_id)
            try:
                with self._write():
                    self.db["answer_votes"].insert(
                        {
                            "answer_id": answer_id,
                            "user_id": user_id,
                            "channel_id": channel_id,
                            "verdict": verdict,
                            "comment": "",
                            "created_at": self.clock.now().isoformat(timespec="seconds"),
                        }
                    )
            except sqlite3.IntegrityError:
                raise AlreadyVoted(f"user {user_id} already voted on answer {answer_id}") from None
            return self.counts(answer_id)

    def add_comment(self, answer_id: int, *, user_id: str, comment: str) -> bool:
        """Attach the "what was wrong" text to this user's vote. Returns False if there is no vote."""
        with self._write():
            cur = self.db.execute(
                "update answer_votes set comment = ? where answer_id = ? and user_id = ?",
                [comment.strip(), answer_id, user_id],
            )
            return cur.rowcount > 0

    def counts(self, answer_id: int) -> VoteCounts:
        with self._lock:
            rows = self.db.execute(
                "select verdict, count(*) from answer_votes where answer_id = ? group by verdict",
                [answer_id],
            ).fetchall()
        d = dict(rows)
        return VoteCounts(up=d.get("up", 0), down=d.get("down", 0))

    def votes(self, answer_id: int | None = None) -> list[dict]:
        """Raw vote rows (for tests and exports)."""
        with self._lock:
            if answer_id is None:
                return list(self.db["answer_votes"].rows)
            return list(self.db["answer_votes"].rows_where("answer_id = ?", [answer_id]))

    # --- summary -------------------------------------------------------------------------
    def stats(self, limit: int = 10) -> FeedbackStats:
        """Totals plus the questions most often marked unhelpful and most often unanswered."""
        with self._lock:
            q = self.db.execute
            answers, unanswered = q("select count(*), coalesce(sum(found = 0), 0) from answer_log").fetchone()
            up = q("select count(*) from answer_votes where verdict = 'up'").fetchone()[0]
            down = q("select count(*) from answer_votes where verdict = 'down'").fetchone()[0]
            unhelpful = q(
                """select l.question, count(*) as n from answer_votes v join answer_log l on l.id = v.answer_id
                   where v.verdict = 'down' group by l.question order by n desc, max(v.id) desc limit ?""",
                [limit],
            ).fetchall()
            missing = q(
                """select question, count(*) as n from answer_log where found = 0
                   group by question order by n desc, max(id) desc limit ?""",
                [limit],
            ).fetchall()
            comments = q(
                """select l.question, v.comment from answer_votes v join answer_log l on l.id = v.answer_id
                   where v.comment != '' order by v.id desc limit ?""",
                [limit],
            ).fetchall()
            answers_by = q("select surface, count(*), coalesce(sum(found = 0), 0) from answer_log group by surface").fetchall()
            votes_by = q(
                """select l.surface, coalesce(sum(v.verdict = 'up'), 0), coalesce(sum(v.verdict = 'down'), 0)
                   from answer_votes v join answer_log l on l.id = v.answer_id group by l.surface"""
            ).fetchall()
        return FeedbackStats(
            answers=answers,
            unanswered=unanswered,
            votes_up=up,
            votes_down=down,
            most_unhelpful=_counts(unhelpful),
            most_unanswered=_counts(missing),
            recent_comments=tuple((a, b) for a, b in comments),
            by_surface=_by_surface(answers_by, votes_by),
        )


def _by_surface(answers: Iterable[tuple], votes: Iterable[tuple]) -> tuple[SurfaceCount, ...]:
    """Per-surface counts in :data:`SURFACES` order (others, from older or newer code, after them)."""
    a = {(s or "?"): (n, u) for s, n, u in answers}
    v = {(s or "?"): (up, down) for s, up, down in votes}
    names = [s for s in SURFACES if s in a or s in v] + sorted((set(a) | set(v)) - set(SURFACES))
    return tuple(SurfaceCount(s, *a.get(s, (0, 0)), *v.get(s, (0, 0))) for s in names)


def _counts(rows: Iterable[tuple[str, int]]) -> tuple[QuestionCount, ...]:
    return tuple(QuestionCount(question=qn, count=n) for qn, n in rows)


def _record(row: dict) -> AnswerRecord:
    return AnswerRecord(
        id=row["id"],
        question=row["question"],
        chunk_ids=tuple(json.loads(row["chunk_ids"] or "[]")),
        found=bool(row["found"]),
        lang=row["lang"],
        surface=row["surface"],
        user_id=row["user_id"],
        channel_id=row["channel_id"],
        thread_ts=row["thread_ts"],
        message_ts=row["message_ts"],
        index_version=row["index_version"],
        created_at=row["created_at"],
    )
