"""Publishing a revision from Slack: an admin sends the file in a DM, checks the staged version, publishes.

Driven like Slack drives the bot: signed events and button clicks in Slack's payload shapes; the
file is described by ``files.info`` and downloaded from the Web API emulator with the bot token.
The index is real (versions on disk, the server's QAService following ``current``) with the fake
embedder.
"""
from __future__ import annotations

import json
import stat
import threading
import time

import pytest

import revision_support as R
from bot.service import QAService
from bot.settings import DEFAULT_CORPUS, Settings
from bot.slack import publish_blocks as pb
from bot.slack.publish import publish_plugin
from bot.slack.revisions import slack_plugin as revisions_plugin
from index.embedder import FakeEmbedder
from index.versions import build_version, current_version, list_versions
from slack_helpers import block_actions, message, slack_harness, strip_environment

ADMIN = "U0ADMIN01"
STAFF = "U0STAFF01"
DM = "D0ADMIN01"
ANNOUNCE = "C0ANNOUNCE"
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    strip_environment(monkeypatch)


@pytest.fixture(scope="module")
def outline():
    """The bundled outline as `reformbot index build` reads and chunks it."""
    from index.build import load_corpus

    return load_corpus([DEFAULT_CORPUS])


@pytest.fixture(scope="module")
def revised_text(tmp_path_factory):
    return R.write_revised(tmp_path_factory.mktemp("src")).read_bytes()


def harness(tmp_path, outline, **overrides):
    """The bot with the revision and publishing plugins over a real index whose current version is v1."""
    doc, chunks = outline
    data = tmp_path / "data"
    v1 = build_version(chunks, doc, data / "index", FakeEmbedder())
    qa = QAService(Settings(data_dir=data, embedding_model="fake"))
    qa.refresh()                                          # serving v1, as a running server would be
    settings = dict(embedding_model="fake", admins=ADMIN, announce_channel=ANNOUNCE, **overrides)
    return v1, slack_harness(data, qa, settings_overrides=settings, plugins=[revisions_plugin, publish_plugin])


def send_file(slack, name: str, data: bytes, *, user: str = ADMIN, channel: str = DM, text: str = "", **file_kw):
    """Upload ``data`` as ``name`` and deliver the DM event Slack sends for it."""
    shared = slack.emulator.add_file(name, data, user=user, **file_kw)
    event = message(text, channel=channel, user=user, subtype="file_share", files=[shared], upload=True,
                    display_as_bot=False)
    r = slack.event(event)
    assert r.status_code == 200
    return event


def replies(slack, channel: str = DM) -> list:
    return [c for c in slack.emulator.calls_to("chat.postMessage") if c["channel"] == channel]


def last_reply(slack, needle: str, channel: str = DM):
    """The DM reply containing ``needle`` (waits for it)."""
    return slack.emulator.wait_for("chat.postMessage", where=lambda c: c["channel"] == channel
                                   and needle in c["text"] + json.dumps(c.get("blocks") or [], ensure_ascii=False))[-1]


def as_message(post) -> dict:
    """The posted message as Slack sends it back in a click's payload."""
    return {"type": "message", "ts": post.response["ts"], "text": post["text"], "blocks": post["blocks"],
            "user": "UBOT0001", "bot_id": "BBOT0001"}


def button(blocks, action_id: str) -> dict:
    for b in blocks:
        for e in b.get("elements", []) if b.get("type") == "actions" else []:
            if e["action_id"] == action_id:
                return e
    raise AssertionError(f"no {action_id} button in {json.dumps(blocks, ensure_ascii=False)[:500]}")


def click(slack, post, action_id: str, *, user: str, channel: str, name: str):
    value = button(post["blocks"], action_id)["value"]
    r = slack.post(block_actions(action_id, value, response_url=slack.emulator.response_url(name), user=user,
                                 channel=channel, message=as_message(post)))
    assert r.status_code == 200


def ephemeral(slack, name: str):
    return slack.emulator.wait_for("response_url", where=lambda c: c.path == f"/response/{name}")[-1]


