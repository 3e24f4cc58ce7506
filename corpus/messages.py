"""What the corpus stage says when a source cannot be used, in English and Japanese, in one place.

Each problem has a key (kept on the exception as ``reason``, for callers that want their own
wording) and an (English, Japanese) pair; ``{placeholders}`` are filled from the exception.
"""
from __future__ import annotations

SOURCE_PROBLEMS: dict[str, tuple[str, str]] = {
    "missing": ("the file does not exist", "ファイルがありません"),
    "directory": ("this is a directory, not a file", "ファイルではなくフォルダです"),
    "unreadable": ("the file cannot be opened ({detail})", "ファイルを開けません（{detail}）"),
    "unsupported": ("unsupported file type {suffix}; use .txt, .md, .pdf or .docx",
                    "対応していない形式です（{suffix}）。.txt / .md / .pdf / .docx を使ってください"),
    "empty": ("the file is empty; give the outline's text (.txt/.md) or PDF",
              "ファイルが空です。大綱の本文（.txt / .md）か PDF を指定してください"),
    "binary": ("the file is binary ({detail}), not text; give the outline's text (.txt/.md) or PDF",
               "バイナリファイルです（テキストではありません）。大綱の本文（.txt / .md）か PDF を指定してください"),
    "undecodable": ("the file is not valid UTF-8 or CP932/Shift_JIS text; save it as UTF-8",
                    "UTF-8 でも CP932（Shift_JIS）でも読めません。UTF-8 で保存し直してください"),
    "bad_utf16": ("the file has a UTF-16 mark but is not valid UTF-16",
                  "UTF-16 の印がありますが正しく読めません"),
    "not_pdf": ("the file is not a PDF (no %PDF header)", "PDF ファイルではありません（%PDF ヘッダがありません）"),
    "pdf_damaged": ("the PDF is damaged or unreadable ({detail})", "PDF が壊れているか読めません"),
    "pdf_encrypted": ("the PDF is encrypted; save an unencrypted copy",
                      "PDF が暗号化されています。暗号化していない版を保存してください"),
    "pdf_no_text": ("the PDF has no extractable text: it looks like a scan (images of pages). Run OCR on it "
                    "(e.g. `ocrmypdf -l jpn in.pdf out.pdf`), or export the PDF again from the original document "
                    "so that it keeps its text, or use a .txt/.docx copy",
                    "PDF から文字を取り出せません（ページが画像だけのスキャン PDF のようです）。OCR で文字を付けるか"
                    "（例: ocrmypdf -l jpn 入力.pdf 出力.pdf）、元の文書から文字を含む PDF を書き出し直すか、"
                    ".txt / .docx を使ってください"),
    "docx_damaged": ("the .docx file is damaged or not a Word document ({detail}); save it again from Word",
                     ".docx ファイルが壊れているか Word 文書ではありません。Word で保存し直してください"),
    "docx_no_library": ("reading .docx needs the python-docx package (pip install python-docx)",
                        ".docx を読むには python-docx が必要です"),
    "pdf_no_library": ("reading PDF needs the pypdf package (pip install pypdf)",
                       "PDF を読むには pypdf が必要です"),
    # Limits (corpus.reader.SourceLimits): checked before the text is read; {setting} is what the
    # caller says raises the limit (reformbot: an environment variable).
    "too_large": ("the file is {size} MB, over the limit of {limit} MB for one source; check that it is the "
                  "outline, split it, or raise the limit ({setting}={suggest})",
                  "ファイルが {size} MB あり、1 ファイルの上限 {limit} MB を超えています。大綱のファイルか確かめ、"
                  "分割するか、上限を上げてください（{setting}={suggest}）"),
    "too_many_pages": ("the PDF has {pages} pages, over the limit of {limit} pages for one source; check that it "
                       "is the outline, split it, or raise the limit ({setting}={pages})",
                       "PDF が {pages} ページあり、1 ファイルの上限 {limit} ページを超えています。大綱のファイルか"
                       "確かめ、分割するか、上限を上げてください（{setting}={pages}）"),
    "too_slow": ("reading the PDF took over the limit of {limit} s for one source (stopped at page {page} of "
                 "{pages}); use a .txt copy of its text, or raise the limit ({setting}={suggest})",
                 "PDF の読み込みが 1 ファイルの上限 {limit} 秒を超えました（{pages} ページ中 {page} ページで中止）。"
                 "本文の .txt を使うか、上限を上げてください（{setting}={suggest}）"),
}

OUTLINE_PROBLEMS: dict[str, tuple[str, str]] = {
    "no_text": ("no text to parse", "解析できる本文がありません"),
    "no_outline": ("no outline content found (no numbered sections, items or glossary entries)",
                   "大綱の内容が見つかりません（番号付きの見出し・項目・用語説明がありません）"),
}


def describe(table: dict[str, tuple[str, str]], reason: str, **fields: str) -> tuple[str, str]:
    """The (English, Japanese) text of ``reason`` with ``fields`` filled in."""
    en, ja = table[reason]
    return en.format(**fields), ja.format(**fields)
