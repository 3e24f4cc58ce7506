"""A revised copy of the bundled outline, made by the tests (never shipped as a file).

The revision changes one figure, adds one bullet, removes one bullet and adds glossary entry ※8 —
the kinds of edit a real 改訂 brings. Each edit asserts that its anchor text is still in the outline,
so a change to the bundled text fails loudly here instead of silently weakening the tests.
"""
from __future__ import annotations

from pathlib import Path

from bot.settings import DEFAULT_CORPUS

OLD_FIGURE = "ふるさと納税や広告料収入で20億円を超える財源を確保"
NEW_FIGURE = "ふるさと納税や広告料収入で25億円を超える財源を確保"
REMOVED_BULLET = "国民健康保険料滞納繰越分の収納一元化により収納率が11ポイント上昇"
ADDED_BULLET = "窓口手続のキャッシュレス決済※8を全庁で導入"
ADDED_TERM = "キャッシュレス決済"
ADDED_DEFINITION = "現金を使わずに、クレジットカードや電子マネー等で代金を支払うことです。"
ANCHOR_AFTER_ADDED = "・市民参加による行政評価の実施"


def revise(text: str) -> str:
    """The revised outline text (see module docstring)."""
    for needle in (OLD_FIGURE, REMOVED_BULLET, ANCHOR_AFTER_ADDED, "※7 持続可能な開発目標"):
        assert needle in text, f"bundled outline changed: {needle!r} not found"
    text = text.replace(OLD_FIGURE, NEW_FIGURE)
    lines = text.split("\n")
    lines = [ln for ln in lines if REMOVED_BULLET not in ln]
    i = next(k for k, ln in enumerate(lines) if ANCHOR_AFTER_ADDED in ln)
    lines.insert(i + 1, "")
    lines.insert(i + 2, f"・{ADDED_BULLET} ")
    text = "\n".join(lines).rstrip() + "\n"
    text += f"\n※8 {ADDED_TERM}【P.3】 \n{ADDED_DEFINITION} \n"
    return text


def write_revised(directory: Path, name: str = "outline-7th-revised.txt") -> Path:
    """Write the revised copy into ``directory`` and return its path."""
    path = Path(directory) / name
    path.write_text(revise(DEFAULT_CORPUS.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def write_original(directory: Path, name: str = "outline-7th.txt") -> Path:
    """An unchanged copy of the bundled outline (for the watch tests, which edit their file)."""
    path = Path(directory) / name
    path.write_bytes(DEFAULT_CORPUS.read_bytes())
    return path
