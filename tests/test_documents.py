"""Several documents in one index (the fake embedder): each answer says which document it is from.

Indexes are built through `reformbot index build --source a --source b` and questioned through
QAService and the surfaces, as staff would.
"""
from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

import document_support as D
from bot import cli
from bot.answer import glossary_notes
from bot.render_text import render_answer
from bot.server import create_app
from bot.service import QAService
from bot.settings import DEFAULT_CORPUS, Settings
from bot.slack import blocks as bk
from corpus import chunk_documents, load_documents

cli._add_subcommands()
runner = CliRunner()


def index(settings: Settings, *args: str):
    env = {"REFORMBOT_DATA_DIR": str(settings.data_dir), "REFORMBOT_EMBEDDING_MODEL": "fake"}
    return runner.invoke(cli.app, ["index", *args], env=env)


def built(tmp_path_factory, *sources) -> QAService:
    settings = Settings(data_dir=tmp_path_factory.mktemp("docs") / "data", embedding_model="fake")
    args = [a for s in sources for a in ("--source", str(s))]
    r = index(settings, "build", *args)
    assert r.exit_code == 0, r.output
    return QAService(settings)


@pytest.fixture(scope="module")
def eighth(tmp_path_factory):
    return D.write_eighth(tmp_path_factory.mktemp("src"))


@pytest.fixture(scope="module")
def outline_and_midori(tmp_path_factory):
    return built(tmp_path_factory, DEFAULT_CORPUS, D.MIDORI)


@pytest.fixture(scope="module")
def seventh_and_eighth(tmp_path_factory, eighth):
    # Given newest first: the current document is the newest by its own plan period, not the last source.
    return built(tmp_path_factory, eighth, DEFAULT_CORPUS)


@pytest.fixture
def choose(outline_and_midori):
    """Run `reformbot index current-document ...` on the outline + midori index; forget the choice after."""
    settings = outline_and_midori.settings

    def run(*args):
        r = index(settings, "current-document", *args)
        assert r.exit_code == 0, r.output
        return r.output

    yield run
    run("--newest")


# --- documents, ids, dates ----------------------------------------------------------------------

def test_each_source_is_a_document_with_its_title_page_wording_and_date(eighth):
    docs = load_documents([DEFAULT_CORPUS, D.MIDORI, eighth])
    assert [(d.id, d.title) for d in docs] == [(D.OUTLINE_7_ID, D.TITLE_7), (D.MIDORI_ID, D.TITLE_MIDORI),
                                                (D.OUTLINE_8_ID, D.TITLE_8)]
    assert [d.period for d in docs] == [(2021, 2026), (2026, 2030), (2027, 2032)]
    assert [d.cite_page(9) for d in docs] == ["大綱P.9", "本編p.9", "大綱P.9"]
    chunks = chunk_documents(docs)
    assert len({c.id for c in chunks}) == len(chunks)
    # The same glossary entry in two documents is two chunks, each its document's.
    ppp = [c for c in chunks if c.section_id == "g-ppp"]
    assert [(c.id, c.document) for c in ppp] == [(f"{D.OUTLINE_7_ID}:g-ppp", D.OUTLINE_7_ID),
                                                 (f"{D.OUTLINE_8_ID}:g-ppp", D.OUTLINE_8_ID)]


def test_the_newest_document_is_current_by_its_own_date(seventh_and_eighth, outline_and_midori):
    assert seventh_and_eighth.current_document().id == D.OUTLINE_8_ID      # given first, but 令和９年度からの計画
    assert outline_and_midori.current_document().id == D.MIDORI_ID        # 令和８年度から vs 令和３年度から
    assert outline_and_midori.documents() == [(D.OUTLINE_7_ID, D.TITLE_7), (D.MIDORI_ID, D.TITLE_MIDORI)]


# --- which document answers -----------------------------------------------------------------------

