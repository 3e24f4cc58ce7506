"""Chunks: stable ids, breadcrumbs, pages, kinds, hashes, NFKC match text and granularities."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from corpus import DEFAULT_MAX_CHARS, DEFAULT_SOURCE, chunk_document, load_chunks, load_document, nfkc
from corpus.model import Chunk

TEXT = DEFAULT_SOURCE.read_text(encoding="utf-8")
# The shared dev set lives next to the repository (../shared/eval), as `reformbot eval` expects.
DEV_QA = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev_qa.tsv"


@pytest.fixture(scope="module")
def doc():
    return load_document(DEFAULT_SOURCE)


@pytest.fixture(scope="module")
def chunks(doc):
    return chunk_document(doc)


def by_id(chunks: list[Chunk]) -> dict[str, Chunk]:
    return {c.id: c for c in chunks}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_default_chunks_are_leaf_sections_then_glossary(chunks, doc):
    ids = [c.id for c in chunks]
    assert len(ids) == len(set(ids)) == 38
    assert ids[:12] == ["s1", "s1#2", "s1#3", "s2-1", "s2-2", "s2-2#2", "s2-3", "s2-3#2", "s3-c1", "s3-c1#2",
                        "s3-c2", "s4"]
    assert ids[-8:] == ["g-3c7b9371", "g-8c7936c0", "g-ppp", "g-pfi", "g-f1b2792f", "g-bcp", "g-bpr", "g-sdgs"]
    body = [c for c in chunks if c.kind == "body"]
    assert len(body) == 30 and {c.kind for c in chunks[30:]} == {"glossary"}
    assert all(len(c.text) <= DEFAULT_MAX_CHARS for c in body)
    # Every item of every section is in exactly one chunk, in order.
    for section in doc.sections:
        parts = [c.text for c in body if c.section_id == section.id]
        assert "\n".join(parts) == "\n".join(section.items)


def test_body_chunk_fields(chunks):
    c = by_id(chunks)["s5-2#2"]
    assert c.section == "５ 第７次行政改革大綱について › (2) 計画の位置付け・計画期間"
    assert c.page == 5 and c.kind == "body" and c.section_id == "s5-2"
    assert c.text.startswith("【計画期間】\n大綱 ６年間（令和３年度から令和８年度まで）")
    assert "第１期：３年間（令和３年度から令和５年度まで）" in c.text          # original characters
    assert "第1期:3年間(令和3年度から令和5年度まで)" in c.match_text           # NFKC
    assert c.match_text.startswith("5 第7次行政改革大綱について › (2) 計画の位置付け・計画期間\n")
    assert c.content_hash == hashlib.sha256(f"{c.section}\n{c.text}".encode()).hexdigest()
    assert by_id(chunks)["s5-2"].text.startswith("【位置付け】")


def test_whole_sections_with_a_large_limit(doc):
    chunks = chunk_document(doc, max_chars=400)
    assert [c.id for c in chunks if c.kind == "body"] == [s.id for s in doc.sections if s.items]
    assert len(chunks) == 29


def test_item_table_chunk_carries_its_headings(chunks):
    c = by_id(chunks)["s5-3-a-i"]
    assert c.section.endswith("› ア 重点目標１ 強くしなやかな組織をつくる › (ｲ) 持続可能な行政運営を実現する組織体制の構築")
    assert c.text.splitlines() == ["・組織体制・執行体制の柔軟な見直し", "・適材適所の人員配置や適切な定員管理",
                                   "・業務継続計画（ＢＣＰ）の見直し"]
    assert "持続可能な行政運営を実現する組織体制の構築" in c.match_text


def test_glossary_chunks(chunks, doc):
    g = by_id(chunks)
    ppp, pfi = g["g-ppp"], g["g-pfi"]
    # Canonical spacing: no space between Japanese and half-width words (a PDF adds or drops them).
    assert ppp.kind == "glossary" and ppp.section == "用語説明 › ※3 ＰＰＰ（Public Private Partnershipの略）"
    assert pfi.section == "用語説明 › ※3 ＰＦＩ（Private Finance Initiativeの略）"
    assert ppp.page == 2 and g["g-bpr"].page == 4
    assert ppp.text == doc.glossary[2].definition
    assert pfi.glossary_refs == ("g-ppp",)              # 「ＰＰＰの一類型であり」
    assert "ワークライフバランス" in g["g-f1b2792f"].match_text
    smart = g["g-8c7936c0"]
    assert smart.text.count("\n(") == 3 and "経験年数" in smart.text


def test_markers_and_mentions_link_chunks_to_glossary(chunks):
    g = by_id(chunks)
    assert g["s2-3#2"].glossary_refs == ("g-ppp", "g-pfi")             # 「ＰＰＰ、ＰＦＩ※3」: both ※3
    assert g["s2-3#2"].meta["markers"] == ["g-ppp", "g-pfi"]
    assert g["s3-c1"].glossary_refs == ("g-f1b2792f", "g-bcp")         # ※4, ※5
    assert g["s5-4"].glossary_refs == ("g-sdgs",) and g["s5-4#2"].glossary_refs == ()
    assert g["s1#3"].glossary_refs == ("g-3c7b9371",)                   # 経営革新度調査※1
    # Named without a marker: still linked, but not counted as a marker.
    assert g["s5-3-u-i"].glossary_refs == ("g-ppp", "g-pfi") and g["s5-3-u-i"].meta["markers"] == []
    assert g["s5-3-a-i"].glossary_refs == ("g-bcp",)


def test_ids_and_hashes_stable_across_rebuilds(tmp_path):
    first = load_chunks(DEFAULT_SOURCE)
    again = load_chunks(write(tmp_path, "copy.txt", TEXT))
    assert [(c.id, c.content_hash) for c in first] == [(c.id, c.content_hash) for c in again]


def test_editing_one_bullet_changes_only_that_chunks_hash(tmp_path):
    before = by_id(load_chunks(DEFAULT_SOURCE))
    edited = TEXT.replace("・適切な債権管理", "・適切な債権管理と滞納整理の強化")
    assert edited != TEXT
    after = by_id(load_chunks(write(tmp_path, "edited.txt", edited)))
    assert list(after) == list(before)                               # every id kept
    changed = [i for i in before if before[i].content_hash != after[i].content_hash]
    assert changed == ["s5-3-i-i"]
    assert "・適切な債権管理と滞納整理の強化" in after["s5-3-i-i"].text


def test_revision_changing_a_figure_and_adding_and_removing_bullets(tmp_path):
    before = by_id(load_chunks(DEFAULT_SOURCE))
    revised = (TEXT.replace("20億円を超える", "25億円を超える")
                   .replace("・各種研修の充実 \n\n", "")
                   .replace("・適切な債権管理 \n\n", "・適切な債権管理 \n\n・キャッシュレス決済の拡大 \n\n"))
    after = by_id(load_chunks(write(tmp_path, "revised.txt", revised)))
    assert list(after) == list(before)
    changed = sorted(i for i in before if before[i].content_hash != after[i].content_hash)
    assert changed == ["s3-c1", "s5-3-a-a", "s5-3-i-i"]
    assert "・ふるさと納税や広告料収入で25億円を超える財源を確保" in after["s3-c1"].text
    assert "各種研修" not in after["s5-3-a-a"].text
    assert after["s5-3-i-i"].text.splitlines()[4] == "・キャッシュレス決済の拡大"


def test_editing_a_glossary_definition_keeps_its_id(tmp_path):
    before = by_id(load_chunks(DEFAULT_SOURCE))
    after = by_id(load_chunks(write(tmp_path, "g.txt", TEXT.replace("四つの要素", "４つの要素"))))
    assert [i for i in before if before[i].content_hash != after[i].content_hash] == ["g-3c7b9371"]


def test_long_section_is_cut_between_items_into_numbered_parts(doc):
    chunks = chunk_document(doc, max_chars=120)
    s1 = [c for c in chunks if c.section_id == "s1"]
    assert [c.id for c in s1][:3] == ["s1", "s1#2", "s1#3"]
    assert "\n".join(c.text for c in s1) == "\n".join(doc.sections[0].items)
    assert all(len(c.text) <= 120 for c in s1 if "\n" in c.text)
    parts = by_id(chunks)
    # A part starting inside a run of bullets carries the line they hang from, for matching only.
    assert parts["s1#2"].text.startswith("・職員の削減")
    assert parts["s1#2"].meta["lead"].startswith("第４次行政改革・第５次行政改革")
    assert "第4次行政改革・第5次行政改革" in parts["s1#2"].match_text
    # Bullets after a 【label】 block do not hang from it.
    assert parts["s5-1#3"].text.startswith("・感染症の拡大") and "lead" not in parts["s5-1#3"].meta


def test_window_and_item_modes(doc):
    windows = chunk_document(doc, mode="window", window=2)
    row = [c for c in windows if c.section_id == "s5-3-a-a"]
    assert [c.id for c in row] == ["s5-3-a-a/w1", "s5-3-a-a/w2", "s5-3-a-a/w3"]
    assert [len(c.text.splitlines()) for c in row] == [2, 2, 1]
    assert all(c.section.endswith("(ｱ) 職員の能力向上") for c in row)
    items = chunk_document(doc, mode="item")
    assert sum(c.kind == "body" for c in items) == sum(len(s.items) for s in doc.sections)
    # A window inside a run of bullets carries the line they hang from in its match text.
    staff = next(c for c in items if c.text == "・職員の削減")
    assert staff.meta["lead"].startswith("第４次行政改革・第５次行政改革")
    assert "第4次行政改革・第5次行政改革" in staff.match_text
    overlapping = chunk_document(doc, mode="window", window=3, stride=1)
    assert len(overlapping) > len(chunk_document(doc, mode="window", window=3))
    with pytest.raises(ValueError):
        chunk_document(doc, mode="paragraph")


@pytest.mark.parametrize("mode", ["section", "window", "item"])
def test_every_dev_answer_is_in_some_chunk(mode):
    """The corpus side of the dev set: each expected answer survives repair and chunking."""
    if not DEV_QA.exists():
        pytest.skip(f"dev set not found at {DEV_QA}")
    chunks = load_chunks(DEFAULT_SOURCE, mode=mode)
    squash = lambda s: re.sub(r"\s", "", nfkc(s))  # noqa: E731 - as the eval compares
    haystacks = [squash(c.section + c.text) for c in chunks]
    answers = [line.rstrip("\n").split("\t")[1] for line in DEV_QA.read_text(encoding="utf-8").splitlines()
               if line and not line.startswith("#")]
    missing = [a for a in answers if a != "-" and not any(squash(a) in h for h in haystacks)]
    assert answers and missing == []


def test_inspection_command_lists_chunks_and_names_bad_files(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    run = lambda *a: subprocess.run([sys.executable, "-m", "corpus", *a], cwd=root, capture_output=True,  # noqa: E731
                                    text=True, timeout=60)
    ok = run("--max-chars", "400")
    assert ok.returncode == 0
    rows = [line.split("\t") for line in ok.stdout.splitlines()[2:]]
    # 275 characters: 「平成 25（2013）」 and 「効果額 220 億円」 lose the spaces between Japanese and
    # half-width digits (canonical spacing, the same for the text and its PDF).
    assert len(rows) == 29 and rows[0][:4] == ["s1", "body", "1", "275"]
    assert rows[-1][4] == "用語説明 › ※7 持続可能な開発目標（ＳＤＧｓ）（Sustainable Development Goalsの略。）"
    lines = run("--lines")
    assert "・感染症対策を踏まえた行政手続のデジタル化や業務プロセスの見直し、マイナンバーカード" in lines.stdout
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    bad = run(str(empty))
    assert bad.returncode == 1 and str(empty) in bad.stderr and "Traceback" not in bad.stderr


def test_a_caption_stays_with_the_lines_it_introduces(doc):
    windows = by_id(chunk_document(doc, mode="window", window=3))
    sixth = next(c for c in windows.values() if c.text.startswith("第６次行政改革"))
    assert sixth.id.startswith("s1/w")
    assert sixth.text.splitlines()[1] == "量の削減から質の向上を意識した行政改革に転換"
    fourth = next(c for c in windows.values() if c.text.startswith("第４次行政改革・第５次行政改革"))
    assert fourth.text.splitlines()[1] == "・職員の削減"


@pytest.mark.parametrize("window", [2, 3, 4])
def test_no_window_ends_on_a_caption_and_windows_still_cover_every_item_once(doc, window):
    from corpus.chunker import is_caption

    chunks = [c for c in chunk_document(doc, mode="window", window=window) if c.kind == "body"]
    for section in doc.sections:
        mine = [c for c in chunks if c.section_id == section.id]
        assert [c.id for c in mine] == [f"{section.id}/w{k}" for k in range(1, len(mine) + 1)]
        assert "\n".join(c.text for c in mine) == "\n".join(section.items)
        for c in mine:
            start, end = c.meta["items"]
            assert end > start
            if end < len(section.items):
                assert not is_caption(section.items[end - 1], section.items[end]), (c.id, c.text)


@pytest.mark.parametrize("item, following, caption", [
    ("第６次行政改革", "量の削減から質の向上を意識した行政改革に転換", True),
    ("第４次行政改革・第５次行政改革 ➡ 効果額 220 億円以上", "・職員の削減", True),
    ("量の削減から質の向上を意識した行政改革に転換", "※主な取組は２ページに記載", False),   # a note is no content of it
    ("・職員の削減", "・組織のスリム化", False),                                          # a bullet
    ("【計画期間】\n大綱 ６年間", "実施計画", False),                                     # a label block holds its lines
    ("この計画は令和３年度から始まります。", "・次の行", False),                          # a sentence
])
def test_what_counts_as_a_caption(item, following, caption):
    from corpus.chunker import is_caption

    assert is_caption(item, following) is caption
