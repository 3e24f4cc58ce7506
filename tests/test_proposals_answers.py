"""Staff answers: the store (history, status, the outbox row in the same transaction), the
`reformbot proposals answer` command, and the 回答する button and modal in Slack (signed requests
against the Web API emulator). Mail delivery itself: test_proposals_mail.py."""
from __future__ import annotations

import json
import sqlite3
from urllib.parse import parse_qs, urlencode

import pytest
from typer.testing import CliRunner

from clock_support import ManualClock, jst
from feedback.proposals.cli import proposals_app
from feedback.proposals.model import ProposalAnswer, ProposalInput
from feedback.proposals.slack import answer_modal, proposal_message, proposals_plugin
from feedback.proposals.store import BadAnswer, ProposalStore
from slack_helpers import block_actions, slack_harness, strip_environment, view_submission

runner = CliRunner()
CHANNEL = "C0PROPOSALS"


@pytest.fixture
def clock():
    return ManualClock(jst(2026, 11, 30, 9, 0, 0))


@pytest.fixture
def store(tmp_path, clock):
    s = ProposalStore(tmp_path / "data" / "reformbot.db", clock=clock)
    yield s
    s.close()


def citizen(store, email="hanako@example.jp", name="厚木花子"):
    p, _ = store.add(ProposalInput(title="公民館の予約をオンラインで", body="窓口に行かずに予約したい。", goal="3",
                                   residency="resident", name=name, email=email))
    return p


# --- the store ---------------------------------------------------------------------------------

def test_an_answer_sets_the_status_and_an_edit_keeps_the_earlier_text(store, clock):
    p = citizen(store)
    first = store.answer(p.receipt_no, "検討します。", "reviewing", published=False, author="cli:suzuki")
    assert first == ProposalAnswer("検討します。", "reviewing", False, "cli:suzuki", "2026-11-30T00:00:00Z")
    clock.advance(3600)
    second = store.answer(p.id, "  令和９年度から始めます。\r\n", "done", published=True, author="slack:U0STAFF2")
    assert second.text == "令和９年度から始めます。" and second.created_at == "2026-11-30T01:00:00Z"
    assert store.current_answer(p.id) == second and store.answer_history(p.id) == [first, second]
    got = store.get(p.id)
    assert got.status == "done" and got.answer == second and got.answers == (first, second)
    assert [(h.status, h.actor, h.note) for h in got.history] == [
        ("received", "citizen", ""), ("reviewing", "cli:suzuki", "answered"), ("done", "slack:U0STAFF2", "answer edited")]
    con = sqlite3.connect(store.path)
    rows = con.execute("SELECT id, replaced_by FROM proposal_answers WHERE proposal_id = ? ORDER BY id", (p.id,)).fetchall()
    assert rows[0][1] == rows[1][0] and rows[1][1] is None          # the earlier one points at its replacement
    # the same outcome again (an edit of a done proposal): allowed, status unchanged
    store.answer(p.id, "4月1日から始めます。", "done", published=True, author="cli:suzuki")
    assert store.get(p.id).status == "done" and len(store.answer_history(p.id)) == 3
    assert store.current_answer(citizen(store).id) is None


