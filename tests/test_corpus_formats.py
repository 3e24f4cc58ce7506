"""Documents as cities publish them: a .txt and the PDF (two independent producers) or .docx made
from it read as the same document - every section, glossary entry, page and chunk text.

Every PDF and .docx here is produced while the test runs (Chromium's print to PDF with Debian's
Noto CJK fonts, reportlab with its built-in Japanese CID fonts, python-docx); none is checked in.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from browser_support import browser  # noqa: F401  (the Chromium fixture)
from corpus import DEFAULT_SOURCE, SourceError, load_chunks, load_document
from pdf_support import chromium_pdf, chromium_print_text, page_lines, reportlab_pdf

ROOT = Path(__file__).resolve().parents[1]
SAKURA = ROOT / "benchmarks" / "practice" / "sakura-dx-plan-2nd-summary.txt"
MIDORI = ROOT.parent / "shared" / "practice" / "midori-plan-3rd-summary.txt"
PLANS = {"outline": DEFAULT_SOURCE, "sakura": SAKURA, "midori": MIDORI}

# Code points a PDF text layer may carry instead of the document's characters: Kangxi radicals,
# the CJK Radicals Supplement, CJK compatibility ideographs, Latin ligatures, the hyphenation point.
COMPATIBILITY = re.compile("[\u2e80-\u2fdf\uf900-\ufaff\ufb00-\ufb4f\u2027\U0002f800-\U0002fa1f]")


def plan(name: str) -> Path:
    path = PLANS[name]
    if not path.exists():
        pytest.skip(f"practice plan not found at {path}")
    return path


def assert_same_reading(text_path: Path, other: Path) -> None:
    """The two files give the same document (sections, glossary, title) and chunks, with the same
    pages wherever the text file has one (a PDF also knows the page of text before the first page
    marker, which a text file cannot)."""
    a, b = load_document(text_path), load_document(other)
    assert [s.path for s in b.sections] == [s.path for s in a.sections], "section tree"
    def paged(xs, ys):
        return tuple(dataclasses.replace(y, page=x.page) if x.page is None else y for x, y in zip(xs, ys))

    strip = dict(sources=(), source_hashes={})
    assert dataclasses.replace(b, sections=paged(a.sections, b.sections), glossary=paged(a.glossary, b.glossary),
                               **strip) == dataclasses.replace(a, **strip)
    ca, cb = load_chunks(a), load_chunks(b)
    assert [(c.id, c.section, c.text) for c in cb] == [(c.id, c.section, c.text) for c in ca]
    assert [y.page for x, y in zip(ca, cb) if x.page is not None] == [x.page for x in ca if x.page is not None]
    for chunk in cb:
        assert not COMPATIBILITY.search(chunk.text + chunk.section), chunk


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- reportlab ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["outline", "sakura", "midori"])
def test_a_reportlab_pdf_reads_like_its_text(tmp_path, name):
    source = plan(name)
    text = source.read_text(encoding="utf-8")
    title = text.splitlines()[0].strip()
    pdf = write(tmp_path, f"{name}.pdf", reportlab_pdf(page_lines(text), header=title, footer="- {page} -"))
    assert_same_reading(source, pdf)


def test_page_numbers_printed_by_the_pdf_are_the_pages_of_a_plan_without_page_markers(tmp_path):
    text = SAKURA.read_text(encoding="utf-8")
    pdf = write(tmp_path, "sakura.pdf", reportlab_pdf(page_lines(text), header="", footer="{page}"))
    chunks = load_chunks(pdf)
    assert {c.page for c in chunks} == {1, 2, 3, 4}
    assert next(c for c in chunks if "ガバメントクラウド（注4）" in c.text).page == 3


def test_the_pdfs_own_pages_are_used_when_nothing_is_printed(tmp_path):
    text = SAKURA.read_text(encoding="utf-8")
    lines = ["表紙：" + text.splitlines()[0], "\f"] + page_lines(text)[1:]
    pdf = write(tmp_path, "bare.pdf", reportlab_pdf(lines, header="", footer=""))
    doc = load_document(pdf)
    assert [s.page for s in doc.sections if s.number in ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ")] == [2, 3, 4, 5]


def test_a_scanned_pdf_without_text_says_what_to_do(tmp_path):
    from io import BytesIO

    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(image)
    for y in range(60, 760, 24):              # lines of "print": an image, no text layer
        draw.rectangle((50, y, 550, y + 10), fill=0)
    out = BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.drawImage(ImageReader(image), 0, 0, *A4)
    c.showPage()
    c.save()
    path = write(tmp_path, "scan.pdf", out.getvalue())
    with pytest.raises(SourceError) as err:
        load_document(path)
    message = str(err.value)
    assert err.value.reason == "pdf_no_text" and str(path) in message
    assert "OCR" in message and "export the PDF again" in message and "OCR" in err.value.problem_ja


# --- Chromium (Debian chromium, Noto CJK) ---------------------------------------------------------

@pytest.mark.browser
def test_the_outline_printed_from_chromium_reads_like_the_text(tmp_path, browser):  # noqa: F811
    """The outline opened in Chromium and printed with the browser's header (date and time) and
    footer (file URL, n/N): Kangxi radicals, ‧ for ・, spaced markers, the header lines."""
    source = tmp_path / "outline.txt"
    source.write_text(DEFAULT_SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
    pdf = write(tmp_path, "outline.pdf", chromium_print_text(browser, source))
    from corpus.reader import read_source

    raw = read_source(pdf).text
    assert "⾏" in raw and "‧" in raw and "://" in raw           # what the producer writes
    assert_same_reading(source, pdf)
    chunks = load_chunks(pdf)
    assert all(c.page for c in chunks)
    assert not any(re.search(r"file:|\d{1,2}:\d\d|\d+/\d+/\d+", c.text) for c in chunks)
    assert any(c.section.endswith("(ｱ) 更なる市民協働の推進") for c in chunks)


@pytest.mark.browser
@pytest.mark.parametrize("name", ["sakura", "midori"])
def test_a_plan_exported_from_chromium_reads_like_its_text(tmp_path, browser, name):  # noqa: F811
    source = plan(name)
    text = source.read_text(encoding="utf-8")
    pdf = write(tmp_path, f"{name}.pdf", chromium_pdf(browser, page_lines(text), header=text.splitlines()[0].strip()))
    assert_same_reading(source, pdf)


# --- .docx ----------------------------------------------------------------------------------------

def test_a_docx_of_plain_paragraphs_reads_like_its_text(tmp_path):
    """No heading styles: the headings come from the text, as in the .txt."""
    import docx

    text = DEFAULT_SOURCE.read_text(encoding="utf-8")
    document = docx.Document()
    for line in text.splitlines():
        if line.strip():
            document.add_paragraph(line.strip())
    path = tmp_path / "outline.docx"
    document.save(path)
    assert_same_reading(DEFAULT_SOURCE, path)


def test_a_styled_docx_gives_headings_from_its_styles_lists_tables_and_page_breaks(tmp_path):
    import docx

    document = docx.Document()
    document.core_properties.title = "みなと市行政改革推進計画"
    document.add_paragraph("みなと市行政改革推進計画", style="Title")
    document.add_heading("計画の概要", level=1)                 # a styled heading without a number
    document.add_heading("１ 計画の目的", level=2)
    document.add_paragraph("　市民サービスの向上と行政運営の効率化を図ります。")
    document.add_paragraph("窓口のオンライン化", style="List Bullet")
    document.add_paragraph("ＢＰＲ注1の推進", style="List Bullet")
    document.add_page_break()
    document.add_heading("取組一覧", level=1)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "(1) 窓口改革", "・書かない窓口の導入"
    table.cell(1, 0).text, table.cell(1, 1).text = "(2) 財政健全化", "・公共施設の再配置"
    document.add_paragraph("用語解説")
    document.add_paragraph("注1 ＢＰＲ（Business Process Re-engineering の略）")
    document.add_paragraph("業務の流れを見直すことです。")
    path = tmp_path / "plan.docx"
    document.save(path)

    doc = load_document(path)
    assert doc.title == "みなと市行政改革推進計画"
    assert [(s.level, s.number, s.title, s.page) for s in doc.sections] == [
        (1, "", "計画の概要", 1), (2, "１", "計画の目的", 1), (1, "", "取組一覧", 2),
        (3, "(1)", "窓口改革", 2), (3, "(2)", "財政健全化", 2)]
    purpose = doc.sections[1]
    assert purpose.items == ("市民サービスの向上と行政運営の効率化を図ります。", "・窓口のオンライン化", "・ＢＰＲ注1の推進")
    assert purpose.glossary_refs == (1,)
    assert doc.sections[3].items == ("・書かない窓口の導入",)
    [bpr] = doc.glossary
    assert (bpr.marker, bpr.abbreviation, bpr.expansion, bpr.definition) == (
        "注", "ＢＰＲ", "Business Process Re-engineering", "業務の流れを見直すことです。")
    assert [s.id for s in doc.sections] == ["sh1", "sh1-1", "sh2", "sh2-1", "sh2-2"]


def test_a_damaged_docx_names_the_file_and_the_fix(tmp_path):
    path = write(tmp_path, "plan.docx", b"PK\x03\x04 not really a zip")
    with pytest.raises(SourceError) as err:
        load_document(path)
    assert err.value.reason == "docx_damaged" and str(path) in str(err.value) and "save it again" in str(err.value)
