"""Files with personal data are owner-only (issue 9, finding 9): the data dir 0700, reformbot.db and
its -wal/-shm 0600, ``--include-personal`` exports 0600 — under a umask of 022, as on a default
server — and older, looser ones are tightened when opened."""
from __future__ import annotations

import logging
import os
import sqlite3
import stat

import pytest
from typer.testing import CliRunner

from bot.settings import Settings
from feedback.answers import FeedbackStore
from feedback.proposals.cli import proposals_app
from feedback.proposals.model import ProposalInput
from feedback.proposals.store import ProposalStore

PERSONAL = ProposalInput(title="公民館の予約", body="オンラインで予約したい。", goal="3", residency="resident",
                         name="厚木太郎", email="taro@example.jp", consent_version="2026-11")


@pytest.fixture(autouse=True)
def umask_022():
    """The usual default umask: files 0644 and dirs 0755 unless the code asks for less."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def sidecars(db) -> dict[str, int]:
    return {s: mode(f"{db}{s}") for s in ("", "-wal", "-shm") if os.path.exists(f"{db}{s}")}


@pytest.mark.parametrize("opener", [ProposalStore, FeedbackStore])
def test_a_new_data_dir_and_database_are_owner_only(tmp_path, opener):
    settings = Settings(data_dir=tmp_path / "data")
    store = opener(settings.database_path)          # either store may be the first to create it
    second = ProposalStore(settings.database_path)
    second.add(PERSONAL)
    assert mode(settings.data_dir) == 0o700
    assert sidecars(settings.database_path) == {"": 0o600, "-wal": 0o600, "-shm": 0o600}
    second.close()
    store.close()


def test_existing_loose_data_dir_and_database_are_tightened_on_open(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    db = data / "reformbot.db"
    old = sqlite3.connect(db)                       # as the code before made it: 0644, with WAL files
    old.execute("PRAGMA journal_mode = WAL")
    old.execute("CREATE TABLE leftover (x)")
    old.commit()
    assert mode(data) == 0o755 and sidecars(db) == {"": 0o644, "-wal": 0o644, "-shm": 0o644}
    store = ProposalStore(db)
    assert mode(data) == 0o700
    assert sidecars(db) == {"": 0o600, "-wal": 0o600, "-shm": 0o600}
    store.close()
    old.close()


def test_feedback_store_tightens_a_loose_database_too(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    sqlite3.connect(data / "reformbot.db").execute("CREATE TABLE leftover (x)").connection.close()
    assert mode(data / "reformbot.db") == 0o644
    FeedbackStore(data / "reformbot.db").close()
    assert mode(data) == 0o700 and mode(data / "reformbot.db") == 0o600


def test_exports_with_personal_data_are_owner_only(tmp_path):
    db = tmp_path / "data" / "reformbot.db"
    store = ProposalStore(db)
    store.add(PERSONAL)
    store.close()
    runner = CliRunner()
    new = tmp_path / "new.csv"
    r = runner.invoke(proposals_app, ["export", "-f", "csv", "-o", str(new), "--include-personal", "--reason", "test",
                                      "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert mode(new) == 0o600 and "taro@example.jp" in new.read_text(encoding="utf-8-sig")
    existing = tmp_path / "existing.json"
    existing.write_text("[]")
    assert mode(existing) == 0o644
    r = runner.invoke(proposals_app, ["export", "-f", "json", "-o", str(existing), "--include-personal",
                                      "--reason", "test", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert mode(existing) == 0o600 and "taro@example.jp" in existing.read_text(encoding="utf-8")


def test_a_refused_chmod_is_a_warning_not_a_failure(tmp_path, monkeypatch, caplog):
    """An administrator may have given the data dir to another owner on purpose: the store still
    opens, and the log says what to restrict by hand."""
    data = tmp_path / "data"
    data.mkdir(mode=0o755)

    def refuse(path, mode_, *a, **kw):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr("feedback.permissions.os.chmod", refuse)
    with caplog.at_level(logging.WARNING, logger="feedback.permissions"):
        store = ProposalStore(data / "reformbot.db")
    store.add(PERSONAL)
    store.close()
    assert mode(data) == 0o755
    assert any(str(data) in r.getMessage() and "restrict it by hand" in r.getMessage() for r in caplog.records)


def test_index_build_and_server_make_the_data_dir_owner_only(tmp_path, monkeypatch):
    """`reformbot index build` on a fresh machine (the first command `make run` runs) and the
    server both create the data dir 0700, whatever the umask."""
    import os
    import stat

    from typer.testing import CliRunner

    from bot import cli
    from bot.server import create_app
    from bot.settings import Settings

    old = os.umask(0o022)
    try:
        data = tmp_path / "fresh" / "data"
        monkeypatch.setenv("REFORMBOT_DATA_DIR", str(data))
        monkeypatch.setenv("REFORMBOT_EMBEDDING_MODEL", "fake")
        cli._add_subcommands()
        r = CliRunner().invoke(cli.app, ["index", "build"])
        assert r.exit_code == 0, r.output
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        served = tmp_path / "served" / "data"
        create_app(Settings(data_dir=served))
        assert stat.S_IMODE(served.stat().st_mode) == 0o700
    finally:
        os.umask(old)