def test_the_outbox_row_is_written_with_the_answer_or_not_at_all(store):
    p = citizen(store)
    quiet = citizen(store, email=None, name=None)
    store.answer(quiet.id, "ありがとうございます。", "done", published=False, author="cli:suzuki")
    assert store.get(quiet.id).mails == () and store.get(quiet.id).status == "done"
    con = sqlite3.connect(store.path)
    con.execute("CREATE TRIGGER outbox_broken BEFORE INSERT ON mail_outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    con.commit()
    with pytest.raises(sqlite3.IntegrityError):
        store.answer(p.id, "令和９年度から始めます。", "done", published=False, author="cli:suzuki")
    got = store.get(p.id)
    assert got.answers == () and got.status == "received" and len(got.history) == 1   # none of it
    con.execute("DROP TRIGGER outbox_broken")
    con.commit()
    store.answer(p.id, "令和９年度から始めます。", "done", published=False, author="cli:suzuki")
    [row] = con.execute("SELECT kind, to_addr, state, attempts, subject FROM mail_outbox WHERE proposal_id = ?",
                        (p.id,)).fetchall()
    assert row[:4] == ("answer", "hanako@example.jp", "pending", 0) and p.receipt_no in row[4]


@pytest.mark.parametrize("text, status, published, field, says", [
    ("　\n ", "done", False, "answer_text", "回答を入力してください。"),
    ("x" * 3001, "done", False, "answer_text", "3000文字以内"),
    ("回答\x07です", "done", False, "answer_text", "制御文字"),
    ("厚木花子さん、090-1234-5678 までご連絡ください。", "done", True, "answer_text", "電話番号・提案者の氏名"),
    ("回答です。", "received", False, "answer_status", "「受付」の提案を「受付」にはできません"),
    ("回答です。", "", False, "answer_status", "対応状況を選んでください。"),
])
def test_bad_answers_are_refused_with_a_reason_by_the_field(store, text, status, published, field, says):
    p = citizen(store)
    checked = store.check_answer(p.id, text, status, published=published, lang="ja")
    assert not checked.ok and says in checked.errors[field]
    with pytest.raises(BadAnswer) as err:
        store.answer(p.id, text, status, published=published, author="cli:suzuki")
    assert field in err.value.errors
    assert store.get(p.id).answers == () and store.get(p.id).mails == ()


def test_a_private_answer_may_name_the_submitter_and_a_done_proposal_can_only_reopen(store):
    p = citizen(store)
    store.answer(p.id, "厚木花子様 ご提案ありがとうございます。", "done", published=False, author="cli:suzuki")
    checked = store.check_answer(p.id, "やはり検討します。", "difficult", published=False, lang="en")
    assert "cannot become Difficult; choose one of Under review, Done" in checked.errors["answer_status"]


# --- the CLI -----------------------------------------------------------------------------------

@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(tmp_path / "data"))
    s = ProposalStore(tmp_path / "data" / "reformbot.db")
    citizen(s)
    citizen(s, email=None, name=None)
    s.close()
    return tmp_path / "data" / "reformbot.db"


def run(*args, input=None):
    r = runner.invoke(proposals_app, list(args), input=input)
    assert r.exit_code == 0, r.output
    return r.stdout


def test_answer_from_the_cli_then_show_lists_answers_and_the_queued_mail(db, tmp_path):
    answer = tmp_path / "answer.txt"
    answer.write_text("ご提案ありがとうございます。\n令和９年度から始めます。\n", encoding="utf-8")
    out = run("answer", "1", "--file", str(answer), "--status", "対応済", "--by", "suzuki")
    assert "answered, 対応済 (done), not public" in out
    assert "mail: queued as outbox 1, not sent while REFORMBOT_SMTP_URL is not set" in out
    answer.write_text("令和９年４月から始めます。", encoding="utf-8")
    out = run("answer", "1", "--file", str(answer), "--status", "done", "--publish")
    assert "public (1 earlier kept)" in out
    shown = run("show", "1")
    assert "回答:  対応済  公開  cli:admin" in shown and "  令和９年４月から始めます。" in shown
    assert "以前の回答 (1/2):  対応済  非公開  cli:suzuki" in shown and "  令和９年度から始めます。" in shown
    assert "outbox 1  回答  送信待ち  試行 0" in shown and "REFORMBOT_SMTP_URL is not set" in shown
    assert "hanako@example.jp" not in shown
    data = json.loads(run("show", "1", "--json"))
    assert [a["author"] for a in data["answers"]] == ["cli:suzuki", "cli:admin"]
    assert data["answers"][1]["created_at"].endswith("+09:00")
    assert [m["state"] for m in data["mails"]] == ["pending", "pending"] and "hanako@example.jp" not in json.dumps(data)
    assert "mail: none (the submitter left no email address)" in run("answer", "2", "-f", "-", "-s", "対象外",
                                                                     input="市の事業ではありません。")


