"""Names and emails (issue 13, item 5): every read has a reason and is logged; erasure on request
and at the end of the retention period really removes them from the SQLite file (db + -wal);
the server erases once a day. Real SQLite files, a clock moved by hand, no sleeps."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.settings import Settings, SettingsError
from clock_support import ManualClock, jst
from feedback.proposals.cli import proposals_app
from feedback.proposals.model import PersonalAccess, ProposalInput
from feedback.proposals.retention import PersonalDataJanitor, purge
from feedback.proposals.store import ProposalStore, ReasonRequired, iso

runner = CliRunner()
RETENTION = 1095
EMAIL = "yamada.taro@example.jp"
NAME = "山田 太郎"


def person(i: int, **kw) -> ProposalInput:
    return ProposalInput(**{"title": f"公民館の予約 {i}", "body": f"{NAME}です。公民館の予約をオンラインに。{i}",
                            "goal": "3", "residency": "resident", "name": NAME, "email": f"p{i:04d}.{EMAIL}", **kw})


def file_bytes(db: Path) -> bytes:
    """What is on disk: the database file and its write-ahead log (if any)."""
    wal = Path(f"{db}-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def found(db: Path, *needles: str) -> list[str]:
    data = file_bytes(db)
    return [n for n in needles if n.encode("utf-8") in data]


def cli(*args: str):
    return runner.invoke(proposals_app, list(args))


def ok(*args: str) -> str:
    r = cli(*args)
    assert r.exit_code == 0, r.output
    return r.stdout


# --- every read of personal data: a reason, and a line in the access log -------------------------

@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(tmp_path / "data"))
    store = ProposalStore(tmp_path / "data" / "reformbot.db")
    store.add(person(1, title="山田太郎からの提案"))
    store.add(ProposalInput(title="匿名の提案", body="名前は書きません。", goal="unknown"))
    store.close()
    return tmp_path / "data" / "reformbot.db"


@pytest.mark.parametrize("args", [
    ["show", "1", "--include-personal"],
    ["show", "1", "--include-personal", "--json"],
    ["show", "1", "--include-personal", "--reason", "   "],
    ["export", "--include-personal"],
    ["export", "-f", "json", "--include-personal", "--by", "suzuki"],
    ["erase", "1"],
], ids=" ".join)
def test_no_reason_is_one_line_that_says_how_and_nothing_is_printed(db, args):
    r = cli(*args)
    assert r.exit_code == 2
    assert r.stdout == ""
    [line] = r.output.strip().splitlines()
    assert line.startswith("error: ") and "--reason" in line and "access-log" in line and "e.g." in line
    assert "p0001" not in r.output and "山田" not in r.output
    assert ok("access-log") == "(no reads or erasures of personal data recorded)\n"
    assert ok("show", "1", "--include-personal", "--reason", "check", "--json").count("p0001") == 1  # not erased


def test_export_without_a_reason_writes_no_file(db, tmp_path):
    out = tmp_path / "personal.csv"
    r = cli("export", "-o", str(out), "--include-personal")
    assert r.exit_code == 2 and not out.exists()


def test_every_read_is_logged_who_when_what_why(db, tmp_path, monkeypatch):
    import getpass

    monkeypatch.setattr(getpass, "getuser", lambda: "tanaka")
    receipt = json.loads(ok("show", "1", "--json"))["receipt_no"]
    assert f"p0001.{EMAIL}" in ok("show", receipt, "--include-personal", "--reason", "提案者への回答", "--by", "suzuki")
    shown = json.loads(ok("show", "1", "--include-personal", "--json", "--reason", "問い合わせ"))
    assert shown["email"] == f"p0001.{EMAIL}" and shown["name"] == NAME
    rows = json.loads(ok("export", "-f", "json", "--include-personal", "--reason", "アンケート送付"))
    assert {r["email"] for r in rows} == {f"p0001.{EMAIL}", ""}
    out = tmp_path / "p.csv"
    ok("export", "-o", str(out), "--include-personal", "--reason", "課内共有", "--by", "sato")
    ok("show", "1")                                           # no personal data: nothing logged
    ok("export")

    log = [json.loads(line) for line in ok("access-log", "--json").splitlines()]
    assert [(e["by"], e["action"], e["subject"], e["reason"]) for e in log] == [
        ("cli:suzuki", "show", receipt, "提案者への回答"),
        ("cli:tanaka", "show", receipt, "問い合わせ"),                         # --by defaults to the login name
        ("cli:tanaka", "export", "2 proposals (json, to standard output)", "アンケート送付"),
        ("cli:sato", "export", f"2 proposals (csv, to {out})", "課内共有"),
    ]
    assert all(e["at"].endswith("+09:00") for e in log)
    text = ok("access-log")
    assert len(text.splitlines()) == 4 and " JST  cli:suzuki  show    " + receipt in text
    assert "reason: 提案者への回答" in text and f"p0001.{EMAIL}" not in text
    assert ok("access-log", "-n", "1").count("\n") == 1 and "課内共有" in ok("access-log", "-n", "1")
    assert ok("access-log", receipt).count("\n") == 2                      # the two reads of that one
    assert ok("access-log", "2") == "(no reads or erasures of personal data recorded)\n"


def test_the_store_refuses_a_personal_read_without_who_and_why_and_logs_the_time(tmp_path):
    clock = ManualClock(jst(2026, 11, 27, 23, 59, 59))
    store = ProposalStore(tmp_path / "p.db", clock)
    p, _ = store.add(person(1))
    with pytest.raises(ReasonRequired):
        store.get(p.id, include_personal=True)
    with pytest.raises(ReasonRequired):
        store.get(p.id, include_personal=True, access=PersonalAccess("cli:x", " "))
    with pytest.raises(ReasonRequired):
        store.export_rows(include_personal=True)
    assert store.access_log() == []
    assert store.get(p.id, include_personal=True, access=PersonalAccess("cli:x", "why")).email == f"p0001.{EMAIL}"
    [entry] = store.access_log()
    assert (entry.at, entry.by, entry.action, entry.subject, entry.reason, entry.proposal_id) == \
        (iso(clock.now()), "cli:x", "show", p.receipt_no, "why", p.id)
    store.close()


# --- erasure on request ------------------------------------------------------------------------

def test_erase_on_request_removes_name_and_email_from_the_file_and_keeps_the_proposal(db):
    receipt = json.loads(ok("show", "1", "--json"))["receipt_no"]
    assert found(db, f"p0001.{EMAIL}", "山田")                      # the byte check sees them before
    out = ok("erase", receipt, "--reason", "本人から電話で削除依頼 (2026-12-01)", "--by", "suzuki")
    assert "name and email erased; the proposal stays" in out
    assert found(db, f"p0001.{EMAIL}", "山田", "太郎") == []          # not in the file, nor in its WAL
    p = json.loads(ok("show", receipt, "--json", "--include-personal", "--reason", "確認"))
    assert (p["name"], p["email"]) == (None, None)
    assert p["title"] == "［氏名省略］からの提案" and "［氏名省略］です" in p["body"]   # masked, for good
    assert p["receipt_no"] == receipt and p["status"] == "received" and len(p["history"]) == 1
    again = ok("erase", receipt, "--reason", "二度目の依頼")
    assert "nothing to erase" in again
    log = [json.loads(line) for line in ok("access-log", "--json").splitlines()]
    assert [(e["action"], e["subject"]) for e in log] == [
        ("erase", receipt), ("show", receipt), ("erase", f"{receipt} (no name or email stored)")]
    assert (log[0]["by"], log[0]["reason"]) == ("cli:suzuki", "本人から電話で削除依頼 (2026-12-01)")
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(*) FROM proposals").fetchone()[0] == 2
    con.close()


def test_erasure_also_takes_the_address_out_of_the_mail_outbox(tmp_path):
    """An answer queues a mail to the citizen's address (mail_outbox.to_addr); erasing the
    personal data removes that copy too, and a mail still waiting is closed, never sent."""
    path = tmp_path / "p.db"
    store = ProposalStore(path)
    p, _ = store.add(person(7))
    store.answer(p.id, "ご提案ありがとうございました。検討します。", "reviewing", published=False, author="cli:test")
    assert store.db.conn.execute("SELECT COUNT(*) FROM mail_outbox WHERE state = 'pending'").fetchone()[0] == 1
    assert found(path, f"p0007.{EMAIL}")
    done = store.erase_personal([p.id], PersonalAccess("cli:test", "本人の依頼"))
    assert done.erased == (p.receipt_no,) and done.compacted
    rows = store.db.conn.execute("SELECT state, to_addr, last_error FROM mail_outbox").fetchall()
    assert rows == [("failed", "", "address erased")]
    store.close()
    assert found(path, f"p0007.{EMAIL}") == []


def test_erasure_leaves_no_copy_even_in_a_file_written_without_secure_delete(tmp_path):
    """Many rows written with freed space not zeroed (another SQLite build's default, or a file
    from before): B-tree splits leave old copies of rows in unused parts of pages. Deleting the
    rows alone leaves those; the compaction after an erasure must not."""
    path = tmp_path / "p.db"
    store = ProposalStore(path)
    store.db.conn.execute("PRAGMA secure_delete = OFF")
    added = [store.add(person(i))[0] for i in range(400)]
    store.close()
    store = ProposalStore(path)
    gone, kept = added[::2], added[1::2]
    done = store.erase_personal([p.id for p in gone], PersonalAccess("cli:test", "test"))
    assert done.erased == tuple(p.receipt_no for p in gone) and done.compacted
    assert found(path, *(f"p{i:04d}.{EMAIL}" for i in range(0, 400, 2))) == []
    assert len(found(path, *(f"p{i:04d}.{EMAIL}" for i in range(1, 400, 2)))) == 200   # the check can see
    assert [store.get(p.id, True, PersonalAccess("t", "t")).email for p in kept[:2]] == ["p0001." + EMAIL,
                                                                                          "p0003." + EMAIL]
    store.close()


# --- the retention period: by the server's daily job and by purge-personal ------------------------

def test_names_and_emails_are_erased_retention_days_after_the_last_status_change(tmp_path):
    t0 = jst(2026, 11, 27, 23, 30)
    clock = ManualClock(t0)
    store = ProposalStore(tmp_path / "p.db", clock)
    a, _ = store.add(person(1))                      # never changes status
    b, _ = store.add(person(2))                      # changes status 400 days later
    c, _ = store.add(ProposalInput(title="匿名", body="本文", goal="unknown"))
    janitor = PersonalDataJanitor(store, clock, RETENTION)
    store.set_status(b.id, "reviewing", "cli:suzuki", now=t0 + timedelta(days=400))

    clock.set_wall(t0 + timedelta(days=RETENTION) - timedelta(seconds=1))
    assert janitor.run_once().due == ()
    assert found(store.path, f"p0001.{EMAIL}", f"p0002.{EMAIL}") == [f"p0001.{EMAIL}", f"p0002.{EMAIL}"]

    clock.set_wall(t0 + timedelta(days=RETENTION))
    result = janitor.run_once()
    assert [receipt for _, receipt, _ in result.due] == [a.receipt_no] and result.erasure.compacted
    assert found(store.path, f"p0001.{EMAIL}", f"p0002.{EMAIL}") == [f"p0002.{EMAIL}"]
    assert janitor.run_once().due == ()              # once erased, not due again

    clock.set_wall(t0 + timedelta(days=400 + RETENTION))
    assert [receipt for _, receipt, _ in janitor.run_once().due] == [b.receipt_no]
    assert found(store.path, f"p0002.{EMAIL}", "山田") == []
    assert [p.id for p in store.list()] == [c.id, b.id, a.id]      # the proposals stay
    log = store.access_log()
    assert [(e.by, e.action, e.subject) for e in log] == [("system", "purge", a.receipt_no),
                                                         ("system", "purge", b.receipt_no)]
    assert log[0].at == iso(t0 + timedelta(days=RETENTION)) and "1095 days" in log[0].reason
    store.close()


def test_the_server_runs_the_janitor_from_start_to_shutdown(tmp_path):
    """What `reformbot serve` mounts: the daily job starts with the server (first run at once),
    erases what is due by the store's clock, and stops with it."""
    from feedback.proposals.web import mount_proposals

    t0 = jst(2026, 11, 27, 9, 0)
    clock = ManualClock(t0)
    settings = Settings(data_dir=tmp_path / "data", personal_data_retention_days=30)
    store = ProposalStore(settings.database_path, clock)
    old, _ = store.add(person(1))
    clock.set_wall(t0 + timedelta(days=29))
    recent, _ = store.add(person(2))
    clock.set_wall(t0 + timedelta(days=30))
    mount = mount_proposals(settings, store=store)
    assert mount.janitor.interval == 24 * 3600 and mount.janitor.retention_days == 30
    assert mount.janitor.start in mount.startup
    for start in mount.startup:
        start()
    try:
        assert mount.janitor.ran.wait(60), "the daily job did not run at start"
        assert found(settings.database_path, f"p0001.{EMAIL}", f"p0002.{EMAIL}") == [f"p0002.{EMAIL}"]
        assert [e.subject for e in store.access_log()] == [old.receipt_no]
    finally:
        for stop in mount.shutdown:
            stop()
    assert mount.janitor._thread is None