def test_an_ambiguous_question_is_answered_from_the_current_document_with_the_others_shown(outline_and_midori):
    a = outline_and_midori.ask("計画期間は？")
    assert a.found and a.document.id == D.MIDORI_ID
    assert "令和８年度から令和12年度まで" in a.answer
    assert {s.document.id for s in a.sources} == {D.MIDORI_ID}
    [other] = a.other_sources
    assert other.document.id == D.OUTLINE_7_ID and "令和３年度から令和８年度まで" in other.text
    assert other.page_label == "大綱P.5" and other.id == f"{D.OUTLINE_7_ID}:s5-2/w1"


def test_a_question_that_names_a_document_is_answered_from_it(outline_and_midori, choose):
    choose(D.OUTLINE_7_ID)
    a = outline_and_midori.ask("みどり市のプランの計画期間は？")
    assert a.found and a.document.id == D.MIDORI_ID and a.other_sources == ()
    assert {s.document.id for s in a.sources} == {D.MIDORI_ID}
    assert any("令和８年度から令和12年度まで" in s.text for s in a.sources)
    choose("--newest")
    a = outline_and_midori.ask("第７次大綱の計画期間は？")
    assert a.found and a.document.id == D.OUTLINE_7_ID and a.other_sources == ()
    assert "令和３年度から令和８年度まで" in a.answer


@pytest.mark.parametrize("question, expected", [
    ("新しい大綱の計画期間は？", D.OUTLINE_8_ID),
    ("前の大綱の計画期間は？", D.OUTLINE_7_ID),
    ("第７次大綱の計画期間は？", D.OUTLINE_7_ID),
    ("What is the plan period of the 7th outline?", D.OUTLINE_7_ID),
    ("令和３年度から令和８年度までの大綱の重点目標は？", D.OUTLINE_7_ID),
    ("計画期間は？", D.OUTLINE_8_ID),                  # names none: the current (newest) one
])
def test_documents_named_by_ordinal_age_and_period(seventh_and_eighth, question, expected):
    a = seventh_and_eighth.ask(question)
    assert a.document.id == expected and {s.document.id for s in a.sources} == {expected}


def test_an_age_word_picks_among_documents_of_its_kind_only(outline_and_midori):
    # One plan (プラン) is indexed: 「前のプラン」 is the 第２次プラン its own text talks about, not the outline.
    a = outline_and_midori.ask("前のプランの財政効果はいくら？")
    assert a.document.id == D.MIDORI_ID and {s.document.id for s in a.sources} == {D.MIDORI_ID}
    assert a.meta["query"] == "前のプランの財政効果はいくら?"           # 前の is no cue here: it is searched


def test_an_item_only_another_document_names_is_not_found_in_the_current_one(outline_and_midori):
    a = outline_and_midori.ask("第１期実施計画の期間は？")     # the plan has no 実施計画 第１期
    assert not a.found and a.document.id == D.MIDORI_ID
    [other] = a.other_sources
    assert other.document.id == D.OUTLINE_7_ID and "第１期：３年間（令和３年度から令和５年度まで）" in other.text


def test_a_question_only_another_document_answers_is_not_found_here_and_shown_from_there(outline_and_midori):
    a = outline_and_midori.ask("BCPって？")          # a term of the outline's glossary only
    assert not a.found and a.document.id == D.MIDORI_ID
    assert [(s.document.id, s.kind) for s in a.other_sources] == [(D.OUTLINE_7_ID, "glossary")]


