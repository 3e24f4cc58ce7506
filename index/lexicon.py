"""A small bilingual thesaurus of the outline's core vocabulary, for query expansion.

Why
    The default embedder (multilingual-e5-small, 4-bit) is weak across languages: "When does the
    outline end?" lands nowhere near 「大綱 ６年間（令和３年度から令和８年度まで）」, and BM25 over
    Sudachi tokens sees no Japanese word in an English question at all. Staff also ask with
    everyday words where the outline uses administrative ones (残業 for 時間外勤務, 行革 for
    行政改革, キャッシュレス for 納付手段). Neither list can bridge that, so questions are expanded
    with the outline's own terms before searching.

What is in it
    ``index/lexicon.txt`` (data, not code: it names the bundled outline's own terms). One line per
    core term of the outline, written by going through the outline's headings and
    bullets in order (not from any question set): the outline's word, then its usual English
    renderings, then the everyday or abbreviated Japanese words staff use for the same thing.
    Only renderings a translator or a city employee would commonly use are listed; nothing names
    a particular question. Words shorter than two characters are not listed (too ambiguous).

How it is used
    * :meth:`DomainLexicon.expand` appends the outline terms of every match to the question, for
      BM25 and the dense query (the original words stay, so nothing is lost);
    * :meth:`DomainLexicon.rewrite` replaces each match by its outline term, so the found/not-found
      rule can judge "are the question's words in the passage?" for English and paraphrased
      questions too (unmatched English words stay and count as missing).

Matching: NFKC, lower case; English phrases as sequences of whole words after a light stemmer
(:func:`stem`: "attract businesses" = "attracting business"; hyphens separate words, so
"work-life" = "work life"); Japanese words as substrings of the
question without spaces. Longer matches win over shorter ones inside them. The tables are
built once at import and only read afterwards, so one lexicon is safe to share between threads.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LEXICON_FILE = Path(__file__).resolve().with_name("lexicon.txt")
"""The vocabulary, one ``term | english ; … | japanese ; …`` line per term: data, not code."""
LEXICON_TEXT = LEXICON_FILE.read_text(encoding="utf-8")


@dataclass(frozen=True)
class LexiconEntry:
    """One core term of the outline with the words people use for it."""

    term: str                     # the outline's own word (display characters)
    english: tuple[str, ...]      # English renderings, lower case
    japanese: tuple[str, ...]     # everyday / abbreviated Japanese words for it


@dataclass(frozen=True)
class LexiconMatch:
    """A span of the (NFKC, lower-case) question that names a lexicon entry."""

    start: int
    end: int
    text: str
    entry: LexiconEntry
    conjugated: bool = False      # matched through a verb's dictionary form (減り for 減る)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def parse_lexicon(text: str) -> tuple[LexiconEntry, ...]:
    """Entries from the ``term | english ; ... | japanese ; ...`` table (``#`` lines skipped)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        parts += [""] * (3 - len(parts))
        split = lambda s: tuple(w.strip() for w in s.split(";") if w.strip())  # noqa: E731
        out.append(LexiconEntry(parts[0], tuple(_norm(w) for w in split(parts[1])), split(parts[2])))
    return tuple(out)


class DomainLexicon:
    """Finds lexicon words in a question and maps them to the outline's terms.

    Args:
        entries: the vocabulary (default: :data:`LEXICON_TEXT`).
    """

    def __init__(self, entries: tuple[LexiconEntry, ...]) -> None:
        self.entries = entries
        pats = []
        phrases = []
        for e in entries:
            for w in e.english:
                words = tuple(stem(x) for x in _WORD.findall(w))
                if words and len(" ".join(words)) >= 2:
                    phrases.append((" ".join(_WORD.findall(w)), words, e))
            # The outline's own word is listed too, so it wins over a shorter variant inside it
            # (「総合窓口」 stays itself instead of its part 「窓口」 matching).
            for w in {_norm(e.term), *(_norm(j) for j in e.japanese)}:
                w = "".join(w.split())
                if len(w) < 2:
                    continue
                if w.isascii():     # ＡＩ, ＮＰＯ: whole words only ("ai" is not in "chairs")
                    pats.append((len(w), re.compile(r"(?<![a-z0-9])" + re.escape(w) + r"(?![a-z0-9])"), e))
                else:
                    pats.append((len(w), re.compile(re.escape(w)), e))
        pats.sort(key=lambda p: -p[0])
        phrases.sort(key=lambda p: (-len(p[1]), -len(p[0])))
        self._patterns = pats
        self._phrases = phrases
        self._first_word: dict[str, list[tuple[str, tuple[str, ...], LexiconEntry]]] = {}
        for ph in phrases:
            self._first_word.setdefault(ph[1][0], []).append(ph)

    def matches(self, question: str, conjugated: bool = True) -> list[LexiconMatch]:
        """Non-overlapping matches in the NFKC, lower-case question, longest first, in text order.

        Japanese words are matched in the question without spaces; English ones with them, so
        spans refer to :func:`matching_text` of the question.

        Args:
            question: the question (or any text).
            conjugated: also match listed dictionary forms against conjugated verbs (減り for
                減る).
        """
        text = matching_text(question)
        taken = [False] * len(text)
        found = []
        # English: phrases as sequences of stemmed words ("attract businesses" = "attracting
        # business"), more words first.
        words = [(m.start(), m.end(), stem(m.group(0))) for m in _WORD.finditer(text)]
        cands = []
        for i, (_, _, w) in enumerate(words):
            for original, seq, e in self._first_word.get(w, ()):
                if tuple(x[2] for x in words[i:i + len(seq)]) == seq:
                    span = " ".join(_WORD.findall(text[words[i][0]:words[i + len(seq) - 1][1]]))
                    # Among equally long matches the one written exactly as asked wins
                    # ("staff" is 職員, not the "staffing" of 人員配置 that stems the same).
                    cands.append((len(seq), span != original, i, seq, e))
        for n, _, i, seq, e in sorted(cands, key=lambda c: (-c[0], c[1], c[2])):
            start, end = words[i][0], words[i + n - 1][1]
            if not any(taken[start:end]):
                for j in range(start, end):
                    taken[j] = True
                found.append(LexiconMatch(start, end, text[start:end], e))
        # Japanese words, longest first. The table lists dictionary forms (減る, 職員を減らす);
        # the question may say 減り, 減らして: each pattern is also tried on the text with every
        # verb and adjective in its dictionary form, mapped back to the question's own span, so
        # a longer conjugated match (職員を減らして) still wins over a shorter literal one (職員).
        lemma, origin = dictionary_form_text(text) if conjugated else (text, ())
        texts = [(text, None)] + ([(lemma, origin)] if lemma != text else [])
        for _, pat, e in self._patterns:
            for hay, where in texts:
                for m in pat.finditer(hay):
                    if m.end() <= m.start():
                        continue
                    start, end = (m.start(), m.end()) if where is None else (where[m.start()], where[m.end() - 1] + 1)
                    if not any(taken[start:end]):
                        for i in range(start, end):
                            taken[i] = True
                        found.append(LexiconMatch(start, end, text[start:end], e, where is not None))
        return sorted(found, key=lambda m: m.start)

    def expansion_terms(self, question: str) -> list[str]:
        """The outline terms named by the question (in order, once each), excluding words the
        question already contains verbatim."""
        text = matching_text(question)
        out = []
        for m in self.matches(question):
            # A conjugated bare verb (増やして -> 確保) is too generic to search with: it would pull
            # in sections about something else (公園のベンチを増やして -> 歳入の確保). It still counts
            # for coverage; a conjugated phrase with its object (職員を減らして) is specific enough.
            if m.conjugated and not _OBJECT_PHRASE.search(m.text):
                continue
            t = _norm(m.entry.term)
            if t not in out and t not in text:
                out.append(t)
        return out

    def expand(self, question: str) -> str:
        """The question followed by the outline terms it names (for BM25 and the dense query)."""
        extra = self.expansion_terms(question)
        return f"{question} {' '.join(extra)}" if extra else question

    def rewrite(self, question: str) -> str:
        """The question with each match replaced by its outline term (for coverage and the
        unknown-item check): 「前回の行革の課題」 -> 「第6次行政改革の課題」; "When does the outline
        end?" -> "when does 大綱 end?"."""
        text = matching_text(question)
        out, pos = [], 0
        for m in self.matches(question):
            out.append(text[pos:m.start])
            term = _norm(m.entry.term)
            # Keep a space around a replaced English phrase so the words beside it stay words.
            out.append(f" {term} " if m.text.isascii() else term)
            pos = m.end
        out.append(text[pos:])
        return " ".join("".join(out).split())


_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


def stem(word: str) -> str:
    """A light English stemmer for matching: plural, -ing and -ed endings off.

    "businesses" -> "business", "attracting" -> "attract", "policies" -> "policy",
    "revised" -> "revis" (and "revise" -> "revis"): both sides of a match go through it, so
    it only has to be consistent, not linguistic.
    """
    w = word.lower()
    if len(w) <= 3:
        return w
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("shes", "sh"), ("ches", "ch"), ("xes", "x"),
                         ("nesses", "ness"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            w = w[: len(w) - len(suffix)] + repl
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


_CJK = re.compile(r"([\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]) +(?=[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef])")


def matching_text(question: str) -> str:
    """NFKC, lower case, single spaces, and no spaces between Japanese characters."""
    t = " ".join(_norm(question).split())
    return _CJK.sub(r"\1", t)


_INFLECTED_POS = ("動詞", "形容詞")
_OBJECT_PHRASE = re.compile(r"[\u3400-\u9fff\u30a0-\u30ff]{2,}[をがに]")


@lru_cache(maxsize=4096)
def dictionary_form_text(text: str) -> tuple[str, tuple[int, ...]]:
    """``text`` with every inflected verb and adjective in its dictionary form (Sudachi), and for
    each character of the result the offset of the character of ``text`` it comes from.

    「職員を減らして」 -> 「職員を減らすて」: a lexicon word written in its dictionary form
    (職員を減らす) then matches. Only Japanese text is tokenized; other text is returned as is.
    Cached: the same question is matched several times per answer.
    """
    if not _JA.search(text):
        return text, tuple(range(len(text)))
    from sudachipy import SplitMode

    from index.lexical import _sudachi      # lazy: Sudachi loads its dictionary on first use

    out: list[str] = []
    origin: list[int] = []
    for m in _sudachi().tokenize(text, SplitMode.C):
        surface, begin = m.surface(), m.begin()
        form = m.dictionary_form() if m.part_of_speech()[0] in _INFLECTED_POS else surface
        if form == surface or not form:
            out.append(surface)
            origin.extend(range(begin, begin + len(surface)))
        else:
            out.append(form)
            # The shared stem keeps its offsets; a longer ending points to the word's last char.
            for i in range(len(form)):
                origin.append(begin + min(i, len(surface) - 1))
    return "".join(out), tuple(origin)


_JA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


@lru_cache(maxsize=1)
def default_lexicon() -> DomainLexicon:
    """The built-in lexicon (built once; read-only afterwards, shared by all threads)."""
    return DomainLexicon(parse_lexicon(LEXICON_TEXT))
