"""Block Kit rendering: pure functions from answers and status dicts to Slack payloads.

Nothing here talks to Slack. Every builder returns text that fits Block Kit's limits
(50 blocks per message, 100 per view, 3,000 characters per text object, 75 per button label)
by trimming, never by failing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from bot.about import NO_DOCUMENT, About, from_title
from bot.contract import Answer, Source
from bot.slack.messages import t

MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_VIEW = 100
MAX_TEXT = 3000
MAX_BUTTON_TEXT = 75
MAX_HEADER = 150
MAX_FALLBACK = 3000
MAX_CONTEXT_ELEMENTS = 10

PASSAGE_CHARS = 1500        # one quoted passage of a found answer
LEAD_CHARS = 2700           # the answer's own passage: a whole list (bot/structure.py LIST_CHARS) fits
RELATED_CHARS = 300         # one excerpt of a "related" section when nothing answered
MAX_SOURCES_SHOWN = 3

# action / block / callback ids the listeners route on
ACTION_UP = "feedback_up"
ACTION_DOWN = "feedback_down"
ACTION_POST = "post_to_channel"
ACTION_SYNONYM = "synonym_suggest"        # 同義語に追加: show the proposed line (admins)
ACTION_SYNONYM_ADD = "synonym_add"        # 追加する: append it to the synonyms file (admins)
BLOCK_FEEDBACK = "answer_feedback"
BLOCK_FEEDBACK_STATUS = "feedback_status"
BLOCK_CONTEXT = "answer_context"
MODAL_FEEDBACK = "feedback_comment"
MODAL_INPUT_BLOCK = "comment"
MODAL_INPUT_ACTION = "comment_input"


@dataclass(frozen=True)
class SlackMessage:
    """A message ready for ``chat.postMessage``/``respond``: fallback text plus blocks."""

    text: str
    blocks: list[dict] = field(default_factory=list)

    def as_kwargs(self) -> dict:
        return {"text": self.text, "blocks": self.blocks}


# --- text helpers -----------------------------------------------------------------------
def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending in "…" when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def quote(text: str, limit: int) -> str:
    """Outline text as an escaped mrkdwn block quote of at most ``limit`` characters."""
    body = fit(" ".join(text.split()) if "\n" not in text else text.strip(), limit)
    lines = [escape(line) for line in body.splitlines() if line.strip()]
    return "\n".join("> " + line for line in lines) or "> "


def citation(source: Source, *, document: bool = False) -> str:
    """Breadcrumb and page as the document prints it, e.g. ``第４章 … › ４－１ 計画期間 (本編 p.9)``;
    with ``document`` (several documents indexed) after the document's title in 『』."""
    page = f" ({source.cite_page()})" if source.cite_page() else ""
    title = f"『{source.document.title}』 " if document and source.document else ""
    return f"{title}{source.section}{page}".strip()


def _squash(text: str) -> str:
    return "".join(text.split())


def bold(text: str, limit: int) -> str:
    """Outline text in bold, line by line (mrkdwn bold does not span lines), escaped; a
    half-width ``*`` of the text becomes ``＊`` so it cannot end the bold early."""
    lines = [line.strip() for line in fit(text.strip(), limit).splitlines() if line.strip()]
    return "\n".join(f"*{escape(line.replace('*', '＊'))}*" for line in lines)


def without_highlight(passage: str, highlight: str) -> str:
    """``passage`` with the highlighted sentences and bullets taken out (they are shown above it)."""
    from bot.highlight import without

    return without(passage, highlight)


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": fit(text, MAX_TEXT)}


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": fit(text, MAX_TEXT), "emoji": True}


def section(text: str, block_id: str | None = None) -> dict:
    block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    return block


def context(*texts: str, block_id: str | None = None) -> dict:
    block = {"type": "context", "elements": [mrkdwn(x) for x in texts[:MAX_CONTEXT_ELEMENTS]]}
    if block_id:
        block["block_id"] = block_id
    return block


