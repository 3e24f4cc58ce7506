"""`reformbot index build` with limits on sources, progress on stderr and a lock that says who holds it
(issue 9, finding 13), through typer's runner."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import cli
from bot.settings import DEFAULT_CORPUS, Settings
from bot.index_progress import BuildProgress
from index.versions import LockHolder, current_version, lock_holder
from pdf_support import make_pdf

cli._add_subcommands()
runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
TEXT = DEFAULT_CORPUS.read_text(encoding="utf-8")
SINCE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def run(*args):
    return runner.invoke(cli.app, ["index", *args])


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("REFORMBOT_EMBEDDING_MODEL", "fake")
    return tmp_path


def outline_pdf(path: Path, pages: int) -> Path:
    """The bundled outline as a PDF of ``pages`` pages."""
    lines = TEXT.splitlines()
    per_page = -(-len(lines) // pages)
    path.write_bytes(make_pdf(lines + [""] * (per_page * pages - len(lines)), per_page=per_page))
    return path


def index_root(env: Path) -> Path:
    return env / "data" / "index"


# --- limits --------------------------------------------------------------------------------------

def test_a_pdf_over_the_page_limit_is_one_error_line_naming_file_pages_limit_and_variable(env, monkeypatch):
    pdf = outline_pdf(env / "outline.pdf", 5)
    monkeypatch.setenv("REFORMBOT_MAX_SOURCE_PAGES", "3")
    r = run("build", "--source", str(pdf))
    assert r.exit_code == 1, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {pdf}: "), r.stderr
    assert "the PDF has 5 pages, over the limit of 3 pages" in lines[0]
    assert "REFORMBOT_MAX_SOURCE_PAGES=5" in lines[0] and "PDF が 5 ページあり" in lines[0]
    assert "Traceback" not in r.output and current_version(index_root(env)) is None
    monkeypatch.setenv("REFORMBOT_MAX_SOURCE_PAGES", "5")                 # raised as the error says
    assert run("build", "--source", str(pdf)).exit_code == 0


def test_a_file_over_the_size_limit_is_refused_from_its_size_and_the_current_version_stays(env, monkeypatch):
    assert run("build").exit_code == 0
    served = current_version(index_root(env))
    big = env / "outline-all-years.txt"
    with big.open("wb") as fh:               # sparse, all NUL: read, it would be refused as binary instead
        fh.truncate(3 * 1024 * 1024)
    monkeypatch.setenv("REFORMBOT_MAX_SOURCE_MB", "1")
    r = run("build", "--source", str(big))
    assert r.exit_code == 1, r.output
    first, second = r.stderr.strip().splitlines()
    assert first.startswith(f"error: {big}: the file is 3.0 MB, over the limit of 1 MB")
    assert "REFORMBOT_MAX_SOURCE_MB=3" in first and "上限 1 MB を超えています" in first
    assert second == f"the current version {served} was left as it was and keeps serving"
    assert current_version(index_root(env)) == served


def test_a_pdf_read_over_the_time_limit_names_the_variable(env, monkeypatch):
    import corpus.reader

    class TenSecondsPerLook:                 # the reader's clock: 10 s pass at every look
        def __init__(self):
            self.now = 0

        def monotonic(self):
            self.now += 10
            return self.now

    monkeypatch.setattr(corpus.reader, "time", TenSecondsPerLook(), raising=False)
    monkeypatch.setenv("REFORMBOT_MAX_SOURCE_SECONDS", "25")
    r = run("build", "--source", str(outline_pdf(env / "outline.pdf", 5)))
    assert r.exit_code == 1, r.output
    assert "over the limit of 25 s for one source (stopped at page 3 of 5)" in r.stderr
    assert "REFORMBOT_MAX_SOURCE_SECONDS=" in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["REFORMBOT_MAX_SOURCE_MB", "REFORMBOT_MAX_SOURCE_PAGES", "REFORMBOT_MAX_SOURCE_SECONDS"])
def test_a_negative_limit_is_a_settings_error(env, monkeypatch, name):
    monkeypatch.setenv(name, "-1")
    r = run("build")
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [f"error: {name} must be 0 (no limit) or more, not -1"]


def test_limits_come_from_the_settings_and_zero_turns_one_off():
    limits = Settings.from_env({"REFORMBOT_MAX_SOURCE_PAGES": "0", "REFORMBOT_MAX_SOURCE_MB": "20"}).source_limits()
    assert (limits.max_mb, limits.max_pages, limits.max_seconds) == (20, None, 900)
    assert (limits.mb_setting, limits.pages_setting, limits.seconds_setting) == (
        "REFORMBOT_MAX_SOURCE_MB", "REFORMBOT_MAX_SOURCE_PAGES", "REFORMBOT_MAX_SOURCE_SECONDS")
    defaults = Settings()
    assert (defaults.max_source_mb, defaults.max_source_pages, defaults.max_source_seconds) == (50, 1000, 900)


# --- the lock ------------------------------------------------------------------------------------

def test_a_build_says_when_it_takes_the_lock_and_progress_never_mixes_into_json(env):
    r = run("build", "--json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)                    # stdout is the JSON, untouched
    assert re.search(rf"^building a new index version in {re.escape(str(index_root(env)))} "
                     rf"\(lock held by pid {os.getpid()} since {SINCE}\)$", r.stderr, re.M), r.stderr
    assert "embedding chunks" in r.stderr and f"{report['embedded']}/{report['embedded']}" in r.stderr
    assert lock_holder(index_root(env)) is None       # released, and the record with it


HOLD_THE_LOCK = textwrap.dedent("""
    import sys
    from index.versions import _locked
    with _locked(sys.argv[1]):         # a build (the default)
        print("locked", flush=True)
        sys.stdin.read()          # until the test closes stdin
