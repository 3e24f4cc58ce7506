"""Answer feedback at the HTTP edge: log what the staff page and /api/ask answered, take 👍/👎.

The staff page has no login and no JavaScript, so a vote is a small POST form under the answer:

* the browser is one voter: a random cookie (``rb_voter``, HttpOnly, SameSite=Strict), stored
  only as a hash in ``answer_votes.user_id`` (``web:<hash>``); one vote per answer per browser
  (the table's unique index);
* the form carries a token signed for that cookie and that answer id (:class:`FormTokens`, as the
  proposal form): another site can make a browser post, but cannot read a token, and without the
  cookie (which SameSite keeps off cross-site posts) no token is valid.

SQLite writes run on Starlette's thread pool, never on the event loop; a failed write is logged
and the answer is shown anyway.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from feedback.answers import VERDICTS, AlreadyVoted, UnknownAnswer
from feedback.proposals.guard import FormTokens

if TYPE_CHECKING:
    from bot.contract import Answer
    from feedback.answers import FeedbackStore

log = logging.getLogger(__name__)

VOTER_COOKIE = "rb_voter"
VOTER_COOKIE_AGE = 365 * 24 * 3600
VOTE_PATH = "/vote"
ANSWER_ID_HEADER = "X-Answer-Id"
"""Response header with the logged answer's id (the answer contract itself stays as it is)."""


@dataclass(frozen=True)
class VoteForm:
    """What the page needs to draw the 👍/👎 form under one answer."""

    answer_id: int
    token: str
    action: str = VOTE_PATH


def _valid_cookie(value: str | None) -> bool:
    return bool(value) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def voter_id(cookie: str) -> str:
    """The voter as stored: a hash of the browser's cookie, never the cookie itself."""
    return "web:" + hashlib.sha256(cookie.encode()).hexdigest()[:16]


class WebFeedback:
    """Answer log and votes for the web surfaces, over one :class:`FeedbackStore`."""

    def __init__(self, store: "FeedbackStore"):
        self.store = store
        self.tokens = FormTokens(store.vote_secret, clock=store.clock.wall)

    async def record(self, answer: "Answer", *, lang: str, surface: str) -> int | None:
        """Log ``answer`` as shown on ``surface`` (``web`` or ``api``); its id, or None if logging failed."""
        try:
            return await run_in_threadpool(
                self.store.record_answer, question=answer.question, chunk_ids=[s.id for s in answer.sources],
                found=answer.found, lang=lang, surface=surface, index_version=answer.index_version)
        except Exception as exc:      # the answer matters more than its log line in the database
            log.error("answer not logged for feedback (%s): %s", surface, exc)
            return None

    def voter(self, request: Request) -> tuple[str, bool]:
        """``(cookie, is_new)``: this browser's voter cookie, or a new one to set."""
        cookie = request.cookies.get(VOTER_COOKIE)
        if _valid_cookie(cookie):
            return cookie, False
        return FormTokens.new_cookie(), True

    def form(self, cookie: str, answer_id: int) -> VoteForm:
        return VoteForm(answer_id=answer_id, token=self.tokens.token(cookie, str(answer_id)))

    @staticmethod
    def set_cookie(response: Response, cookie: str, request: Request) -> None:
        response.set_cookie(VOTER_COOKIE, cookie, max_age=VOTER_COOKIE_AGE, httponly=True, samesite="strict",
                            path="/", secure=request.url.scheme == "https")

    async def vote(self, request: Request, form: dict) -> tuple[str, int]:
        """Store the vote posted in ``form``.

        Returns:
            ``(outcome, HTTP status)``; outcome is a key of the page's messages: ``vote_thanks``,
            ``vote_already``, ``vote_bad``, ``vote_expired``, ``vote_unknown`` or ``vote_error``.
        """
        answer_id, verdict = str(form.get("answer_id", "")), str(form.get("verdict", ""))
        if not answer_id.isdigit() or len(answer_id) > 18 or verdict not in VERDICTS:
            return "vote_bad", 400
        cookie = request.cookies.get(VOTER_COOKIE)
        if not _valid_cookie(cookie) or not self.tokens.valid(cookie, answer_id, str(form.get("token", ""))):
            log.info("vote: missing, expired or foreign token; 403")
            return "vote_expired", 403
        try:
            await run_in_threadpool(self.store.vote, int(answer_id), user_id=voter_id(cookie), channel_id="",
                                    verdict=verdict)
        except AlreadyVoted:
            return "vote_already", 200
        except UnknownAnswer:
            return "vote_unknown", 404
        except Exception as exc:
            log.error("vote on answer %s not stored: %s", answer_id, exc)
            return "vote_error", 503
        log.info("vote %s on answer %s from the staff page", verdict, answer_id)
        return "vote_thanks", 200
