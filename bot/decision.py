"""The learned found/not-found decision: a logistic regression over signals the answer already has.

:func:`bot.answer.decide` first applies the rules that hold for any document (a numbered item or
year the document does not name; a kind of fact — date, amount, count … — that no passage
states; a question that only asks what a glossary term means). What is left is a question whose
passages may or may not answer it; that is judged here, by a model fitted across several
documents (``benchmarks/issue12/train_decision.py``: leave-one-document-out figures, then a fit
on all), instead of thresholds tuned on one.

The model is data, not code: ``bot/decision.json`` holds the feature names, their
standardisation (mean, scale), the weights, the bias, the probability threshold and the embedding
model whose cosines it was fitted on. It is read once, validated, and refused with a clear
:class:`DecisionModelError` when missing or malformed. With another embedding model (the fake one
of the fast tests, or an admin's choice) its cosine weights mean nothing, so the calibrated
thresholds of :class:`bot.answer.Thresholds` decide instead, until the model is retrained.

Features (:data:`FEATURES`), each computed from the top passages (``passages`` of
:class:`bot.answer.Thresholds`, 3):

=====================  ==========================================================================
``coverage``           IDF-weighted share of the question's content words in the top passages
``coverage_top1``      the same for the first passage alone
``dense``              best cosine between the question and a top passage
``dense_top1``         cosine of the first passage
``dense_margin``       cosine of the first passage minus that of the second
``fused_margin``       fused score of the first passage minus that of the second
``bm25_top1``          log(1 + BM25 score of the first passage)
``english``            1 for a question with no Japanese characters
``english_coverage``   ``english`` × ``coverage`` (English words count only through the lexicon)
``english_dense``      ``english`` × ``dense``
``length``             log(1 + characters of the question, NFKC, without spaces)
``glossary``           1 when the question names a glossary term of the first passage
``fact_stated``        1 when the question asks a kind of fact (but who) and a passage states it
``person_stated``      1 when it asks who (誰, "who") and a passage names a body or post
``noun_missing``       1 when that fact is stated but not of the noun asked (目標額 vs 寄附額)
=====================  ==========================================================================
"""
from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence

DEFAULT_MODEL = Path(__file__).resolve().parent / "decision.json"
FORMAT = "reformbot-decision"
FORMAT_VERSION = 1

FEATURES: tuple[str, ...] = (
    "coverage", "coverage_top1", "dense", "dense_top1", "dense_margin", "fused_margin", "bm25_top1",
    "english", "english_coverage", "english_dense", "length", "glossary", "fact_stated", "noun_missing",
    "person_stated",
)

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")


class DecisionModelError(ValueError):
    "The decision model file is missing or malformed."


@dataclass(frozen=True)
class DecisionModel:
    """A fitted logistic regression: ``p = sigmoid(bias + Σ w_i (x_i - mean_i) / scale_i)``."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float
    embedding_model: str    # the model whose cosines the weights were fitted on
    meta: Mapping[str, object]

    def probability(self, signals: Mapping[str, float]) -> float:
        """The probability that the passages answer the question, given its ``signals``."""
        z = self.bias
        for name, m, s, w in zip(self.features, self.mean, self.scale, self.weights):
            z += w * (float(signals[name]) - m) / s
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def found(self, signals: Mapping[str, float]) -> bool:
        return self.probability(signals) >= self.threshold

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": FORMAT_VERSION, "features": list(self.features),
                "mean": list(self.mean), "scale": list(self.scale), "weights": list(self.weights),
                "bias": self.bias, "threshold": self.threshold, "embedding_model": self.embedding_model,
                "meta": dict(self.meta)}


def parse_model(data: object, where: str = "decision model") -> DecisionModel:
    """Validate the JSON form of a model.

    Raises:
        DecisionModelError: wrong format or version, unknown features, lengths that differ,
            numbers that are not finite, a scale that is not positive.
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DecisionModelError(f"{where}: not a {FORMAT} file")
    if data.get("version") != FORMAT_VERSION:
        raise DecisionModelError(f"{where}: version {data.get('version')!r}, this reformbot reads version "
                                 f"{FORMAT_VERSION}: retrain with benchmarks/issue12/train_decision.py")
    names = data.get("features")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise DecisionModelError(f"{where}: 'features' must be a non-empty list of names")
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise DecisionModelError(f"{where}: unknown features {unknown}; known: {', '.join(FEATURES)}")
    vectors = {}
    for key in ("mean", "scale", "weights"):
        v = data.get(key)
        if not isinstance(v, list) or len(v) != len(names):
            raise DecisionModelError(f"{where}: '{key}' must list one number per feature ({len(names)})")
        vectors[key] = tuple(_finite(x, f"{where}: '{key}'") for x in v)
    if any(s <= 0 for s in vectors["scale"]):
        raise DecisionModelError(f"{where}: 'scale' values must be positive")
    threshold = _finite(data.get("threshold"), f"{where}: 'threshold'")
    if not 0.0 < threshold < 1.0:
        raise DecisionModelError(f"{where}: 'threshold' must be between 0 and 1")
    embedding_model = data.get("embedding_model")
    if not isinstance(embedding_model, str) or not embedding_model:
        raise DecisionModelError(f"{where}: 'embedding_model' must name the model the weights were fitted with")
    return DecisionModel(tuple(names), vectors["mean"], vectors["scale"], vectors["weights"],
                         _finite(data.get("bias"), f"{where}: 'bias'"), threshold, embedding_model,
                         dict(data.get("meta") or {}))


