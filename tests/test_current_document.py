"""After `reformbot index build --source` with another plan, every surface follows it.

The data dir starts with the bundled outline (three 重点目標) and a proposal linked under its
goal 3; then an administrator builds みどり市's 行財政改革プラン (four 基本方針, a fictional plan in
another layout) with the real CLI. The staff page, `reformbot --help`, the proposal form, Slack's
help and App Home, and goal linking then name みどり市's plan and goals — while the older proposal
still reads as it was linked: 「重点目標３ 市民協働により公共サービスを向上させる」.
"""
from __future__ import annotations

import json
import re

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from conftest import MIDORI
from proposals_support import chosen, fresh_form, receipt_no

pytestmark = pytest.mark.slow

OLD_GOAL = "重点目標３ 市民協働により公共サービスを向上させる"
MIDORI_GOALS = ["基本方針Ⅰ 効率的で質の高い行政サービスへの転換", "基本方針Ⅱ 健全で持続可能な財政運営",
                "基本方針Ⅲ 人材の育成と働きやすい職場づくり", "基本方針Ⅳ 市民・企業との共創の推進"]
ONLINE = ("申請をオンラインで", "窓口に行かなくても、手続をオンラインで申請できるようにしてほしい。")


@pytest.fixture(scope="module")
def switched(tmp_path_factory):
    """A data dir that served the bundled outline (one proposal linked to its goal 3), then switched
    to the みどり市 plan by `reformbot index build --source`."""
    if not MIDORI.exists():
        pytest.skip(f"practice plan not found at {MIDORI}")
    from bot import cli
    from bot.indexing import build_from_settings
    from bot.service import QAService
    from bot.settings import Settings
    from feedback.proposals.linking import ProposalPipeline
    from feedback.proposals.model import ProposalInput
    from feedback.proposals.store import ProposalStore

    data = tmp_path_factory.mktemp("switched") / "data"
    settings = Settings(data_dir=data, proposals_rate_limit="0")
    build_from_settings(settings)
    qa = QAService(settings)
    store = ProposalStore(settings.database_path)
    old, _ = store.add(ProposalInput(title="市民活動団体との協働", body="NPOや市民活動団体と協働して、市民協働で公共サービスを良くしてほしい。",
                                     **chosen("3")))
    old = ProposalPipeline(store, qa.retriever).process(old.id)
    assert old.linked_goal_text == OLD_GOAL and old.goal_text == OLD_GOAL

    mp = pytest.MonkeyPatch()
    mp.setenv("REFORMBOT_DATA_DIR", str(data))
    cli._add_subcommands()
    r = CliRunner().invoke(cli.app, ["index", "build", "--source", str(MIDORI)])
    assert r.exit_code == 0, r.output
    assert qa.refresh()                              # the running service follows, no restart
    yield {"settings": settings, "qa": qa, "store": store, "old": old, "env": mp}
    mp.undo()
    store.close()


def test_the_service_names_the_new_document(switched):
    doc = switched["qa"].current_document()
    assert doc.title == "第３次みどり市行財政改革プラン（素案）概要版"


def test_the_staff_page_title_lead_and_examples_are_the_new_plans(switched):
    from bot.server import create_app

    with TestClient(create_app(switched["settings"], switched["qa"])) as c:
        html = c.get("/").text
        english = c.get("/", params={"lang": "en"}).text
    assert "<title>第３次みどり市行財政改革プラン Q&amp;A</title>" in html
    assert "プランの本文と用語説明から" in html
    for example in ("RPAとは何ですか", "計画期間は？", "基本方針は何ですか", "手続のオンライン化について教えてください"):
        assert f">{example}</a>" in html
    assert "What does LGWAN stand for?" in english and "Answers are quoted from the plan" in english
    assert "第７次" not in html + english and "重点目標" not in html + english


def test_cli_help_names_the_new_plan(switched, monkeypatch):
    from bot.cli import main_help

    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(switched["settings"].data_dir))
    assert main_help() == "reformbot: cited answers about 第３次みどり市行財政改革プラン, and citizen proposals."


def test_the_form_offers_the_four_basic_policies_and_names_the_city(switched):
    from bot.server import create_app

    with TestClient(create_app(switched["settings"], switched["qa"])) as c:
        html = c.get("/proposals/new").text
        labels = re.findall(r'<label for="goal-([^"]+)"[^>]*>([^<]+)</label>', html)
        assert labels == [(str(i), text) for i, text in enumerate(MIDORI_GOALS, start=1)] + [("unknown", "わからない")]
        assert "関係する基本方針" in html and "重点目標" not in html and "第７次" not in html
        assert "みどり市 行政改革への市民提案" in html and "みどり市が適切に管理し" in html
        r = c.post("/proposals", data={**fresh_form(c), "title": "民間提案の窓口", "body": "公共施設の活用アイデアを企業から集める窓口を作ってほしい。",
                                       "goal": "4", "residency": "resident", "consent": "yes", "action": "submit"})
        assert r.status_code == 200, r.text
        stale = c.post("/proposals", data={**fresh_form(c), "title": "t", "body": "b", "goal": "5",
                                           "residency": "resident", "consent": "yes", "action": "submit"})
        assert stale.status_code == 422 and "関係する基本方針の選択肢が正しくありません" in stale.text
    p = switched["store"].get(receipt_no(r.text))
    assert (p.goal, p.goal_label, p.goal_text) == ("4", "基本方針Ⅳ", MIDORI_GOALS[3])