def outcome(slack, post):
    """The chat.update that replaced ``post``'s buttons with what happened."""
    return slack.emulator.wait_for("chat.update", where=lambda c: c["ts"] == post.response["ts"] and any(
        b.get("block_id") == pb.BLOCK_OUTCOME for b in c.get("blocks") or []))[-1]


# --- the whole path --------------------------------------------------------------------------------

def test_an_admin_publishes_a_revised_outline_from_slack_and_undoes_it(tmp_path, outline, revised_text):
    v1, h = harness(tmp_path, outline)
    with h as slack:
        started = time.perf_counter()
        send_file(slack, "第７次行政改革大綱_改訂版.txt", revised_text)
        assert time.perf_counter() - started < 3.0           # acked at once; the build runs after

        staged_post = last_reply(slack, pb.ACTION_PUBLISH)
        blocks = json.dumps(staged_post["blocks"], ensure_ascii=False)
        # staged, not published: the server still answers from v1
        root = slack.settings.index_dir
        staged = pb.Staged.from_value(button(staged_post["blocks"], pb.ACTION_PUBLISH)["value"])
        assert current_version(root) == v1.version and staged.base == v1.version
        assert staged.version in {v.id for v in list_versions(root)} and staged.version != v1.version
        assert slack.qa.ask(R.NEW_FIGURE).index_version == v1.version
        # the inspection summary (as `index inspect`) and the diff (as `index diff`), in the admin's DM thread
        assert "読み取り結果" in blocks and "sections (" in blocks and "※8 キャッシュレス決済" in blocks
        assert "file: 第７次行政改革大綱_改訂版.txt (utf-8" in blocks and "uploads" not in blocks   # no server paths
        assert "〔-20-〕" in blocks and "〔+25+〕" in blocks and R.REMOVED_BULLET in blocks
        assert {e["text"]["text"] for b in staged_post["blocks"] if b.get("block_id") == pb.BLOCK_DECISION
                for e in b["elements"]} == {"公開する", "破棄する"}
        thread = staged_post["thread_ts"]
        assert {c["thread_ts"] for c in replies(slack)} == {thread}          # every reply in the upload's thread
        assert not [c for c in slack.emulator.calls_to("chat.postMessage") if c["channel"] != DM]   # nobody else
        # downloaded with the bot token, kept owner-only in the data dir as the staged version's source
        [download] = slack.emulator.calls_to("file_download")
        assert download.headers["authorization"] == "Bearer xoxb-test-token"
        kept = slack.settings.data_dir / "uploads" / staged.upload / "第７次行政改革大綱_改訂版.txt"
        assert kept.read_bytes() == revised_text
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and stat.S_IMODE(kept.parent.stat().st_mode) == 0o700

        click(slack, staged_post, pb.ACTION_PUBLISH, user=STAFF, channel=DM, name="staff-publish")
        assert "管理者だけ" in ephemeral(slack, "staff-publish")["text"]
        assert current_version(root) == v1.version                           # a click is not enough: an admin's

        click(slack, staged_post, pb.ACTION_PUBLISH, user=ADMIN, channel=DM, name="admin-publish")
        done = outcome(slack, staged_post)
        assert current_version(root) == staged.version
        assert f"<@{ADMIN}> さんが版 `{staged.version}` を公開しました" in json.dumps(done["blocks"], ensure_ascii=False)
        assert slack.qa.ask(R.NEW_FIGURE).index_version == staged.version    # serving it at once
        announcement = slack.emulator.wait_for("chat.postMessage", where=lambda c: c["channel"] == ANNOUNCE)[0]
        assert "〔+25+〕" in json.dumps(announcement["blocks"], ensure_ascii=False)
        undo = pb.Undo.from_value(button(announcement["blocks"], pb.ACTION_UNDO)["value"])
        assert (undo.new, undo.old) == (staged.version, v1.version)
        assert pb.Undo.from_value(button(done["blocks"], pb.ACTION_UNDO)["value"]) == undo     # in the DM too

        click(slack, announcement, pb.ACTION_UNDO, user=STAFF, channel=ANNOUNCE, name="staff-undo")
        assert "管理者だけ" in ephemeral(slack, "staff-undo")["text"]
        assert current_version(root) == staged.version

        click(slack, announcement, pb.ACTION_UNDO, user=ADMIN, channel=ANNOUNCE, name="admin-undo")
        undone = outcome(slack, announcement)
        assert "元に戻しました" in json.dumps(undone["blocks"], ensure_ascii=False)
        assert current_version(root) == v1.version
        assert slack.qa.ask(R.NEW_FIGURE).index_version == v1.version
        back = slack.emulator.wait_for("chat.postMessage", count=2, where=lambda c: c["channel"] == ANNOUNCE)[1]
        assert f"（前の版 `{staged.version}`）" in json.dumps(back["blocks"], ensure_ascii=False)  # announced too
        assert not any(b.get("block_id") == pb.BLOCK_UNDO for b in undone["blocks"])   # its button is gone
        click(slack, done, pb.ACTION_UNDO, user=ADMIN, channel=DM, name="late-undo")      # the DM's is stale now
        assert "元に戻すことはできません" in ephemeral(slack, "late-undo")["text"]
        assert current_version(root) == v1.version