def _finite(x: object, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise DecisionModelError(f"{what} must be a finite number, not {x!r}")
    return float(x)


@lru_cache(maxsize=4)
def load_model(path: Path = DEFAULT_MODEL) -> DecisionModel:
    """The model in ``path`` (read once per path).

    Raises:
        DecisionModelError: the file is missing, not JSON, or not a valid model.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DecisionModelError(f"decision model not found at {path}: "
                                 "run `python benchmarks/issue12/train_decision.py`") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise DecisionModelError(f"{path}: not JSON ({e})") from None
    return parse_model(data, str(path))


def signals(question: str, hits: Sequence, coverage: float, per_passage: Sequence[float], *,
            fact_asked: bool, noun_missing: bool, person_asked: bool = False) -> dict[str, float]:
    """The model's features (see the module docstring) for ``question`` and its top ``hits``.

    Args:
        question: the question as searched.
        hits: the top passages, best first (at least one).
        coverage: lexical coverage by all of them; ``per_passage`` by each.
        fact_asked: the question asks a kind of fact, other than a person, that a passage states.
        person_asked: the question asks who, and a passage names a body or post.
        noun_missing: ... but none names the noun asked of.
    """
    english = 0.0 if _JAPANESE.search(question) else 1.0
    dense = max(h.dense_score for h in hits)
    second = hits[1] if len(hits) > 1 else None
    squashed = "".join(unicodedata.normalize("NFKC", question).split())
    return {
        "coverage": coverage,
        "coverage_top1": per_passage[0] if per_passage else 0.0,
        "dense": dense,
        "dense_top1": hits[0].dense_score,
        "dense_margin": hits[0].dense_score - (second.dense_score if second else 0.0),
        "fused_margin": hits[0].score - (second.score if second else 0.0),
        "bm25_top1": math.log1p(max(0.0, hits[0].lexical_score)),
        "english": english,
        "english_coverage": english * coverage,
        "english_dense": english * dense,
        "length": math.log1p(len(squashed)),
        "glossary": float(bool(hits[0].glossary_match)),
        "fact_stated": float(fact_asked),
        "noun_missing": float(noun_missing),
        "person_stated": float(person_asked),
    }


_ITEM_SCHEMES = (
    ("paren", re.compile(r"[（(]\s*([0-9０-９]+)\s*[）)]")),
    ("circled", re.compile(r"([①-⑳])")),
    ("roman", re.compile(r"([ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ])(?=[ 　.．、]|$)")),
    ("kana", re.compile(r"([アイウエオカキクケコサシスセソタチツテト])[ 　.．、]")),
    ("digit", re.compile(r"([0-9０-９]{1,2})(?:[.．、]|[ 　](?![0-9０-９]))")),
    ("label", re.compile(r"([\u3400-\u9fff\u30a0-\u30ffA-Za-z]{1,8}?)\s*([0-9０-９]{1,2}|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ])"
                         r"(?![0-9０-９年月日円%％万億千人件回時分歳つ番号期次])")),
)


def listed_items(text: str) -> list[str]:
    """The lines of the first numbered list in ``text`` whose numbers run 1, 2, 3 …, as written.

    A list is two or more lines starting with the same kind of number — （１）, ①, Ⅰ, ア, 1.,
    or a label and a number (「目標1 」, 「施策２：」, 「重点目標３ 」; Markdown ``#`` and bullets
    before them are ignored) — in sequence from 1. A count question (「…はいくつありますか」) is
    answered by counting them when the passage gives no number.
    """
    runs: dict[str, list[str]] = {}
    order: list[str] = []
    for raw in text.splitlines():
        line = raw.strip().lstrip("#・•-* 　")
        for scheme, pattern in _ITEM_SCHEMES:
            m = pattern.match(line)
            if not m:
                continue
            key = scheme if scheme != "label" else "label:" + m.group(1)
            value = item_number(m.group(m.lastindex))
            if value is None:
                break
            if key not in runs:
                runs[key] = []
                order.append(key)
            run = runs[key]
            if value == len(run) + 1:
                run.append(raw.strip())
            elif value == 1 and len(run) < 2:     # a new list of the same kind: keep the longer
                runs[key] = [raw.strip()]
            break
    for key in order:
        if len(runs[key]) >= 2:
            return runs[key]
    return []


_ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ"
_KANA = "アイウエオカキクケコサシスセソタチツテト"


def item_number(s: str) -> int | None:
    """The value of an item number as written: ３, 3, ③, Ⅳ (or its NFKC ``iv``), ウ; None otherwise."""
    s = unicodedata.normalize("NFKC", s)
    if s.isdigit():
        return int(s)
    if s in "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳":
        return "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳".index(s) + 1
    raw = s.upper()
    romans = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
    if raw in romans:
        return romans[raw]
    if len(s) == 1 and s in _ROMAN:
        return _ROMAN.index(s) + 1
    if len(s) == 1 and s in _KANA:
        return _KANA.index(s) + 1
    return None


def count_note(n: int, headings: Sequence[str] = ()) -> str:
    """The count said with an answer to a count question: 「（一覧の項目：４）」, then the numbered
    headings counted, one a line, when the quoted passage is only one of them."""
    return "\n".join([f"（一覧の項目：{str(n).translate(_FULL_WIDTH)}）", *headings])


_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
