"""Versioned builds with the fake embedder: incremental reuse, atomic switch, failures, rollback, answers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import revision_support as R
from bot.service import QAService
from bot.settings import Settings
from corpus import load_chunks, load_document
from index.build import embedding_text
from index.embedder import FakeEmbedder
from index.errors import IndexBuildError, IndexMismatch
from index.store import CHUNKS, MANIFEST, VECTORS, load_index
from index.versions import (BuildInProgress, VersionError, _locked, build_version, current_version,
                            list_versions, read_pointer, rollback, switch_to)


class RecordingEmbedder(FakeEmbedder):
    """The fake embedder, remembering every text it embedded; can fail after ``fail_after`` texts."""

    def __init__(self, fail_after: int | None = None, **kw) -> None:
        super().__init__(**kw)
        self.texts: list[str] = []
        self.fail_after = fail_after

    def embed_documents(self, texts, batch_size: int = 32):
        if self.fail_after is not None and len(self.texts) + len(texts) > self.fail_after:
            raise RuntimeError("simulated crash while embedding")
        self.texts += list(texts)
        return super().embed_documents(texts, batch_size=batch_size)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    path = R.write_revised(tmp_path_factory.mktemp("src"))
    old_doc, new_doc = load_document(), load_document(path)
    return (old_doc, load_chunks(old_doc)), (new_doc, load_chunks(new_doc)), path


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", embedding_model="fake")


def build(settings, corpus, embedder=None, **kw):
    doc, chunks = corpus
    return build_version(chunks, doc, settings.index_dir, embedder or FakeEmbedder(), **kw)


def changed_count(old, new) -> int:
    hashes = {c.content_hash for c in old[1]}
    return sum(c.content_hash not in hashes for c in new[1])


def test_the_engine_builds_and_opens_from_explicit_arguments_with_no_settings(tmp_path):
    """Source file -> version -> retriever with paths, a directory, a model id and limits only."""
    from corpus import SourceError, SourceLimits
    from index.retriever import open_retriever
    from index.versions import build_version_from_sources

    src, root = R.write_original(tmp_path), tmp_path / "index"
    with pytest.raises(SourceError, match="max_mb"):
        build_version_from_sources([src], root, "fake", limits=SourceLimits(max_mb=0.001))
    assert current_version(root) is None                     # refused before anything was written
    report = build_version_from_sources([src], root, "fake", limits=SourceLimits(max_mb=1))
    assert report.switched and current_version(root) == report.version
    assert list(report.manifest.source_hashes) == [src.name] and report.manifest.model_id == FakeEmbedder().model_id
    retriever = open_retriever(root, "fake", threads=1)
    assert retriever.version == report.version
    assert retriever.search("PFIとは何ですか", k=1)[0].chunk.kind == "glossary"


def sources_text(answer) -> str:
    return "\n".join(s.text for s in answer.sources) + "\n" + answer.answer


def test_incremental_build_embeds_only_the_changed_chunks(settings, corpora):
    old, new, _ = corpora
    v1 = build(settings, old)
    emb = RecordingEmbedder()
    v2 = build(settings, new, emb)
    old_hashes = {c.content_hash for c in old[1]}
    changed = [c for c in new[1] if c.content_hash not in old_hashes]
    # the two edited sections (a section may be cut into several chunks) + the new glossary entry ※8
    assert {c.section_id for c in changed if c.kind == "body"} == {"s3-c1", "s3-c2"}
    assert [c.kind for c in changed].count("glossary") == 1 and len(changed) <= 5
    assert emb.texts == [embedding_text(c) for c in changed]
    assert (v2.embedded, v2.reused) == (len(changed), len(new[1]) - len(changed))
    assert v2.switched and v2.previous == v1.version and current_version(settings.index_dir) == v2.version
    # unchanged sections keep their chunk ids (feedback and proposal links still point right)
    assert {c.id for c in old[1]} <= {c.id for c in new[1]}


def test_unchanged_text_builds_nothing_and_force_builds_anyway(settings, corpora):
    old, _, _ = corpora
    v1 = build(settings, old)
    emb = RecordingEmbedder()
    again = build(settings, old, emb)
    assert again.unchanged and not again.switched and again.version == v1.version and emb.texts == []
    forced = build(settings, old, emb, force=True)
    assert forced.switched and forced.version != v1.version and forced.embedded == 0


def test_a_model_change_forces_a_full_rebuild(settings, corpora):
    old, new, _ = corpora
    build(settings, old)
    emb = RecordingEmbedder(model_id="fake-other-model")
    report = build(settings, new, emb)
    assert report.model_changed == ("fake-hash-64", "fake-other-model")
    assert report.embedded == len(new[1]) and report.reused == 0 and len(emb.texts) == len(new[1])


def test_answers_switch_to_the_new_facts_and_rollback_restores_the_old(settings, corpora):
    old, new, _ = corpora
    v1 = build(settings, old)
    qa = QAService(settings)
    question = "ふるさと納税や広告料収入で確保した財源は？"
    before = qa.ask(question)
    assert "20億円" in sources_text(before) and before.index_version == v1.version

    v2 = build(settings, new)
    assert qa.refresh() is True
    after = qa.ask(question)
    assert after.index_version == v2.version
    assert "25億円" in sources_text(after) and "20億円" not in sources_text(after)
    gone = qa.ask("国民健康保険料滞納繰越分の収納一元化による収納率の上昇は？")
    assert R.REMOVED_BULLET not in sources_text(gone)
    term = qa.ask(f"{R.ADDED_TERM}とは？")
    assert R.ADDED_DEFINITION in sources_text(term)

    p = rollback(settings.index_dir)
    assert p.version == v1.version and p.previous == v2.version
    assert qa.refresh() is True
    back = qa.ask(question)
    assert back.index_version == v1.version and "20億円" in sources_text(back)


def test_what_changed_question_gets_the_diff_summary(settings, corpora):
    old, new, _ = corpora
    build(settings, old)
    qa = QAService(settings)
    first = qa.ask("改訂で何が変わった？")
    assert first.found and "最初の版" in first.answer
    v2 = build(settings, new)
    qa.refresh()
    answer = qa.ask("改訂で何が変わった？")
    assert answer.index_version == v2.version
    assert "20億円" in answer.answer and "25億円" in answer.answer and R.REMOVED_BULLET in answer.answer
    assert {s.id for s in answer.sources} >= {"s3-c1", "s3-c2"}
    assert all(s.page == 3 for s in answer.sources)
    en = qa.ask("what changed in the latest revision?")
    assert en.answer.startswith("What changed in the latest revision")
    rollback(settings.index_dir)          # a rollback is not presented as a new revision
    qa.refresh()
    back = qa.ask("改訂で何が変わった？")
    assert back.answer.startswith("直近の切り替えは改訂ではなく、前の版への差し戻し")
    assert "25億円 → " in back.answer or "25億円を超える財源を確保 → " in back.answer
    assert qa.ask("what changed in the latest revision?").answer.startswith("The latest switch was not a revision")


def test_a_crash_while_embedding_leaves_the_old_version_serving(settings, corpora):
    old, new, _ = corpora
    v1 = build(settings, old)
    qa = QAService(settings)
    assert qa.ask("ふるさと納税で確保した財源は？").index_version == v1.version
    pointer_before = (settings.index_dir / "current").read_bytes()
    with pytest.raises(IndexBuildError, match="simulated crash"):
        build(settings, new, RecordingEmbedder(fail_after=1), )
    assert (settings.index_dir / "current").read_bytes() == pointer_before
    assert [v.id for v in list_versions(settings.index_dir)] == [v1.version]
    assert not [p for p in (settings.index_dir / "versions").iterdir() if p.name.startswith(".")]
    assert qa.refresh() is False
    assert "20億円" in sources_text(qa.ask("ふるさと納税で確保した財源は？"))


CRASHING_BUILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from corpus import load_chunks, load_document
    from index.embedder import FakeEmbedder
    from index.versions import build_version

    class Stuck(FakeEmbedder):
        def embed_documents(self, texts, batch_size=32):
            Path(sys.argv[3]).write_text("embedding")     # tell the test we are mid-build
            while True:
                time.sleep(60)                             # killed here by the test

    doc = load_document(sys.argv[2])
    build_version(load_chunks(doc), doc, Path(sys.argv[1]), Stuck())
""")


