"""Reading sources: encodings give the same Document, bad files a clear named error, PDFs parse."""
from __future__ import annotations

import dataclasses

import pytest

from corpus import DEFAULT_SOURCE, SourceError, load_chunks, load_document
from corpus.reader import read_source
from pdf_support import make_pdf

TEXT = DEFAULT_SOURCE.read_text(encoding="utf-8")


def same_structure(a, b):
    """Documents equal apart from where they came from."""
    strip = dict(sources=(), source_hashes={})
    return dataclasses.replace(a, **strip) == dataclasses.replace(b, **strip)


@pytest.fixture(scope="module")
def reference():
    return load_document(DEFAULT_SOURCE)


# CP932/Shift_JIS have no ➡ (U+27A1); a city office's copy would carry ⇒ there instead.
LEGACY_TEXT = TEXT.replace("➡", "⇒")


@pytest.fixture(scope="module")
def legacy_reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "outline.txt"
    path.write_text(LEGACY_TEXT, encoding="utf-8")
    return load_document(path)


def test_utf8_file_is_the_bundled_document(tmp_path, reference):
    path = tmp_path / "copy.txt"
    path.write_bytes(TEXT.encode("utf-8"))
    assert same_structure(load_document(path), reference)


@pytest.mark.parametrize("encoding,expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp932", "cp932"),
                                               ("shift_jis", "cp932"), ("utf-16", "utf-16")])
def test_encodings_give_the_same_document(tmp_path, legacy_reference, encoding, expected):
    path = tmp_path / f"outline-{encoding}.txt"
    path.write_bytes(LEGACY_TEXT.encode(encoding))
    src = read_source(path)
    assert src.encoding == expected
    assert src.text.lstrip("\ufeff") == LEGACY_TEXT
    doc = load_document(path)
    assert same_structure(doc, legacy_reference)
    assert doc.sources == (path.name,)
    assert doc.title == "第７次厚木市行政改革大綱（案）の概要について"
    assert len(doc.glossary) == 8 and len(doc.sections) == 28


def test_crlf_line_ends_read_the_same(tmp_path, legacy_reference):
    path = tmp_path / "crlf.txt"
    path.write_bytes(LEGACY_TEXT.replace("\n", "\r\n").encode("cp932"))
    assert same_structure(load_document(path), legacy_reference)


def test_markdown_copy(tmp_path):
    path = tmp_path / "outline.md"
    path.write_text("# 計画の概要\n\n## １ はじめに 大綱P.2\n\n- 一つ目の取組\n- 二つ目の取組\n", encoding="utf-8")
    doc = load_document(path)
    assert doc.title == "計画の概要"
    assert doc.sections[0].items == ("・一つ目の取組", "・二つ目の取組")
    assert doc.sections[0].page == 2


@pytest.mark.parametrize("name,data,problem", [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b" \r\n\n\t\n", "empty"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("latin1.txt", "Café résumé naïve".encode("latin-1") + b"\xff\xfe\xfd", "not valid UTF-8 or CP932"),
    ("controls.md", bytes(range(1, 9)) * 20, "binary"),
    ("outline.docx", b"PK\x03\x04", "unsupported file type .docx"),
])
def test_bad_files_raise_a_named_error_naming_the_file(tmp_path, name, data, problem):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SourceError) as err:
        load_document(path)
    message = str(err.value)
    assert str(path) in message and problem in message
    assert " / " in message and any("\u3040" <= c <= "\u30ff" for c in message)  # also in Japanese
    assert any(fix in message for fix in ("; give ", "; use ", "; save ")), message   # says what to do
    assert err.value.path == str(path)
    assert SourceError.__doc__ == "A source file cannot be read as outline text"


def test_missing_file(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        load_document(tmp_path / "nowhere.txt")


def test_one_bad_file_among_several_fails_the_whole_load(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    with pytest.raises(SourceError, match="bad.txt"):
        load_chunks([DEFAULT_SOURCE, bad])


def test_several_sources_are_all_recorded(tmp_path):
    extra = tmp_path / "extra.txt"
    extra.write_text("補足資料\n\n１ 補足 大綱P.7\n\n・追加の取組\n", encoding="utf-8")
    doc = load_document([DEFAULT_SOURCE, extra])
    assert doc.sources == ("outline-7th-summary.txt", "extra.txt")
    assert set(doc.source_hashes) == set(doc.sources)
    assert doc.title == "第７次厚木市行政改革大綱（案）の概要について"
    ids = [s.id for s in doc.sections]
    assert len(ids) == len(set(ids)) and "s1~2" in ids      # the second file's １ gets its own id
    chunks = load_chunks(doc)
    assert len({c.id for c in chunks}) == len(chunks)


# --- PDF ------------------------------------------------------------------------------------

def test_pdf_of_the_outline_parses_like_the_text(tmp_path, reference):
    path = tmp_path / "outline.pdf"
    path.write_bytes(make_pdf(TEXT.splitlines()))   # blank lines and broken words included
    src = read_source(path)
    assert src.encoding == "pdf" and "マイナンバ" in src.text
    doc = load_document(path)
    assert same_structure(doc, reference)
    assert doc.sources == ("outline.pdf",)


def test_latin_pdf_extracts(tmp_path):
    path = tmp_path / "en.pdf"
    path.write_bytes(make_pdf(["Outline", "1 Background 大綱P.1", "・Plain ASCII bullet"]))
    doc = load_document(path)
    assert doc.title == "Outline"
    assert doc.sections[0].items == ("・Plain ASCII bullet",)


@pytest.mark.parametrize("data,problem", [
    (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "damaged or unreadable"),
    (b"not a pdf at all", "not a PDF"),
    (b"", "empty"),
])
def test_corrupt_pdf_gives_a_clear_error(tmp_path, data, problem):
    path = tmp_path / "broken.pdf"
    path.write_bytes(data)
    with pytest.raises(SourceError) as err:
        read_source(path)
    assert str(path) in str(err.value) and problem in str(err.value)


def test_pdf_without_text_layer(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([]))
    with pytest.raises(SourceError, match="no extractable text"):
        read_source(path)


def test_file_with_only_a_title_has_no_outline(tmp_path):
    from corpus import OutlineError

    path = tmp_path / "title-only.txt"
    path.write_text("第７次厚木市行政改革大綱（案）の概要について\n\n\n", encoding="utf-8")
    with pytest.raises(OutlineError) as err:
        load_document(path)
    assert err.value.reason == "no_outline" and str(path) in str(err.value) and "大綱の内容" in str(err.value)


def test_error_reason_keys_for_callers(tmp_path):
    path = tmp_path / "zero.txt"
    path.write_bytes(b"\x00\x01\x02text")
    with pytest.raises(SourceError) as err:
        read_source(path)
    assert err.value.reason == "binary" and err.value.problem_ja.startswith("バイナリ")

