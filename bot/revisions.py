"""Telling people about a revision: Slack announcement, the "what changed?" answer, proposals to review.

Pure builders (Block Kit dicts, :class:`bot.contract.Answer`) from a :class:`index.diff.RevisionDiff`,
plus thin functions that post them with a given Slack ``WebClient`` and a Slack plugin
(:func:`slack_plugin`) that hooks them to :meth:`bot.service.QAService.add_switch_listener`.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from bot.revision_messages import t
from index.diff import ItemChange, RevisionDiff

if TYPE_CHECKING:  # pragma: no cover
    from bot.contract import Answer
    from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_CHANGES_SHOWN = 15        # changed items listed in one announcement (3 blocks budget each)
LINE_CHARS = 300              # one old/new line in Slack

# 「改訂で何が変わった？」 「最新版の変更点は？」 "what changed in the latest revision?"
_JA_REVISION = re.compile(r"(改訂|改定|最新版|新しい版|版が|版で|アップデート|索引の更新|データの更新)")
_JA_CHANGE = re.compile(r"(変わ|変更|違い|ちがい|差分|更新|追加|削除|どこ|何|なに)")
_EN_REVISION = re.compile(r"\b(revision|revised|(latest|new|newest|current|last) (version|update|edition))\b")
_EN_CHANGE = re.compile(r"\b(chang\w*|differen\w*|new|diff)\b")


def is_revision_question(question: str) -> bool:
    """True when the question asks what changed in the latest revision (not about outline content).

    「第６次行政改革で何が変わった？」 asks about the outline and is not one: the question must name a
    revision/version (改訂, 最新版, "revision", "latest version"…) and ask about change.
    """
    q = unicodedata.normalize("NFKC", question).lower()
    if _JA_REVISION.search(q) and _JA_CHANGE.search(q):
        return True
    return bool(_EN_REVISION.search(q) and _EN_CHANGE.search(q))


def _lang(question: str) -> str:
    from bot.messages import is_english

    return "en" if is_english(question) else "ja"


# --- text helpers -----------------------------------------------------------------------------

def escape(text: str) -> str:
    """Escape Slack mrkdwn control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def citation(change: ItemChange) -> str:
    """「breadcrumb (大綱P.x)」 of a changed item."""
    return change.citation


# --- Slack announcement -------------------------------------------------------------------------

def _change_block(ch: ItemChange, lang: str) -> dict:
    head = (f"*{t(lang, 'op_' + ch.op)}* ({t(lang, 'kind_' + ch.kind)}) {escape(citation(ch))}")
    lines = []
    for line in ch.lines:
        old, new = line.marked()
        if old:
            lines.append(f"> {t(lang, 'old')}: {escape(fit(_one_line(old), LINE_CHARS))}")
        if new:
            lines.append(f"> {t(lang, 'new')}: {escape(fit(_one_line(new), LINE_CHARS))}")
    body = "\n".join(lines)
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(head + ("\n" + body if body else ""), MAX_TEXT)}}


def announcement_message(diff: RevisionDiff, lang: str = "ja") -> tuple[str, list[dict]]:
    """The announcement of a switch: version, counts, each changed section with 大綱P.x, old/new.

    Returns:
        (plain-text fallback, blocks) within Block Kit limits (trimmed, never failing).
    """
    counts = diff.counts()
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": fit(t(lang, "header"), 150)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": t(lang, "versions", new=diff.new_version, old=diff.old_version)
                                     + "\n" + t(lang, "counts", **counts)}},
    ]
    fallback = [t(lang, "header"), t(lang, "versions", new=diff.new_version, old=diff.old_version).replace("`", ""),
                t(lang, "counts", **counts)]
    if diff.empty:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": t(lang, "no_changes")}})
        fallback.append(t(lang, "no_changes"))
    shown = list(diff.changes[:MAX_CHANGES_SHOWN])
    for ch in shown:
        blocks.append({"type": "divider"})
        blocks.append(_change_block(ch, lang))
        fallback.append(f"- {t(lang, 'op_' + ch.op)}: {citation(ch)}")
    rest = len(diff.changes) - len(shown)
    context = [t(lang, "how_to_see", old=diff.old_version, new=diff.new_version)]
    if rest > 0:
        context.insert(0, t(lang, "more", n=rest))
        fallback.append(t(lang, "more", n=rest))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": fit(" ".join(context), MAX_TEXT)}]})
    return fit("\n".join(fallback), MAX_TEXT), blocks[:MAX_BLOCKS]