def button(label: str, action_id: str, value: str, style: str | None = None) -> dict:
    b = {"type": "button", "text": plain(fit(label, MAX_BUTTON_TEXT)), "action_id": action_id, "value": fit(value, 2000)}
    if style:
        b["style"] = style
    return b


def fit_blocks(body: Sequence[dict], tail: Sequence[dict], lang: str, limit: int = MAX_BLOCKS_MESSAGE) -> list[dict]:
    """``body + tail`` within ``limit`` blocks; the tail (buttons, context) is always kept.

    When the body is too long it is cut and a note says so.
    """
    body, tail = list(body), list(tail)
    if len(body) + len(tail) <= limit:
        return body + tail
    room = max(limit - len(tail) - 1, 0)
    return body[:room] + [context(t(lang, "trimmed"))] + tail[: limit - room - 1]


# --- answers ----------------------------------------------------------------------------
def index_context(status: Mapping | None, lang: str) -> str:
    """The context line: which document (its title in ``status``) and which index built when."""
    status = status or {}
    about = from_title(str(status.get("title") or ""))
    version = str(status.get("index_version") or t(lang, "unknown"))
    built = str(status.get("built_at") or "")[:10]
    if built:
        return t(lang, "context_line", about=about, version=version, built=built)
    return t(lang, "context_line_nodate", about=about, version=version)


def feedback_actions(answer_id: int, lang: str, *, can_post: bool = False, can_suggest: bool = False) -> dict:
    """👍/👎 buttons (and "post to channel" for ephemeral answers, 同義語に追加 for answers not
    found); values carry the answer id."""
    value = str(answer_id)
    elements = [
        button(t(lang, "btn_up"), ACTION_UP, value),
        button(t(lang, "btn_down"), ACTION_DOWN, value),
    ]
    if can_post:
        elements.append(button(t(lang, "btn_post"), ACTION_POST, value, style="primary"))
    if can_suggest:
        elements.append(synonym_button(answer_id, lang))
    return {"type": "actions", "block_id": BLOCK_FEEDBACK, "elements": elements}


def synonym_button(answer_id: int, lang: str) -> dict:
    """同義語に追加 (admins): learn a word of this answer's question (bot/slack/synonyms.py)."""
    return button(t(lang, "btn_synonym"), ACTION_SYNONYM, str(answer_id))


def with_synonym_button(blocks: Sequence[dict], answer_id: int, lang: str) -> list[dict]:
    """The message with 同義語に追加 among its feedback buttons (after a 👎), once."""
    out = []
    for b in blocks:
        if b.get("block_id") == BLOCK_FEEDBACK and not any(e.get("action_id") == ACTION_SYNONYM for e in b.get("elements", [])):
            b = dict(b, elements=[*b.get("elements", []), synonym_button(answer_id, lang)])
        out.append(b)
    return out


