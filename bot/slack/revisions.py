"""Telling Slack about a revision: the announcement of a switch, proposals to review, ``/reform changes``.

Pure builders (Block Kit dicts) from a :class:`index.diff.RevisionDiff`, plus thin functions that
post them with a given Slack ``WebClient`` and a Slack plugin (:func:`slack_plugin`) that hooks them
to :meth:`bot.service.QAService.add_switch_listener`. With admins set, an announcement ends with
元に戻す, which bot/slack/publish.py handles. The "what changed?" answer is bot/revisions.py.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from bot.revision_messages import t
from bot.revisions import citation, latest_diff, one_line
from bot.slack.publish_blocks import undo_actions
from index.diff import ItemChange, RevisionDiff

if TYPE_CHECKING:  # pragma: no cover
    from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_CHANGES_SHOWN = 15        # changed items listed in one announcement (3 blocks budget each)
LINE_CHARS = 300              # one old/new line in Slack


# --- text helpers -----------------------------------------------------------------------------

def escape(text: str) -> str:
    """Escape Slack mrkdwn control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- Slack announcement -------------------------------------------------------------------------

def _change_block(ch: ItemChange, lang: str) -> dict:
    head = (f"*{t(lang, 'op_' + ch.op)}* ({t(lang, 'kind_' + ch.kind)}) {escape(citation(ch))}")
    lines = []
    for line in ch.lines:
        old, new = line.marked()
        if old:
            lines.append(f"> {t(lang, 'old')}: {escape(fit(one_line(old), LINE_CHARS))}")
        if new:
            lines.append(f"> {t(lang, 'new')}: {escape(fit(one_line(new), LINE_CHARS))}")
    body = "\n".join(lines)
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(head + ("\n" + body if body else ""), MAX_TEXT)}}


def announcement_message(diff: RevisionDiff, lang: str = "ja", *, undo: bool = False) -> tuple[str, list[dict]]:
    """The announcement of a switch: version, counts, each changed section with 大綱P.x, old/new.

    Args:
        diff: what the switch changed.
        lang: wording language.
        undo: end with the 元に戻す button (back to ``diff.old_version``; bot/slack/publish.py lets
            only admins use it).

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
    tail = [undo_actions(diff.new_version, diff.old_version, lang)] if undo else []
    return fit("\n".join(fallback), MAX_TEXT), blocks[:MAX_BLOCKS - len(tail)] + tail


def post_announcement(client, channel: str, diff: RevisionDiff, lang: str = "ja", *,
                      undo: bool = False) -> dict | None:
    """Post the announcement with ``client`` (a slack_sdk WebClient); errors are logged, not raised.

    Args:
        undo: with the 元に戻す button (see :func:`announcement_message`).

    Returns:
        The chat.postMessage response, or None when posting failed.
    """
    text, blocks = announcement_message(diff, lang, undo=undo)
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
        title = mask_personal(one_line(p.title))     # a citizen may write contact details anywhere
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
        # 元に戻す only where someone may use it (REFORMBOT_ADMINS)
        post_announcement(client, settings.announce_channel, diff, undo=bool(settings.admin_ids))
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
