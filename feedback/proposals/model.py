"""Dataclasses for citizen (and staff) proposals.

form -> :class:`ProposalInput` (validated) -> SQLite (:class:`Proposal`) -> outline links
(:class:`SectionLink`, :class:`Similar`) -> Slack notification -> staff answer
(:class:`ProposalAnswer`) -> mail to the citizen through the outbox (:class:`MailRecord`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Related goal the citizen picks: 重点目標１/２/３ or 「わからない」.
GOALS = ("1", "2", "3")
GOAL_CHOICES = GOALS + ("unknown",)
RESIDENCY_CHOICES = ("resident", "worker", "student", "other")   # 市内在住/在勤/在学/その他
AGE_CHOICES = ("under20", "20s", "30s", "40s", "50s", "60s", "70plus")
SOURCES = ("citizen", "staff")

# Statuses: 受付 → 検討中 → 対応済 / 対応困難 / 対象外 (the set from the issue; it maps onto how a
# city office answers a 市民の声: received, under review, then one of three outcomes).
STATUSES = ("received", "reviewing", "done", "difficult", "out_of_scope")
FINAL_STATUSES = ("done", "difficult", "out_of_scope")
# Kinds of mail to a citizen who left an address: the staff answer, and (optional) a receipt.
MAIL_KINDS = ("answer", "receipt")
# Outbox states: pending (to send, maybe after a back-off) -> sending (claimed by a worker) ->
# sent | failed (refused, out of tries, or interrupted after the hand-over: never sent twice).
MAIL_STATES = ("pending", "sending", "sent", "failed")
# Allowed moves. A final status may be reopened to 検討中 (staff click the wrong button, or a
# proposal comes back); nothing goes back to 受付, which only means "nobody has looked yet".
TRANSITIONS = {
    "received": ("reviewing", "done", "difficult", "out_of_scope"),
    "reviewing": ("done", "difficult", "out_of_scope"),
    "done": ("reviewing",),
    "difficult": ("reviewing",),
    "out_of_scope": ("reviewing",),
}


@dataclass(frozen=True)
class ProposalInput:
    """A validated submission, ready to store. Text is kept exactly as written (after trimming)."""

    title: str
    body: str
    goal: str                      # one of GOAL_CHOICES (the submitter's own choice)
    residency: str = "other"       # one of RESIDENCY_CHOICES ("other" for staff ideas)
    age_group: str | None = None
    name: str | None = None        # personal data: stored in its own table
    email: str | None = None       # personal data: stored in its own table
    consent_version: str | None = None
    lang: str = "ja"
    source: str = "citizen"
    staff_user_id: str | None = None
    submission_token: str | None = None   # double-submit guard: one proposal per token


@dataclass(frozen=True)
class SectionLink:
    """An outline section a proposal is related to."""

    rank: int
    chunk_id: str
    section: str          # breadcrumb
    page: int | None
    score: float


@dataclass(frozen=True)
class Similar:
    """An earlier proposal close in meaning."""

    proposal_id: int
    receipt_no: str
    title: str
    score: float
    duplicate: bool       # above the near-duplicate threshold


@dataclass(frozen=True)
class StatusChange:
    """One entry of a proposal's status history."""

    status: str
    actor: str            # "system", "slack:U123", "cli:<user>"
    note: str
    at: str               # ISO 8601 UTC