def test_purge_personal_dry_run_then_for_real(db):
    store = ProposalStore(db)
    long_ago = datetime.now(timezone.utc) - timedelta(days=RETENTION + 5)
    old, _ = store.add(person(7), now=long_ago)
    store.close()
    out = ok("purge-personal", "--dry-run")
    assert "would erase" in out and old.receipt_no in out and "of 1 proposal," in out
    assert found(db, f"p0007.{EMAIL}") and ok("access-log").startswith("(no reads")
    out = ok("purge-personal", "--by", "suzuki")
    assert out.startswith("erased the names and emails of 1 proposal,") and old.receipt_no in out
    assert found(db, f"p0007.{EMAIL}") == [] and found(db, f"p0001.{EMAIL}")      # the recent one stays
    [line] = [json.loads(x) for x in ok("access-log", "--json").splitlines()]
    assert (line["by"], line["action"], line["subject"]) == ("cli:suzuki", "purge", old.receipt_no)
    assert "no names or emails are due" in ok("purge-personal")


def test_purge_is_the_same_for_the_cli_and_the_server(tmp_path):
    clock = ManualClock(jst(2026, 1, 1))
    store = ProposalStore(tmp_path / "p.db", clock)
    p, _ = store.add(person(1))
    clock.advance(RETENTION * 86400)
    assert purge(store, RETENTION, "cli:x", dry_run=True).erasure is None
    assert purge(store, RETENTION, "cli:x").erasure.erased == (p.receipt_no,)
    store.close()


def test_the_retention_setting():
    assert Settings.from_env({}).personal_data_retention_days == 1095
    assert Settings.from_env({"REFORMBOT_PERSONAL_DATA_RETENTION_DAYS": "30"}).personal_data_retention_days == 30
    for bad in ("0", "-1", "three years"):
        with pytest.raises(SettingsError, match="REFORMBOT_PERSONAL_DATA_RETENTION_DAYS"):
            Settings.from_env({"REFORMBOT_PERSONAL_DATA_RETENTION_DAYS": bad})
