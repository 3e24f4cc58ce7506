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


def render_answer(answer: Answer, *, contact: str, about: About = NO_DOCUMENT) -> str:
    """Answer with its citation, the other sources with breadcrumb and page, glossary, index version.

    ``about`` names the document (「大綱P.5」, 「プランには記載がありません」)."""
    lang = "en" if is_english(answer.question) else "ja"
    t = about.fill_all(WEB[lang], lang)
    lines: list[str] = []
    lead, others = split_lead(answer)
    if answer.found:
        lines.append(answer.answer)
        if lead is not None:
            page = f" ({t['page'].format(page=lead.page)})" if lead.page else ""
            lines.append(f"  — {t['source']}: {lead.section}{page}")
        if others:
            lines += ["", f"{t['more_sources'] if lead else t['sources']}:"]
    else:
        lines += [t["not_found"], t["ask_contact"].format(contact=contact)]
        if others:
            lines += ["", f"{t['related']}:"]
    for s in others:
        page = f" ({t['page'].format(page=s.page)})" if s.page else ""
        lines.append(f"[{s.rank}] {s.section}{page}")
        lines += [f"    {line}" for line in s.text.splitlines()]
    if answer.glossary:
        lines += ["", f"{t['glossary']}:"]
        for g in answer.glossary:
            lines.append(f"  {g.term}: {g.definition}")
    lines += ["", f"{t['index']}: {answer.index_version}"]
    return "\n".join(lines)
