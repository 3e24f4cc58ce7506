"""Index build / load with the fake embedder: round trip, manifest checks, atomic builds, reuse."""
from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import replace

import pytest

from corpus.model import Chunk, Document, GlossaryEntry, Section
from index.build import build_index
from index.embedder import FakeEmbedder
from index.errors import IndexBuildError, IndexMismatch, IndexNotBuilt
from index.store import CHUNKS, MANIFEST, load_index, read_manifest

BODY = [
    ("s2-2", "２ 第７次行政改革大綱策定の背景 › (2) 国の動向", 1,
     "・働き方改革関連法の制定\n・スマート自治体※2への転換\n・社会保障と税の一体改革（消費税の引き上げ）"),
    ("s3", "３ 第６次行政改革の成果と課題", 3,
     "・業務継続計画（ＢＣＰ）※5を策定\n・ふるさと納税や広告料収入で20億円を超える財源を確保"),
    ("s5-2", "５ 第７次行政改革大綱について › (2) 計画の位置付け・計画期間", 5,
     "【計画期間】\n大綱 ６年間（令和３年度から令和８年度まで）\n第１期：３年間（令和３年度から令和５年度まで）"),
    ("s5-3-a", "５ 第７次行政改革大綱について › (3) 重点目標に位置付ける具体的な取組 › ア 重点目標１", 5,
     "・適材適所の人員配置や適切な定員管理\n・業務継続計画（ＢＣＰ）の見直し"),
    ("s5-3-c", "５ 第７次行政改革大綱について › (3) 重点目標に位置付ける具体的な取組 › ウ 重点目標３", 5,
     "・指定管理者制度・委託化などのＰＰＰ、ＰＦＩの手法を用いた施設整備・管理運営の推進"),
]
GLOSSARY = [
    GlossaryEntry("g-smart", 2, "スマート自治体", 1, "職員を事務作業から解放し、より価値のある業務に注力する自治体",
                  aliases=("スマート自治体",)),
    GlossaryEntry("g-ppp", 3, "ＰＰＰ（Public Private Partnership の略）", 2,
                  "公共施設等の設計、建設、維持管理、運営等を行政と民間が連携して行うもの",
                  abbreviation="ＰＰＰ", expansion="Public Private Partnership"),
    GlossaryEntry("g-pfi", 3, "ＰＦＩ（Private Finance Initiative の略）", 2,
                  "ＰＰＰの一類型であり、民間の資金や経営能力及び技術的能力を活用する事業手法",
                  abbreviation="ＰＦＩ", expansion="Private Finance Initiative"),
    GlossaryEntry("g-bcp", 5, "業務継続計画（ＢＣＰ）", 2,
                  "災害・事故で被害を受けても、重要業務をなるべく中断させず、早急に復旧させるための計画",
                  abbreviation="ＢＣＰ"),
]


def _hash(section: str, text: str) -> str:
    return hashlib.sha256((text + "\n" + section).encode()).hexdigest()


def sample_corpus() -> tuple[Document, list[Chunk]]:
    """A small document in the shape the corpus package produces (outline text, real terms)."""
    chunks = []
    for sid, section, page, text in BODY:
        chunks.append(Chunk(id=f"c-{sid}", kind="body", section=section, page=page, text=text,
                            content_hash=_hash(section, text), match_text=unicodedata.normalize("NFKC", text),
                            section_id=sid))
    for g in GLOSSARY:
        section = f"用語説明 › {g.term}"
        text = f"{g.term}\n{g.definition}"
        chunks.append(Chunk(id=g.id, kind="glossary", section=section, page=g.page, text=text,
                            content_hash=_hash(section, text), match_text=unicodedata.normalize("NFKC", text),
                            section_id=g.id))
    sections = tuple(Section(id=sid, number="", title=section.split(" › ")[-1], level=1,
                             path=tuple(section.split(" › ")), page=page) for sid, section, page, _ in BODY)
    doc = Document(title="第７次厚木市行政改革大綱（案）の概要", sources=("outline.txt",),
                   source_hashes={"outline.txt": "0" * 64}, sections=sections, glossary=tuple(GLOSSARY))
    return doc, chunks


@pytest.fixture
def built(tmp_path):
    doc, chunks = sample_corpus()
    emb = FakeEmbedder()
    out = tmp_path / "index"
    manifest = build_index(chunks, doc, out, emb)
    return out, doc, chunks, emb, manifest


def test_round_trip_keeps_chunks_document_and_manifest(built):
    out, doc, chunks, emb, manifest = built
    stored = load_index(out, model_id=emb.model_id, dim=emb.dim)
    assert stored.chunks == chunks
    assert stored.document == doc
    assert stored.vectors.ntotal == len(chunks)
    m = read_manifest(out)
    assert m == manifest
    assert (m.model_id, m.dim, m.chunk_count, m.faiss_kind) == (emb.model_id, 64, len(chunks), "flat")
    assert m.chunk_hashes == tuple(c.content_hash for c in chunks)
    assert m.source_hashes == doc.source_hashes
    assert m.built_at.endswith("Z") and m.index_version.startswith(m.built_at[:4])
    assert (m.embedded, m.reused) == (len(chunks), 0)
    assert (m.sections, m.glossary_terms) == (len(doc.sections), len(doc.glossary))
    # Nothing pickled: every file is JSON, JSONL, numpy or FAISS.
    names = {p.name for p in out.rglob("*") if p.is_file()}
    assert not any(n.endswith((".pkl", ".pickle")) for n in names)
    assert json.loads((out / CHUNKS).read_text(encoding="utf-8").splitlines()[0])["id"] == chunks[0].id


