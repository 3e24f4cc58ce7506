"""Workplace chat phrasing to wrap questions in (tests/test_chat_phrasing.py).

General greetings, preambles, sign-offs, mentions, links and emoji as staff write them in Slack
or a chat window; each wrapper is a template with ``{q}`` for the bare question. Nothing here is
about one document.
"""
from __future__ import annotations

from pathlib import Path

JAPANESE_WRAPPERS = (
    "お疲れ様です。{q}",
    "お世話になっております。{q}よろしくお願いします。",
    "田中さんに聞かれたのですが、{q}",
    "<@U0COLLEAGUE> さんに聞かれたのですが、{q}",
    "至急 {q}",
    "【至急】{q} :pray:",
    "すみません、ちょっと教えてください。{q}",
    "<!here> {q} 🙏",
    "{q}\nよろしくお願いいたします。",
    "ありがとうございます。ところで、{q}",
    "確認ですが、{q}",
    "{q}（至急）",
    "お疲れさまです！<#C0GENERAL|general> から失礼します。{q}",
    "{q} <https://example.org/plan.pdf|資料> お手数ですがよろしくお願いします :bow:",
    "Hi all, {q}",
    "度々すみません。{q} 助かります！",
)
ENGLISH_WRAPPERS = (
    "Hi team, {q}",
    "{q} Thanks in advance!",
    "<@U0COLLEAGUE> asked me: {q}",
    "Quick question: {q}",
    "Sorry to bother you. {q} :pray:",
    "Hello! {q} Cheers",
    "<!here> {q} 🙏",
    "Hi, {q} https://example.org/plan.pdf",
)
PER_QUESTION = 4
"""Wrappings per question (chosen deterministically from the question's position)."""


def questions(path: str | Path) -> list[str]:
    """The questions of a question set (``question<TAB>gold`` lines; ``#`` comments)."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            out.append(line.split("\t")[0])
    return out


def wrappings(question: str, position: int, n: int = PER_QUESTION) -> list[str]:
    """``n`` wrappings of ``question``: Japanese phrasing for a Japanese question, English for an
    English one, starting at ``position`` so that a set of questions meets every wrapper."""
    english = all(ord(ch) < 0x3000 for ch in question)
    wrappers = ENGLISH_WRAPPERS if english else JAPANESE_WRAPPERS
    return [wrappers[(position * n + j) % len(wrappers)].format(q=question) for j in range(n)]