def test_glossary_numbers_resolve_inside_their_own_document(seventh_and_eighth):
    """Both outlines mark ※6 and ※3: the 8th's ※6 is another term, its ※3 ＰＰＰ (g-ppp in both) has
    another definition. Each passage's ※N is its own document's."""
    retriever = seventh_and_eighth.retriever
    marked = {c.document: c for c in retriever.chunks if c.kind == "body" and "※6" in c.text}
    assert set(marked) == {D.OUTLINE_7_ID, D.OUTLINE_8_ID}
    terms = {doc: [retriever.glossary_entry(ref, doc).term for ref in c.glossary_refs] for doc, c in marked.items()}
    assert terms == {D.OUTLINE_7_ID: ["業務プロセス改革（ＢＰＲ）"], D.OUTLINE_8_ID: ["デジタルトランスフォーメーション（ＤＸ）"]}
    # ※3 in each outline's passage: the same entry id, each document's own definition in the notes.
    for doc, definition in ((D.OUTLINE_7_ID, D.PPP_7), (D.OUTLINE_8_ID, D.PPP_8)):
        hit = next(h for h in retriever.search("ＰＰＰ、ＰＦＩの手法を用いた施設整備の推進", 10, documents=[doc])
                   if "ＰＦＩ※3" in h.chunk.text)
        notes = {g.term: g.definition for g in glossary_notes([hit], retriever)}
        assert notes["ＰＰＰ"].startswith(definition.rstrip("、"))
    a = seventh_and_eighth.ask("デジタル技術を用いた業務の見直しは？")
    assert a.found and a.document.id == D.OUTLINE_8_ID and "デジタル技術※6" in a.answer
    assert [g.term for g in a.glossary] == ["デジタルトランスフォーメーション（ＤＸ）"]
    a = seventh_and_eighth.ask("第７次大綱の業務プロセス改革を用いた業務の見直しは？")
    assert a.found and a.document.id == D.OUTLINE_7_ID
    assert "デジタルトランスフォーメーション（ＤＸ）" not in [g.term for g in a.glossary]


# --- the contract and the surfaces ------------------------------------------------------------------

def test_every_source_in_the_contract_has_its_document(outline_and_midori):
    d = json.loads(json.dumps(outline_and_midori.ask("計画期間は？").to_dict(), ensure_ascii=False))
    refs = [{"id": D.OUTLINE_7_ID, "title": D.TITLE_7}, {"id": D.MIDORI_ID, "title": D.TITLE_MIDORI}]
    assert d["documents"] == refs and d["document"] == refs[1]
    assert d["sources"] and d["other_sources"]
    for s in d["sources"] + d["other_sources"]:
        assert s["document"] in refs
        assert s["page_label"] == ("" if s["page"] is None else f"{'本編p.' if s['document'] == refs[1] else '大綱P.'}{s['page']}")
    assert {s["document"]["id"] for s in d["sources"]} == {D.MIDORI_ID}
    assert {s["document"]["id"] for s in d["other_sources"]} == {D.OUTLINE_7_ID}


def test_cli_web_and_slack_name_the_documents_of_citations(outline_and_midori):
    a = outline_and_midori.ask("計画期間は？")
    text = render_answer(a, contact="行政経営課")
    assert f"『{D.TITLE_MIDORI}』 第４章 基本方針と計画期間 › ４－１ 計画期間 (本編p.9)" in text
    assert "ほかの文書の該当箇所:" in text and f"『{D.TITLE_7}』 ５ 第７次行政改革大綱について" in text
    slack = json.dumps(bk.answer_message(a, lang="ja").blocks, ensure_ascii=False)
    assert f"『{D.TITLE_MIDORI}』 第４章" in slack and "ほかの文書の該当箇所" in slack and "(大綱P.5)" in slack
    with TestClient(create_app(outline_and_midori.settings, qa=outline_and_midori)) as c:
        page = c.get("/", params={"q": "計画期間は？"}).text
        health = c.get("/healthz").json()
    assert "ほかの文書の該当箇所" in page and f"『{D.TITLE_7}』" in page and "(本編p.9)" in page
    assert health["documents"] == [{"id": D.OUTLINE_7_ID, "title": D.TITLE_7, "current": False},
                                   {"id": D.MIDORI_ID, "title": D.TITLE_MIDORI, "current": True}]
    home = json.dumps(bk.home_view(outline_and_midori.status(), "ja"), ensure_ascii=False)
    assert D.TITLE_7 in home and f"{D.TITLE_MIDORI}（`{D.MIDORI_ID}`）← 現在の文書" in home


def test_not_found_names_the_document_searched(outline_and_midori):
    a = outline_and_midori.ask("ごみの収集日は？")
    assert not a.found
    assert f"ご質問の内容は、『{D.TITLE_MIDORI}』には記載がありません。" in render_answer(a, contact="行政経営課")