""")


def test_a_second_build_says_who_holds_the_lock_and_since_when(env):
    assert run("build").exit_code == 0
    served = current_version(index_root(env))
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_LOCK, str(index_root(env))], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n", holder.stderr.read()
        for args in (["build", "--force"], ["rollback"]):
            r = run(*args)
            assert r.exit_code == 1, r.output
            first = r.stderr.splitlines()[0]
            assert re.fullmatch(
                rf"error: another `reformbot index` build or switch is running on {re.escape(str(index_root(env)))}: "
                rf"the lock is held by pid {holder.pid} \(build\) since {SINCE}( \([^)]* ago\))?; "
                r"wait for it to finish, then run this command again", first), first
        found = lock_holder(index_root(env))
        assert isinstance(found, LockHolder) and found.pid == holder.pid and found.what == "build"
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert current_version(index_root(env)) == served
    assert lock_holder(index_root(env)) is None
    again = run("build", "--force")                  # the lock went with the process
    assert again.exit_code == 0, again.output


# --- progress ------------------------------------------------------------------------------------

def test_a_long_pdf_shows_its_pages_then_parsing_chunking_and_writing(env):
    pdf = outline_pdf(env / "outline.pdf", 25)
    r = run("build", "--source", str(pdf))
    assert r.exit_code == 0, r.output
    err = r.stderr
    assert "reading outline.pdf" in err and "25/25" in err
    # the sources are read before the lock is taken
    order = [err.index(s) for s in ("reading outline.pdf", "parsing ", "chunking", "lock held by pid",
                                     "embedding chunks", "writing and verifying the new version")]
    assert order == sorted(order), err
    assert "now current" in r.stdout and "reading" not in r.stdout


def test_a_small_source_shows_no_reading_progress(env):
    r = run("build", "--source", str(outline_pdf(env / "outline.pdf", 5)))
    assert r.exit_code == 0, r.output
    assert "reading" not in r.stderr and "parsing" not in r.stderr and "chunking" not in r.stderr
    assert "lock held by pid" in r.stderr


def test_build_progress_shows_large_sources_only():
    out = io.StringIO()
    shown = BuildProgress(Path("data/index"), out, large_bytes=1000, large_pages=20)
    shown.load("bytes", "/srv/small.txt", 999, 999)                 # under both thresholds: nothing
    shown.load("bytes", "/srv/plan.pdf", 400, 400)
    for page in range(1, 20):
        shown.load("pages", "/srv/plan.pdf", page, 19)
    shown.load("parse", "", 0, 12345)
    assert out.getvalue() == ""
    shown.load("bytes", "/srv/big.txt", 512, 1024)                   # large by size
    shown.load("bytes", "/srv/big.txt", 1024, 1024)
    shown.load("parse", "", 0, 12345)
    for done in range(1, 37):
        shown.load("chunk", "", done, 36)
    shown.close()
    text = out.getvalue()
    assert "reading big.txt" in text and "1.00k/1.00k" in text
    assert "parsing 12,345 characters" in text and "chunking" in text and "36/36" in text
    assert "small.txt" not in text and "plan.pdf" not in text
