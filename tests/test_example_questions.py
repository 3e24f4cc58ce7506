"""The example questions the web page and Slack offer staff come from the current document and get
the right passage first, with the real index and default model — for the bundled outline and for
a plan in another layout (みどり市, 基本方針Ⅰ–Ⅳ).

These are the first questions a new user clicks; a wrong first answer there is the worst first
impression. Each example knows the text the right passage holds (its heading, glossary term or
goals); it must be in the top source (after NFKC, spaces removed).
"""
from __future__ import annotations

import pytest

from bot.about import describe
from bot.evaluate import squash
from corpus import load_document
from corpus.model import Document, GlossaryEntry, Section


def test_examples_are_chosen_from_the_document_and_are_the_same_every_time():
    doc = load_document()
    first, again = describe(doc), describe(load_document())
    assert first.examples == again.examples
    ja, en = first.questions("ja"), first.questions("en")
    assert len(ja) == 4 and len(en) == 3
    assert ja[1] == "計画期間は？" and ja[2] == "重点目標は何ですか"      # the plan's own words
    assert en[-1] == "How long is the plan period?"


def test_a_document_without_glossary_goals_or_period_gets_what_it_can_word():
    section = Section("s1", "１", "ごみの減量", 1, ("１ ごみの減量",), 1, ("・分別を徹底します",))
    child = Section("s1-1", "(1)", "資源化の推進", 2, ("１ ごみの減量", "(1) 資源化の推進"), 1, ("・回収を増やします",))
    doc = Document("ごみ減量計画", ("a.txt",), {}, (section, child), ())
    about = describe(doc)
    assert about.questions("ja") == ("資源化の推進について教えてください",) and about.questions("en") == ()
    entry = GlossaryEntry("g-rpa", 1, "ＲＰＡ", None, "定型作業の自動化", abbreviation="ＲＰＡ")
    assert describe(Document("t", ("a.txt",), {}, (), (entry,))).questions("en") == ("What does RPA stand for?",)
    assert describe(None).questions("ja") == ()


def _cases(qa) -> list:
    about = describe(qa.current_document())
    return [(e.question, e.expect) for lang in ("ja", "en") for e in about.examples[lang]]


@pytest.mark.slow
def test_every_example_of_the_bundled_outline_is_answered_with_the_right_passage_first(real_qa):
    cases = _cases(real_qa)
    assert len(cases) == 7
    for question, expect in cases:
        answer = real_qa.ask(question)
        assert answer.found, (question, answer.meta)
        top = answer.sources[0]
        assert all(squash(x) in squash(top.text + top.section) for x in expect), (question, top.section, top.text[:80])


@pytest.mark.slow
def test_every_example_of_another_plan_is_answered_with_the_right_passage_first(midori_qa):
    cases = _cases(midori_qa)
    assert ("基本方針は何ですか", ("効率的で質の高い行政サービスへの転換", "健全で持続可能な財政運営")) in cases
    for question, expect in cases:
        answer = midori_qa.ask(question)
        assert answer.found, (question, answer.meta)
        top = answer.sources[0]
        assert all(squash(x) in squash(top.text + top.section) for x in expect), (question, top.section, top.text[:80])
