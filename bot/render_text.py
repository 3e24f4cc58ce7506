"""Plain-text rendering of an answer for the terminal."""
from __future__ import annotations

from bot.contract import Answer
from bot.messages import WEB, is_english


def render_answer(answer: Answer, *, contact: str) -> str:
    """Answer, numbered sources with breadcrumb and page, glossary, index version."""
    t = WEB["en" if is_english(answer.question) else "ja"]
    lines: list[str] = []
    if answer.found:
        lines += [answer.answer, "", f"{t['sources']}:"]
    else:
        lines += [t["not_found"], t["ask_contact"].format(contact=contact)]
        if answer.sources:
            lines += ["", f"{t['related']}:"]
    for s in answer.sources:
        page = f" ({t['page'].format(page=s.page)})" if s.page else ""
        lines.append(f"[{s.rank}] {s.section}{page}")
        lines += [f"    {line}" for line in s.text.splitlines()]
    if answer.glossary:
        lines += ["", f"{t['glossary']}:"]
        for g in answer.glossary:
            lines.append(f"  {g.term}: {g.definition}")
    lines += ["", f"{t['index']}: {answer.index_version}"]
    return "\n".join(lines)
