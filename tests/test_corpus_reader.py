"""Reading sources: encodings give the same Document, bad files a clear named error, PDFs parse."""
from __future__ import annotations

import dataclasses

import pytest

from corpus import DEFAULT_SOURCE, SourceError, SourceLimits, load_chunks, load_document
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
    ("outline.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "unsupported file type .doc;"),
    ("outline.docx", b"PK\x03\x04", "the .docx file is damaged"),
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


# --- limits and progress (issue 9, finding 13) -----------------------------------------------

LIMITS = SourceLimits(max_mb=50, max_pages=3, max_seconds=25, mb_setting="REFORMBOT_MAX_SOURCE_MB",
                      pages_setting="REFORMBOT_MAX_SOURCE_PAGES", seconds_setting="REFORMBOT_MAX_SOURCE_SECONDS")


def five_page_pdf(path):
    """The outline as a PDF of five pages."""
    lines = TEXT.splitlines()
    per_page = -(-len(lines) // 5)
    path.write_bytes(make_pdf(lines + [""] * (per_page * 5 - len(lines)), per_page=per_page))
    return path


def says_in_both_languages(err):
    message = str(err.value)
    assert str(err.value.path) in message and " / " in message
    assert any("\u3040" <= c <= "\u30ff" for c in message.split(" / ", 1)[1])
    return message


def test_a_file_over_the_size_limit_is_refused_from_its_size_without_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "binder.txt"
    with path.open("wb") as fh:          # sparse: 60 MB on paper, nothing on disk
        fh.truncate(60 * 1024 * 1024 + 1)

    def no_reading(*args, **kw):
        raise AssertionError("the file was opened before its size was checked")

    monkeypatch.setattr(type(path), "open", no_reading)
    monkeypatch.setattr(type(path), "read_bytes", no_reading)
    with pytest.raises(SourceError) as err:
        read_source(path, limits=LIMITS)
    message = says_in_both_languages(err)
    assert err.value.reason == "too_large"
    assert "60.0 MB, over the limit of 50 MB" in message and "REFORMBOT_MAX_SOURCE_MB=61" in message
    assert "60.0 MB あり、1 ファイルの上限 50 MB" in message


def test_a_file_that_grows_past_the_size_limit_while_read_is_stopped_at_the_limit(tmp_path):
    import os
    import threading

    path = tmp_path / "still-being-saved.txt"
    os.mkfifo(path)                        # its size on disk says 0: the limit must hold while reading
    wrote = []

    def writer():
        try:
            with open(path, "wb") as fh:
                for _ in range(3):
                    fh.write(TEXT.encode("utf-8") * 100)         # 1.1 MB each
                    wrote.append(1)
        except BrokenPipeError:            # the reader stopped: what the limit is for
            pass

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        with pytest.raises(SourceError) as err:
            read_source(path, limits=dataclasses.replace(LIMITS, max_mb=2))
    finally:
        if t.is_alive():                   # the reader never opened it: let the writer's open() return
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        t.join(timeout=60)
    assert err.value.reason == "too_large" and "over the limit of 2 MB" in str(err.value)
    assert len(wrote) < 3


def test_a_pdf_over_the_page_limit_is_refused_before_any_text_is_extracted(tmp_path, monkeypatch):
    from pypdf import PageObject

    path = five_page_pdf(tmp_path / "outline.pdf")

    def no_extraction(*args, **kw):
        raise AssertionError("text was extracted before the page count was checked")

    monkeypatch.setattr(PageObject, "extract_text", no_extraction)
    with pytest.raises(SourceError) as err:
        read_source(path, limits=LIMITS)
    message = says_in_both_languages(err)
    assert err.value.reason == "too_many_pages"
    assert "the PDF has 5 pages, over the limit of 3 pages" in message
    assert "REFORMBOT_MAX_SOURCE_PAGES=5" in message and "5 ページあり" in message


def test_a_pdf_whose_text_extraction_runs_over_the_time_limit_stops_between_pages(tmp_path):
    path = five_page_pdf(tmp_path / "slow.pdf")
    ticks = iter(range(0, 1000, 10))                 # every look at the clock: 10 s later
    with pytest.raises(SourceError) as err:
        read_source(path, limits=dataclasses.replace(LIMITS, max_pages=None), clock=lambda: next(ticks))
    message = says_in_both_languages(err)
    assert err.value.reason == "too_slow"
    assert "over the limit of 25 s" in message and "stopped at page 3 of 5" in message
    assert "REFORMBOT_MAX_SOURCE_SECONDS=60" in message      # 30 s for 3 pages -> 5 pages, +20%
    assert "上限 25 秒" in message


def test_within_the_limits_a_pdf_reads_as_before_and_reports_every_page(tmp_path, reference):
    path = five_page_pdf(tmp_path / "outline.pdf")
    seen = []
    src = read_source(path, limits=dataclasses.replace(LIMITS, max_pages=5),
                      progress=lambda unit, done, total: seen.append((unit, done, total)))
    assert same_structure(load_document(path), reference) and src.encoding == "pdf"
    size = path.stat().st_size
    assert seen == [("bytes", size, size)] + [("pages", n, 5) for n in range(1, 6)]


def test_a_large_text_file_reports_the_bytes_read(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(TEXT.encode("utf-8") * 300)      # 3.2 MB
    seen = []
    src = read_source(path, progress=lambda unit, done, total: seen.append((unit, done, total)))
    size = path.stat().st_size
    assert [u for u, _, _ in seen] == ["bytes"] * 4 and all(t == size for _, _, t in seen)
    assert [d for _, d, _ in seen] == [1 << 20, 2 << 20, 3 << 20, size]
    assert len(src.text) == len(TEXT) * 300


def test_load_document_names_the_file_in_its_progress_and_announces_parsing(tmp_path):
    path = five_page_pdf(tmp_path / "outline.pdf")
    seen = []
    load_chunks(load_document(path, progress=lambda *e: seen.append(e)), progress=lambda *e: seen.append(e))
    stages = [(stage, source) for stage, source, _, _ in seen]
    assert stages[:6] == [("bytes", str(path))] + [("pages", str(path))] * 5
    assert stages[6] == ("parse", "") and seen[6][3] == len(read_source(path).text)
    chunked = [e for e in seen if e[0] == "chunk"]
    assert chunked[-1][2] == chunked[-1][3] == 28 + 8     # every section and glossary entry
