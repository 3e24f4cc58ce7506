"""Structure-aware answers and the exact line, on real indexes built from real documents.

A small plan written here, numbered its own way (第１節, １．, 目標１, （１）, 注N), keeps the
behaviour independent of the bundled outline; the bundled outline and the みどり市 plan (session
fixtures) check it on the documents staff ask about.
"""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from bot.contract import Answer, Source
from bot.highlight import highlight, segments, units, without
from bot.slack import blocks as bk

SMALL_PLAN = """みなと町業務改善計画（概要）

第１節 計画の概要
１．計画期間
本計画の期間は、令和９年度から令和１１年度までの３年間です。
２．策定の背景
窓口の待ち時間が長いという声が多く寄せられています。

第２節 取組
目標１ 窓口をわかりやすくする
（１）案内の改善
・総合案内に案内係を置きます。
・案内表示を多言語にします。
（２）手続の簡素化
・申請書への押印を廃止します。
・添付書類を減らします。
目標２ 働き方を変える
（１）テレワーク
・全ての課でテレワーク※1を実施します。
（２）会議の見直し
・会議資料をペーパーレス※2にします。

用語解説
※1 テレワーク
情報通信技術を活用した、場所や時間にとらわれない柔軟な働き方です。
※2 ペーパーレス
紙の書類をやめ、電子データで情報をやり取りすることです。
"""


@pytest.fixture(scope="module")
def small_qa(tmp_path_factory):
    """A QAService over the small plan, built with the real default model."""
    from bot.service import QAService
    from document_support import built_plan

    return QAService(built_plan(tmp_path_factory.mktemp("small-plan"), "minato-plan.txt", SMALL_PLAN))