@pytest.mark.parametrize("args, content, expect", [
    (["--status", "対応済"], "", "error: Please enter the answer. (edit the --file)"),
    (["--status", "たぶん"], "回答", "error: unknown status 'たぶん'"),
    (["--status", "受付"], "回答", "cannot become Received; choose one of Under review, Done, Difficult, Out of scope"),
    (["--status", "対応済", "--publish"], "連絡は 090-1234-5678 へ", "seems to contain a phone number; remove it or untick Publish"),
])
def test_bad_answers_from_the_cli_are_one_line_errors(db, tmp_path, args, content, expect):
    f = tmp_path / "a.txt"
    f.write_text(content, encoding="utf-8")
    r = runner.invoke(proposals_app, ["answer", "1", "--file", str(f), *args])
    assert r.exit_code == 2 and r.output.strip().count("\n") == 0 and expect in r.output, r.output
    assert "Traceback" not in r.output


def test_an_unreadable_answer_file_is_a_one_line_error(db, tmp_path):
    r = runner.invoke(proposals_app, ["answer", "1", "--file", str(tmp_path / "missing.txt"), "--status", "done"])
    assert r.exit_code == 2 and "error: cannot read the answer from" in r.output and "No such file" in r.output
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("回答".encode("shift_jis"))
    r = runner.invoke(proposals_app, ["answer", "1", "--file", str(latin), "--status", "done"])
    assert r.exit_code == 2 and "not UTF-8 text" in r.output


def test_an_answer_from_the_cli_updates_the_slack_message(db, tmp_path, monkeypatch):
    from slack_emulator import SlackEmulator

    s = ProposalStore(db)
    s.set_slack_message(1, CHANNEL, "1700000000.000042")
    s.close()
    f = tmp_path / "a.txt"
    f.write_text("令和９年度から始めます。", encoding="utf-8")
    with SlackEmulator() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
        monkeypatch.setenv("SLACK_API_BASE_URL", slack.base_url)
        run("answer", "1", "-f", str(f), "-s", "対応済", "--by", "tanaka")
        [upd] = slack.wait_for("chat.update")
    shown = json.dumps(upd["blocks"], ensure_ascii=False)
    assert "回答（cli:tanaka、" in shown and "令和９年度から始めます。" in shown and "非公開" in shown
    assert "市民へのメール: 回答 送信待ち" in shown and "回答を編集" in shown


# --- Slack -------------------------------------------------------------------------------------

@pytest.fixture
def env(tmp_path, monkeypatch):
    strip_environment(monkeypatch)
    store = ProposalStore(tmp_path / "data" / "reformbot.db")

    def make(settings, qa):
        from starlette.applications import Starlette

        from bot.slack import build_slack_app, slack_routes

        app = build_slack_app(settings, qa, plugins=[proposals_plugin(store)])
        return Starlette(routes=slack_routes(app)), app

    with slack_harness(tmp_path / "data", settings_overrides={"proposals_channel": CHANNEL},
                       starlette_app=make) as h:
        h.proposals = store
        yield h


def submit_answer(env, view, text, status, publish=False, user="U0STAFF2"):
    """The modal submitted as Slack sends it: a text input, a static select and checkboxes."""
    payload = json.loads(parse_qs(view_submission(view, {}, user=user))["payload"][0])
    option = {"text": {"type": "plain_text", "text": "公開する"}, "value": "publish"}
    payload["view"]["state"]["values"] = {
        "answer_text": {"value": {"type": "plain_text_input", "value": text}},
        "answer_status": {"value": {"type": "static_select", "selected_option": {"value": status}}},
        "answer_publish": {"value": {"type": "checkboxes", "selected_options": [option] if publish else []}},
    }
    return env.post(urlencode({"payload": json.dumps(payload, ensure_ascii=False)}))


def open_answer_modal(env, p, ts="1700000000.000007"):
    env.post(block_actions("proposal_answer", str(p.id), response_url=env.emulator.response_url(),
                           channel=CHANNEL, message={"ts": ts}))
    opened = env.emulator.wait_for("views.open")[-1]
    return opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])


