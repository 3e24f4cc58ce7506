"""Slack 同義語に追加: admins add the proposed synonym line from a not-found answer; others are
refused politely. Signed requests, the local Slack Web API emulator, the real index and model."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bot.slack import blocks as bk
from slack_helpers import block_actions, mention, slack_harness, strip_environment
from suggest_support import ANSWER_WORD, EXPECTED_LINE, REFUSED_PARAPHRASE, private_data_dir, reuse_model

ADMIN = "U0ADMIN1"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    strip_environment(monkeypatch)


def button(blocks: list[dict], action_id: str) -> dict:
    for b in blocks:
        for e in b.get("elements", []) if b.get("type") == "actions" else []:
            if e["action_id"] == action_id:
                return e
    raise AssertionError(f"no {action_id} button in {blocks}")


def as_message(post) -> dict:
    return {"type": "message", "ts": post.response["ts"], "text": post["text"], "blocks": post["blocks"],
            "user": "UBOT0001", "bot_id": "BBOT0001"}


def test_a_thumbs_down_adds_the_button_to_the_message():
    blocks = [bk.feedback_actions(7, "ja")]
    once = bk.with_synonym_button(blocks, 7, "ja")
    assert button(once, bk.ACTION_SYNONYM)["value"] == "7"
    assert bk.with_synonym_button(once, 7, "ja") == once


@pytest.mark.slow
def test_admin_adds_the_synonym_from_slack_and_the_next_answer_uses_it(real_settings, real_qa, tmp_path):
    from bot.service import QAService

    data = private_data_dir(real_settings, tmp_path / "data")
    qa = QAService(replace(real_settings, data_dir=data), open_retriever=reuse_model(real_qa))
    with slack_harness(data, qa, settings_overrides={"admins": ADMIN}) as slack:
        synonyms = slack.settings.synonyms_path
        slack.event(mention(REFUSED_PARAPHRASE, channel="C0GYOKAKU", user="U0STAFF1"))
        [post] = slack.emulator.wait_for("chat.postMessage", where=lambda c: c["channel"] == "C0GYOKAKU")
        assert "見つかりませんでした" in post["text"]
        suggest = button(post["blocks"], bk.ACTION_SYNONYM)
        assert suggest["text"]["text"] == "同義語に追加"

        # not an admin: a polite private refusal, nothing written
        slack.post(block_actions(bk.ACTION_SYNONYM, suggest["value"], response_url=slack.emulator.response_url("staff"),
                                 user="U0STAFF2", channel="C0GYOKAKU", message=as_message(post)))
        [refusal] = slack.emulator.wait_for("response_url", where=lambda c: c.path == "/response/staff")
        assert refusal["response_type"] == "ephemeral" and "管理者だけ" in refusal["text"]
        assert not synonyms.exists()

        # an admin: the proposed line, privately, with 追加する
        slack.post(block_actions(bk.ACTION_SYNONYM, suggest["value"], response_url=slack.emulator.response_url("admin"),
                                 user=ADMIN, channel="C0GYOKAKU", message=as_message(post)))
        [proposal] = slack.emulator.wait_for("response_url", where=lambda c: c.path == "/response/admin")
        assert proposal["response_type"] == "ephemeral" and EXPECTED_LINE.replace(">", "&gt;") in json.dumps(
            proposal["blocks"], ensure_ascii=False)
        assert "から回答します" in json.dumps(proposal["blocks"], ensure_ascii=False)    # what it would change
        add = button(proposal["blocks"], bk.ACTION_SYNONYM_ADD)

        # a non-admin who gets hold of 追加する is refused too
        slack.post(block_actions(bk.ACTION_SYNONYM_ADD, add["value"], response_url=slack.emulator.response_url("forged"),
                                 user="U0STAFF2", channel="C0GYOKAKU", ephemeral=True))
        [forged] = slack.emulator.wait_for("response_url", where=lambda c: c.path == "/response/forged")
        assert "管理者だけ" in forged["text"] and not synonyms.exists()

        slack.post(block_actions(bk.ACTION_SYNONYM_ADD, add["value"], response_url=slack.emulator.response_url("added"),
                                 user=ADMIN, channel="C0GYOKAKU", ephemeral=True))
        [done] = slack.emulator.wait_for("response_url", where=lambda c: c.path == "/response/added")
        assert "追加しました" in done["text"] and done["replace_original"] is True
        written = synonyms.read_text(encoding="utf-8")
        assert written.startswith(EXPECTED_LINE) and written.count("\n") == 1

        # the same question, asked again: answered now, no restart
        slack.event(mention(REFUSED_PARAPHRASE, channel="C0GYOKAKU", user="U0STAFF1"))
        posts = slack.emulator.wait_for("chat.postMessage", count=2, where=lambda c: c["channel"] == "C0GYOKAKU")
        assert "見つかりませんでした" not in posts[1]["text"] and ANSWER_WORD in posts[1]["text"]
        assert all(e["action_id"] != bk.ACTION_SYNONYM for b in posts[1]["blocks"] if b.get("type") == "actions"
                   for e in b["elements"])


def posted(slack, question: str, channel: str = "C0GYOKAKU") -> dict:
    slack.event(mention(question, channel=channel))
    [post] = slack.emulator.wait_for("chat.postMessage", where=lambda c: c["channel"] == channel)
    return as_message(post)


def test_not_found_answers_carry_the_button_and_a_thumbs_down_adds_it(tmp_path):
    """Through signed requests with the stand-in answer service: where staff see what to teach."""
    with slack_harness(tmp_path / "data", settings_overrides={"admins": ADMIN}) as slack:
        refused = posted(slack, "ごみの収集日は？")                       # FakeQA: not in the outline
        assert button(refused["blocks"], bk.ACTION_SYNONYM)["value"] == button(refused["blocks"], bk.ACTION_UP)["value"]

        found = posted(slack, "計画期間は？", channel="C0OTHER")
        with pytest.raises(AssertionError):
            button(found["blocks"], bk.ACTION_SYNONYM)
        value = button(found["blocks"], bk.ACTION_DOWN)["value"]
        slack.post(block_actions(bk.ACTION_DOWN, value, response_url=slack.emulator.response_url("v"),
                                 user="U0CRITIC", channel="C0OTHER", message=found))
        [update] = slack.emulator.wait_for("chat.update")
        assert button(update["blocks"], bk.ACTION_SYNONYM)["value"] == value

        # the stand-in has no index: an admin is told so privately, nothing is written
        slack.post(block_actions(bk.ACTION_SYNONYM, value, response_url=slack.emulator.response_url("a"),
                                 user=ADMIN, channel="C0OTHER", message=found))
        [reply] = slack.emulator.wait_for("response_url", where=lambda c: c.path == "/response/a")
        assert reply["response_type"] == "ephemeral" and "索引を読み込めない" in reply["text"]
        assert not slack.settings.synonyms_path.exists()
