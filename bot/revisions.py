"""What changed in the latest revision: recognising the question and answering it.

Pure functions from a :class:`index.diff.RevisionDiff` to an :class:`bot.contract.Answer` in the
shared contract; :meth:`bot.service.QAService.ask` hands 「改訂で何が変わった？」 here instead of
searching. The Slack announcement of a switch is in bot/slack/revisions.py.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path

from bot.contract import Answer, DocumentRef, Source
from bot.messages import is_english
from bot.revision_messages import t
from index.diff import ItemChange, RevisionDiff

log = logging.getLogger(__name__)

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
    return "en" if is_english(question) else "ja"


# --- text helpers -----------------------------------------------------------------------------

def one_line(text: str) -> str:
    """``text`` on one line, runs of white space as one space."""
    return " ".join(text.split())


def citation(change: ItemChange) -> str:
    """「breadcrumb (大綱P.x)」 of a changed item."""
    return change.citation


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


def _documents_of(root: Path, version: str):
    """change id -> the document of the new version it is in (``doc:s5-2`` with several, the only
    one otherwise), or None when the version's documents cannot be read."""
    from index.errors import IndexError_
    from index.store import read_documents
    from index.versions import version_dir

    try:
        docs = read_documents(version_dir(root, version))
    except IndexError_ as exc:
        log.warning("documents of index version %s unreadable: %s", version, exc)
        return lambda change_id: None
    by_id = {d.id: d for d in docs}
    return lambda change_id: docs[0] if len(docs) == 1 else by_id.get(change_id.split(":", 1)[0])


def revision_answer(question: str, root: Path, serving: str | None = None) -> "Answer":
    """An answer in the shared contract to 「改訂で何が変わった？」: the diff summary.

    Extractive like every answer: the changed and added lines are quoted from the outline (new
    text as sources, with breadcrumb and 大綱P.x); removed lines are quoted from the old version.
    """
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
    document_of = _documents_of(Path(root), diff.new_version)
    lead = "answer_lead_rollback" if _switched_by_rollback(Path(root), diff.new_version) else "answer_lead"
    lines = [t(lang, lead, new=diff.new_version, old=diff.old_version, summary=t(lang, "summary", **counts))]
    sources = []
    for ch in diff.changes:
        lines.append(f"・{citation(ch)}")
        for line in ch.lines:
            if line.op == "changed":
                lines.append("  " + t(lang, "changed_line", old=one_line(line.old), new=one_line(line.new)))
            elif line.op == "added":
                lines.append("  " + t(lang, "added_line", text=one_line(line.new)))
            else:
                lines.append("  " + t(lang, "removed_line", text=one_line(line.old)))
        new_text = "\n".join(x.new for x in ch.lines if x.new)
        if ch.op != "removed" and new_text:
            doc = document_of(ch.id)
            sources.append(Source(rank=len(sources) + 1, text=new_text, section=ch.title, page=ch.page,
                                  score=1.0, kind="glossary" if ch.kind == "glossary" else "body", id=ch.id,
                                  document=DocumentRef(doc.id, doc.title) if doc else None,
                                  page_label=doc.cite_page(ch.page) if doc else ""))
    return Answer(question=question, found=True, answer="\n".join(lines), sources=tuple(sources),
                  index_version=diff.new_version, meta={"revision": True, "counts": counts})
