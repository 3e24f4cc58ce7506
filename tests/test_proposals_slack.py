"""Proposals in Slack, against the Web API emulator: posting, masking, status buttons, the staff
modal and App Home, driven with signed requests in Slack's payload shapes."""
from __future__ import annotations

import json
import sqlite3
from urllib.parse import urlencode

import pytest

from feedback.proposals.linking import ProposalPipeline, SimilarFinder, SimilarityPolicy
from feedback.proposals.model import ProposalInput
from feedback.proposals.slack import (SlackNotifier, home_blocks, idea_modal, proposal_message,
                                      proposals_plugin)
from feedback.proposals.store import ProposalStore
from slack_helpers import (API_APP_ID, TEAM_ID, block_actions, event_callback, slack_harness, slash_command,
                           strip_environment, view_submission)

CHANNEL = "C0PROPOSALS"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    strip_environment(monkeypatch)


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    from index.embedder import FakeEmbedder
    from test_proposals_linking import build_retriever

    return build_retriever(tmp_path_factory.mktemp("idx"), FakeEmbedder())


@pytest.fixture
def env(tmp_path, retriever):
    from index.embedder import FakeEmbedder

    store = ProposalStore(tmp_path / "data" / "reformbot.db")
    holder = {}

    def make(settings, qa):
        from slack_sdk import WebClient
        from starlette.applications import Starlette

        from bot.slack import build_slack_app, slack_routes

        client = WebClient(token="xoxb-test-token", base_url=settings.slack_api_base_url)
        notifier = SlackNotifier(client, CHANNEL, store, document=lambda: retriever.document)
        finder = SimilarFinder(store, FakeEmbedder(), SimilarityPolicy(similar=0.5, duplicate=0.7))
        pipeline = ProposalPipeline(store, retriever, finder, notifier)
        holder["pipeline"] = pipeline
        app = build_slack_app(settings, qa, plugins=[proposals_plugin(store, pipeline)])
        return Starlette(routes=slack_routes(app)), app

    with slack_harness(tmp_path / "data", settings_overrides={"proposals_channel": CHANNEL},
                       starlette_app=make) as h:
        h.proposals = store
        h.pipeline = holder["pipeline"]
        yield h
        h.pipeline.stop()


def blocks_of(call) -> list:
    b = call.get("blocks")
    return json.loads(b) if isinstance(b, str) else b


def citizen(store, title="市民活動団体との協働", body="NPOや市民活動団体と協働して公共サービスを良くしてほしい。", **kw):
    p, _ = store.add(ProposalInput(title=title, body=body, goal="3", residency="resident", **kw))
    return p


def test_new_proposal_is_posted_with_goal_sections_similar_and_buttons_without_personal_data(env):
    store = env.proposals
    first = citizen(store)
    env.pipeline.process(first.id)
    body = ("NPOや市民活動団体と協働して公共サービスを良くしてほしい。連絡は taro@example.jp か 090-1234-5678、"
            "個人番号 1234 5678 9012 です。")
    p = citizen(store, body=body, name="厚木花子", email="hanako@example.jp")
    env.pipeline.process(p.id)
    posts = env.emulator.wait_for("chat.postMessage", count=2, where=lambda c: c.get("channel") == CHANNEL)
    post = posts[-1]
    blocks = blocks_of(post)
    dump = json.dumps(blocks, ensure_ascii=False) + post["text"]
    assert "新しい市民提案: 市民活動団体との協働" in dump
    assert "［メール省略］" in dump and "［電話番号省略］" in dump and "［番号省略］" in dump
    for secret in ("taro@example.jp", "090-1234-5678", "1234 5678 9012", "厚木花子", "hanako@example.jp"):
        assert secret not in dump
    assert "重点目標３" in dump and "大綱P.5" in dump and "ウ 重点目標３" in dump
    assert first.receipt_no in dump and "重複の可能性" in dump
    actions = [b for b in blocks if b["type"] == "actions"][0]["elements"]
    assert {a["action_id"] for a in actions} >= {"proposal_status_reviewing", "proposal_status_done",
                                                "proposal_status_difficult", "proposal_status_out_of_scope",
                                                "proposal_publish"}
    assert store.get(p.id).slack_ts == post.response["ts"]
    assert len(blocks) <= 50 and all(len(json.dumps(b)) < 3500 for b in blocks)


