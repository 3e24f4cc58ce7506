"""Japanese lexical search: BM25 (bm25s) over SudachiPy morphemes, optionally over character bigrams.

Text is NFKC-normalised first (全角ＢＣＰ -> BCP). Sudachi tokens are reduced to their
``normalized_form`` (表記ゆれ: 引き上げ/引上げ) and filtered by part of speech: particles, auxiliary
verbs, symbols and whitespace carry no topic and would only add noise to BM25. ASCII words keep
their lowercased surface (Sudachi "normalises" English words to katakana readings) and a small
English stop list drops question words, so "What does PFI stand for?" searches ``pfi``.

Split mode ``"AC"`` (default) indexes the long unit (mode C: ふるさと納税, マイナンバーカード) plus
its short parts when they differ (mode A: 納税, カード), so a question can match at either
granularity; measured on the dev set against A and C alone (see benchmarks / README).
"""
from __future__ import annotations

import json
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

# Parts of speech that carry no topic: particles, auxiliaries, symbols, pronouns (何, 誰),
# adnominals (どういう, この), conjunctions, interjections.
DROP_POS = {"助詞", "助動詞", "補助記号", "記号", "空白", "代名詞", "連体詞", "接続詞", "感動詞"}
EN_STOP = frozenset(
    "a an the what which who whom whose when where why how is are was were be been being do does did "
    "of for to in on at by with about from as and or it its this that these those stand stands "
    "mean means meaning tell me please i you we our their there any can could would should "
    "explain describe will shall has have had get got does doing done there here into than "
    "then so also just some more most very much many yes no not out up".split()
)
# Question and function words by Sudachi normalized form (する -> 為る, いくら -> 幾ら …).
JA_STOP = frozenset("""何 誰 いつ 幾ら 幾つ 何処 どこ どれ どう どの どんな どういう 如何 こと 事 もの 物 よう 様 とき 時 ため 為
    為る 成る 居る 有る 在る 出来る 下さる 頂く 呉れる 貰う 教える 言う 云う 知る 思う 分かる つく 就く 関する 意味
    何故 如何して 今 今後 現在 具体的 具体
    とは について ? ？""".split())
_ASCII_WORD = re.compile(r"^[0-9a-z][0-9a-z.\-]*$")


def nfkc(text: str) -> str:
    """NFKC + lower case: the matching form of any text."""
    return unicodedata.normalize("NFKC", text).lower()


@lru_cache(maxsize=1)
def _dictionary():
    """Load the Sudachi dictionary once (~0.05 s); it is shared by every thread."""
    from sudachipy import Dictionary

    return Dictionary(dict="core")


_local = threading.local()


def _sudachi():
    """This thread's Sudachi tokenizer (a tokenizer must not be shared between threads: the web
    server answers several questions at once)."""
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        tok = _local.tokenizer = _dictionary().tokenizer()
    return tok


@dataclass(frozen=True)
class TokenizerConfig:
    """How text becomes BM25 tokens; stored in the index manifest so queries match documents."""

    split_mode: str = "AC"          # "A", "B", "C" or "AC" (C plus differing A parts)
    bigrams: bool = False           # add character bigrams of Japanese runs as extra tokens

    def to_dict(self) -> dict:
        return {"split_mode": self.split_mode, "bigrams": self.bigrams}


def _keep(surface: str, norm: str, pos: str, pos1: str = "") -> str | None:
    if pos in DROP_POS or (pos in ("動詞", "形容詞") and pos1 == "非自立可能"):
        return None
    s = surface.strip()
    if not s:
        return None
    if _ASCII_WORD.match(s):
        return None if s in EN_STOP else s
    tok = norm.lower()
    return None if tok in JA_STOP else tok


def tokenize(text: str, config: TokenizerConfig = TokenizerConfig()) -> list[str]:
    """Text -> BM25 tokens.

    Args:
        text: any text (display or NFKC form).
        config: split mode and bigram option.

    Returns:
        Tokens in order (duplicates kept; BM25 counts term frequency).
    """
    from sudachipy import SplitMode

    t = nfkc(text)
    tok = _sudachi()
    out: list[str] = []
    primary = {"A": SplitMode.A, "B": SplitMode.B}.get(config.split_mode, SplitMode.C)
    for m in tok.tokenize(t, primary):
        pos, pos1 = m.part_of_speech()[:2]
        kept = _keep(m.surface(), m.normalized_form(), pos, pos1)
        if kept:
            out.append(kept)
        if config.split_mode == "AC" and pos not in DROP_POS:
            parts = m.split(SplitMode.A)
            if len(parts) > 1:
                for p in parts:
                    k = _keep(p.surface(), p.normalized_form(), *p.part_of_speech()[:2])
                    if k and k != kept:
                        out.append(k)
    if config.bigrams:
        out.extend(char_bigrams(t))
    return out


