"""`reformbot backup DIR` / `reformbot restore DIR` (issue 13, item 6): real SQLite files, a real
index version (fake embedder), a real server taking form posts during the backup."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import threading
import time
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from typer.testing import CliRunner

from bot.backup import BackupError, backup, read_backup, restore
from bot.service import QAService
from bot.settings import Settings
from clock_support import ManualClock, jst
from feedback.proposals.linking import ProposalPipeline
from feedback.proposals.model import PersonalAccess, ProposalInput
from feedback.proposals.store import ProposalStore, iso
from feedback.proposals.web import proposal_routes
from proposals_support import bundled_document, live_server, receipt_no, submit

QUESTIONS = ("計画期間は？", "重点目標は何ですか", "ふるさと納税や広告料収入で確保した財源は？")
runner = CliRunner()


def cli_app():
    from bot import cli

    if not any(g.name == "index" for g in cli.app.registered_groups):
        cli._add_subcommands()
    return cli.app


def reformbot(*args: str):
    return runner.invoke(cli_app(), list(args))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def wait_until(predicate, what: str, timeout: float = 120.0) -> None:
    """Wait for something other threads do (polling the outcome, not assuming a time)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not reached within {timeout}s"
        threading.Event().wait(0.01)


def count(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT COUNT(*) FROM proposals").fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def built_index(tmp_path_factory):
    """One index version of the bundled outline, built with the fake embedder once per module."""
    from corpus import load_chunks, load_document
    from index.embedder import FakeEmbedder
    from index.versions import build_version

    root = tmp_path_factory.mktemp("index") / "index"
    doc = load_document()
    report = build_version(load_chunks(doc), doc, root, FakeEmbedder())
    return root, report.version


@pytest.fixture
def settings(tmp_path, built_index, monkeypatch) -> Settings:
    """A data dir with the built index and a few proposals (names and emails too)."""
    root, _ = built_index
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    shutil.copytree(root, data / "index")
    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(data))
    monkeypatch.setenv("REFORMBOT_EMBEDDING_MODEL", "fake")
    s = Settings(data_dir=data, embedding_model="fake", proposals_rate_limit="0")
    store = ProposalStore(s.database_path)
    for i in range(5):
        store.add(ProposalInput(title=f"提案{i}", body=f"公民館の予約をオンラインに {i}", goal="3",
                                residency="resident", name=f"市民{i}", email=f"c{i}@example.jp"))
    store.set_status(2, "reviewing", "cli:suzuki", note="担当課へ")
    store.close()
    return s


def snapshot(db: Path) -> dict:
    """Everything a restore must give back: proposals as listed and exported, and personal data."""
    store = ProposalStore(db)
    try:
        return {"list": store.list(limit=-1), "export": store.export_rows(),
                "personal": store.export_rows(True, PersonalAccess("test", "compare a restore")),
                "history": [store.get(p.id).history for p in store.list(limit=-1)]}
    finally:
        store.close()


def answers(settings: Settings) -> list[dict]:
    qa = QAService(settings)
    return [qa.ask(q).to_dict() for q in QUESTIONS]


# --- the round trip ------------------------------------------------------------------------------

def test_backup_then_restore_serves_the_same_answers_and_proposals(settings, built_index, tmp_path):
    _, version = built_index
    clock = ManualClock(jst(2026, 11, 28, 3, 0))
    before_answers, before = answers(settings), snapshot(settings.database_path)
    old_umask = os.umask(0o022)                 # a default umask: the modes must not depend on it
    try:
        manifest = backup(settings.data_dir, tmp_path / "backups" / "2026-11-28", clock=clock)
    finally:
        os.umask(old_umask)
    where = tmp_path / "backups" / "2026-11-28"

    assert manifest.created_at == iso(clock.now()) == "2026-11-27T18:00:00Z" and manifest.taken() == "2026-11-28 03:00 JST"
    assert manifest.index_version == version and manifest.reformbot_version
    assert "0006_personal_access" in manifest.migrations["reformbot.proposals"]
    assert manifest.rows["proposals"] == 5 and manifest.rows["proposal_personal"] == 5
    written = json.loads((where / "manifest.json").read_text(encoding="utf-8"))
    assert written["index_version"] == version and written["rows"]["proposals"] == 5
    assert set(written["files"]) == {p.relative_to(where).as_posix() for p in where.rglob("*")
                                     if p.is_file() and p != where / "manifest.json"}
    assert f"index/versions/{version}/vectors.faiss" in written["files"] and "reformbot.db" in written["files"]
    assert {mode(p) for p in [where, *where.rglob("*")] if p.is_dir()} == {0o700}
    assert {mode(p) for p in where.rglob("*") if p.is_file()} == {0o600}
    assert not list(where.parent.glob(".*"))   # no staging left behind

    target = Settings(data_dir=tmp_path / "restored", embedding_model="fake")
    assert restore(where, target.data_dir).index_version == version
    assert answers(target) == before_answers
    assert snapshot(target.database_path) == before
    assert json.loads((target.index_dir / "current").read_text())["reason"] == "restore"
    assert mode(target.data_dir) == 0o700 and mode(target.database_path) == 0o600


