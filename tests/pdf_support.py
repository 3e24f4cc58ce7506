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