def test_goal_linking_links_to_a_basic_policy(switched):
    from feedback.proposals.linking import ProposalPipeline, link_proposal
    from feedback.proposals.model import ProposalInput

    link = link_proposal(switched["qa"].retriever, *ONLINE)
    assert (link.goal, link.goal_text) == ("1", MIDORI_GOALS[0])
    assert set(link.goal_scores) == {"基本方針Ⅰ", "基本方針Ⅱ", "基本方針Ⅲ", "基本方針Ⅳ"}
    store = switched["store"]
    p, _ = store.add(ProposalInput(title=ONLINE[0], body=ONLINE[1], goal="unknown"))
    p = ProposalPipeline(store, switched["qa"].retriever).process(p.id)
    assert (p.linked_goal, p.linked_goal_label, p.linked_goal_text) == ("1", "基本方針Ⅰ", MIDORI_GOALS[0])
    assert "基本方針Ⅰ" in p.sections[0].section


def test_an_older_proposal_still_shows_the_goal_it_was_linked_to(switched, monkeypatch):
    from bot.about import describe
    from feedback.proposals import messages as M
    from feedback.proposals.cli import proposals_app
    from feedback.proposals.slack import fallback_texts, home_blocks, proposal_message

    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(switched["settings"].data_dir))
    store, old = switched["store"], switched["old"]
    again = store.get(old.id)
    assert (again.linked_goal_text, again.goal_text) == (OLD_GOAL, OLD_GOAL)
    runner = CliRunner()
    shown = runner.invoke(proposals_app, ["show", old.receipt_no])
    assert shown.exit_code == 0 and OLD_GOAL in shown.stdout and re.search(r"重点目標３ \d+%", shown.stdout)
    listed = runner.invoke(proposals_app, ["list"])
    assert re.search(rf"{old.receipt_no}.*重点目標３", listed.stdout)
    assert json.loads(runner.invoke(proposals_app, ["show", old.receipt_no, "--json"]).stdout)["linked_goal_text"] == OLD_GOAL
    about = describe(switched["qa"].current_document())
    text, blocks = proposal_message(store.redact(again), "ja", M.document_words(about, "ja"))
    assert OLD_GOAL in fallback_texts(blocks) and "基本方針との関連（推定）" in fallback_texts(blocks)
    home = fallback_texts(home_blocks(store, "ja", goals=about.goals, words=M.document_words(about, "ja")))
    assert "基本方針ごとの件数" in home
    # the current goals first (zero included), then the earlier document's goal of the older proposal
    assert re.search(r"基本方針Ⅰ: \*\d\* ・ 基本方針Ⅱ: \*\d\* ・ 基本方針Ⅲ: \*\d\* ・ 基本方針Ⅳ: \*\d\* ・ 重点目標３: \*1\* ・ 該当なし", home)


def test_slack_help_and_app_home_follow_the_new_plan(switched, tmp_path):
    from feedback.proposals.linking import ProposalPipeline
    from feedback.proposals.slack import proposals_plugin
    from slack_helpers import slack_harness, slash_command

    store = switched["store"]

    def make(settings, qa):
        from starlette.applications import Starlette

        from bot.slack import build_slack_app, slack_routes

        app = build_slack_app(settings, qa, plugins=[proposals_plugin(store, ProposalPipeline(store))])
        return Starlette(routes=slack_routes(app)), app

    with slack_harness(tmp_path / "data", switched["qa"], starlette_app=make) as slack:
        slack.event({"type": "app_home_opened", "user": "U0STAFF1", "channel": "D0HOME", "tab": "home", "event_ts": "1.1"})
        [pub] = slack.emulator.wait_for("views.publish")
        slack.post(slash_command("help", response_url=slack.emulator.response_url()))
        [reply] = slack.emulator.wait_for("response_url")
    home = json.dumps(pub["view"], ensure_ascii=False)
    assert "第３次みどり市行財政改革プラン Q&A" in home and "基本方針は何ですか" in home and "RPAとは何ですか" in home
    assert "基本方針ごとの件数" in home and "基本方針Ⅳ" in home and "重点目標３" in home     # the older proposal's goal
    assert "第７次" not in home
    help_text = json.dumps(reply["blocks"], ensure_ascii=False)
    assert "第３次みどり市行財政改革プランの内容について、プランの本文" in help_text and "基本方針は何ですか" in help_text