def post_announcement(client, channel: str, diff: RevisionDiff, lang: str = "ja") -> dict | None:
    """Post the announcement with ``client`` (a slack_sdk WebClient); errors are logged, not raised.

    Returns:
        The chat.postMessage response, or None when posting failed.
    """
    text, blocks = announcement_message(diff, lang)
    try:
        return client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)
    except Exception as exc:
        log.error("revision announcement to %s failed: %s", channel, exc)
        return None


# --- proposals whose linked sections changed -------------------------------------------------

def affected_proposals(store, chunk_ids: Iterable[str]) -> list[tuple[object, list[object]]]:
    """(proposal, its links to changed chunks) for every proposal linked to one of ``chunk_ids``.

    Args:
        store: a :class:`feedback.proposals.store.ProposalStore`.
        chunk_ids: chunk ids whose text changed or that were removed (``RevisionDiff.changed_chunk_ids``).
    """
    ids = sorted(set(chunk_ids))
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    rows = store.db.execute(
        f"SELECT DISTINCT proposal_id FROM proposal_sections WHERE chunk_id IN ({marks}) ORDER BY proposal_id",
        ids).fetchall()
    out = []
    for (pid,) in rows:
        p = store.redact(store.get(pid))     # the submitter's name masked too (issue 9)
        out.append((p, [s for s in p.sections if s.chunk_id in ids]))
    return out


def proposals_message(diff: RevisionDiff, affected: Sequence[tuple[object, list[object]]],
                      lang: str = "ja") -> tuple[str, list[dict]]:
    """Block Kit listing proposals to review after a revision (no personal data: 受付番号 and the
    title with contact details masked)."""
    from feedback.proposals.masking import mask_personal

    lines = []
    for p, links in affected:
        sections = "、".join(dict.fromkeys(
            f"{s.section} (大綱P.{s.page})" if getattr(s, "page", None) else s.section for s in links))
        title = mask_personal(_one_line(p.title))     # a citizen may write contact details anywhere
        lines.append(t(lang, "proposal_line", receipt=escape(p.receipt_no), title=escape(fit(title, 80)),
                       sections=escape(fit(sections, 400))))
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn",
                                                       "text": "*" + t(lang, "proposals_header", new=diff.new_version) + "*"}}]
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > MAX_TEXT - 10 and chunk:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
    blocks = blocks[:MAX_BLOCKS - 1]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": t(lang, "proposals_note")}]})
    text = t(lang, "proposals_header", new=diff.new_version) + "\n" + "\n".join(
        line.replace("*", "") for line in lines)
    return fit(text, MAX_TEXT), blocks


def flag_proposals(client, channel: str, store, diff: RevisionDiff, lang: str = "ja") -> int:
    """Post the proposals whose linked sections changed; returns how many were flagged."""
    affected = affected_proposals(store, diff.changed_chunk_ids)
    if not affected:
        return 0
    text, blocks = proposals_message(diff, affected, lang)
    try:
        client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)
    except Exception as exc:
        log.error("proposals-to-review message to %s failed: %s", channel, exc)
    return len(affected)


# --- the "what changed?" answer ---------------------------------------------------------------

def latest_diff(root: Path, serving: str | None = None) -> RevisionDiff | None:
    """The diff previous -> current (or -> the version ``serving`` when given); None with no previous.

    Raises:
        index.errors.IndexError_: a version cannot be read.
    """
    from index.diff import diff_versions
    from index.versions import read_pointer, version_dir

    pointer = read_pointer(root)
    if pointer is None or not pointer.previous:
        return None
    new = serving or pointer.version
    old = pointer.previous if pointer.previous != new else None
    if old is None:
        return None
    return diff_versions(version_dir(root, old), version_dir(root, new))


def _switched_by_rollback(root: Path, version: str) -> bool:
    """True when ``version`` became current through ``index rollback`` (so it is older text, not news)."""
    from index.errors import IndexError_
    from index.versions import read_pointer

    try:
        pointer = read_pointer(root)
    except IndexError_:
        return False
    return pointer is not None and pointer.version == version and pointer.reason == "rollback"


