"""`reformbot index inspect FILE`: what an admin sees before publishing a plan."""
from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot import cli
from corpus.inspect import format_inspection, inspect_source
from pdf_support import page_lines, reportlab_pdf

cli._add_subcommands()
runner = CliRunner()
SAKURA = Path(__file__).resolve().parents[1] / "benchmarks" / "practice" / "sakura-dx-plan-2nd-summary.txt"


def sakura_pdf(tmp_path: Path) -> Path:
    text = SAKURA.read_text(encoding="utf-8")
    path = tmp_path / "sakura.pdf"
    path.write_bytes(reportlab_pdf(page_lines(text), header=text.splitlines()[0], footer="- {page} -"))
    return path


def test_inspection_of_a_pdf_lists_tree_glossary_pages_and_what_was_removed(tmp_path):
    found = inspect_source(sakura_pdf(tmp_path))
    assert (found.encoding, found.pages, found.page_source) == ("pdf", 4, "printed")
    assert found.schemes == ("roman", "digit.", "circled") and found.scheme_examples == ("Ⅰ", "１．", "①")
    assert len(found.sections) == 24 and len(found.glossary) == 5 and found.chunks_without_page == 0
    assert [l.text for l in found.removed].count("- 2 -") == 1
    # the running header on pages 2-4, and on page 1 the title under it (the header stays as the title)
    assert sum(l.text == "さくら市第２期デジタル行政推進計画（概要版）" for l in found.removed) == 4
    report = format_inspection(found)
    assert "heading levels (in the order the numbering first appears): 1: Ⅰ [roman]  2: １． [digit.]  3: ① [circled]" in report
    assert "    ２． 柱１ 行かない窓口の実現  [s3-2, p.3, 0 items]" in report
    assert "      ① 電子申請の拡充  [s3-2-1, p.3, 2 items]" in report
    assert "  注4 ガバメントクラウド  [g-2b7e860f, p.4]" in report
    assert "pages: page numbers printed on the pages" in report and "chunks: 23, every one with a page" in report
    assert "removed as page furniture (headers, footers, page numbers): 8 lines" in report


def test_inspection_says_what_it_could_not_place_and_what_to_check(tmp_path):
    path = tmp_path / "draft.txt"
    path.write_text("草案\n１ 総論\n・ＤＸ※1とＡＩ※2の活用\n・前年より改善した。\n5 市で実施\n用語説明\nこの欄は後で書く\n"
                    "※1 ＤＸ\nデジタル変革です。\n", encoding="utf-8")
    found = inspect_source(path)
    assert [l.text for l in found.unplaced] == ["この欄は後で書く"]
    report = format_inspection(found)
    assert "not placed in any section or glossary entry: 1 line\n  p.-  この欄は後で書く" in report
    assert "※2 in 「１ 総論」 has no glossary entry" in report
    assert "「5 市で実施」 looks numbered (digit) but breaks its numbering: read as text" in report
    assert "pages: none: the file has no pages" in report


def test_the_cli_prints_the_inspection_and_json(tmp_path):
    path = sakura_pdf(tmp_path)
    r = runner.invoke(cli.app, ["index", "inspect", str(path)])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith(f"file: {path} (pdf, 4 pages)\ntitle: さくら市第２期デジタル行政推進計画（概要版）\n")
    r = runner.invoke(cli.app, ["index", "inspect", str(path), "--json"])
    body = json.loads(r.stdout)
    assert [lvl["scheme"] for lvl in body["levels"]] == ["roman", "digit.", "circled"]
    assert body["glossary"][1] == {"id": "g-rpa", "marker": "注2", "term": "ＲＰＡ", "page": 4, "abbreviation": "ＲＰＡ",
                                   "expansion": "Robotic Process Automation"}
    assert body["sections"][1] == {"id": "s1", "number": "Ⅰ", "title": "計画の概要", "level": 1, "page": 1, "items": 0,
                                   "path": ["Ⅰ 計画の概要"]}


def test_the_cli_names_a_bad_file_and_the_fix(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    r = runner.invoke(cli.app, ["index", "inspect", str(path)])
    assert r.exit_code == 1 and str(path) in r.output and "Traceback" not in r.output
