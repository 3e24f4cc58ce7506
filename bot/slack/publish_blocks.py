"""Block Kit of publishing a revision from Slack: the staged version, its buttons, the outcomes.

Pure functions, like bot/slack/blocks.py. The buttons carry everything a click needs (which version,
what it was compared with, which upload), so a click is understood after a restart too.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Sequence

from bot.slack.blocks import MAX_BLOCKS_MESSAGE, MAX_TEXT, SlackMessage, context, escape, fit, fit_blocks, plain, section
from bot.slack.publish_messages import t
from corpus.inspect import Inspection, format_inspection

ACTION_PUBLISH = "revision_publish"
ACTION_DISCARD = "revision_discard"
ACTION_UNDO = "revision_undo"
BLOCK_DECISION = "revision_decision"
BLOCK_UNDO = "revision_undo"
BLOCK_OUTCOME = "revision_outcome"

INSPECTION_CHARS = 2600       # the `index inspect` text shown (a code block in one section)
MAX_NOTES = 10


@dataclass(frozen=True)
class Staged:
    """A version built from a file sent in Slack and not published yet (the value of its buttons)."""

    version: str
    base: str          # the version current when it was built ("" when there was none): what the diff shows
    upload: str        # the upload's key (its directory under <data dir>/uploads)
    name: str          # the file's name

    def value(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_value(cls, value: str) -> "Staged":
        """Raises ValueError for a value that is not one (a forged or garbled click)."""
        d = json.loads(value)
        if not isinstance(d, dict) or not isinstance(d.get("version"), str) or not d["version"]:
            raise ValueError("not a staged version")
        return cls(version=d["version"], base=str(d.get("base") or ""), upload=str(d.get("upload") or ""),
                   name=str(d.get("name") or ""))


@dataclass(frozen=True)
class Undo:
    """Going back from ``new`` to ``old`` (the value of a 元に戻す button)."""

    new: str
    old: str

    def value(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_value(cls, value: str) -> "Undo":
        """Raises ValueError for a value that is not one."""
        d = json.loads(value)
        if not isinstance(d, dict) or not all(isinstance(d.get(k), str) and d[k] for k in ("new", "old")):
            raise ValueError("not an undo")
        return cls(new=d["new"], old=d["old"])


# --- pieces -------------------------------------------------------------------------------------

def note(text: str) -> SlackMessage:
    """A one-section message whose ``text`` is already mrkdwn (values in it escaped by the caller)."""
    return SlackMessage(text=fit(text, MAX_TEXT), blocks=[section(text)])


def _confirm(lang: str, title: str, text: str) -> dict:
    return {"title": plain(fit(title, 100)), "text": plain(fit(text, 300)),
            "confirm": plain(fit(t(lang, "confirm_yes"), 30)), "deny": plain(fit(t(lang, "confirm_no"), 30))}


def _button(label: str, action_id: str, value: str, style: str | None, confirm: dict) -> dict:
    b = {"type": "button", "text": plain(fit(label, 75)), "action_id": action_id, "value": value, "confirm": confirm}
    if style:
        b["style"] = style
    return b


def decision_actions(staged: Staged, lang: str) -> dict:
    """公開する / 破棄する, each asking for confirmation."""
    value = staged.value()
    return {"type": "actions", "block_id": BLOCK_DECISION, "elements": [
        _button(t(lang, "btn_publish"), ACTION_PUBLISH, value, "primary",
                _confirm(lang, t(lang, "confirm_publish_title"), t(lang, "confirm_publish", version=staged.version))),
        _button(t(lang, "btn_discard"), ACTION_DISCARD, value, "danger",
                _confirm(lang, t(lang, "confirm_discard_title"), t(lang, "confirm_discard", version=staged.version))),
    ]}


def undo_actions(new: str, old: str, lang: str = "ja") -> dict:
    """The 元に戻す button: back from version ``new`` to ``old`` (only admins may use it)."""
    return {"type": "actions", "block_id": BLOCK_UNDO, "elements": [
        _button(t(lang, "btn_undo"), ACTION_UNDO, Undo(new=new, old=old).value(), "danger",
                _confirm(lang, t(lang, "confirm_undo_title"), t(lang, "confirm_undo", new=new, old=old))),
    ]}


def inspection_blocks(ins: Inspection, lang: str) -> list[dict]:
    """How the file was read: the counts, the ``index inspect`` text, and what is worth a look."""
    summary = t(lang, "summary", title=escape(fit(ins.title or "-", 200)), sections=len(ins.sections),
                terms=len(ins.glossary), chunks=ins.chunks, no_page=ins.chunks_without_page, pages=ins.pages,
                page_source=t(lang, f"page_{ins.page_source}"), removed=len(ins.removed), unplaced=len(ins.unplaced))
    blocks = [section(summary), section(f"```{escape(_whole_lines(format_inspection(ins), INSPECTION_CHARS))}```")]
    if ins.notes:
        shown = [f"• {escape(fit(n, 400))}" for n in ins.notes[:MAX_NOTES]]
        if len(ins.notes) > MAX_NOTES:
            shown.append(f"• … +{len(ins.notes) - MAX_NOTES}")
        blocks.append(section(t(lang, "notes", notes="\n".join(shown))))
    return blocks


def _whole_lines(text: str, limit: int) -> str:
    """``text`` cut after the last whole line that fits in ``limit`` characters, saying how many are left out."""
    if len(text) <= limit:
        return text
    lines, kept, size = text.splitlines(), [], 0
    for line in lines:
        if size + len(line) + 1 > limit - 20:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept + [f"… (+{len(lines) - len(kept)} lines)"])


# --- messages -----------------------------------------------------------------------------------

def staged_message(staged: Staged, ins: Inspection, diff_blocks: Sequence[dict], lang: str) -> SlackMessage:
    """The staged version for the admin's DM: how the file was read, what changed, 公開する / 破棄する.

    Args:
        staged: the version and what it was compared with.
        ins: the inspection of the file (:func:`corpus.inspect.inspect_source`).
        diff_blocks: what changed from ``staged.base``, as the announcement will show it (none
            when there was no current version).
        lang: wording language.
    """
    name = escape(staged.name)
    lead = (t(lang, "staged_lead", name=name, version=staged.version, current=staged.base) if staged.base
            else t(lang, "staged_lead_first", name=name, version=staged.version))
    body: list[dict] = [{"type": "header", "text": plain(fit(t(lang, "staged_title"), 150))}, section(lead)]
    body += inspection_blocks(ins, lang)
    body.append({"type": "divider"})
    body.append(section(t(lang, "changes")))
    body += list(diff_blocks) if staged.base else [section(t(lang, "no_previous"))]
    tail = [decision_actions(staged, lang)]
    text = f"{t(lang, 'staged_title')}\n{lead}"
    return SlackMessage(text=fit(text, MAX_TEXT), blocks=fit_blocks(body, tail, lang, MAX_BLOCKS_MESSAGE))


def with_outcome(blocks: Sequence[dict], outcome: str, extra: Sequence[dict] = ()) -> list[dict]:
    """A message after a click: its 公開する / 破棄する or 元に戻す buttons replaced by ``outcome``
    (mrkdwn), then ``extra`` blocks (the 元に戻す of a version just published)."""
    kept = [b for b in blocks if b.get("block_id") not in (BLOCK_DECISION, BLOCK_OUTCOME, BLOCK_UNDO)]
    tail = [context(outcome, block_id=BLOCK_OUTCOME), *extra]
    return kept[: MAX_BLOCKS_MESSAGE - len(tail)] + tail