def answer_message(
    answer: Answer,
    *,
    lang: str,
    status: Mapping | None = None,
    contact: str = "行政経営課",
    answer_id: int | None = None,
    ephemeral: bool = False,
    asked_by: str | None = None,
) -> SlackMessage:
    """Render an :class:`Answer` as Block Kit plus a plain-text fallback.

    Args:
        answer: the extractive answer (outline text only).
        lang: ``"ja"`` or ``"en"``; the bot's own wording, never the quoted outline text.
        status: ``QAService.status()`` for the index version/date context line.
        contact: whom to ask when the outline does not cover the question.
        answer_id: the logged answer's id; adds the 👍/👎 buttons when given.
        ephemeral: adds the "post to channel" button (slash-command answers).
        asked_by: user id; shows "question from @user" (answers shared to a channel).

    Returns:
        A :class:`SlackMessage` within Block Kit limits.
    """
    about = from_title(str((status or {}).get("title") or ""))    # names the document in the wording
    body: list[dict] = []
    # The fallback ``text`` is mrkdwn too (notifications, screen readers, clients without blocks):
    # everything quoted into it is escaped exactly as in the blocks, so a question such as
    # "<!channel>" or "<https://…|label>" stays text and never becomes a mention or a link.
    fallback: list[str] = []
    if asked_by:
        body.append(section(t(lang, "posted_by", user=asked_by, question=escape(fit(answer.question, 500)))))
        fallback.append(t(lang, "question_plain", question=escape(fit(answer.question, 500))))

    if answer.searched_as:      # a follow-up read with the thread's earlier turns: say how
        said = t(lang, "searched_as", searched=escape(fit(answer.searched_as, 300)))
        body.append(context("🔎 " + said))
        fallback.append(said)

    sources = list(answer.sources)
    named = answer.several_documents          # citations name their document
    if answer.found:
        shown = sources[:MAX_SOURCES_SHOWN]
        passages = [(src.text, src) for src in shown]
        lead = answer.answer.strip()
        body.append(section(t(lang, "answer_heading", about=about)))
        if answer.highlight.strip():
            # The exact line first, in bold; the rest of its passage follows as context.
            body.append(section(bold(answer.highlight, PASSAGE_CHARS)))
            fallback.append(escape(fit(answer.highlight, 1000)))
        if answer.notice:
            body.append(context(escape(answer.notice)))
            fallback.append(escape(answer.notice))
        lead_shown = False
        if lead and not any(_squash(lead) in _squash(text) for text, _ in passages):
            if passages and _squash(passages[0][0]) in _squash(lead):
                passages[0] = (lead, passages[0][1])       # the lead is the first source, with its heading
            else:
                rest = without_highlight(lead, answer.highlight)
                if rest.strip():
                    body.append(section(quote(rest, LEAD_CHARS)))
                fallback.append(escape(fit(lead, 1000)))
                lead_shown = True
        for i, (text, src) in enumerate(passages):
            if i == 1:
                body.append(section(t(lang, "more_sources")))
            if i == 0 and not lead_shown and answer.highlight.strip():
                rest = without_highlight(text, answer.highlight)
                if rest.strip():
                    body.append(section(quote(rest, LEAD_CHARS)))
            else:
                body.append(section(quote(text, LEAD_CHARS if i == 0 else PASSAGE_CHARS)))
            body.append(context("📖 " + escape(citation(src, document=named))))
            fallback.append(escape(f"{fit(' '.join(text.split()), 600)}\n— {citation(src, document=named)}"))
        if answer.glossary:
            body.append(section(t(lang, "glossary_heading")))
            for note in answer.glossary:
                body.append(section(f"*{escape(note.term)}*：{escape(fit(note.definition, PASSAGE_CHARS))}"))
                fallback.append(escape(f"{note.term}: {fit(note.definition, 400)}"))
    else:
        missing = (t(lang, "not_found_in", title=escape(answer.document.title)) if named and answer.document
                   else escape(t(lang, "not_found", about=about)))
        body.append(section(f"*{missing}*"))
        fallback.append(missing)
        if answer.notice:
            body.append(section(escape(answer.notice)))
            fallback.append(escape(answer.notice))
        if sources:
            body.append(section(t(lang, "related_heading")))
            fallback.append(t(lang, "related_heading").replace("*", ""))
            lines = []
            for src in sources[:MAX_SOURCES_SHOWN]:
                lines.append(f"• {escape(citation(src, document=named))}\n{quote(src.text, RELATED_CHARS)}")
                fallback.append(escape(f"- {citation(src, document=named)}"))
            for line in lines:
                body.append(section(line))
    if answer.other_sources:
        # Several documents: what the others say, apart from the answer and named by document.
        body.append(section(t(lang, "other_documents_heading")))
        fallback.append(t(lang, "other_documents_heading").replace("*", ""))
        for src in answer.other_sources[:MAX_SOURCES_SHOWN]:
            body.append(section(quote(src.text, RELATED_CHARS)))
            body.append(context("📖 " + escape(citation(src, document=True))))
            fallback.append(escape(f"{fit(' '.join(src.text.split()), 300)}\n— {citation(src, document=True)}"))
    if not answer.found:
        body.append(section(t(lang, "ask_contact", contact=escape(contact))))
        fallback.append(t(lang, "ask_contact", contact=escape(contact)))

    tail: list[dict] = [context(escape(index_context(status, lang)), block_id=BLOCK_CONTEXT)]
    if answer_id is not None:
        tail.append(feedback_actions(answer_id, lang, can_post=ephemeral, can_suggest=not answer.found))
    return SlackMessage(text=fit("\n".join(fallback), MAX_FALLBACK), blocks=fit_blocks(body, tail, lang))


