"""What a citizen's mail says: subject and body of the answer and receipt mails (pure).

The texts live in :data:`messages.MAIL_TEXTS` (Japanese and English); the link is the status
page ``{public_url}/proposals/status?receipt=…`` on the form's public origin
(``REFORMBOT_PUBLIC_URL``). The store writes the composed mail into the outbox in the same
transaction as the answer, so what is sent is what was composed when the answer was saved.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

from feedback.clock import JST

from . import messages as M
from .model import Proposal, ProposalAnswer

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class MailOptions:
    """How the store writes mail to citizens into the outbox.

    Args:
        public_url: the public origin of the form, used for links in mails.
        receipts: also queue a receipt confirmation when a proposal with an address is stored.
    """

    public_url: str = DEFAULT_PUBLIC_URL
    receipts: bool = False


def status_url(public_url: str, receipt_no: str) -> str:
    """The status page of one proposal: ``{public_url}/proposals/status?receipt=RECEIPT``."""
    return f"{public_url.rstrip('/')}/proposals/status?receipt={quote(receipt_no, safe='')}"


def message_id(public_url: str) -> str:
    """A new, unique Message-ID on the public host (``<random.reformbot@host>``). It is stored with
    the outbox row, so every attempt to send that row carries the same one."""
    host = urlsplit(public_url).hostname or "localhost"
    return f"<{secrets.token_hex(16)}.reformbot@{host}>"


def answer_mail(p: Proposal, answer: ProposalAnswer, public_url: str, *, edit: bool = False) -> tuple[str, str]:
    """``(subject, body)`` of the mail telling the submitter of ``p`` its answer, in their language.

    Args:
        p: the proposal (its language, 受付番号 and the citizen's own title).
        answer: the answer just saved.
        public_url: the public origin for the status-page link.
        edit: the answer replaces one already given (the subject and first line say so).
    """
    lang = M.normalise_lang(p.lang)
    site = M.t("site_name", lang)
    subject = M.mail_text("answer_subject_edit" if edit else "answer_subject", lang, site=site, receipt=p.receipt_no)
    body = M.mail_text("answer_body", lang, site=site, receipt=p.receipt_no, title=p.title,
                       status=M.label(M.STATUS_LABELS, answer.status, lang), answer=answer.text,
                       url=status_url(public_url, p.receipt_no))
    if edit:
        body = M.mail_text("answer_body_edit_note", lang) + body
    return subject, body


def receipt_mail(p: Proposal, public_url: str) -> tuple[str, str]:
    """``(subject, body)`` of the receipt confirmation for ``p``, in the submitter's language."""
    lang = M.normalise_lang(p.lang)
    site = M.t("site_name", lang)
    return (M.mail_text("receipt_subject", lang, site=site, receipt=p.receipt_no),
            M.mail_text("receipt_body", lang, site=site, receipt=p.receipt_no, title=p.title,
                        received_at=_jst(p.created_at), url=status_url(public_url, p.receipt_no),
                        key_line=(f"{'照会キー' if lang == 'ja' else 'Lookup key'}: {p.lookup_key}\n"
                                  if p.lookup_key else "")))


def _jst(iso_text: str) -> str:
    dt = datetime.strptime(iso_text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return f"{dt.astimezone(JST):%Y-%m-%d %H:%M} JST"