def test_the_answer_button_opens_a_modal_and_saving_shows_the_answer_on_the_message(env):
    p = citizen(env.proposals)
    _, blocks = proposal_message(env.proposals.redact(env.proposals.get(p.id)))
    buttons = [b for b in blocks if b["type"] == "actions"][0]["elements"]
    assert {"action_id": "proposal_answer", "value": str(p.id)}.items() <= buttons[-2].items()
    view = open_answer_modal(env, p)
    assert view["callback_id"] == "proposal_answer_save"
    shown = json.dumps(view, ensure_ascii=False)
    assert "保存すると回答がメールで送られます" in shown and "hanako@example.jp" not in shown and "厚木花子" not in shown
    statuses = [o["value"] for o in view["blocks"][2]["element"]["options"]]
    assert statuses == ["reviewing", "done", "difficult", "out_of_scope"]
    r = submit_answer(env, view, "令和９年度から公民館の予約をオンラインで受け付けます。", "done", publish=True)
    assert r.status_code == 200 and "errors" not in r.text
    [upd] = env.emulator.wait_for("chat.update")
    assert upd["ts"] == "1700000000.000007" and upd["channel"] == CHANNEL
    text = json.dumps(upd["blocks"], ensure_ascii=False)
    assert "回答（<@U0STAFF2>、" in text and "対応済 ・ 公開" in text and "公民館の予約をオンラインで受け付けます" in text
    assert "市民へのメール: 回答 送信待ち" in text and "回答を編集" in text
    got = env.proposals.get(p.id)
    assert got.status == "done" and got.answer.author == "slack:U0STAFF2" and got.answer.published
    assert [m.kind for m in got.mails] == ["answer"]
    # edit: the modal holds the current answer; the earlier one stays in the history
    view = open_answer_modal(env, p)
    assert view["blocks"][1]["element"]["initial_value"] == "令和９年度から公民館の予約をオンラインで受け付けます。"
    assert view["blocks"][3]["element"]["initial_options"][0]["value"] == "publish"
    assert [o["value"] for o in view["blocks"][2]["element"]["options"]] == ["reviewing", "done"]
    submit_answer(env, view, "４月１日から受け付けます。", "done")
    upd = env.emulator.wait_for("chat.update", count=2)[-1]
    assert "編集 1 回" in json.dumps(upd["blocks"], ensure_ascii=False)
    assert [a.text for a in env.proposals.answer_history(p.id)] == [
        "令和９年度から公民館の予約をオンラインで受け付けます。", "４月１日から受け付けます。"]


def test_the_answer_modal_shows_errors_by_the_field_in_the_staff_members_language(env):
    p = citizen(env.proposals)
    view = open_answer_modal(env, p)
    r = submit_answer(env, view, "  ", "done")
    assert r.json() == {"response_action": "errors", "errors": {"answer_text": "回答を入力してください。"}}
    r = submit_answer(env, view, "厚木花子さんの提案を採用します。", "done", publish=True)
    assert "提案者の氏名" in r.json()["errors"]["answer_text"]
    env.emulator.locales["U0ENGLISH"] = "en-US"
    r = submit_answer(env, view, "", "done", user="U0ENGLISH")
    assert r.json()["errors"] == {"answer_text": "Please enter the answer."}
    env.proposals.set_status(p.id, "out_of_scope", "slack:U1")        # someone else closed it meanwhile
    r = submit_answer(env, view, "検討します。", "difficult")
    assert "「対象外」の提案を「対応困難」にはできません" in r.json()["errors"]["answer_status"]
    assert env.proposals.get(p.id).answers == ()
    con = sqlite3.connect(env.proposals.path)
    con.execute("CREATE TRIGGER answers_broken BEFORE INSERT ON proposal_answers BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    con.commit()
    r = submit_answer(env, view, "検討します。", "reviewing")      # the database fails: a polite line, text kept
    assert r.json()["errors"] == {"answer_text": "一時的な問題で回答を保存できませんでした。少し待ってからもう一度保存してください。"}
    assert env.proposals.get(p.id).answers == ()


def test_without_an_address_the_modal_says_no_mail_is_sent(tmp_path):
    store = ProposalStore(tmp_path / "p.db")
    p = citizen(store, email=None)
    view = answer_modal(store.redact(store.get(p.id)), "en", has_email=store.has_email(p.id))
    assert "left no email address, so no mail is sent" in json.dumps(view, ensure_ascii=False)
    assert not store.has_email(p.id) and store.has_email(citizen(store).id)