def test_status_button_updates_message_and_store_recording_the_staff_member(env):
    store = env.proposals
    p = citizen(store)
    env.pipeline.process(p.id)
    [post] = env.emulator.wait_for("chat.postMessage", where=lambda c: c.get("channel") == CHANNEL)
    message = {"ts": post.response["ts"], "blocks": blocks_of(post), "text": post["text"]}
    r = env.post(block_actions("proposal_status_reviewing", f"{p.id}:reviewing",
                               response_url=env.emulator.response_url(), channel=CHANNEL, message=message,
                               user="U0STAFF2"))
    assert r.status_code == 200
    [upd] = env.emulator.wait_for("chat.update")
    assert upd["ts"] == post.response["ts"] and upd["channel"] == CHANNEL
    text = json.dumps(blocks_of(upd), ensure_ascii=False)
    assert "検討中" in text and "<@U0STAFF2>" in text
    assert "proposal_status_reviewing" not in text and "proposal_status_done" in text
    got = store.get(p.id)
    assert got.status == "reviewing" and got.history[-1].actor == "slack:U0STAFF2"
    con = sqlite3.connect(env.settings.database_path)
    assert con.execute("SELECT status, actor FROM proposal_status_history WHERE proposal_id = ? ORDER BY id",
                       (p.id,)).fetchall() == [("received", "citizen"), ("reviewing", "slack:U0STAFF2")]
    # the same (now stale) button again: not allowed, the clicker is told, nothing recorded
    env.post(block_actions("proposal_status_reviewing", f"{p.id}:reviewing",
                           response_url=env.emulator.response_url(), channel=CHANNEL, message=message))
    [eph] = env.emulator.wait_for("chat.postEphemeral")
    assert "変更できません" in eph["text"]
    assert len(store.get(p.id).history) == 2


def test_publish_button_makes_a_proposal_visible_to_citizens(env):
    p = citizen(env.proposals)
    env.post(block_actions("proposal_publish", f"{p.id}:1", response_url=env.emulator.response_url(),
                           channel=CHANNEL, message={"ts": "1700000000.000001"}))
    [opened] = env.emulator.wait_for("views.open")      # approve the public text first
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    assert not env.proposals.get(p.id).published
    env.post(view_submission(view, {"public_title": {"value": "市民活動団体との協働"},
                                    "public_excerpt": {"value": "NPOと協働して公共サービスを良くする提案。"}}))
    [upd] = env.emulator.wait_for("chat.update")
    assert upd["ts"] == "1700000000.000001" and "市民に表示: 市民活動団体との協働" in json.dumps(blocks_of(upd), ensure_ascii=False)
    got = env.proposals.get(p.id)
    assert got.published and got.public.excerpt == "NPOと協働して公共サービスを良くする提案。"
    assert got.public.approved_by == "slack:U0STAFF2"
    env.post(block_actions("proposal_publish", f"{p.id}:0", response_url=env.emulator.response_url(),
                           channel=CHANNEL, message={"ts": "1700000000.000001"}))
    env.emulator.wait_for("chat.update", count=2)
    assert not env.proposals.get(p.id).published and env.proposals.get(p.id).public is None


def test_publish_modal_offers_the_masked_text_and_refuses_personal_data(env):
    """Issue 9, finding 8: staff approve what citizens see; the draft has the name and contact
    details masked, and text that still holds them is refused next to its field."""
    p = citizen(env.proposals, title="山田太郎からの提案", body="山田 太郎です。電話は〇九〇-一二三四-五六七八です。",
                name="山田 太郎")
    env.post(block_actions("proposal_publish", f"{p.id}:1", response_url=env.emulator.response_url(),
                           channel=CHANNEL, message={"ts": "1700000000.000002"}))
    [opened] = env.emulator.wait_for("views.open")
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    assert view["callback_id"] == "proposal_publish_approve"
    shown = json.dumps(view, ensure_ascii=False)
    assert "［氏名省略］からの提案" in shown and "［電話番号省略］" in shown
    assert "山田" not in shown and "一二三四" not in shown and "太郎" not in shown
    r = env.post(view_submission(view, {"public_title": {"value": "山田　太郎の提案"},
                                        "public_excerpt": {"value": "連絡は０９０ー１２３４ー５６７８まで"}}))
    errors = r.json()["errors"]
    assert "提案者の氏名" in errors["public_title"] and "電話番号" in errors["public_excerpt"]
    assert not env.proposals.get(p.id).published
    env.post(view_submission(view, {"public_title": {"value": "市民からの提案"},
                                    "public_excerpt": {"value": "窓口の改善についての提案です。"}}))
    env.emulator.wait_for("chat.update")
    assert env.proposals.get(p.id).public.title == "市民からの提案"


