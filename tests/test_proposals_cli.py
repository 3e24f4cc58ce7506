"""`reformbot proposals list|show|export|status|publish` through typer's runner, on a real SQLite file."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from feedback.proposals.cli import proposals_app
from feedback.proposals.model import LinkResult, ProposalInput, SectionLink
from feedback.proposals.store import ProposalStore

runner = CliRunner()


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    """Two proposals in a real SQLite file: ``(path, receipt numbers as the store returned them)``."""
    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(tmp_path / "data"))
    store = ProposalStore(tmp_path / "data" / "reformbot.db")
    a, _ = store.add(ProposalInput(title="公民館の予約", body="オンライン予約を\n=cmd|' /C calc'!A0",
                                   goal="3", residency="resident", name="厚木太郎", email="taro@example.jp",
                                   consent_version="2026-11"))
    store.save_link(a.id, LinkResult("3", {"3": 1.0}, (SectionLink(1, "s5-3-u-a", "… › ウ 重点目標３ … › (ｱ) 更なる市民協働の推進", 5, 0.91),)))
    b, _ = store.add(ProposalInput(title="職員アイデア", body="ペーパーレス会議", goal="1", source="staff",
                                   staff_user_id="U0STAFF1"))
    store.close()
    return tmp_path / "data" / "reformbot.db", (a.receipt_no, b.receipt_no)


@pytest.fixture
def db(seeded):
    return seeded[0]


def run(*args):
    r = runner.invoke(proposals_app, list(args))
    assert r.exit_code == 0, r.output
    return r.stdout


def test_list_and_show(seeded):
    receipt = seeded[1][0]
    out = run("list")
    assert receipt in out
    assert "公民館の予約" in out and "職員アイデア" in out and "受付" in out and "重点目標３" in out
    assert "厚木太郎" not in out
    shown = run("show", "1")
    assert "大綱P.5" in shown and "更なる市民協働の推進" in shown and "taro@example.jp" not in shown
    assert "taro@example.jp" in run("show", "1", "--include-personal", "--reason", "test")
    data = json.loads(run("show", receipt, "--json"))
    assert data["receipt_no"] == receipt and data["sections"][0]["page"] == 5 and "email" not in data


def test_export_leaves_personal_data_out_unless_asked(db, tmp_path):
    rows = json.loads(run("export", "--format", "json"))
    assert len(rows) == 2 and "email" not in rows[0] and "name" not in rows[0]
    assert "taro@example.jp" not in json.dumps(rows, ensure_ascii=False)
    with_personal = json.loads(run("export", "--format", "json", "--include-personal", "--reason", "test"))
    assert {r["email"] for r in with_personal} == {"taro@example.jp", ""}
    text = run("export", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["title"] for r in table] == ["職員アイデア", "公民館の予約"]
    assert "email" not in table[0]
    out = tmp_path / "p.csv"
    run("export", "-f", "csv", "-o", str(out), "--include-personal", "--reason", "test")
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode()) and "taro@example.jp" in raw.decode("utf-8-sig")


def test_csv_export_defuses_spreadsheet_formulas(db):
    store = ProposalStore(db)
    store.add(ProposalInput(title='=HYPERLINK("http://evil.example","詳細")', body="@SUM(1+1)", goal="unknown"))
    store.close()
    table = list(csv.DictReader(io.StringIO(run("export", "--format", "csv"))))
    row = [r for r in table if "HYPERLINK" in r["title"]][0]
    assert row["title"].startswith("'=") and row["body"] == "'@SUM(1+1)"
    rows = json.loads(run("export", "--format", "json"))       # JSON keeps the text as written
    assert rows[0]["title"].startswith("=HYPERLINK")


def test_status_change_with_history_and_bad_transition(db):
    assert "検討中" in run("status", "1", "検討中", "--note", "担当課へ", "--by", "suzuki")
    assert "対応済" in run("status", "1", "done")
    r = runner.invoke(proposals_app, ["status", "1", "received"])
    assert r.exit_code != 0 and "cannot" in r.output
    r = runner.invoke(proposals_app, ["status", "1", "maybe"])
    assert r.exit_code != 0 and "unknown status" in r.output
    history = json.loads(run("show", "1", "--json"))["history"]
    assert [(h["status"], h["actor"], h["note"]) for h in history] == [
        ("received", "citizen", ""), ("reviewing", "cli:suzuki", "担当課へ"), ("done", "cli:admin", "")]


def test_unknown_proposal_gets_a_helpful_error(db):
    r = runner.invoke(proposals_app, ["show", "20990101-99999"])
    assert r.exit_code != 0 and "reformbot proposals list" in r.output


@pytest.mark.parametrize("args, expect", [
    (["show", "20990101-99999"], "error: no proposal '20990101-99999'"),
    (["status", "1", "maybe"], "error: unknown status 'maybe'"),
    (["status", "1", "受付"], "it cannot become 受付 (received). Allowed: reviewing (検討中)"),
    (["list", "--status", "不明"], "error: unknown status '不明'"),
])
def test_bad_input_is_one_line_error_without_a_usage_box(db, args, expect):
    r = runner.invoke(proposals_app, args)
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expect in lines[0], r.output
    assert "Usage:" not in r.output and "╭" not in r.output


def test_publish_and_unpublish(db):
    assert "published" in run("publish", "1")
    assert json.loads(run("show", "1", "--json"))["published"] is True
    run("unpublish", "1")
    assert json.loads(run("show", "1", "--json"))["published"] is False


def test_mounted_on_the_main_cli(db):
    r = subprocess.run([sys.executable, "-m", "bot.cli", "proposals", "list"], capture_output=True, text=True,
                       env={"REFORMBOT_DATA_DIR": str(db.parent), "PATH": "/usr/bin:/bin"}, timeout=120)
    if r.returncode != 0 and "No module named bot.cli.__main__" in r.stderr:
        pytest.skip("bot.cli has no __main__")
    assert r.returncode == 0, r.stderr
    assert "公民館の予約" in r.stdout


def test_status_change_from_the_cli_updates_the_slack_message(db, monkeypatch):
    from slack_emulator import SlackEmulator

    store = ProposalStore(db)
    store.set_slack_message(1, "C0PROPOSALS", "1700000000.000042")
    store.close()
    with SlackEmulator() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
        monkeypatch.setenv("SLACK_API_BASE_URL", slack.base_url)
        run("status", "1", "対象外", "--by", "tanaka")
        [upd] = slack.wait_for("chat.update")
    assert upd["channel"] == "C0PROPOSALS" and upd["ts"] == "1700000000.000042"
    assert "対象外" in json.dumps(upd["blocks"], ensure_ascii=False)


def test_contact_details_in_the_text_are_masked_unless_personal_data_is_asked_for(db):
    store = ProposalStore(db)
    store.add(ProposalInput(title="連絡 hanako@example.jp", body="電話は０９０・１２３４・５６７８、個人番号 1234 5678 9012",
                            goal="unknown"))
    store.close()
    secrets = ("hanako@example.jp", "１２３４・５６７８", "5678 9012")
    outputs = [run("list"), run("list", "--json"), run("show", "3"), run("show", "3", "--json"),
               run("export", "-f", "csv"), run("export", "-f", "json")]
    for out in outputs:
        assert not any(s in out for s in secrets), out
    assert "［メール省略］" in run("list") and "［電話番号省略］" in run("export", "-f", "json")
    full = run("export", "-f", "json", "--include-personal", "--reason", "test") + run("show", "3", "--include-personal",
                                                                                        "--reason", "test")
    assert all(s in full for s in secrets)


def test_show_prints_goal_shares_readably(db):
    out = run("show", "1")
    assert "重点目標３ 100%" in out and "{" not in out


def test_unusable_database_or_output_path_is_a_one_line_error(db, tmp_path):
    not_db = tmp_path / "notes.db"
    not_db.write_bytes(b"this is not an SQLite file" * 100)
    r = runner.invoke(proposals_app, ["list", "--db", str(not_db)])
    assert r.exit_code == 1
    assert "error: cannot open the proposals database" in r.output and "Traceback" not in r.output
    r = runner.invoke(proposals_app, ["export", "-o", str(tmp_path / "no" / "such" / "dir.csv")])
    assert r.exit_code == 1 and "error: cannot write" in r.output and "nothing was exported" in r.output


# --- list --json tells the whole proposal; times are Japan time ---------------------------------

@pytest.fixture
def far_from_japan(monkeypatch):
    """The machine's zone is not Japan's: nothing printed may depend on it."""
    import time

    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def linked_after_midnight_jst(tmp_path, monkeypatch):
    """One proposal received at 00:30 JST on 28 November (still the 27th in UTC), linked to three
    sections, published, with a status change."""
    from clock_support import ManualClock, jst

    from feedback.proposals.model import PublicText, Similar

    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(tmp_path / "data"))
    clock = ManualClock(jst(2026, 11, 28, 0, 30, 0))
    store = ProposalStore(tmp_path / "data" / "reformbot.db", clock=clock)
    other, _ = store.add(ProposalInput(title="図書館の開館時間", body="夜も開けてほしい", goal="3"))
    p, _ = store.add(ProposalInput(title="公民館の予約", body="オンライン予約を", goal="3", name="厚木太郎"))
    sections = tuple(SectionLink(i, f"s5-3-{i}", f"重点目標３ › 節{i}", 5 + i, 0.9 - i / 10) for i in (1, 2, 3))
    store.save_link(p.id, LinkResult("3", {"3": 1.0}, sections), [Similar(other.id, other.receipt_no, other.title, 0.8, False)])
    clock.advance(3600)
    store.set_status(p.id, "reviewing", actor="cli:suzuki")
    store.set_published(p.id, True, actor="cli:suzuki", public=PublicText("公民館の予約", "オンライン予約を"))
    store.close()
    return p.receipt_no


def test_list_json_lines_show_what_show_json_shows(linked_after_midnight_jst):
    receipt = linked_after_midnight_jst
    shown = json.loads(run("show", receipt, "--json"))
    assert len(shown["sections"]) == 3
    listed = {d["receipt_no"]: d for d in map(json.loads, run("list", "--json").splitlines())}
    assert listed[receipt] == shown                  # sections, similar, history, public: nothing left empty
    assert [s["page"] for s in listed[receipt]["sections"]] == [6, 7, 8]
    assert listed[receipt]["similar"][0]["title"] == "図書館の開館時間"
    assert [h["status"] for h in listed[receipt]["history"]] == ["received", "reviewing", "reviewing"]
    assert listed[receipt]["public"]["title"] == "公民館の予約"
    assert "name" not in listed[receipt] and "email" not in listed[receipt]


def test_times_in_json_and_exports_are_japan_time_with_the_receipt_date(linked_after_midnight_jst, far_from_japan):
    receipt = linked_after_midnight_jst
    assert receipt.startswith("20261128-")
    received, reviewed = "2026-11-28T00:30:00+09:00", "2026-11-28T01:30:00+09:00"
    shown = json.loads(run("show", receipt, "--json"))
    assert shown["created_at"] == received
    assert [h["at"] for h in shown["history"]] == [received, reviewed, reviewed]
    assert shown["public"]["approved_at"] == reviewed
    [listed] = [json.loads(line) for line in run("list", "--json").splitlines() if receipt in line[:40]]
    assert listed["created_at"] == received
    [exported] = [r for r in json.loads(run("export", "--format", "json")) if r["receipt_no"] == receipt]
    assert exported["created_at"] == received
    [row] = [r for r in csv.DictReader(io.StringIO(run("export"))) if r["receipt_no"] == receipt]
    assert row["created_at"] == received
    assert row["created_at"][:10].replace("-", "") == receipt[:8]     # the date people see agrees


def test_cli_help_says_times_are_japan_time():
    for command in ("list", "show", "export"):
        r = runner.invoke(proposals_app, [command, "--help"])
        assert "+09:00" in r.stdout, command