def with_feedback_status(blocks: Sequence[dict], note: str) -> list[dict]:
    """The same message with its "thanks (👍 n · 👎 m)" line added or replaced.

    The 👍/👎 buttons stay so that other readers can still vote; the store refuses a second vote
    from the same user.
    """
    kept = [b for b in blocks if b.get("block_id") != BLOCK_FEEDBACK_STATUS]
    status = context(note, block_id=BLOCK_FEEDBACK_STATUS)
    if len(kept) >= MAX_BLOCKS_MESSAGE:
        kept = kept[: MAX_BLOCKS_MESSAGE - 1]
    # Just above the buttons when they are there, else at the end.
    for i, b in enumerate(kept):
        if b.get("block_id") == BLOCK_FEEDBACK:
            return kept[:i] + [status] + kept[i:]
    return kept + [status]


def without_post_button(blocks: Sequence[dict]) -> list[dict]:
    """Blocks with the "post to channel" button removed (after the answer was shared)."""
    out = []
    for b in blocks:
        if b.get("block_id") == BLOCK_FEEDBACK:
            b = dict(b, elements=[e for e in b["elements"] if e.get("action_id") != ACTION_POST])
        out.append(b)
    return out


def simple_message(text: str) -> SlackMessage:
    """A one-section message (errors, notes)."""
    return SlackMessage(text=escape(fit(text, MAX_FALLBACK)), blocks=[section(escape(text))])


@dataclass(frozen=True)
class CommandHelp:
    """One ``/reform`` subcommand as help shows it: its words (the first is the main one) and summary."""

    words: tuple[str, ...]
    summary: str = ""


def usage_line(commands: Sequence[CommandHelp], lang: str) -> str:
    """``[質問] | idea | changes | help``: what may follow ``/reform`` (the manifest's usage hint)."""
    return " | ".join([t(lang, "usage_question"), *(c.words[0] for c in commands), "help"])


def help_message(lang: str, commands: Sequence[CommandHelp] = (), about: About = NO_DOCUMENT) -> SlackMessage:
    """``/reform help``: what the bot does, the usage with every subcommand, and example questions.

    Args:
        lang: wording language.
        commands: the registered subcommands (:meth:`bot.slack.bot.SlackBot.commands`).
        about: the current document (its name, kind and example questions).
    """
    questions = about.questions(lang)
    examples = "\n".join(f"• `{escape(q)}`" for q in questions)
    lines = [t(lang, "usage", usage=usage_line(commands, lang))]
    for c in commands:
        others = t(lang, "list_separator").join(f"`{w}`" for w in c.words[1:])
        aliases = t(lang, "command_aliases", words=others) if others else ""
        lines.append(f"• `/reform {c.words[0]}`{aliases}" + (f" — {escape(c.summary)}" if c.summary else ""))
    lines.append(f"• `/reform help` — {t(lang, 'command_help')}")
    usage = "\n".join(lines)
    title, body = t(lang, "help_title", about=about), escape(t(lang, "help_body", about=about))
    blocks = [
        {"type": "header", "text": plain(fit(title, MAX_HEADER))},
        section(body),
        section(fit(usage, MAX_TEXT)),
    ]
    if questions:
        blocks.append(section(f"{t(lang, 'help_examples')}\n{examples}"))
    text = f"{escape(title)}\n{body}\n{usage}\n" + "\n".join(escape(q) for q in questions)
    return SlackMessage(text=fit(text, MAX_FALLBACK), blocks=blocks)


