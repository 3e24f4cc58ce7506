"""`reformbot index build --source | versions | diff | rollback | use` through typer's runner."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import revision_support as R
from bot import cli
from index.store import VECTORS

cli._add_subcommands()
runner = CliRunner()


def run(*args):
    return runner.invoke(cli.app, ["index", *args])


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("REFORMBOT_EMBEDDING_MODEL", "fake")
    return tmp_path


@pytest.fixture
def two_versions(env):
    r1 = run("build", "--json")
    assert r1.exit_code == 0, r1.output
    r2 = run("build", "--source", str(R.write_revised(env)), "--json")
    assert r2.exit_code == 0, r2.output
    return json.loads(r1.stdout), json.loads(r2.stdout)


def test_build_without_arguments_builds_the_bundled_outline(env):
    r = run("build")
    assert r.exit_code == 0, r.output
    assert "embedded, 0 reused" in r.stdout and "now current (previous: none)" in r.stdout
    again = run("build", "--if-missing")
    assert again.exit_code == 0 and "nothing to do" in again.stdout
    same = run("build")
    assert same.exit_code == 0 and "nothing changed" in same.stdout


def test_build_source_reports_reuse_and_the_switch(env):
    first = run("build")
    assert first.exit_code == 0
    r = run("build", "--source", str(R.write_revised(env)))
    assert r.exit_code == 0, r.output
    import re
    embedded, reused = map(int, re.search(r"\((\d+) embedded, (\d+) reused\)", r.stdout).groups())
    assert 3 <= embedded <= 5 and reused > 25
    assert "now current (previous: " in r.stdout


def test_versions_lists_current_and_previous(two_versions):
    v1, v2 = two_versions
    r = run("versions")
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.stdout.splitlines() if ln[:1] in "*< "]
    assert lines[0].startswith(f"< {v1['version']}") and lines[1].startswith(f"* {v2['version']}")
    listed = json.loads(run("versions", "--json").stdout)
    assert [(v["id"], v["current"]) for v in listed] == [(v1["version"], False), (v2["version"], True)]


def test_diff_defaults_to_previous_against_current(two_versions):
    r = run("diff", "--width", "120")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "〔-20-〕億円" in out and "〔+25+〕億円" in out
    assert R.REMOVED_BULLET[:20] in out and R.ADDED_BULLET[:15] in out
    assert f"※8 {R.ADDED_TERM} (大綱P.3)" in out
    data = json.loads(run("diff", "--json").stdout)
    assert data["counts"] == {"sections_added": 0, "sections_removed": 0, "sections_changed": 2,
                              "glossary_added": 1, "glossary_removed": 0, "glossary_changed": 0}


def test_diff_takes_two_ids_or_prefixes(two_versions):
    v1, v2 = two_versions
    r = run("diff", v2["version"], v1["version"], "--stacked")
    assert r.exit_code == 0, r.output
    assert "- 旧: ・ふるさと納税や広告料収入で〔-25-〕" in r.stdout
    bad = run("diff", "nope", v1["version"])
    assert bad.exit_code == 1 and "no index version 'nope'" in bad.output


def test_rollback_and_use(two_versions):
    v1, v2 = two_versions
    r = run("rollback")
    assert r.exit_code == 0, r.output
    assert f"index version {v1['version']} is now current" in r.stdout
    assert json.loads(run("info", "--json").stdout)["index_version"] == v1["version"]
    u = run("use", v2["version"][:20])
    assert u.exit_code == 0, u.output
    assert json.loads(run("info", "--json").stdout)["index_version"] == v2["version"]


def test_a_damaged_version_is_refused_with_the_reason(two_versions, env):
    v1, v2 = two_versions
    (env / "data" / "index" / "versions" / v1["version"] / VECTORS).write_bytes(b"junk")
    r = run("rollback")
    assert r.exit_code == 1
    assert "vectors.faiss is damaged" in r.output
    assert f"the current version {v2['version']} was left as it was and keeps serving" in r.output


def test_a_bad_source_file_fails_and_keeps_the_current_version(env):
    assert run("build").exit_code == 0
    bad = env / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02binary")
    r = run("build", "--source", str(bad))
    assert r.exit_code == 1
    assert "bad.txt" in r.output and "keeps serving" in r.output


def test_no_switch_builds_a_verified_version_to_publish_later(env):
    assert run("build").exit_code == 0
    r = run("build", "--source", str(R.write_revised(env)), "--no-switch", "--json")
    assert r.exit_code == 0, r.output
    staged = json.loads(r.stdout)
    assert staged["switched"] is False
    assert json.loads(run("info", "--json").stdout)["index_version"] != staged["version"]
    assert run("use", staged["version"]).exit_code == 0
    assert json.loads(run("info", "--json").stdout)["index_version"] == staged["version"]


def test_commands_without_an_index_say_what_to_run(env):
    for args in (["versions"], ["diff"], ["rollback"]):
        r = run(*args)
        assert r.exit_code == 1
        assert "reformbot index build" in r.output or "reformbot index versions" in r.output, (args, r.output)


def test_ctrl_c_while_embedding_says_what_happened_and_leaves_nothing_behind(env, monkeypatch):
    from index.embedder import FakeEmbedder

    assert run("build").exit_code == 0
    pointer = (env / "data" / "index" / "current").read_bytes()

    def interrupted(self, texts, batch_size=32):
        raise KeyboardInterrupt      # what Python raises when Ctrl-C (SIGINT) arrives mid-embedding

    monkeypatch.setattr(FakeEmbedder, "embed_documents", interrupted)
    r = run("build", "--source", str(R.write_revised(env)))
    assert r.exit_code == 130
    assert "error: interrupted" in r.output and "nothing was published" in r.output
    assert "was left as it was and keeps serving" in r.output and "Traceback" not in r.output
    assert (env / "data" / "index" / "current").read_bytes() == pointer
    assert not [p.name for p in (env / "data" / "index" / "versions").iterdir() if p.name.startswith(".")]


def test_a_text_with_most_sections_missing_is_refused_unless_forced(env):
    from bot.settings import DEFAULT_CORPUS

    assert run("build").exit_code == 0
    pointer = (env / "data" / "index" / "current").read_bytes()
    cut = env / "outline-cut.txt"            # an export that stopped early / the wrong document
    cut.write_text(DEFAULT_CORPUS.read_text(encoding="utf-8")[:3000], encoding="utf-8")
    r = run("build", "--source", str(cut))
    assert r.exit_code == 1, r.output
    assert "outline-cut.txt has 28 sections and 0 glossary terms" in r.output and "has 28 and 8" in r.output
    assert "--force" in r.output and "keeps serving" in r.output
    assert (env / "data" / "index" / "current").read_bytes() == pointer
    forced = run("build", "--source", str(cut), "--force")
    assert forced.exit_code == 0 and "now current" in forced.stdout
    wrong = env / "memo.md"                  # another document altogether
    wrong.write_text("# 会議メモ\n\n## 議題\n\n- 予算の確認\n- 日程の調整\n", encoding="utf-8")
    r = run("build", "--source", str(wrong))
    assert r.exit_code == 1 and "memo.md has" in r.output and "is it the whole outline" in r.output
    # a real revision (sections edited, one bullet added, one removed) is not held up
    assert run("build", "--source", str(R.write_revised(env))).exit_code == 0


def test_a_plain_build_does_not_silently_undo_a_revision_published_from_another_file(env):
    assert run("build").exit_code == 0
    revised = R.write_revised(env)
    published = json.loads(run("build", "--source", str(revised), "--json").stdout)["version"]
    for args in (["build"], ["build", "--watch"]):
        r = run(*args)
        assert r.exit_code == 1, r.output
        assert f"built from {revised.name}, but no --source was given" in r.output
        assert "--force" in r.output and f"the current version {published} was left as it was" in r.output
    assert json.loads(run("info", "--json").stdout)["index_version"] == published
    assert "nothing changed" in run("build", "--source", str(revised)).stdout       # naming it is fine
    back = run("build", "--force")                                                 # and so is insisting
    assert back.exit_code == 0 and "now current" in back.stdout