def revision_answer(question: str, root: Path, serving: str | None = None) -> "Answer":
    """An answer in the shared contract to 「改訂で何が変わった？」: the diff summary.

    Extractive like every answer: the changed and added lines are quoted from the outline (new
    text as sources, with breadcrumb and 大綱P.x); removed lines are quoted from the old version.
    """
    from bot.contract import Answer, Source
    from index.errors import IndexError_

    lang = _lang(question)
    try:
        diff = latest_diff(Path(root), serving)
    except IndexError_ as exc:
        log.error("revision diff unavailable: %s", exc)
        return Answer(question=question, found=False, answer=t(lang, "answer_unavailable"),
                      index_version=serving or "", meta={"revision": True})
    if diff is None:
        return Answer(question=question, found=True, answer=t(lang, "answer_none", new=serving or "?"),
                      index_version=serving or "", meta={"revision": True})
    counts = diff.counts()
    lead = "answer_lead_rollback" if _switched_by_rollback(Path(root), diff.new_version) else "answer_lead"
    lines = [t(lang, lead, new=diff.new_version, old=diff.old_version, summary=t(lang, "summary", **counts))]
    sources = []
    for ch in diff.changes:
        lines.append(f"・{citation(ch)}")
        for line in ch.lines:
            if line.op == "changed":
                lines.append("  " + t(lang, "changed_line", old=_one_line(line.old), new=_one_line(line.new)))
            elif line.op == "added":
                lines.append("  " + t(lang, "added_line", text=_one_line(line.new)))
            else:
                lines.append("  " + t(lang, "removed_line", text=_one_line(line.old)))
        new_text = "\n".join(x.new for x in ch.lines if x.new)
        if ch.op != "removed" and new_text:
            sources.append(Source(rank=len(sources) + 1, text=new_text, section=ch.title, page=ch.page,
                                  score=1.0, kind="glossary" if ch.kind == "glossary" else "body", id=ch.id))
    return Answer(question=question, found=True, answer="\n".join(lines), sources=tuple(sources),
                  index_version=diff.new_version, meta={"revision": True, "counts": counts})


# --- Slack wiring -----------------------------------------------------------------------------

def on_switch(settings: "Settings", client, old: str | None, new: str) -> None:
    """After the server switched versions: announce, and flag proposals whose sections changed."""
    from index.diff import diff_versions
    from index.versions import version_dir

    if not old:
        return
    try:
        diff = diff_versions(version_dir(settings.index_dir, old), version_dir(settings.index_dir, new))
    except Exception as exc:
        log.error("no revision announcement: diff %s -> %s failed: %s", old, new, exc)
        return
    if settings.announce_channel:
        post_announcement(client, settings.announce_channel, diff)
    else:
        log.info("REFORMBOT_ANNOUNCE_CHANNEL is not set: switch to %s not announced", new)
    channel = settings.proposals_channel or settings.announce_channel
    db = settings.database_path
    if not channel or not diff.changed_chunk_ids or not Path(db).exists():
        return
    try:
        from feedback.proposals.store import ProposalStore

        store = ProposalStore(db)
        try:
            n = flag_proposals(client, channel, store, diff)
        finally:
            store.close()
        if n:
            log.info("%d proposals flagged for review after the switch to %s", n, new)
    except Exception as exc:
        log.error("proposals not checked after the switch to %s: %s", new, exc)


def slack_plugin(bot) -> None:
    """Slack plugin (``mount_slack(plugins=[...])``): announce switches, ``/reform changes``."""
    qa = bot.qa
    if hasattr(qa, "add_switch_listener"):
        qa.add_switch_listener(lambda old, new: on_switch(bot.settings, bot.client, old, new))

    def changes(*, bot, command, args, respond, client) -> None:
        lang = "en" if (args or "").strip().lower() in ("en", "english") else "ja"
        try:
            diff = latest_diff(bot.settings.index_dir)
        except Exception as exc:
            log.error("/reform changes: %s", exc)
            respond(text=t(lang, "answer_unavailable"), response_type="ephemeral")
            return
        if diff is None:
            from index.versions import current_version

            respond(text=t(lang, "answer_none", new=current_version(bot.settings.index_dir) or "?"),
                    response_type="ephemeral")
            return
        text, blocks = announcement_message(diff, lang)
        respond(text=text, blocks=blocks, response_type="ephemeral")

    for word in ("changes", "改訂", "変更点"):
        bot.add_subcommand(word, changes, {lang: t(lang, "command_summary") for lang in ("ja", "en")})
