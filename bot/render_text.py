"""Plain-text rendering of an answer for the terminal."""
from __future__ import annotations

from bot.about import NO_DOCUMENT, About
from bot.contract import Answer, Source
from bot.messages import WEB, is_english


def _squash(text: str) -> str:
    return "".join(text.split())


def split_lead(answer: Answer | None) -> tuple[Source | None, list[Source]]:
    """(the source the quoted answer comes from, the other sources).

    Surfaces show the quoted answer once, with that source's breadcrumb and page beside it,
    instead of repeating it as source 1.
    """
    if answer is None:
        return None, []
    sources = list(answer.sources)
    if answer.found and sources and answer.answer.strip():
        said = _squash(answer.answer)
        for i, s in enumerate(sources):
            if _squash(s.text) and _squash(s.text) in said:
                return s, sources[:i] + sources[i + 1:]
    return None, sources


def citation(source: Source, *, document: bool = False) -> str:
    """Breadcrumb and page as the document prints it (``５ … › (2) 計画期間 (大綱P.5)``), after the
    document's title when ``document`` (several documents indexed)."""
    page = f" ({source.cite_page()})" if source.cite_page() else ""
    title = f"『{source.document.title}』 " if document and source.document else ""
    return f"{title}{source.section}{page}"


def render_answer(answer: Answer, *, contact: str, about: About = NO_DOCUMENT) -> str:
    """Answer with its citation, the other sources with breadcrumb and page, glossary, index version;
    with several documents indexed, citations name their document and the other documents'
    passages follow under their own heading. ``about`` names the document in the bot's own
    wording (「プランには記載がありません」)."""
    lang = "en" if is_english(answer.question) else "ja"
    t = about.fill_all(WEB[lang], lang)
    named = answer.several_documents
    lines: list[str] = []
    lead, others = split_lead(answer)
    if answer.searched_as:      # a follow-up read with the previous question: say how
        lines += [t["searched_as"].format(searched=answer.searched_as), ""]
    if answer.found:
        if answer.highlight.strip():
            # The exact line first; the rest of the passage it comes from follows as context.
            from bot.highlight import without

            lines += [f"» {line}" for line in answer.highlight.splitlines() if line.strip()]
            rest = without(answer.answer, answer.highlight)
            if rest.strip():
                lines += ["", rest]
        else:
            lines.append(answer.answer)
        if lead is not None:
            lines.append(f"  — {t['source']}: {citation(lead, document=named)}")
        if answer.notice:
            lines.append(answer.notice)
        if others:
            lines += ["", f"{t['more_sources'] if lead else t['sources']}:"]
    else:
        missing = t["not_found_in"].format(title=answer.document.title) if named and answer.document else t["not_found"]
        lines += [missing] + ([answer.notice] if answer.notice else []) + [t["ask_contact"].format(contact=contact)]
        if others:
            lines += ["", f"{t['related']}:"]
    for s in others:
        lines.append(f"[{s.rank}] {citation(s, document=named)}")
        lines += [f"    {line}" for line in s.text.splitlines()]
    if answer.other_sources:
        lines += ["", f"{t['other_documents']}:"]
        for s in answer.other_sources:
            lines.append(f"[{s.rank}] {citation(s, document=True)}")
            lines += [f"    {line}" for line in s.text.splitlines()]
    if answer.glossary:
        lines += ["", f"{t['glossary']}:"]
        for g in answer.glossary:
            lines.append(f"  {g.term}: {g.definition}")
    lines += ["", f"{t['index']}: {answer.index_version}"]
    return "\n".join(lines)