def test_a_killed_build_process_leaves_the_old_version_and_the_next_build_cleans_up(settings, corpora, tmp_path):
    old, new, revised_path = corpora
    v1 = build(settings, old)
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", CRASHING_BUILD, str(settings.index_dir), str(revised_path),
                             str(marker)], cwd=Path(__file__).resolve().parent.parent,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        import time
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "build subprocess never started embedding"
            time.sleep(0.05)    # waiting for the subprocess, not timing anything
        with pytest.raises(BuildInProgress):          # its lock is held: no second build meanwhile
            build(settings, new)
    finally:
        proc.kill()
        proc.wait()
    assert current_version(settings.index_dir) == v1.version
    leftovers = [p for p in (settings.index_dir / "versions").iterdir() if p.name.startswith(".")]
    assert leftovers                                   # the killed build left its staging dir
    qa = QAService(settings)
    assert qa.ask("ふるさと納税で確保した財源は？").index_version == v1.version
    v2 = build(settings, new)                          # the lock died with the process
    assert v2.switched and v2.embedded == changed_count(old, new)
    assert not [p for p in (settings.index_dir / "versions").iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("damage,message", [
    (lambda d: (d / MANIFEST).write_text("{not json", encoding="utf-8"), "manifest.json is damaged"),
    (lambda d: (d / MANIFEST).write_text(
        json.dumps({**json.loads((d / MANIFEST).read_text(encoding="utf-8")), "chunk_count": 3})), "damaged"),
    (lambda d: (d / VECTORS).write_bytes((d / VECTORS).read_bytes()[:-64] + b"\0" * 64), "vectors.faiss is damaged"),
    (lambda d: (d / CHUNKS).unlink(), "lacks chunks.jsonl"),
    (lambda d: (d / "checksums.json").unlink(), "no readable checksums.json"),
])
def test_a_damaged_version_is_refused_and_the_current_one_stays(settings, corpora, damage, message):
    old, new, _ = corpora
    v1 = build(settings, old)
    v2 = build(settings, new, switch=False)
    assert not v2.switched and current_version(settings.index_dir) == v1.version
    damage(settings.index_dir / "versions" / v2.version)
    with pytest.raises(IndexMismatch, match=message):
        switch_to(settings.index_dir, v2.version)
    assert current_version(settings.index_dir) == v1.version
    assert load_index(settings.index_dir).manifest.index_version == v1.version


def test_damage_only_faiss_would_miss_is_caught_by_checksums(settings, corpora):
    old, new, _ = corpora
    build(settings, old)
    v2 = build(settings, new, switch=False)
    d = settings.index_dir / "versions" / v2.version
    raw = bytearray((d / VECTORS).read_bytes())
    raw[len(raw) // 2] ^= 0xFF                       # one flipped byte inside a vector: FAISS loads it
    (d / VECTORS).write_bytes(bytes(raw))
    load_index(d)                                    # the plain loader does not notice …
    with pytest.raises(IndexMismatch, match="vectors.faiss is damaged"):
        switch_to(settings.index_dir, v2.version)    # … the switch does


def test_rollback_to_a_damaged_version_is_refused(settings, corpora):
    old, new, _ = corpora
    v1 = build(settings, old)
    v2 = build(settings, new)
    (settings.index_dir / "versions" / v1.version / CHUNKS).write_text("garbage\n", encoding="utf-8")
    with pytest.raises(IndexMismatch, match=f"{v1.version}.*chunks.jsonl is damaged"):
        rollback(settings.index_dir)
    assert current_version(settings.index_dir) == v2.version


def test_the_server_keeps_the_old_version_when_the_new_one_does_not_load(settings, corpora):
    old, new, _ = corpora
    v1 = build(settings, old)
    qa = QAService(settings)
    assert qa.ask("PFIとは").index_version == v1.version
    v2 = build(settings, new, switch=False)
    (settings.index_dir / "versions" / v2.version / VECTORS).write_bytes(b"not a faiss file")
    # someone points `current` at it by hand (bypassing verification)
    pointer = read_pointer(settings.index_dir)
    (settings.index_dir / "current").write_text(json.dumps({"version": v2.version, "previous": pointer.version}))
    assert qa.refresh() is False
    assert qa.ask("PFIとは").index_version == v1.version
    assert qa.refresh() is False                       # not retried on every tick


def test_rollback_without_a_previous_version_says_so(settings, corpora):
    build(settings, corpora[0])
    with pytest.raises(VersionError, match="no previous index version"):
        rollback(settings.index_dir)


def test_an_unreadable_pointer_is_a_clear_error(settings, corpora):
    build(settings, corpora[0])
    (settings.index_dir / "current").write_text("{", encoding="utf-8")
    with pytest.raises(IndexMismatch, match="pointer .* is unreadable.*reformbot index rollback"):
        load_index(settings.index_dir)


def test_only_one_build_at_a_time(settings, corpora):
    with _locked(settings.index_dir):
        with pytest.raises(BuildInProgress, match="another `reformbot index` build"):
            build(settings, corpora[0])


def test_a_staged_version_can_be_discarded_but_never_the_current_or_the_previous_one(settings, corpora):
    from index.versions import VersionNotFound, discard

    old, new, _ = corpora
    v1 = build(settings, old)
    v2 = build(settings, new)
    staged = build(settings, old, switch=False, force=True)
    assert current_version(settings.index_dir) == v2.version
    for kept, role in ((v2.version, "current"), (v1.version, "previous")):
        with pytest.raises(VersionError, match=f"is the {role} version"):
            discard(settings.index_dir, kept)
    with _locked(settings.index_dir):
        with pytest.raises(BuildInProgress):
            discard(settings.index_dir, staged.version)
    discard(settings.index_dir, staged.version)
    assert {v.id for v in list_versions(settings.index_dir)} == {v1.version, v2.version}
    with pytest.raises(VersionNotFound):
        discard(settings.index_dir, staged.version)
    assert current_version(settings.index_dir) == v2.version


def test_old_versions_are_pruned_but_current_and_previous_kept(settings, corpora):
    old, new, _ = corpora
    ids = []
    for i in range(4):
        ids.append(build(settings, old if i % 2 == 0 else new, force=True, keep=2).version)
    left = [v.id for v in list_versions(settings.index_dir)]
    assert left == ids[-2:]
    rollback(settings.index_dir)                       # previous becomes current, the other previous
    report = build(settings, new, force=True, keep=2)
    assert {v.id for v in list_versions(settings.index_dir)} == {report.version, ids[-2]}


def test_pointer_is_replaced_atomically_and_history_kept(settings, corpora):
    old, new, _ = corpora
    v1 = build(settings, old)
    v2 = build(settings, new)
    rollback(settings.index_dir)
    hist = [json.loads(x) for x in (settings.index_dir / "history.jsonl").read_text().splitlines()]
    assert [(h["version"], h["reason"]) for h in hist] == [(v1.version, "build"), (v2.version, "build"),
                                                            (v1.version, "rollback")]
    assert not [p for p in settings.index_dir.iterdir() if p.name.endswith(".tmp")]
    assert os.path.isfile(settings.index_dir / "current")


def test_a_damaged_pointer_is_repaired_by_naming_a_version_or_building(settings, corpora):
    old, new, _ = corpora
    v1 = build(settings, old)
    v2 = build(settings, new)
    (settings.index_dir / "current").write_text("{", encoding="utf-8")
    assert current_version(settings.index_dir) is None
    with pytest.raises(VersionError, match="no previous index version"):
        rollback(settings.index_dir)                 # the pointer no longer says which was previous
    p = rollback(settings.index_dir, v1.version)      # naming one works
    assert p.version == v1.version and load_index(settings.index_dir).manifest.index_version == v1.version
    (settings.index_dir / "current").write_text("{", encoding="utf-8")
    report = build(settings, new, force=True)
    assert report.switched and current_version(settings.index_dir) == report.version
    assert v2.version in {v.id for v in list_versions(settings.index_dir)}


def test_a_full_disk_while_writing_says_so_and_keeps_the_current_version(settings, corpora, monkeypatch):
    import errno

    import index.versions as versions

    old, new, _ = corpora
    v1 = build(settings, old)

    def no_space(directory):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(versions, "write_checksums", no_space)
    with pytest.raises(IndexBuildError, match="No space left on device.*current version was left as it was"):
        build(settings, new)
    assert current_version(settings.index_dir) == v1.version
    assert [p.name for p in (settings.index_dir / "versions").iterdir()] == [v1.version]
