"""The HTTP surface: staff Q&A page, /api/ask contract, /healthz — on the real index."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from bot.server import create_app
from bot.settings import Settings

CONTRACT_KEYS = {"question", "found", "answer", "sources", "glossary", "index_version",
                 "document", "documents", "other_sources", "searched_as", "highlight", "notice"}
SOURCE_KEYS = {"rank", "text", "section", "page", "score", "kind", "id", "document", "page_label"}


@pytest.fixture(scope="module")
def client(real_settings, real_qa):
    with TestClient(create_app(real_settings, qa=real_qa)) as c:
        yield c


def test_api_ask_returns_the_contract_with_citations(client):
    r = client.get("/api/ask", params={"q": "第７次大綱の計画期間は？"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == CONTRACT_KEYS
    assert body["found"] is True
    assert body["index_version"]
    top = body["sources"][0]
    assert set(top) == SOURCE_KEYS
    assert top["rank"] == 1
    joined = "".join(s["text"] + s["section"] for s in body["sources"])
    assert "６年間" in joined
    assert any(s["page"] == 5 and "計画期間" in s["section"] for s in body["sources"])
    # One document indexed: every source names it, and there are no other documents' passages.
    assert body["documents"] == [body["document"]] == [top["document"]]
    assert body["document"]["title"] == "第７次厚木市行政改革大綱（案）の概要について"
    assert body["other_sources"] == [] and top["page_label"] == f"大綱P.{top['page']}"


def test_api_ask_glossary_term_first_with_definition(client):
    body = client.get("/api/ask", params={"q": "What does BCP stand for?"}).json()
    assert body["found"] is True
    assert body["sources"][0]["kind"] == "glossary"
    assert "ＢＣＰ" in body["sources"][0]["section"]
    assert "重要業務をなるべく中断させず" in body["sources"][0]["text"]


def test_api_ask_refuses_out_of_scope(client):
    body = client.get("/api/ask", params={"q": "ごみの収集日は？"}).json()
    assert body["found"] is False


@pytest.mark.parametrize("q", ["", "   \u3000 "])
def test_api_ask_empty_question_is_a_polite_japanese_400(client, q):
    r = client.get("/api/ask", params={"q": q})
    assert r.status_code == 400
    assert r.json() == {"error": "質問を入力してください。"}


def test_api_ask_too_long_question_is_refused(client):
    r = client.get("/api/ask", params={"q": "大綱" * 400})
    assert r.status_code == 400
    assert "文字以内" in r.json()["error"]


def test_page_shows_cited_answer_and_glossary_in_japanese(client):
    r = client.get("/", params={"q": "PFIとは何ですか"})
    assert r.status_code == 200
    html = r.text
    assert '<html lang="ja">' in html
    assert "大綱P.2" in html
    assert "Private Finance Initiative" in html
    assert "用語説明" in html


def test_page_says_plainly_when_not_covered(client):
    html = client.get("/", params={"q": "ごみの収集日は？"}).text
    assert "大綱には記載がありません" in html
    assert "行政経営課" in html
    assert "回答ではありません" in html


def test_page_escapes_markup_in_the_question(client):
    payload = '<script>alert("x")</script>'
    html = client.get("/", params={"q": payload}).text
    assert payload not in html
    assert "&lt;script&gt;" in html


def test_page_without_question_shows_examples(client):
    html = client.get("/").text
    assert "質問の例" in html and 'name="q"' in html
    assert "<label for=\"q\">" in html


def test_healthz_reports_index(client, real_qa):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["index_version"] == real_qa.status()["index_version"]
    assert body["glossary_terms"] == 8


def test_missing_index_gives_503_with_the_command_to_run(tmp_path):
    settings = Settings(data_dir=tmp_path / "empty")
    with TestClient(create_app(settings)) as c:
        r = c.get("/api/ask", params={"q": "PFIとは"})
        assert r.status_code == 503
        assert "reformbot index build" in r.json()["error"]
        assert c.get("/healthz").status_code == 503


def test_page_quotes_the_answer_once_with_its_citation_beside_it(client):
    html = client.get("/", params={"q": "第７次大綱の計画期間は？"}).text
    quote = html.split('<figure class="answer-quote">', 1)[1].split("</figure>", 1)[0]
    assert "６年間（令和３年度から令和８年度まで）" in quote
    assert "計画の位置付け・計画期間" in quote and "(大綱P.5)" in quote       # breadcrumb + page
    assert html.count("６年間（令和３年度から令和８年度まで）") == 1            # not repeated as source 1
    assert "ほかの該当箇所" in html


def test_english_page_marks_quoted_outline_text_as_japanese(client):
    """Screen readers read the quoted outline in a Japanese voice on the English page."""
    html = client.get("/", params={"q": "What does BCP stand for?"}).text
    assert '<html lang="en">' in html
    assert '<blockquote class="quote" lang="ja">' in html
    assert '<dl class="glossary" lang="ja">' in html or "Glossary" not in html
    assert '<p class="text" lang="ja">' in html and "Other relevant passages" in html
    assert "Source: <span lang=\"ja\">用語説明" in html


@pytest.mark.parametrize("q, lang", [("PFI", "ja"), ("BCP?", "ja"), ("What is PPP?", "en")])
def test_page_wording_is_japanese_unless_the_question_is_english(client, q, lang):
    assert f'<html lang="{lang}">' in client.get("/", params={"q": q}).text


def test_missing_index_is_logged_once_not_every_watcher_tick(tmp_path, caplog):
    """`reformbot serve` before `index build`: the watcher retries every second; the log says why
    once, and says so again when the index appears."""
    import logging

    from bot.service import QAService
    from index.errors import IndexError_

    class Ready:
        version = "v-test"

    state = {"built": False}

    def open_retriever(settings):
        if not state["built"]:
            raise IndexError_(f"no search index in {settings.index_dir}: run `reformbot index build`")
        return Ready()

    qa = QAService(Settings(data_dir=tmp_path), open_retriever=open_retriever)
    with caplog.at_level(logging.INFO, logger="bot.service"):
        assert [qa.refresh() for _ in range(5)] == [False] * 5
        state["built"] = True
        assert qa.refresh() is True
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "reformbot index build" in errors[0].getMessage()
    assert any("v-test loaded" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)


# --- follow-ups and chat phrasing -----------------------------------------------------------
def test_page_reads_a_follow_up_with_the_previous_question(client):
    r = client.get("/", params={"q": "第２期は？", "previous": "第１期実施計画の期間は？"})
    assert r.status_code == 200
    assert "『第２期実施計画の期間は？』として検索しました" in r.text
    assert "令和６年度から令和８年度まで" in r.text
    # the follow-up form carries the question as it was read, and the section that answered it
    assert 'name="previous" value="第２期実施計画の期間は？"' in r.text
    assert 'name="previous_section" value="５ 第７次行政改革大綱について › (2) 計画の位置付け・計画期間"' in r.text


def test_page_answers_a_question_on_its_own_without_a_previous_one(client):
    r = client.get("/", params={"q": "第２期は？"})
    assert "として検索しました" not in r.text
    assert 'name="previous" value="第２期は？"' in r.text           # the next question can follow it


def test_api_accepts_a_bounded_history(client):
    body = client.get("/api/ask", params=[("q", "第２期は？"), ("history", "BCPって何ですか"),
                                          ("history", "第１期実施計画の期間は？")]).json()
    assert body["question"] == "第２期は？" and body["searched_as"] == "第２期実施計画の期間は？"
    many = [("history", f"質問{i}") for i in range(50)] + [("history", "第１期実施計画の期間は？")]
    assert client.get("/api/ask", params=[("q", "第２期は？")] + many).json()["searched_as"] == "第２期実施計画の期間は？"
    too_long = client.get("/api/ask", params={"q": "第２期は？", "history": "あ" * 1000})
    assert too_long.status_code == 400


def test_api_keeps_the_question_as_typed_and_answers_the_bare_one(client):
    typed = "お疲れ様です。<@U0COLLEAGUE> さんに聞かれたのですが、BCPって何ですか？よろしくお願いします :pray:"
    wrapped = client.get("/api/ask", params={"q": typed}).json()
    bare = client.get("/api/ask", params={"q": "BCPって何ですか？"}).json()
    assert wrapped["question"] == typed and wrapped["searched_as"] == ""
    assert wrapped["found"] == bare["found"] is True
    assert wrapped["sources"][0]["id"] == bare["sources"][0]["id"]