def test_a_docx_sent_by_an_admin_is_staged_like_the_text(tmp_path, outline, revised_text):
    import io

    import docx

    document = docx.Document()
    for line in revised_text.decode().splitlines():
        if line.strip():
            document.add_paragraph(line.strip())
    out = io.BytesIO()
    document.save(out)
    v1, h = harness(tmp_path, outline)
    with h as slack:
        send_file(slack, "改訂版.docx", out.getvalue())
        staged_post = last_reply(slack, pb.ACTION_PUBLISH)
        blocks = json.dumps(staged_post["blocks"], ensure_ascii=False)
        assert "docx" in blocks and "〔+25+〕" in blocks
        assert current_version(slack.settings.index_dir) == v1.version


def test_discard_deletes_the_staged_version_and_the_file(tmp_path, outline, revised_text):
    v1, h = harness(tmp_path, outline)
    with h as slack:
        send_file(slack, "改訂版.txt", revised_text)
        staged_post = last_reply(slack, pb.ACTION_DISCARD)
        staged = pb.Staged.from_value(button(staged_post["blocks"], pb.ACTION_DISCARD)["value"])
        root = slack.settings.index_dir
        assert (root / "versions" / staged.version).is_dir()
        click(slack, staged_post, pb.ACTION_DISCARD, user=ADMIN, channel=DM, name="discard")
        done = outcome(slack, staged_post)
        assert "破棄しました" in json.dumps(done["blocks"], ensure_ascii=False)
        assert not (root / "versions" / staged.version).exists()
        assert not (slack.settings.data_dir / "uploads" / staged.upload).exists()
        assert current_version(root) == v1.version
        assert not any(b.get("block_id") == pb.BLOCK_DECISION for b in done["blocks"])   # nothing left to press
        click(slack, staged_post, pb.ACTION_PUBLISH, user=ADMIN, channel=DM, name="late-publish")
        assert "もうありません" in ephemeral(slack, "late-publish")["text"]
        assert current_version(root) == v1.version


def test_publishing_a_version_compared_with_another_current_one_is_refused(tmp_path, outline, revised_text):
    from index.versions import rollback

    v1, h = harness(tmp_path, outline)
    with h as slack:
        doc, chunks = outline
        send_file(slack, "改訂版.txt", revised_text)
        staged_post = last_reply(slack, pb.ACTION_PUBLISH)
        root = slack.settings.index_dir
        other = build_version(chunks, doc, root, FakeEmbedder(), force=True)      # the CLI switched meanwhile
        click(slack, staged_post, pb.ACTION_PUBLISH, user=ADMIN, channel=DM, name="stale")
        assert "変わっています" in ephemeral(slack, "stale")["text"]
        assert current_version(root) == other.version
        rollback(root)
        assert current_version(root) == v1.version


# --- refusals ------------------------------------------------------------------------------------

