"""Form validation: raw form fields -> :class:`ProposalInput` or field errors.

Pure functions; messages come from :mod:`messages` in the page's language.
Text is never rewritten beyond trimming and CRLF -> LF; HTML is kept as text (escaped on output).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from . import messages as M
from .masking import personal_kinds
from .model import AGE_CHOICES, GOAL_CHOICES, RESIDENCY_CHOICES, STATUSES, TRANSITIONS, ProposalInput, PublicText

LIMITS = {"title": 100, "body": 4000, "name": 50, "email": 254}
# What citizens see of a published proposal: a title and a short excerpt a staff member approved.
PUBLIC_LIMITS = {"public_title": 100, "public_excerpt": 300}
PUBLIC_EXCERPT_CHARS = 160     # the excerpt offered for approval
ANSWER_LIMIT = 3000            # a staff answer: Slack's plain_text_input maximum, so every surface agrees
FIELDS = ("title", "body", "goal", "residency", "age_group", "name", "email", "consent")
# A pragmatic address check (local@domain.tld, no spaces); RFC 5322 in full accepts things
# no mail server of the city would deliver to.
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
# Bidirectional overrides and isolates can disguise text (Trojan-Source style); reject them.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass
class Validation:
    """The outcome of validating one submission."""

    value: ProposalInput | PublicText | str | None
    errors: dict[str, str] = field(default_factory=dict)   # field -> message, in form order
    form: dict[str, str] = field(default_factory=dict)     # what to put back in the form

    @property
    def ok(self) -> bool:
        return not self.errors


def has_control_chars(text: str, allow_newlines: bool) -> bool:
    """True when ``text`` holds C0/C1 controls (except tab/newline if allowed) or bidi overrides."""
    for ch in text:
        if ch in "\n\t" and allow_newlines:
            continue
        if ch in _BIDI or unicodedata.category(ch) == "Cc":
            return True
    return False


def clean_text(raw: str | None) -> str:
    """Trim and normalise line endings; everything else is kept as written."""
    return (raw or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def is_blank(text: str) -> bool:
    """Empty or only whitespace (including the ideographic space U+3000)."""
    return not text or all(ch.isspace() or unicodedata.category(ch) in ("Zs", "Cf") for ch in text)


def validate_proposal(form: Mapping[str, str], lang: str = "ja", *, consent_version: str | None = None,
                      require_consent: bool = True, source: str = "citizen",
                      staff_user_id: str | None = None) -> Validation:
    """Check a submission and build the proposal to store.

    Args:
        form: raw field values (missing fields are treated as empty).
        lang: language of the error messages.
        consent_version: privacy notice version stored with the proposal.
        require_consent: staff ideas from Slack have no consent checkbox.
        source: "citizen" or "staff".
        staff_user_id: Slack user id for staff ideas.

    Returns:
        A :class:`Validation` with ``value`` set when there are no errors.
    """
    kept = {k: clean_text(form.get(k)) for k in FIELDS if k != "consent"}
    kept["consent"] = "yes" if form.get("consent") in ("yes", "on", "1", "true") else ""
    errors: dict[str, str] = {}

    def fname(key: str) -> str:
        return M.t(key, lang)

    for key, multiline, required in (("title", False, True), ("body", True, True),
                                     ("name", False, False), ("email", False, False)):
        text = kept[key]
        if is_blank(text):
            kept[key] = "" if not required else kept[key]
            if required:
                errors[key] = M.t("error_required", lang, field=fname(key))
            continue
        if has_control_chars(text, allow_newlines=multiline):
            errors[key] = M.t("error_control", lang, field=fname(key))
        elif not multiline and "\n" in text:
            errors[key] = M.t("error_newline", lang, field=fname(key))
        elif len(text) > LIMITS[key]:
            errors[key] = M.t("error_too_long", lang, field=fname(key), max=LIMITS[key], n=len(text))
        elif key == "email" and not EMAIL_RE.match(text):
            errors[key] = M.t("error_email", lang)

    if kept["goal"] not in GOAL_CHOICES:
        errors["goal"] = M.t("error_choose", lang, field=fname("goal")) if not kept["goal"] else \
            M.t("error_invalid_choice", lang, field=fname("goal"))
    if kept["residency"] not in RESIDENCY_CHOICES:
        errors["residency"] = M.t("error_choose", lang, field=fname("residency")) if not kept["residency"] else \
            M.t("error_invalid_choice", lang, field=fname("residency"))
    if kept["age_group"] and kept["age_group"] not in AGE_CHOICES:
        errors["age_group"] = M.t("error_invalid_choice", lang, field=fname("age_group"))
    if require_consent and not kept["consent"]:
        errors["consent"] = M.t("error_consent", lang)

    ordered = {k: errors[k] for k in FIELDS if k in errors}
    if ordered:
        return Validation(None, ordered, kept)
    value = ProposalInput(
        title=kept["title"], body=kept["body"], goal=kept["goal"], residency=kept["residency"],
        age_group=kept["age_group"] or None, name=kept["name"] or None,
        email=kept["email"] or None, consent_version=consent_version if require_consent else None,
        lang=lang, source=source, staff_user_id=staff_user_id,
    )
    return Validation(value, {}, kept)


def validate_public_text(title: str | None, excerpt: str | None, lang: str = "ja",
                         names: Iterable[str | None] = ()) -> Validation:
    """Check the public title and excerpt a staff member is about to publish.

    Besides blanks, lengths and control characters, refuses text in which the masker still finds
    an email, phone number, long number or the submitter's own name: approval means a person
    looked, and what the checks can find must already be gone.

    Args:
        title: the public title (one line).
        excerpt: the public excerpt (line breaks allowed).
        lang: language of the error messages.
        names: the submitter's name as typed into the form.

    Returns:
        A :class:`Validation` whose ``value`` is a :class:`PublicText` when there are no errors
        (errors keyed ``public_title`` / ``public_excerpt``).
    """
    kept = {"public_title": clean_text(title), "public_excerpt": clean_text(excerpt)}
    errors: dict[str, str] = {}
    for key, multiline in (("public_title", False), ("public_excerpt", True)):
        text, label = kept[key], M.t(key, lang)
        if is_blank(text):
            errors[key] = M.t("error_required", lang, field=label)
        elif not multiline and "\n" in text:
            errors[key] = M.t("error_newline", lang, field=label)
        elif has_control_chars(text, allow_newlines=multiline):
            errors[key] = M.t("error_control", lang, field=label)
        elif len(text) > PUBLIC_LIMITS[key]:
            errors[key] = M.t("error_too_long", lang, field=label, max=PUBLIC_LIMITS[key], n=len(text))
        elif kinds := personal_kinds(text, names):
            errors[key] = M.t("error_public_personal", lang, field=label,
                              kinds=M.t("list_sep", lang).join(M.label(M.PERSONAL_KINDS, k, lang) for k in kinds))
    if errors:
        return Validation(None, errors, kept)
    return Validation(PublicText(kept["public_title"], kept["public_excerpt"]), {}, kept)


def answer_statuses(current: str) -> tuple[str, ...]:
    """The outcomes an answer may set on a proposal whose status is ``current``: the current one
    (an edit keeps it) and the moves :data:`TRANSITIONS` allows; never 受付 (received)."""
    allowed = {current, *TRANSITIONS[current]} - {"received"}
    return tuple(s for s in STATUSES if s in allowed)


def validate_answer(text: str | None, status: str | None, current: str, *, published: bool,
                    lang: str = "ja", names: Iterable[str | None] = ()) -> Validation:
    """Check a staff answer before it is saved (and mailed to the citizen).

    Args:
        text: the answer (line breaks allowed).
        status: the outcome to set (a status code).
        current: the proposal's status now.
        published: whether citizens will see the answer on the status page; then it must be free
            of contact details and the submitter's name, as approved public text is.
        lang: language of the error messages.
        names: the submitter's name as typed into the form.

    Returns:
        A :class:`Validation` whose ``value`` is the cleaned text (errors keyed ``answer_text`` /
        ``answer_status``).
    """
    kept = {"answer_text": clean_text(text), "answer_status": (status or "").strip()}
    errors: dict[str, str] = {}
    body, label = kept["answer_text"], M.t("answer_text", lang)
    if is_blank(body):
        errors["answer_text"] = M.t("error_required", lang, field=label)
    elif has_control_chars(body, allow_newlines=True):
        errors["answer_text"] = M.t("error_control", lang, field=label)
    elif len(body) > ANSWER_LIMIT:
        errors["answer_text"] = M.t("error_too_long", lang, field=label, max=ANSWER_LIMIT, n=len(body))
    elif published and (kinds := personal_kinds(body, names)):
        errors["answer_text"] = M.t("error_answer_personal", lang, kinds=M.t("list_sep", lang).join(
            M.label(M.PERSONAL_KINDS, k, lang) for k in kinds))
    allowed = answer_statuses(current)
    if not kept["answer_status"]:
        errors["answer_status"] = M.t("error_choose", lang, field=M.t("answer_status", lang))
    elif kept["answer_status"] not in allowed:
        errors["answer_status"] = M.t(
            "error_answer_status", lang, src=M.label(M.STATUS_LABELS, current, lang),
            dst=M.label(M.STATUS_LABELS, kept["answer_status"], lang),
            allowed=M.t("list_sep", lang).join(M.label(M.STATUS_LABELS, s, lang) for s in allowed))
    if errors:
        return Validation(None, errors, kept)
    return Validation(body, {}, kept)