def test_the_admins_choices_travel_with_the_backup(settings, built_index, tmp_path):
    """The current-document choice and the synonyms file are the admin's work: a restore brings them back."""
    from index.documents import read_choice, write_choice

    _, version = built_index
    write_choice(settings.index_dir, "chosen-plan")
    (settings.data_dir / "synonyms.txt").write_text("残業, 時間外勤務\n", encoding="utf-8")
    where = tmp_path / "b"
    manifest = backup(settings.data_dir, where, clock=ManualClock(jst(2026, 11, 28, 3, 0)))
    assert {"index/current-document", "synonyms.txt"} <= set(manifest.files)
    assert mode(where / "synonyms.txt") == 0o600

    restored = tmp_path / "restored"
    restore(where, restored)
    assert read_choice(restored / "index") == "chosen-plan"
    assert (restored / "synonyms.txt").read_text(encoding="utf-8") == "残業, 時間外勤務\n"

    (where / "synonyms.txt").write_text("changed\n", encoding="utf-8")        # checked like every file
    with pytest.raises(BackupError, match="synonyms.txt does not match"):
        restore(where, tmp_path / "again")


def test_the_commands(settings, built_index, tmp_path, monkeypatch):
    _, version = built_index
    r = reformbot("backup", str(tmp_path / "b1"))
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith(f"backup written to {tmp_path / 'b1'} (") and "5 proposals" in r.stdout
    assert f"index version {version}" in r.stdout
    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(tmp_path / "new"))
    (tmp_path / "new").mkdir()                                   # empty, as systemd's StateDirectory= makes it
    r = reformbot("restore", str(tmp_path / "b1"))
    assert r.exit_code == 0, r.output
    assert f"into {tmp_path / 'new'}: 5 proposals, index version {version} is current" in r.stdout
    assert count(tmp_path / "new" / "reformbot.db") == 5
    r = reformbot("backup", str(tmp_path / "b1"))                 # never over an earlier backup
    assert r.exit_code == 1 and r.output.startswith("error: ") and "not empty" in r.output


# --- while the server takes submissions ------------------------------------------------------------

def test_a_backup_taken_while_proposals_arrive_is_whole(settings, tmp_path):
    """A real server receives form posts and a second writer (another connection, as another
    process would be) adds proposals through the store, before, during and after the backup."""
    store = ProposalStore(settings.database_path)
    app = Starlette(routes=proposal_routes(settings, store, pipeline=ProposalPipeline(store), document=bundled_document))
    stop = threading.Event()
    receipts: list[str] = []
    errors: list[BaseException] = []

    def citizens(url: str) -> None:
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                i = 0
                while not stop.is_set():
                    receipts.append(receipt_no(submit(client, title=f"フォーム{i}", email=f"form{i}@example.jp").text))
                    i += 1
        except BaseException as exc:          # reported by the test, not lost in the thread
            errors.append(exc)

    def staff() -> None:
        other = ProposalStore(settings.database_path)
        try:
            i = 0
            while not stop.is_set():
                other.add(ProposalInput(title=f"職員{i}", body="本文" * 200, goal="1", source="staff",
                                        staff_user_id="U0STAFF", name=f"職員{i}", email=f"staff{i}@example.jp"))
                i += 1
        except BaseException as exc:
            errors.append(exc)
        finally:
            other.close()

    with live_server(app) as server:
        writers = [threading.Thread(target=citizens, args=(server.url,)) for _ in range(2)] + \
                  [threading.Thread(target=staff)]
        for w in writers:
            w.start()
        try:
            wait_until(lambda: (len(receipts) >= 5 and count(settings.database_path) >= 40) or errors,
                       "proposals arriving from the form and the staff")
            r = reformbot("backup", str(tmp_path / "during"))
            assert r.exit_code == 0, r.output
            taken = read_backup(tmp_path / "during").rows["proposals"]
            # Writers kept going after the snapshot: it was taken in the middle of them.
            wait_until(lambda: count(settings.database_path) >= taken + 40 or errors, "proposals after the backup")
        finally:
            stop.set()
            for w in writers:
                w.join(120)
    store.close()
    assert errors == []

    db = tmp_path / "during" / "reformbot.db"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("SELECT COUNT(*) FROM proposals").fetchone()[0] == taken >= 40
        # Every proposal in it is complete: its row, its personal data, its first history entry.
        assert con.execute(
            "SELECT COUNT(*) FROM proposals p WHERE p.receipt_no IS NULL OR p.title IS NULL OR p.body IS NULL"
            " OR p.created_at IS NULL OR p.status IS NULL"
            " OR NOT EXISTS (SELECT 1 FROM proposal_personal u WHERE u.proposal_id = p.id AND u.email LIKE '%@example.jp')"
            " OR NOT EXISTS (SELECT 1 FROM proposal_status_history h WHERE h.proposal_id = p.id AND h.status = 'received')"
        ).fetchone()[0] == 0
        assert con.execute("SELECT COUNT(*) FROM proposal_status_history").fetchone()[0] == taken + 1  # + 担当課へ
        in_backup = con.execute("SELECT id, receipt_no, title FROM proposals ORDER BY id").fetchall()
    finally:
        con.close()
    assert {title[:2] for _, _, title in in_backup} >= {"フォ", "職員"}       # both writers are in it
    # One moment of the database: exactly the first `taken` proposals ever stored, none half-written.
    live = sqlite3.connect(settings.database_path)
    try:
        assert live.execute("SELECT id, receipt_no, title FROM proposals ORDER BY id LIMIT ?", (taken,)).fetchall() \
            == in_backup
    finally:
        live.close()

    restored = Settings(data_dir=tmp_path / "restored", embedding_model="fake")
    restore(tmp_path / "during", restored.data_dir)
    again = ProposalStore(restored.database_path)
    assert [(p.id, p.receipt_no, p.title) for p in reversed(again.list(limit=-1))] == in_backup
    again.close()
    assert answers(restored) == answers(settings)