def test_a_file_from_someone_who_is_not_an_admin_is_politely_refused_and_nothing_is_built(tmp_path, outline,
                                                                                        revised_text):
    v1, h = harness(tmp_path, outline)
    with h as slack:
        send_file(slack, "改訂版.txt", revised_text, user=STAFF, channel="D0STAFF01")
        reply = last_reply(slack, "管理者だけ", channel="D0STAFF01")
        assert "行政経営課" in reply["text"]
        send_file(slack, "資料.txt", revised_text, user=STAFF, channel="D0STAFF01", text="PFIとは何ですか")
        slack.emulator.wait_for("chat.postMessage", count=3, where=lambda c: c["channel"] == "D0STAFF01")
        assert slack.emulator.calls_to("files.info") == [] and slack.emulator.calls_to("file_download") == []
        assert [v.id for v in list_versions(slack.settings.index_dir)] == [v1.version]
        assert not (slack.settings.data_dir / "uploads").exists()


@pytest.mark.parametrize("case", ["unsupported", "too_large", "grows_past_the_limit", "empty", "unchanged"])
def test_a_file_that_cannot_be_used_gets_a_polite_reply_and_leaves_nothing(tmp_path, outline, revised_text, case):
    v1, h = harness(tmp_path, outline, max_source_mb=1)
    with h as slack:
        name, data, kw, needle = {
            "unsupported": ("大綱.xlsx", b"PK\x03\x04 spreadsheet", {}, "対応していない形式です（.xlsx）"),
            "too_large": ("大綱.txt", revised_text, {"size": 3 * MB}, "上限 1 MB を超えています"),
            "grows_past_the_limit": ("大綱.txt", revised_text * 200, {"size": len(revised_text)},
                                     "上限 1 MB を超えています"),
            "empty": ("大綱.txt", b"   \n", {}, "ファイルが空です"),
            "unchanged": ("大綱.txt", DEFAULT_CORPUS.read_bytes(), {}, "同じ内容です"),
        }[case]
        send_file(slack, name, data, **kw)
        reply = last_reply(slack, needle)
        assert "PK" not in reply["text"] and "Traceback" not in reply["text"]
        if case == "too_large":
            assert "REFORMBOT_MAX_SOURCE_MB=3" in reply["text"]           # says which setting raises the limit
        if case in ("unsupported", "too_large"):
            assert slack.emulator.calls_to("file_download") == []         # refused before a byte is fetched
        assert [v.id for v in list_versions(slack.settings.index_dir)] == [v1.version]
        assert list((slack.settings.data_dir / "uploads").glob("*/*")) == []


@pytest.mark.parametrize("case", ["no_file_info", "download_fails", "wrong_token"])
def test_a_file_slack_does_not_hand_over_gets_a_polite_reply(tmp_path, outline, revised_text, case):
    v1, h = harness(tmp_path, outline)
    with h as slack:
        needle = {"no_file_info": "情報を Slack から取得できませんでした", "download_fails": "HTTP 500",
                  "wrong_token": "files:read"}[case]
        if case == "no_file_info":
            slack.emulator.fail("files.info", "file_not_found")
        elif case == "download_fails":
            slack.emulator.fail("file_download", "internal_error", status=500)
        else:
            slack.emulator.bot_token = "xoxb-another-app"                  # Slack sends its sign-in page
        send_file(slack, "改訂版.txt", revised_text)
        reply = last_reply(slack, needle)
        assert "もう一度" in reply["text"] or "files:read" in reply["text"]
        assert [v.id for v in list_versions(slack.settings.index_dir)] == [v1.version]
        assert list((slack.settings.data_dir / "uploads").glob("*/*")) == []


def test_a_second_file_while_one_is_being_built_is_refused(tmp_path, outline, revised_text):
    v1, h = harness(tmp_path, outline)
    with h as slack:
        gate = threading.Event()
        slack.emulator.hold("file_download", gate)
        try:
            send_file(slack, "改訂版.txt", revised_text)
            slack.emulator.wait_until(lambda e: e.held("file_download") == 1)     # the first is downloading
            send_file(slack, "改訂版2.txt", revised_text)
            reply = last_reply(slack, "作っています（<@")
            assert "改訂版.txt" in reply["text"] and f"<@{ADMIN}>" in reply["text"]
        finally:
            gate.set()
        last_reply(slack, pb.ACTION_PUBLISH)                                      # the first one finishes
        assert len(slack.emulator.calls_to("file_download")) == 1
        assert len(list_versions(slack.settings.index_dir)) == 2