def test_submitters_name_and_kanji_phone_numbers_never_reach_slack(env):
    store = env.proposals
    p = citizen(store, title="厚木花子の提案", body="厚木　花子です。連絡は〇九〇-一二三四-五六七八、または０９０ー１２３４ー５６７８へ。",
                name="厚木 花子", email="hanako@example.jp")
    env.pipeline.process(p.id)
    later = citizen(store, title="協働の提案", body="連絡は〇九〇-一二三四-五六七八、または０９０ー１２３４ー５６７８へ。")
    env.pipeline.process(later.id)
    posts = env.emulator.wait_for("chat.postMessage", count=2, where=lambda c: c.get("channel") == CHANNEL)
    assert p.receipt_no in json.dumps(blocks_of(posts[1]), ensure_ascii=False)    # listed as similar, by title
    home = json.dumps(home_blocks(store), ensure_ascii=False)
    for out in [json.dumps(blocks_of(c), ensure_ascii=False) + c["text"] for c in posts] + [home]:
        for secret in ("厚木花子", "厚木　花子", "花子", "一二三四", "１２３４"):
            assert secret not in out, (secret, out)
    assert "［氏名省略］の提案" in json.dumps(blocks_of(posts[0]), ensure_ascii=False)


def test_hostile_text_cannot_ping_or_link_in_slack(env):
    p = citizen(env.proposals, title="<!channel> <script>alert(1)</script>",
                body="<https://evil.example|ここをクリック> & <@U0BOSS> *太字*")
    text, blocks = proposal_message(env.proposals.get(p.id))
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    for b in blocks:
        for obj in [b.get("text")] + list(b.get("fields") or []) + [e for e in b.get("elements") or []]:
            if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
                assert "<!channel>" not in obj["text"] and "<https://evil" not in obj["text"]
    plain = [b["text"]["text"] for b in blocks if b["type"] in ("header", "section")
             and b.get("text", {}).get("type") == "plain_text"]
    assert any("<https://evil.example|ここをクリック>" in t for t in plain)    # shown as typed, unparsed


def test_reform_idea_opens_modal_and_submission_stores_and_posts_a_staff_idea(env):
    r = env.post(slash_command("idea 窓口のキャッシュレス化", response_url=env.emulator.response_url()))
    assert r.status_code == 200
    [opened] = env.emulator.wait_for("views.open")
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    assert view["callback_id"] == "proposal_idea"
    assert view["blocks"][0]["element"]["initial_value"] == "窓口のキャッシュレス化"
    values = {"title": {"value": "窓口のキャッシュレス化"},
              "body": {"value": "市役所の窓口で電子マネーやQR決済を使えるようにして、職員の現金管理の手間を減らす。"}}
    state = {b: {a: {"type": "plain_text_input", "value": v} for a, v in acts.items()} for b, acts in values.items()}
    state["goal"] = {"value": {"type": "static_select", "selected_option": {"value": "1"}}}
    payload = json.loads(__import__("urllib.parse").parse.parse_qs(view_submission(view, {}, user="U0IDEA1"))["payload"][0])
    payload["view"]["state"]["values"] = state
    r = env.post(urlencode({"payload": json.dumps(payload, ensure_ascii=False)}))
    assert r.status_code == 200 and r.text in ("", "{}") or "errors" not in r.text
    env.pipeline.join()
    [idea] = env.proposals.list(source="staff")
    assert idea.staff_user_id == "U0IDEA1" and idea.goal == "1" and idea.consent_version is None
    [post] = env.emulator.wait_for("chat.postMessage", where=lambda c: c.get("channel") == CHANNEL)
    assert "新しい職員アイデア" in json.dumps(blocks_of(post), ensure_ascii=False)
    env.emulator.wait_for("chat.postMessage", where=lambda c: c.get("channel") == "U0IDEA1"
                          and idea.receipt_no in c.get("text", ""))
    # the same view submitted again (Slack retry): still one idea
    env.post(urlencode({"payload": json.dumps(payload, ensure_ascii=False)}))
    assert len(env.proposals.list(source="staff")) == 1


