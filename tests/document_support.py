"""Documents side by side for the tests: a "第８次" copy of the bundled outline and the practice plan.

The 8th outline is the bundled 7th with its ordinal, its plan period and its glossary changed: its
※6 is another term (デジタルトランスフォーメーション) than the 7th's ※6 (業務プロセス改革), and its
※3 ＰＰＰ (the same entry id, g-ppp, in both) has another definition, so a ※N resolved in the
wrong document shows the wrong term or definition. Each edit asserts that its anchor is
still in the outline, so a change to the bundled text fails loudly here.
"""
from __future__ import annotations

from pathlib import Path

from bot.settings import DEFAULT_CORPUS

MIDORI = Path(__file__).resolve().parents[2] / "shared" / "practice" / "midori-plan-3rd-summary.txt"
if not MIDORI.is_file():      # the worktree's own shared/ (CI), else the developers' /work/shared
    MIDORI = Path("/work/shared/practice/midori-plan-3rd-summary.txt")

OUTLINE_7_ID = "outline-7th-summary"
OUTLINE_8_ID = "outline-8th-summary"
MIDORI_ID = "midori-plan-3rd-summary"
TITLE_7 = "第７次厚木市行政改革大綱（案）の概要について"
TITLE_8 = "第８次厚木市行政改革大綱（案）の概要について"
TITLE_MIDORI = "第３次みどり市行財政改革プラン（素案）概要版"

PERIOD_7 = "令和３年度から令和８年度まで"
PERIOD_8 = "令和９年度から令和14年度まで"
BULLET_6_7 = "業務プロセス改革（ＢＰＲ）※6 を用いた業務の見直"
BULLET_6_8 = "デジタル技術※6 を用いた業務の見直"
ENTRY_6_7 = "※6 業務プロセス改革（ＢＰＲ）（Business Process Re-engineering の略。）【P.4】"
ENTRY_6_8 = "※6 デジタルトランスフォーメーション（ＤＸ）【P.4】"
DEFINITION_6_7 = "目標を達成するために、既存の業務内容や組織構造、業務フローを再構築することで"
DEFINITION_6_8 = "デジタル技術で行政サービスと市役所の仕事の進め方を変えることで"
PPP_7 = "公共施設等の設計、建設、維持管理、運営等を行政と民間が連携して行うことにより、"
PPP_8 = "第８次大綱では、公共施設等の運営を行政、民間及び地域が連携して行うことにより、"


def eighth(text: str) -> str:
    """The "第８次" outline made from the 7th's text (see the module docstring)."""
    edits = [
        ("第１期：３年間（令和３年度から令和５年度まで）", "第１期：３年間（令和９年度から令和11年度まで）"),
        ("第２期：３年間（令和６年度から令和８年度まで）", "第２期：３年間（令和12年度から令和14年度まで）"),
        (PERIOD_7, PERIOD_8), (BULLET_6_7, BULLET_6_8), (ENTRY_6_7, ENTRY_6_8), (DEFINITION_6_7, DEFINITION_6_8),
        (PPP_7, PPP_8), ("第７次", "第８次"),
    ]
    for old, new in edits:
        assert old in text, f"bundled outline changed: {old!r} not found"
        text = text.replace(old, new)
    return text


def write_eighth(directory: Path, name: str = f"{OUTLINE_8_ID}.txt") -> Path:
    """Write the 8th outline into ``directory`` and return its path."""
    path = Path(directory) / name
    path.write_text(eighth(DEFAULT_CORPUS.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def built_plan(root: Path, name: str, text: str):
    """A plan written into ``root/name`` and indexed with the real default model: its settings.

    For tests of documents written in the test (a layout, an abbreviation, a numbering no data
    file knows)."""
    from bot.indexing import build_from_settings
    from bot.settings import Settings

    source = root / name
    source.write_text(text, encoding="utf-8")
    settings = Settings(data_dir=root / "data", sources=(source,))
    build_from_settings(settings)
    return settings