def test_one_document_citations_do_not_name_it(tmp_path_factory):
    qa = built(tmp_path_factory, DEFAULT_CORPUS)
    a = qa.ask("第７次大綱の計画期間は？")
    assert [d.title for d in a.documents] == [D.TITLE_7] and a.other_sources == ()
    text = render_answer(a, contact="行政経営課")
    assert "— 出典: ５ 第７次行政改革大綱について › (2) 計画の位置付け・計画期間 (大綱P.5)" in text
    assert "『" not in text and "ほかの文書" not in text
    assert "『" not in json.dumps(bk.answer_message(a, lang="ja").blocks, ensure_ascii=False)
    assert "documents" in qa.status() and qa.status()["title"] == D.TITLE_7


# --- the admin's commands ---------------------------------------------------------------------------

def test_current_document_switches_and_a_running_service_follows(outline_and_midori, choose):
    qa = outline_and_midori
    assert qa.ask("計画期間は？").document.id == D.MIDORI_ID
    out = choose("outline")                                   # a unique prefix of the id
    assert f"current document: {D.OUTLINE_7_ID} 『{D.TITLE_7}』 (chosen)" in out
    a = qa.ask("計画期間は？")                                 # same service, no reload
    assert a.document.id == D.OUTLINE_7_ID and "令和３年度から令和８年度まで" in a.answer
    assert [s.document.id for s in a.other_sources] == [D.MIDORI_ID]
    info = json.loads(index(qa.settings, "info", "--json").output)
    assert info["current_document"] == D.OUTLINE_7_ID
    assert [(d["id"], d["current"], d["period"]) for d in info["documents"]] == [
        (D.OUTLINE_7_ID, True, [2021, 2026]), (D.MIDORI_ID, False, [2026, 2030])]
    assert "(chosen)" in choose()                              # no argument: shows the choice
    assert f"{D.MIDORI_ID} 『{D.TITLE_MIDORI}』 (the newest)" in choose("--newest")
    assert qa.ask("計画期間は？").document.id == D.MIDORI_ID


def test_current_document_refuses_an_unknown_id_and_keeps_the_choice(outline_and_midori):
    r = index(outline_and_midori.settings, "current-document", "nowhere")
    assert r.exit_code != 0
    assert "no document 'nowhere'" in r.output and D.MIDORI_ID in r.output and "Traceback" not in r.output
    assert outline_and_midori.current_document().id == D.MIDORI_ID


def test_index_diff_compares_each_document_with_its_own(tmp_path_factory):
    qa = built(tmp_path_factory, DEFAULT_CORPUS)
    r = index(qa.settings, "build", "--source", str(DEFAULT_CORPUS), "--source", str(D.MIDORI))
    assert r.exit_code == 0, r.output
    d = json.loads(index(qa.settings, "diff", "--json").output)
    # The outline's chunks were renamed (outline-7th-summary:…) but not changed: nothing of it is reported.
    assert d["changed_chunk_ids"] == []
    assert d["counts"]["sections_added"] == 24 and d["counts"]["sections_removed"] == 0
    assert all(c["id"].startswith(f"{D.MIDORI_ID}:") and c["title"].startswith(f"『{D.TITLE_MIDORI}』")
               for c in d["changes"])


def test_without_an_index_there_is_no_current_document(tmp_path):
    qa = QAService(Settings(data_dir=tmp_path / "empty", embedding_model="fake"))
    assert qa.current_document() is None and qa.documents() == []


def test_words_weigh_by_their_frequency_in_the_document_answered_from(outline_and_midori):
    from index.lexical import tokenize

    r = outline_and_midori.retriever
    [word] = tokenize("取組", r.index.lexical.config)[:1]       # as BM25 and the found rule see it
    # 取組 is in many of the outline's passages and few of the plan's: within the plan it weighs more.
    assert r.idf_of(D.MIDORI_ID)(word) > r.index.lexical.idf(word) > r.idf_of(D.OUTLINE_7_ID)(word)
    assert r.idf_of(None) == r.index.lexical.idf