def test_idea_modal_shows_field_errors(env):
    view = idea_modal("ja")
    payload = json.loads(__import__("urllib.parse").parse.parse_qs(view_submission(view, {}))["payload"][0])
    payload["view"]["state"]["values"] = {"title": {"value": {"type": "plain_text_input", "value": "  "}},
                                          "body": {"value": {"type": "plain_text_input", "value": "本文"}}}
    r = env.post(urlencode({"payload": json.dumps(payload, ensure_ascii=False)}))
    assert r.status_code == 200
    assert r.json() == {"response_action": "errors", "errors": {"title": "件名を入力してください。"}}
    assert env.proposals.count() == 0


def test_shortcut_opens_the_idea_modal(env):
    payload = {"type": "shortcut", "callback_id": "proposal_idea", "trigger_id": "1.2.sc",
               "user": {"id": "U0STAFF1", "username": "staff", "team_id": TEAM_ID},
               "team": {"id": TEAM_ID, "domain": "emulated-city"}, "api_app_id": API_APP_ID,
               "token": "legacy-verification-token", "action_ts": "1.2"}
    env.post(urlencode({"payload": json.dumps(payload)}))
    [opened] = env.emulator.wait_for("views.open")
    assert opened["trigger_id"] == "1.2.sc"


def test_app_home_shows_recent_proposals_by_status_and_count_per_goal(env):
    store = env.proposals
    for i in range(3):
        env.pipeline.process(citizen(store, title=f"協働の提案{i}").id)
    p = citizen(store, title="<b>保留中</b>の提案")
    store.set_status(p.id, "reviewing", "slack:U1")
    env.event({"type": "app_home_opened", "user": "U0STAFF1", "channel": "D0HOME", "tab": "home", "event_ts": "1.1"})
    [pub] = env.emulator.wait_for("views.publish")
    text = json.dumps(pub["view"], ensure_ascii=False)
    assert "重点目標３: *3*" in text and "該当なし: *1*" in text
    assert "最近の提案（受付）" in text and "協働の提案2" in text
    assert "最近の提案（検討中）" in text and "&lt;b&gt;保留中&lt;/b&gt;の提案" in text
    assert "/reform idea" in text
    assert len(pub["view"]["blocks"]) <= 100


def test_home_blocks_are_pure_and_bounded(tmp_path):
    store = ProposalStore(tmp_path / "p.db")
    for i in range(40):
        citizen(store, title=f"提案{i}")
    blocks = home_blocks(store)
    assert len(blocks) < 20
    assert sum("提案" in json.dumps(b, ensure_ascii=False) for b in blocks) >= 1


def test_mount_proposals_end_to_end_form_to_linked_slack_post(tmp_path, retriever):
    """What `reformbot serve` mounts: a citizen submits on the form; the proposal is linked with the
    QA service's retriever and posted to the channel; the Slack plugin's buttons work on it."""
    from slack_sdk import WebClient
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from bot.service import QAService
    from feedback.proposals.web import mount_proposals
    from proposals_support import receipt_no, submit
    from slack_emulator import SlackEmulator
    from slack_helpers import slack_settings

    with SlackEmulator() as emulator:
        settings = slack_settings(tmp_path / "data", emulator, proposals_channel=CHANNEL, proposals_rate_limit="0")
        qa = QAService(settings, open_retriever=lambda s: retriever)
        client = WebClient(token="xoxb-test-token", base_url=emulator.base_url)
        mount = mount_proposals(settings, qa, slack_client=client)
        for start in mount.startup:
            start()
        try:
            web = TestClient(Starlette(routes=mount.routes))
            no = receipt_no(submit(web, title="市民活動団体との協働",
                                   body="NPOや市民活動団体と協働して公共サービスを良くしてほしい。").text)
            mount.pipeline.join()
            [post] = emulator.wait_for("chat.postMessage", where=lambda c: c.get("channel") == CHANNEL)
            dump = json.dumps(blocks_of(post), ensure_ascii=False)
            assert no in dump and "重点目標３" in dump and "大綱P.5" in dump and "あつぎ太郎" not in dump
            p = mount.store.get(no)
            assert p.linked_goal == "3" and p.slack_ts == post.response["ts"]
            assert mount.store.vectors(retriever.embedder.model_id)[0] == [p.id]
        finally:
            for stop in mount.shutdown:
                stop()