def test_a_build_running_elsewhere_is_named_in_the_reply(tmp_path, outline, revised_text):
    from index import versions

    v1, h = harness(tmp_path, outline)
    with h as slack:
        with versions._locked(slack.settings.index_dir, "build"):            # `reformbot index build` running
            send_file(slack, "改訂版.txt", revised_text)
            reply = last_reply(slack, "実行中です")
        assert f"pid {__import__('os').getpid()}" in reply["text"]
        assert [v.id for v in list_versions(slack.settings.index_dir)] == [v1.version]


def test_a_file_without_an_outline_is_refused_in_the_readers_words(tmp_path, outline):
    v1, h = harness(tmp_path, outline)
    with h as slack:
        send_file(slack, "議事録.txt", "本日の会議では、次回の日程を決めた。\n".encode())
        reply = last_reply(slack, "大綱の内容が見つかりません")
        assert "議事録.txt" in reply["text"]
        assert [v.id for v in list_versions(slack.settings.index_dir)] == [v1.version]


def test_an_admin_with_an_english_slack_gets_english_replies(tmp_path, outline):
    v1, h = harness(tmp_path, outline)
    with h as slack:
        slack.emulator.locales[ADMIN] = "en-US"
        send_file(slack, "outline.xlsx", b"PK\x03\x04 spreadsheet")
        reply = last_reply(slack, "cannot be used")
        assert "unsupported file type .xlsx" in reply["text"] and "“outline.xlsx”" in reply["text"]


# --- the Block Kit, as pure functions ------------------------------------------------------------

def test_a_staged_message_of_a_long_plan_keeps_within_block_kit_limits_and_its_buttons(tmp_path):
    from corpus.inspect import inspect_source

    lines = [f"{i} 第{i}の取組（大綱P.{i}）\n・取組{i}の内容を進めます。" for i in range(1, 121)]
    path = tmp_path / "long.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ins = inspect_source(path)
    diff_blocks = [pb.section(f"*変更* 節{i}\n> " + "新しい文。" * 200) for i in range(60)]
    staged = pb.Staged(version="v2", base="v1", upload="20261127T000000Z-F1", name="long.txt")
    msg = pb.staged_message(staged, ins, diff_blocks, "ja")
    assert len(msg.blocks) <= 50 and msg.blocks[-1]["block_id"] == pb.BLOCK_DECISION
    assert all(len(b["text"]["text"]) <= 3000 for b in msg.blocks if b.get("type") == "section")
    code = next(b["text"]["text"] for b in msg.blocks if b.get("type") == "section" and b["text"]["text"].startswith("```"))
    assert code.rstrip("`").splitlines()[-1].startswith("… (+")            # cut after a whole line, saying so
    assert pb.Staged.from_value(msg.blocks[-1]["elements"][0]["value"]) == staged
    with pytest.raises(ValueError):
        pb.Staged.from_value('{"base": "v1"}')
    with pytest.raises(ValueError):
        pb.Undo.from_value('{"new": "v2"}')
    done = pb.with_outcome(msg.blocks, "公開しました", [pb.undo_actions("v2", "v1")])
    assert [b.get("block_id") for b in done[-2:]] == [pb.BLOCK_OUTCOME, pb.BLOCK_UNDO] and len(done) <= 50
    assert not any(b.get("block_id") == pb.BLOCK_DECISION for b in done)


def test_an_admins_question_with_a_picture_is_answered_not_built(tmp_path, outline):
    v1, h = harness(tmp_path, outline)
    with h as slack:
        send_file(slack, "画面.png", b"\x89PNG\r\n\x1a\n", text="PFIとは何ですか")
        answer = slack.emulator.wait_for("chat.postMessage", where=lambda c: c["channel"] == DM)[0]
        assert "ＰＦＩ" in answer["text"] and "大綱の該当箇所" in json.dumps(answer["blocks"], ensure_ascii=False)
        slack.emulator.wait_for("reactions.remove")                       # the answer is complete
        assert slack.emulator.calls_to("files.info") == [] and len(replies(slack)) == 1
        assert [v.id for v in list_versions(slack.settings.index_dir)] == [v1.version]