def content_words(text: str) -> list[tuple[str, str]]:
    """The topic words of a question: (NFKC surface, normalized form) of each kept long unit.

    Used to judge whether passages cover a question (mode C, so 「児童手当」 counts once).
    """
    return [(surface, norm) for _, _, surface, norm in content_word_spans(text)]


def content_word_spans(text: str) -> list[tuple[int, int, str, str]]:
    """:func:`content_words` with each word's (begin, end) offsets in ``nfkc(text)``."""
    from sudachipy import SplitMode

    out, seen = [], set()
    for m in _sudachi().tokenize(nfkc(text), SplitMode.C):
        kept = _keep(m.surface(), m.normalized_form(), *m.part_of_speech()[:2])
        if kept and kept not in seen:
            seen.add(kept)
            out.append((m.begin(), m.end(), m.surface().strip(), kept))
    return out


def without_suffix(word: str) -> str:
    """The word without its suffix morphemes, or "" when it has none: 「公平性」 -> 「公平」,
    「ワンストップ化」 -> 「ワンストップ」, 「住民票」 -> "" (票 is a noun, not a suffix)."""
    from sudachipy import SplitMode

    ms = _sudachi().tokenize(nfkc(word), SplitMode.A)
    kept = [m.surface() for m in ms if m.part_of_speech()[0] != "接尾辞"]
    core = "".join(kept)
    return core if len(kept) < len(ms) and len(core) >= 2 else ""


_JA_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff0-9a-z]+")


def char_bigrams(text: str) -> list[str]:
    """Character bigrams of each word-character run (prefixed so they never collide with words)."""
    grams = []
    for run in _JA_RUN.findall(nfkc(text)):
        grams.extend("#" + run[i:i + 2] for i in range(len(run) - 1))
    return grams


class LexicalIndex:
    """BM25 over tokenized chunk texts.

    Args:
        tokens: one token list per document, in index order.
        config: the tokenizer configuration used for documents (and therefore queries).
    """

    def __init__(self, bm25, config: TokenizerConfig, n_docs: int) -> None:
        self.bm25 = bm25
        self.config = config
        self.n_docs = n_docs
        self._vocab = bm25.vocab_dict
        indptr = np.asarray(bm25.scores["indptr"])
        self._df = np.diff(indptr)      # CSC by token: documents per token

    @classmethod
    def build(cls, texts: Iterable[str], config: TokenizerConfig = TokenizerConfig(),
              token_lists: Sequence[list[str]] | None = None) -> "LexicalIndex":
        """Tokenize ``texts`` (or take ``token_lists``) and index them with BM25.

        Returns:
            A ready :class:`LexicalIndex`.
        """
        import bm25s

        toks = list(token_lists) if token_lists is not None else [tokenize(t, config) for t in texts]
        # An empty document must still occupy its slot so ids line up with FAISS ids.
        toks = [t if t else ["\u2400"] for t in toks]
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        bm25.index(toks, show_progress=False)
        return cls(bm25, config, len(toks))

    def idf(self, token: str) -> float:
        """BM25 inverse document frequency of ``token`` (unseen tokens get the highest value)."""
        tid = self._vocab.get(token)
        df = 0 if tid is None else int(self._df[tid])
        return float(np.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5)))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (zeros when no token is known)."""
        q = [t for t in tokenize(query, self.config) if t in self._vocab]
        if not q:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(q), dtype=np.float32)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top-``k`` (doc index, score) with score > 0, best first."""
        s = self.scores(query)
        k = min(k, len(s))
        if k <= 0:
            return []
        idx = np.argpartition(-s, k - 1)[:k]
        idx = idx[np.argsort(-s[idx], kind="stable")]
        return [(int(i), float(s[i])) for i in idx if s[i] > 0]

    def save(self, directory: Path) -> None:
        """Write the BM25 matrices (numpy + JSON vocabulary, no pickle) and the tokenizer config."""
        directory.mkdir(parents=True, exist_ok=True)
        self.bm25.save(str(directory), show_progress=False)
        (directory / "tokenizer.json").write_text(
            json.dumps({**self.config.to_dict(), "n_docs": self.n_docs}), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "LexicalIndex":
        """Read an index written by :meth:`save` (memory-light: arrays loaded, not rebuilt)."""
        import bm25s

        meta = json.loads((directory / "tokenizer.json").read_text(encoding="utf-8"))
        bm25 = bm25s.BM25.load(str(directory), load_corpus=False)
        cfg = TokenizerConfig(split_mode=meta["split_mode"], bigrams=meta["bigrams"])
        return cls(bm25, cfg, int(meta["n_docs"]))
