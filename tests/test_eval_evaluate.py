"""The eval scorer on a hand-made question file and a stub ask()."""
from __future__ import annotations

import json

import pytest

from bot.contract import Answer, Source
from bot.evaluate import EvalFileError, evaluate, read_cases


def _answer(q, found, texts):
    return Answer(question=q, found=found, answer=texts[0] if found else "",
                  sources=tuple(Source(i, t, "５ 第７次行政改革大綱について", 5, 1.0 / i, "body", f"c{i}")
                                for i, t in enumerate(texts, 1)))


ANSWERS = {
    "計画期間は？": _answer("計画期間は？", True, ["大綱 ６年間（令和３年度から令和８年度まで）", "x"]),
    "第１期は？": _answer("第１期は？", True, ["a", "b", "第１期：３年間（令和３年度から\n令和５年度まで）"]),
    "遠い": _answer("遠い", False, ["a", "b", "c", "d", "答え"]),
    "ごみ": _answer("ごみ", False, ["a"]),
    "市長": _answer("市長", True, ["a"]),
}


def test_scores_hits_mrr_and_decisions(tmp_path):
    tsv = tmp_path / "qa.tsv"
    tsv.write_text("# comment\n計画期間は？\t6年間\n第１期は？\t令和3年度から令和5年度まで\n遠い\t答え\n"
                   "ごみ\t-\n市長\t-\n\n", encoding="utf-8")
    report = evaluate(tsv, lambda q: ANSWERS[q])
    assert (report.questions, report.in_scope, report.out_of_scope) == (5, 3, 2)
    assert report.hit_at_1 == pytest.approx(1 / 3, abs=1e-3)
    assert report.hit_at_3 == pytest.approx(2 / 3, abs=1e-3)
    assert report.hit_at_5 == 1.0
    assert report.mrr_at_10 == pytest.approx((1 + 1 / 3 + 1 / 5) / 3, abs=1e-3)
    assert report.in_scope_answered == pytest.approx(2 / 3, abs=1e-3)
    assert report.out_of_scope_refused == 0.5
    problems = {(m.question, m.problem) for m in report.misses}
    assert problems == {("遠い", "not in top 3"), ("市長", "not refused")}
    text = report.format()
    assert "hit@3  0.667" in text and "[not refused] 市長" in text
    assert json.loads(json.dumps(report.to_dict(), ensure_ascii=False))["misses"][0]["question"] == "遠い"


def test_figures_are_the_last_lines_after_the_misses(tmp_path):
    """A log tail (CI, hooks) of a few lines must still show every figure, misses or not."""
    tsv = tmp_path / "qa.tsv"
    tsv.write_text("計画期間は？\t6年間\n第１期は？\t令和3年度から令和5年度まで\n遠い\t答え\n"
                   "ごみ\t-\n市長\t-\n", encoding="utf-8")
    answers = dict(ANSWERS, 市長=_answer("市長", True, ["一行目\n二行目"]))
    lines = evaluate(tsv, lambda q: answers[q]).format().splitlines()
    tail = "\n".join(lines[-5:])
    for figure in ("questions: 5", "hit@1  0.333", "hit@3  0.667", "hit@5  1.000", "MRR@10 0.511",
                   "in-scope answered     0.667", "out-of-scope refused  0.500"):
        assert figure in tail, tail
    assert lines[0] == "misses (2):" and all("[" not in line for line in lines[-5:])
    # a source excerpt with line breaks stays on one line, so the tail is not pushed off
    assert not any(line.startswith("二行目") for line in lines)
    assert any(line.endswith("一行目 二行目") for line in lines)


def test_section_path_counts_as_containing_the_answer(tmp_path):
    tsv = tmp_path / "qa.tsv"
    tsv.write_text("計画期間は？\t第7次行政改革大綱について\n", encoding="utf-8")
    assert evaluate(tsv, lambda q: ANSWERS[q]).hit_at_1 == 1.0


def test_malformed_file_names_the_line(tmp_path):
    tsv = tmp_path / "bad.tsv"
    tsv.write_text("質問だけ\n", encoding="utf-8")
    with pytest.raises(EvalFileError, match="bad.tsv:1"):
        read_cases(tsv)