def test_missing_index_says_which_command_to_run(tmp_path):
    with pytest.raises(IndexNotBuilt, match="reformbot index build"):
        load_index(tmp_path / "nothing-here")


@pytest.mark.parametrize("change, pattern", [
    (lambda m: {**m, "format_version": 999}, "format"),
    (lambda m: {**m, "model_id": "someone/else"}, "embedding model"),
    (lambda m: {**m, "dim": 128}, "dimension|128"),
    (lambda m: {**m, "chunk_count": m["chunk_count"] + 1}, "chunk count"),
    (lambda m: {**m, "chunk_hashes": ["0" * 64] + m["chunk_hashes"][1:]}, "content hash"),
])
def test_mismatched_manifest_is_refused_with_the_fix(built, change, pattern):
    out, *_ = built
    path = out / MANIFEST
    path.write_text(json.dumps(change(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")
    with pytest.raises(IndexMismatch, match=pattern) as info:
        load_index(out, model_id=FakeEmbedder().model_id)
    assert "reformbot index build" in str(info.value)


def test_other_model_or_dimension_is_refused(built):
    out, *_ = built
    with pytest.raises(IndexMismatch, match="embedding model"):
        load_index(out, model_id="intfloat/multilingual-e5-small")
    with pytest.raises(IndexMismatch, match="384"):
        load_index(out, model_id=FakeEmbedder().model_id, dim=384)


def test_edited_chunk_file_is_refused(built):
    out, *_ = built
    lines = (out / CHUNKS).read_text(encoding="utf-8").splitlines()
    (out / CHUNKS).write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(IndexMismatch, match="chunk count"):
        load_index(out)


def test_failed_build_leaves_previous_index_and_no_temp_dirs(built):
    out, doc, chunks, emb, manifest = built
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    changed = [replace(c, text=c.text + "（改）", content_hash=_hash(c.section, c.text + "（改）")) for c in chunks]
    with pytest.raises(IndexBuildError, match="left as it was"):
        build_index(changed, doc, out, emb, previous=out, _fail_after_write=True)

    class Broken(FakeEmbedder):
        def embed_documents(self, texts, batch_size=32):
            raise RuntimeError("model crashed")

    with pytest.raises(IndexBuildError, match="model crashed"):
        build_index(changed, doc, out, Broken(), previous=out)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["index"]
    assert load_index(out).manifest.index_version == manifest.index_version


def test_failed_first_build_leaves_nothing(tmp_path):
    doc, chunks = sample_corpus()
    out = tmp_path / "index"
    with pytest.raises(IndexBuildError):
        build_index(chunks, doc, out, FakeEmbedder(), _fail_after_write=True)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(IndexNotBuilt):
        load_index(out)


def test_unchanged_chunks_are_not_embedded_again(built):
    out, doc, chunks, _, first = built
    emb = FakeEmbedder()
    edited = list(chunks)
    edited[1] = replace(chunks[1], text=chunks[1].text + "\n・未利用地の売却",
                        content_hash=_hash(chunks[1].section, chunks[1].text + "\n・未利用地の売却"))
    m = build_index(edited, doc, out, emb, previous=out)
    assert (m.embedded, m.reused) == (1, len(chunks) - 1)
    assert emb.calls == 1
    assert m.index_version != first.index_version
    stored = load_index(out, model_id=emb.model_id)
    fresh = FakeEmbedder().embed_documents([stored.chunks[0].section + "\n" + stored.chunks[0].match_text])
    assert stored.vectors.reconstruct(0) == pytest.approx(fresh[0], abs=1e-6)


def test_another_model_embeds_everything(built):
    out, doc, chunks, *_ = built
    other = FakeEmbedder(model_id="fake-other")
    m = build_index(chunks, doc, out, other, previous=out)
    assert (m.embedded, m.reused) == (len(chunks), 0)


def test_duplicate_chunk_ids_are_refused(tmp_path):
    doc, chunks = sample_corpus()
    with pytest.raises(IndexBuildError, match="duplicate"):
        build_index(chunks + [chunks[0]], doc, tmp_path / "index", FakeEmbedder())
    assert not (tmp_path / "index").exists()


def test_hnsw_above_threshold_finds_the_same_nearest(tmp_path):
    from index.retriever import open_index_dir

    doc, chunks = sample_corpus()
    emb = FakeEmbedder()
    m = build_index(chunks, doc, tmp_path / "hnsw", emb, hnsw_threshold=1)
    assert m.faiss_kind == "hnsw"
    build_index(chunks, doc, tmp_path / "flat", emb)
    q = "業務継続計画の見直し"
    hnsw = open_index_dir(tmp_path / "hnsw", emb).dense(q, 3)
    flat = open_index_dir(tmp_path / "flat", emb).dense(q, 3)
    assert [i for i, _ in hnsw] == [i for i, _ in flat]