def _n(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _highlight_is_verbatim(a: Answer) -> None:
    assert a.highlight, a
    assert all(line in a.answer for line in a.highlight.split("\n"))


# --- the document's labels ------------------------------------------------------------------------
def test_labels_come_from_the_parsed_tree(small_qa):
    from bot.labels import asked_labels, structure_of

    s = structure_of(small_qa.retriever.documents[0])
    assert sorted(s.kinds["label:目標"]) == [1, 2]
    assert sorted(s.kinds["ord:節"]) == [1, 2]
    assert sorted(s.kinds["(digit)"]) == [1, 2]
    # any width and numeral: ２ 2 二 name the same item; "goal 2" names it in English
    for q in ("目標２の取組は？", "目標2の取組は？", "目標二の取組は？", "What is goal 2?"):
        assert [(a.kind, a.value) for a in asked_labels(q, s)] == [("label:目標", 2)], q
    assert [(a.kind, a.value) for a in asked_labels("（１）の取組は？", s)] == [("(digit)", 1)]
    assert asked_labels("<img src=x onerror=alert(1)>", s) == []       # a call, not item (1)


# --- a named item is answered from that item or refused -----------------------------------------------
def test_item_question_is_answered_from_that_item_not_a_sibling(small_qa):
    a = small_qa.ask("目標２の取組は？")
    assert a.found and "テレワーク" in a.answer
    assert "押印" not in a.answer and "案内係" not in a.answer
    assert "目標２" in a.sources[0].section


def test_item_the_document_does_not_have_is_refused_naming_the_ones_it_has(small_qa):
    a = small_qa.ask("目標３の取組は？")
    assert not a.found and a.answer == "" and a.highlight == ""
    assert "目標１" in a.notice and "目標２" in a.notice and "「目標３」" in a.notice


def test_item_silent_on_what_is_asked_is_refused(small_qa):
    a = small_qa.ask("目標２の計画期間は？")       # the period is the plan's, not goal 2's
    assert not a.found and a.notice


def test_whole_heading_is_listed_grouped_by_its_sub_headings(small_qa):
    a = small_qa.ask("目標１の取組を全部教えて")
    assert a.found
    text = "".join(a.answer.split(" "))
    for line in ("（１）案内の改善", "・総合案内に案内係を置きます。", "・案内表示を多言語にします。",
                 "（２）手続の簡素化", "・申請書への押印を廃止します。", "・添付書類を減らします。"):
        assert line in text
    assert text.index("案内の改善") < text.index("案内係") < text.index("手続の簡素化") < text.index("押印")
    assert "テレワーク" not in text
    assert "目標１" in a.sources[0].section and a.notice == ""


def test_comparison_gets_both_definitions_both_cited(small_qa):
    a = small_qa.ask("テレワークとペーパーレスの違いは？")
    assert a.found
    assert "柔軟な働き方" in a.answer and "電子データ" in a.answer
    cited = [s.section for s in a.sources[:2]]
    assert any("テレワーク" in c for c in cited) and any("ペーパーレス" in c for c in cited)


def test_two_part_question_answers_the_part_covered_and_names_the_other(small_qa):
    a = small_qa.ask("計画期間とごみの収集日は？")
    assert a.found and "令和９年度から令和１１年度まで" in a.answer
    assert "ごみの収集日" in a.notice
    both = small_qa.ask("計画期間と策定の背景は？")
    assert both.found and "令和９年度" in both.answer and "待ち時間" in both.answer and both.notice == ""


# --- the exact line -------------------------------------------------------------------------------
def test_highlight_is_the_line_that_states_the_asked_fact(small_qa):
    a = small_qa.ask("計画の期間はいつまで？")
    _highlight_is_verbatim(a)
    assert "令和１１年度" in a.highlight


def test_glossary_notes_only_for_terms_of_the_question_or_the_highlight(small_qa):
    a = small_qa.ask("会議資料はどうする？")
    _highlight_is_verbatim(a)
    terms = {g.term for g in a.glossary}
    assert "ペーパーレス" in terms and "テレワーク" not in terms


def test_units_and_segments_are_verbatim():
    text = "※1 テレワーク\n働き方です。そのためには整備が必要です。\n・一つ目"
    assert units(text) == ["※1 テレワーク", "働き方です。", "そのためには整備が必要です。", "・一つ目"]
    marked = segments(text, "そのためには整備が必要です。")
    assert "".join(t for t, _ in marked) == text
    assert [t for t, m in marked if m] == ["そのためには整備が必要です。"]
    assert without(text, "・一つ目") == "※1 テレワーク\n働き方です。そのためには整備が必要です。"
    assert highlight("一行だけ", "何？") == "一行だけ"


# --- the bundled outline and the みどり市 plan ---------------------------------------------------------
def test_outline_goal_questions(real_qa):
    a = real_qa.ask("重点目標３の取組は？")
    assert a.found and "重点目標３" in a.sources[0].section
    assert "職員の能力向上" not in a.answer and "歳入の確保" not in a.answer
    four = real_qa.ask("重点目標４は何ですか")
    assert not four.found and "重点目標１" in four.notice and "重点目標３" in four.notice
    sixth = real_qa.ask("第６次の計画期間は？")
    assert not sixth.found and sixth.answer == ""
    # 「…第６次行政改革の理念としていた…を継承し、次に掲げる事項を重点目標に掲げ」: the goals are
    # the current plan's, named beyond the clause that speaks of 第６次.
    assert not real_qa.ask("第６次大綱の重点目標は？").found
    idea = real_qa.ask("第６次行革の理念は引き継がれる？")
    assert idea.found and "継承" in idea.answer
    second = real_qa.ask("第２期実施計画の期間は？")
    assert second.found and "令和６年度から令和８年度まで" in second.highlight
    assert "第１期" not in second.highlight


def test_outline_whole_goal_list(real_qa):
    a = real_qa.ask("重点目標２の具体的な取組を全部教えて")
    assert a.found
    for title in ("事業見直しの徹底", "歳入の確保", "公共建築物の最適化"):
        assert title in a.answer
    assert "新たな納付手段導入の推進" in a.answer and "行政財産目的外使用許可の見直し" in a.answer
    assert "職員の能力向上" not in a.answer


def test_outline_exact_line_and_focused_glossary(real_qa):
    a = real_qa.ask("ふるさと納税でいくら確保した？")
    _highlight_is_verbatim(a)
    assert "20億円を超える財源を確保" in a.highlight
    assert not {g.term for g in a.glossary} & {"ワーク・ライフ・バランス", "業務継続計画（ＢＣＰ）"}


def test_midori_policies(midori_qa):
    five = midori_qa.ask("基本方針５は？")
    assert not five.found and "基本方針Ⅰ" in five.notice and "基本方針Ⅳ" in five.notice
    a = midori_qa.ask("基本方針Ⅱの推進項目を全部教えて")
    assert a.found and "歳出の見直し" in a.answer and "使用料・手数料" in a.answer and "メンター" not in a.answer


# --- surfaces -----------------------------------------------------------------------------------------
def _texts(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "text" and isinstance(v, str):
                yield v
            else:
                yield from _texts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _texts(v)


def test_slack_shows_the_highlight_first_in_bold_then_the_rest_of_the_passage():
    passage = "・一つ目の取組\n・20億円を超える財源を確保\n・三つ目の取組"
    src = Source(rank=1, text=passage, section="３ 成果", page=3, score=1.0, kind="body", id="s3")
    answer = Answer(question="いくら確保した？", found=True, answer=passage, sources=(src,),
                    highlight="・20億円を超える財源を確保")
    blocks = bk.answer_message(answer, lang="ja").blocks
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert texts[1] == "*・20億円を超える財源を確保*"
    assert "一つ目の取組" in texts[2] and "三つ目の取組" in texts[2] and "20億円" not in texts[2]


def test_slack_long_list_answer_fits_block_kit_and_says_what_was_left_out():
    from bot.structure import LIST_CHARS

    lines = [f"・取組その{i}" + "あ" * 40 for i in range(200)]
    text = "\n".join(lines)[:LIST_CHARS]
    src = Source(rank=1, text=text, section="第２節 取組", page=1, score=1.0, kind="body", id="s2")
    answer = Answer(question="全部教えて", found=True, answer=text, sources=(src,), highlight=lines[0],
                    notice="長いため 150 行を省略しました。全文は「第２節 取組」をご覧ください。")
    msg = bk.answer_message(answer, lang="ja", answer_id=3)
    assert len(msg.blocks) <= bk.MAX_BLOCKS_MESSAGE
    assert all(len(t) <= bk.MAX_TEXT for t in _texts(msg.blocks))
    body = json.dumps(msg.blocks, ensure_ascii=False)
    assert "150 行を省略" in body and lines[-1][:8] not in body


def test_web_page_marks_the_highlight_and_api_returns_it(real_settings, real_qa):
    from starlette.testclient import TestClient

    from bot.server import create_app

    with TestClient(create_app(real_settings, qa=real_qa)) as client:
        api = client.get("/api/ask", params={"q": "ふるさと納税でいくら確保した？"}).json()
        assert "20億円を超える財源を確保" in api["highlight"] and api["highlight"] in api["answer"]
        page = client.get("/", params={"q": "ふるさと納税でいくら確保した？"}).text
        marked = page.split('<mark class="highlight">', 1)[1].split("</mark>", 1)[0]
        assert "20億円を超える財源を確保" in marked
        refused = client.get("/", params={"q": "重点目標４は何ですか"}).text
        assert "重点目標１" in refused and 'class="answer-notice"' in refused


def test_cli_prints_the_highlight_first(monkeypatch, real_settings):
    from typer.testing import CliRunner

    from bot import cli

    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(real_settings.data_dir))
    r = CliRunner().invoke(cli.app, ["ask", "ふるさと納税でいくら確保した？"])
    assert r.exit_code == 0, r.output
    first = r.output.strip().splitlines()[0]
    assert first.startswith("» ") and "20億円を超える財源を確保" in first


def test_two_named_items_compared_or_listed_each_from_its_own_subtree(small_qa):
    compared = small_qa.ask("目標１と目標２の違いは？")
    assert compared.found and "窓口をわかりやすくする" in compared.answer and "働き方を変える" in compared.answer
    assert {s.section.split(" › ")[-1] for s in compared.sources[:2]} == {"目標１ 窓口をわかりやすくする",
                                                                          "目標２ 働き方を変える"}
    _highlight_is_verbatim(compared)
    both = small_qa.ask("目標１と目標２の取組は？")
    assert both.found and "押印" in both.answer and "テレワーク" in both.answer
    assert both.answer.index("押印") < both.answer.index("テレワーク")


def test_slack_thread_answer_shows_the_exact_line_first_and_the_missing_item_notice(tmp_path, real_qa):
    """Through the real server and signed Slack events (the emulator records the posts)."""
    from slack_helpers import mention, slack_harness

    from bot.server import create_app

    def real_server(settings, qa):
        web = create_app(settings, qa=qa)
        [route] = [r for r in web.routes if getattr(r, "path", "") == "/slack/events"]
        return web, route.endpoint.bolt_app

    with slack_harness(tmp_path / "data", real_qa, starlette_app=real_server) as slack:
        slack.event(mention("ふるさと納税でいくら確保した？", channel="C0GYOKAKU"))
        [post] = slack.emulator.wait_for("chat.postMessage", timeout=30)
        sections = [b["text"]["text"] for b in post["blocks"] if b["type"] == "section"]
        first = sections[1]                 # after the heading: the highlight, in bold
        assert first.startswith("*") and "20億円を超える財源を確保" in first
        assert "20億円を超える財源を確保" not in "".join(sections[2:3])   # the context below is the rest
        slack.event(mention("重点目標４は何ですか", channel="C0GYOKAKU"))
        [_, refused] = slack.emulator.wait_for("chat.postMessage", count=2, timeout=30)
        body = json.dumps(refused["blocks"], ensure_ascii=False)
        assert "重点目標１" in body and "重点目標３" in body and "「重点目標４」" in body


def test_sibling_items_each_answer_for_themselves(small_qa):
    a = small_qa.ask("目標１と目標３の取組は？")
    assert a.found and "押印" in a.answer and "テレワーク" not in a.answer
    assert "「目標３」" in a.notice and "目標２" in a.notice
    b = small_qa.ask("（１）と（２）の取組は？")     # two sub-items under each goal: listed by the retriever's choice
    assert b.found


def test_a_bracketed_item_number_survives_chat_phrasing(real_qa):
    """bot/chat.py strips punctuation at a question's edges; 「(3)」 opening a question is an item."""
    for q in ("(3)の具体的な取組を一覧で", "お疲れ様です。（３）の具体的な取組を一覧で"):
        a = real_qa.ask(q)
        assert a.found and "職員の能力向上" in a.answer and "歳入の確保" in a.answer, q


CIRCLED_PLAN = """ひばり町デジタル計画（概要）

１．柱１ 行かない窓口
① 電子申請
◇手続をオンライン化します。
② キャッシュレス
◇手数料をキャッシュレスで払えるようにします。

２．柱２ 働き方
① 標準化
◇システムを標準化します。
② ＡＩ
◇問合せ対応にＡＩを試します。
"""


def test_a_circled_sub_item_is_read_inside_the_item_that_names_it(tmp_path):
    """「柱２の②」 is ② under 柱２ (NFKC would make ② a plain 2); ⑤, which no item has, is missing."""
    from bot.labels import scope_of, structure_of
    from corpus import load_document

    source = tmp_path / "hibari-plan.txt"
    source.write_text(CIRCLED_PLAN, encoding="utf-8")
    s = structure_of(load_document(source))
    scope = scope_of("柱２の②には何が書いてある？", s)
    assert [s.sections[r].title for r in scope.roots] == ["ＡＩ"]
    assert scope_of("柱１の②は？", s).roots != scope.roots
    assert scope_of("柱２の⑤は？", s).missing
