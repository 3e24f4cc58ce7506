"""A real PDF producer for tests: text-layer PDFs (Japanese included) written byte by byte.

Tests build their PDFs here at run time (no checked-in binaries); pypdf reads them like a PDF
exported by an office suite.
"""
from __future__ import annotations


def _to_unicode(chars: set[str]) -> bytes:
    """A ToUnicode CMap mapping each character id (its UTF-16 code unit) to itself."""
    codes = sorted({f"{u:04X}" for c in chars for u in (int.from_bytes(c.encode("utf-16-be")[i:i + 2], "big")
                                                          for i in range(0, len(c.encode("utf-16-be")), 2))})
    blocks = []
    for i in range(0, len(codes), 100):   # at most 100 entries per bfchar block
        part = codes[i:i + 100]
        blocks.append(f"{len(part)} beginbfchar\n" + "\n".join(f"<{c}> <{c}>" for c in part) + "\nendbfchar")
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n" + "\n".join(blocks) +
            "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend").encode("ascii")


def make_pdf(lines: list[str], per_page: int = 50) -> bytes:
    """A minimal PDF whose text layer holds ``lines`` (Japanese included), ``per_page`` a page.

    A Type0 font with Identity-H encoding whose character ids are the UTF-16 code units, and a
    ToUnicode CMap mapping each used id to itself: extraction sees the original characters. No
    glyphs are embedded (nothing needs to render).
    """
    pages = [lines[i:i + per_page] for i in range(0, len(lines), per_page)] or [[]]
    objs: list[bytes] = [b"", b""]   # 1 catalog, 2 pages tree: filled in below
    font = 3
    objs.append(b"<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiKakuGo-W5 /Encoding /Identity-H "
                b"/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>")
    objs.append(b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiKakuGo-W5 "
                b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>")
    cmap = _to_unicode({c for line in lines for c in line})
    objs.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap), cmap))
    kids = []
    for page_lines in pages:
        ops = ["BT", "/F1 10 Tf", "14 TL", "40 800 Td"]
        ops += [f"<{line.encode('utf-16-be').hex().upper()}> Tj T*" for line in page_lines]
        ops.append("ET")
        content = "\n".join(ops).encode("ascii")
        objs.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
                    b"/Contents %d 0 R >>" % (font, len(objs)))
        kids.append(len(objs))
    objs[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


# --- PDFs as cities make them: two independent producers ----------------------------------------
# Chromium's print to PDF (Debian chromium, Noto CJK fonts) and reportlab with its built-in
# Japanese CID fonts write text layers in different ways (Skia's glyph ids with ToUnicode maps,
# CID-keyed Adobe-Japan1 fonts), so a rule that works on both is not tuned to one.

A4_MARGINS = {"top": "20mm", "bottom": "20mm", "left": "18mm", "right": "18mm"}


def chromium_print_text(browser, text_path) -> bytes:
    """``text_path`` (a .txt file) opened in Chromium and printed to PDF with the browser's own
    header and footer (date and time above, the file's URL and 「n/N」 below), as a staff member
    would print it."""
    from pathlib import Path

    page = browser.new_page()
    try:
        page.goto(Path(text_path).resolve().as_uri())
        return page.pdf(format="A4", margin=A4_MARGINS, display_header_footer=True)
    finally:
        page.close()


def chromium_pdf(browser, lines: list[str], *, header: str = "", footer: str = "- {page} -") -> bytes:
    """``lines`` as an HTML page (one paragraph per line, a ``"\f"`` line breaks the page) printed by
    Chromium with a running ``header`` and a ``footer`` (「{page}」 is the page number) on every
    page, as an office exports a plan to PDF."""
    from html import escape

    pages, current = [], []
    for line in lines:
        if line == "\f":
            pages.append(current)
            current = []
        else:
            current.append(line)
    pages.append(current)
    body = "".join('<div class="page">' + "".join(f"<p>{escape(l) or '&nbsp;'}</p>" for l in p) + "</div>"
                   for p in pages)
    html = ('<!doctype html><html lang="ja"><head><meta charset="utf-8"><style>'
            'body{font-family:"Noto Serif CJK JP",serif;font-size:10.5pt;line-height:1.6}p{margin:0}'
            '.page{break-after:page}.page:last-child{break-after:auto}</style></head><body>' + body + "</body></html>")
    small = 'style="font-size:9px;width:100%;text-align:center;font-family:Noto Sans CJK JP"'
    footer_html = escape(footer).replace("{page}", '<span class="pageNumber"></span>')
    page = browser.new_page()
    try:
        page.set_content(html)
        return page.pdf(format="A4", margin=A4_MARGINS, display_header_footer=True,
                        header_template=f"<div {small}>{escape(header)}</div>",
                        footer_template=f"<div {small}>{footer_html}</div>")
    finally:
        page.close()


def reportlab_pdf(lines: list[str], *, header: str = "", footer: str = "- {page} -", font: str = "HeiseiMin-W3",
                  size: float = 10.5) -> bytes:
    """``lines`` set as paragraphs by reportlab in one of its built-in Japanese CID fonts (no font
    file embedded), wrapped to an A4 column, with a running ``header`` and a ``footer`` (「{page}」
    is the page number) on every page. A blank line is a paragraph gap, a ``"\f"`` line a page break."""
    from io import BytesIO
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    pdfmetrics.registerFont(UnicodeCIDFont(font))
    style = ParagraphStyle("body", fontName=font, fontSize=size, leading=size * 1.6, wordWrap="CJK")

    def decorate(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 9)
        if header:
            canvas.drawString(18 * mm, A4[1] - 12 * mm, header)
        if footer:
            canvas.drawCentredString(A4[0] / 2, 10 * mm, footer.format(page=doc.page))
        canvas.restoreState()

    def flowable(line):
        if line == "\f":
            return PageBreak()
        return Paragraph(escape(line.strip()), style) if line.strip() else Spacer(1, size * 0.6)

    out = BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm)
    doc.build([flowable(line) for line in lines], onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()


def page_lines(text: str) -> list[str]:
    """The lines of a text exported from a paginated plan, as that plan's pages: its 「- N -」 footer
    lines become page breaks and the running header (the first line, repeated at the top of later
    pages) is left to the PDF producer, which prints its own."""
    import re

    lines = text.splitlines()
    title = lines[0].strip()
    out: list[str] = []
    for line in lines:
        if re.fullmatch(r"\s*-\s*\d+\s*-\s*", line):
            out.append("\f")
        elif line.strip() == title and out:
            continue
        else:
            out.append(line)
    while out and out[-1] in ("\f", ""):
        out.pop()
    return out