# --- what restore refuses ----------------------------------------------------------------------------

def _flip_a_byte(where: Path) -> None:
    path = where / "reformbot.db"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _drop_an_index_file(where: Path) -> None:
    next(where.glob("index/versions/*/chunks.jsonl")).unlink()


def _cut_the_manifest(where: Path) -> None:
    text = (where / "manifest.json").read_text(encoding="utf-8")
    (where / "manifest.json").write_text(text[: len(text) // 2], encoding="utf-8")


def _lose_the_manifest(where: Path) -> None:
    (where / "manifest.json").unlink()


def _point_outside(where: Path) -> None:
    m = json.loads((where / "manifest.json").read_text(encoding="utf-8"))
    m["files"]["../../etc/passwd"] = "0" * 64
    (where / "manifest.json").write_text(json.dumps(m), encoding="utf-8")


def _manifest_without_files(where: Path) -> None:
    m = json.loads((where / "manifest.json").read_text(encoding="utf-8"))
    del m["files"]
    (where / "manifest.json").write_text(json.dumps(m), encoding="utf-8")


@pytest.mark.parametrize("damage, expect", [
    (_flip_a_byte, "reformbot.db does not match its sha256"),
    (_drop_an_index_file, "chunks.jsonl is missing"),
    (_cut_the_manifest, "manifest.json does not parse"),
    (_manifest_without_files, "manifest.json does not parse"),
    (_lose_the_manifest, "has no manifest.json"),
    (_point_outside, "outside the backup"),
], ids=lambda x: getattr(x, "__name__", "")[1:] or None)
def test_a_damaged_backup_is_refused_and_nothing_is_written(settings, tmp_path, monkeypatch, damage, expect):
    backup(settings.data_dir, tmp_path / "b")
    damage(tmp_path / "b")
    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(tmp_path / "new"))
    r = reformbot("restore", str(tmp_path / "b"))
    assert r.exit_code == 1 and r.stdout == ""
    [line] = r.output.strip().splitlines()
    assert line.startswith("error: ") and expect in line and "another backup" in line, line
    assert not (tmp_path / "new").exists()


def test_a_data_dir_in_use_is_replaced_only_with_force(settings, tmp_path):
    backup(settings.data_dir, tmp_path / "b")
    store = ProposalStore(settings.database_path)
    store.add(ProposalInput(title="バックアップの後", body="本文", goal="unknown"))
    store.close()
    Path(f"{settings.database_path}-wal").write_bytes(b"stale write-ahead log")   # must not be replayed
    with pytest.raises(BackupError, match="is not empty .*add --force"):
        restore(tmp_path / "b", settings.data_dir)
    assert count(settings.database_path) == 6
    r = reformbot("restore", "--force", str(tmp_path / "b"))
    assert r.exit_code == 0, r.output
    assert count(settings.database_path) == 5
    assert not Path(f"{settings.database_path}-wal").exists() or \
        Path(f"{settings.database_path}-wal").read_bytes() != b"stale write-ahead log"
    con = sqlite3.connect(settings.database_path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


def test_nothing_to_back_up_and_no_such_backup(tmp_path, monkeypatch):
    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(tmp_path / "empty"))
    r = reformbot("backup", str(tmp_path / "b"))
    assert r.exit_code == 1 and "nothing to back up" in r.output and not (tmp_path / "b").exists()
    r = reformbot("restore", str(tmp_path / "nowhere"))
    assert r.exit_code == 1 and r.output.startswith("error: no backup at")


def test_a_backup_that_cannot_be_written_is_one_line_and_leaves_nothing(settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    r = reformbot("backup", str(blocker / "2026-11-28"))
    assert r.exit_code == 1 and r.stdout == ""
    [line] = r.output.strip().splitlines()
    assert line.startswith(f"error: writing the backup to {blocker / '2026-11-28'} failed") and "Traceback" not in r.output