@dataclass(frozen=True)
class Proposal:
    """A stored proposal. Personal data (name, email) only when explicitly loaded."""

    id: int
    receipt_no: str
    title: str
    body: str
    goal: str                       # the submitter's choice
    residency: str
    age_group: str | None
    lang: str
    source: str
    staff_user_id: str | None
    consent_version: str | None
    created_at: str
    status: str
    published: bool
    link_state: str                 # "pending" | "linked" | "failed"
    linked_goal: str | None         # "1"/"2"/"3" from the outline, None when no goal section matched
    goal_scores: dict = field(default_factory=dict)
    sections: tuple[SectionLink, ...] = ()
    similar: tuple[Similar, ...] = ()
    history: tuple[StatusChange, ...] = ()
    slack_channel: str | None = None
    slack_ts: str | None = None
    name: str | None = None         # personal; None unless loaded with include_personal
    email: str | None = None        # personal; None unless loaded with include_personal
    public: "PublicText | None" = None   # what citizens see, as a staff member approved it
    answers: "tuple[ProposalAnswer, ...]" = ()   # staff answers, oldest first; the last is current
    mails: "tuple[MailRecord, ...]" = ()          # mail to the citizen (no address), oldest first

    @property
    def answer(self) -> "ProposalAnswer | None":
        """The current answer (the latest saved), or None when staff have not answered."""
        return self.answers[-1] if self.answers else None
    # 照会キー, set only on the object ProposalStore.add returns when it creates the proposal (the
    # store keeps only a hash): for the receipt page and the receipt mail. Never in a repr or a log.
    lookup_key: str | None = field(default=None, repr=False)

    @property
    def duplicate_of(self) -> tuple[Similar, ...]:
        """Earlier proposals flagged as near-duplicates."""
        return tuple(s for s in self.similar if s.duplicate)


@dataclass(frozen=True)
class PersonalAccess:
    """Who reads or erases submitters' names and emails, and why: kept in the access log.

    ``by`` is recorded as given (``cli:suzuki``, ``system``); ``detail`` adds to what was read
    (e.g. where an export was written).
    """

    by: str
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class AccessRecord:
    """One line of the personal-data access log."""

    id: int
    at: str                      # ISO 8601 UTC
    by: str                      # "cli:<user>", "system"
    action: str                  # one of ACCESS_ACTIONS
    subject: str                 # a 受付番号, or what an export held
    reason: str
    proposal_id: int | None = None


@dataclass(frozen=True)
class Erasure:
    """What :meth:`ProposalStore.erase_personal` did."""

    erased: tuple[str, ...]      # 受付番号 whose name or email was erased
    compacted: bool              # the file was rewritten without them (False: not yet, see the log)


ACCESS_ACTIONS = ("show", "export", "erase", "purge")
"""What happened to personal data: read one (show), read all (export), erased on request (erase),
erased at the end of the retention period (purge)."""


@dataclass(frozen=True)
class PublicText:
    """The title and excerpt of a published proposal that citizens see, exactly as a staff member
    approved them (shown in the form's similar-proposals preview; nothing else of it is public)."""

    title: str
    excerpt: str
    approved_by: str = ""      # "cli:<name>", "slack:U…"
    approved_at: str = ""      # ISO 8601 UTC


@dataclass(frozen=True)
class PublicProposal:
    """A published proposal as the public list shows it: the approved title and excerpt, the chosen
    goal, the status and dates — nothing else of the proposal (no text, no name, no email)."""

    id: int
    receipt_no: str
    title: str                 # approved public title
    excerpt: str               # approved public excerpt
    goal: str                  # the submitter's choice (one of GOAL_CHOICES)
    status: str
    created_at: str            # received, ISO 8601 UTC
    status_at: str             # last status change
    published_at: str          # when a staff member approved the public text


@dataclass(frozen=True)
class LinkResult:
    """What the linker found for one proposal."""

    goal: str | None
    goal_scores: dict
    sections: tuple[SectionLink, ...]


@dataclass(frozen=True)
class ProposalAnswer:
    """A staff answer to a proposal. Editing saves a new one; earlier ones stay as history."""

    text: str
    status: str           # the outcome set with it (one of STATUSES)
    published: bool       # shown to citizens on the status page
    author: str           # "slack:U…", "cli:<name>"
    created_at: str       # ISO 8601 UTC


@dataclass(frozen=True)
class MailRecord:
    """One outbox row as staff see it: what was sent and how it went, without the address or text."""

    id: int
    kind: str             # one of MAIL_KINDS
    state: str            # one of MAIL_STATES
    attempts: int
    next_try_at: str | None
    last_error: str | None     # address and credentials never appear here
    created_at: str
    sent_at: str | None        # when the message was handed to the mail server
    message_id: str


@dataclass(frozen=True)
class OutboxMail:
    """An outbox row the worker sends: a :class:`MailRecord` with its address and text (personal)."""

    record: MailRecord
    proposal_id: int
    to_addr: str
    subject: str
    body: str