def feedback_modal(answer_id: int, lang: str, *, channel_id: str = "", message_ts: str = "") -> dict:
    """The optional "what was wrong?" modal opened after a 👎."""
    return {
        "type": "modal",
        "callback_id": MODAL_FEEDBACK,
        "private_metadata": json.dumps({"answer_id": answer_id, "lang": lang, "channel": channel_id, "ts": message_ts}),
        "title": plain(fit(t(lang, "modal_title"), 24)),
        "submit": plain(fit(t(lang, "modal_submit"), 24)),
        "close": plain(fit(t(lang, "modal_close"), 24)),
        "blocks": [
            {
                "type": "input",
                "block_id": MODAL_INPUT_BLOCK,
                "optional": True,
                "label": plain(fit(t(lang, "modal_label"), 2000)),
                "element": {
                    "type": "plain_text_input",
                    "action_id": MODAL_INPUT_ACTION,
                    "multiline": True,
                    "max_length": 1000,
                    "placeholder": plain(fit(t(lang, "modal_placeholder"), 150)),
                },
            }
        ],
    }


HomeSection = Callable[[str, str], Sequence[dict]]
"""An App Home section provider: ``(user_id, lang) -> blocks``."""


def home_view(
    status: Mapping | None,
    lang: str = "ja",
    *,
    contact: str = "行政経営課",
    sections: Sequence[tuple[str, Sequence[dict]]] = (),
    about: About | None = None,
) -> dict:
    """The App Home tab: what the bot knows, example questions, how to submit ideas.

    Args:
        status: ``QAService.status()``, or None when the index is not available.
        lang: wording language.
        contact: named in the default "ideas" text.
        sections: ``(name, blocks)`` from registered providers, in order; one named ``"ideas"``
            replaces the default how-to-submit-ideas text.
        about: the current document (name, example questions); default: what the title in
            ``status`` says (no examples).
    """
    if about is None:
        about = from_title(str((status or {}).get("title") or ""))
    blocks: list[dict] = [{"type": "header", "text": plain(fit(t(lang, "home_title", about=about), MAX_HEADER))}]
    if status:
        blocks.append(
            section(
                t(
                    lang,
                    "home_knows",
                    title=escape(str(status.get("title") or "")),
                    version=escape(str(status.get("index_version") or t(lang, "unknown"))),
                    built=escape(str(status.get("built_at") or "")[:10] or t(lang, "unknown")),
                    sections=status.get("sections", "?"),
                    terms=status.get("glossary_terms", "?"),
                    chunks=status.get("chunks", "?"),
                )
            )
        )
        documents = status.get("documents") or []
        if len(documents) > 1:
            lines = [t(lang, "home_document_current" if d.get("current") else "home_document",
                       title=escape(str(d.get("title") or "")), id=escape(str(d.get("id") or "")))
                     for d in documents]
            blocks.append(section("\n".join([t(lang, "home_documents"), *lines])))
    else:
        blocks.append(section(t(lang, "home_unavailable")))
    blocks.append({"type": "divider"})
    blocks.append(section(t(lang, "home_howto")))
    questions = about.questions(lang)
    if questions:
        examples = "\n".join(f"• {escape(q)}" for q in questions)
        blocks.append(section(f"{t(lang, 'help_examples')}\n{examples}"))
    names = {name for name, _ in sections}
    if "ideas" not in names:
        blocks.append({"type": "divider"})
        blocks.append(section(t(lang, "home_ideas", how=t(lang, "home_ideas_default", contact=escape(contact)))))
    for _name, extra in sections:
        blocks.append({"type": "divider"})
        blocks.extend(extra)
    return {"type": "home", "blocks": fit_blocks(blocks, [], lang, limit=MAX_BLOCKS_VIEW)}
