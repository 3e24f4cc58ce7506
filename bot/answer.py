"""Extractive answers: the outline's own passages, cited, with glossary notes — never generated facts.

``compose(question, retriever)`` searches, decides whether the outline answers the question at
all, and builds the shared :class:`~bot.contract.Answer`. When it does not (「ごみの収集日は？」),
``found`` is false, ``answer`` is empty, and the nearest sections are still returned as
``sources`` for surfaces to show as "related", never as the answer.

The decision (:func:`decide`) applies the rules below, then a logistic regression fitted across
several documents (:mod:`bot.decision`, ``bot/decision.json``; retrain with
``benchmarks/issue12/train_decision.py``) over signals that include two that do not depend on rank:

* lexical coverage — the IDF-weighted share of the question's content words (Sudachi normalised
  forms) that occur in the top passages. Out-of-scope questions name things the outline never
  mentions (粗大ごみ, 児童手当, 駐車場料金), so their rare words are missing;
* dense similarity — the cosine between the question and the best passage, which rescues
  paraphrases and English questions whose words are not in the text.

A question that names a numbered item the outline never names (「第9次行政改革大綱」 when the
outline only knows the reforms up to its own edition and the 第９次総合計画), or a year it neither names nor
covers with a period (「令和９年度の予算」, "fiscal 2027"), is refused whatever the scores say:
ordinals and years are where word overlap misleads most.

A question that asks for a kind of fact — a date (いつ, 申請期限, "when"), an amount (いくら,
利用料金), a head count (何人), a count, a rank, a rate (回答率), a time of day (開庁時間), a
person (誰; for "who chairs/heads …" the post itself), a name (副市長の名前, …を作った会社), an area (面積), a procedure (申請方法, どうすればいい, "how do
I apply") or a place (どこで, "where can I") — is answered only when a top passage that shares a topic word with it states a fact
of that kind (and names the noun asked about: 申請期限, 回答率). Out-of-scope questions that
reuse the outline's words (「新庁舎はいつ完成する？」, 「推進本部の本部長は誰？」) score as well as
in-scope ones on both signals above; what gives them away is that the passage has no date or
name to give.

A question that only asks what a glossary term is (「BCPって？」) is answered by that term's entry.
Thresholds are explained in :class:`Thresholds`.

With several documents indexed (:mod:`index.documents`), a question that names one of them
(「第８次大綱の…」, 「みどり市のプランの…」, 「新しい大綱」) is answered from it; any other question
from the current document, and each other document that answers it too (by the same rule) adds
its best passage to ``other_sources``. ``found`` is about the document answered from.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from bot.contract import Answer, DocumentRef, GlossaryNote, Source
from bot.decision import DEFAULT_MODEL, count_note, listed_items, load_model, signals as model_signals
from bot.decision import item_number as _item_number

if TYPE_CHECKING:  # pragma: no cover
    from index.retriever import Hit, Retriever


@dataclass(frozen=True)
class Thresholds:
    """When the outline counts as answering the question: the learned model (``learned``, read
    from ``model``), or, without it, the thresholds below, as first calibrated on one outline.

    Calibrated on the dev set (40 in-scope, 6 out-of-scope questions) and the index developer's
    probe set (38 in-scope, 20 out-of-scope), default model, window-3 chunks, with the lexicon
    expansion on. Japanese in-scope questions had coverage ≥ 0.60, or coverage 0.39–0.58 with
    cosine ≥ 0.835 (paraphrases: 「職員数はどうした？」, 「感染症への対応は？」); out-of-scope ones
    had coverage ≤ 0.36, or cosine ≤ 0.82 (「図書館の開館時間は？」 0.57 / 0.81), once the fact-kind
    and unknown-item checks (:func:`decide`) have refused the ones that ask for a date, amount,
    count or person the passages do not give.

    English questions are judged by the same coverage, computed through the query vocabulary
    (:mod:`index.lexicon`, docs/vocabulary.md): an English word counts as present when the
    vocabulary maps it to a document word that is in the passage, and as missing otherwise. English questions have two to
    four content words, so one mapped word already gives 0.5 and the Japanese "words and meaning"
    band (0.38) would let anything with one familiar word through ("What is the overtime pay rule
    for staff?" 0.50 / 0.85). An English question therefore needs ``coverage`` (most of its words
    mapped and present) or the near-restatement cosine. The cosine-only English rule of the first
    round (0.815) is gone: the appended Japanese terms raise English cosines by 0.02–0.05, so it
    no longer separated anything. The margins are a few hundredths; more questions would move
    these numbers.
    """

    coverage: float = 0.6          # lexical coverage alone that suffices
    coverage_with_dense: float = 0.38   # Japanese only: coverage that suffices with ...
    dense_with_coverage: float = 0.83   # ... this cosine
    dense: float = 0.90            # cosine alone that suffices (near restatement of a passage)
    passages: int = 3              # top passages whose words count for coverage
    # The learned decision (:mod:`bot.decision`) replaces the four thresholds above, which stay
    # for comparison (``learned=False``: the rule as calibrated on one outline).
    learned: bool = True
    model: Path = DEFAULT_MODEL


THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Decision:
    """Why ``found`` is what it is (kept in ``Answer.meta`` for logs and calibration)."""

    found: bool
    coverage: float
    dense: float
    glossary: bool
    reason: str
    signals: Mapping[str, float] | None = field(default=None, compare=False)  # the model's input
    listed: int = 0     # a count question answered by counting the cited passage's listed items
    cited: int = 0      # which hit is quoted: a count question's list may not be the first
    headings: tuple[str, ...] = ()  # ... or the numbered headings counted, when no passage lists them


def decide(question: str, hits: Sequence["Hit"], retriever: "Retriever",
           thresholds: Thresholds = THRESHOLDS, *, corpus_text: str | None = None,
           document: str | None = None) -> Decision:
    """Does the outline answer ``question``, judging by the retrieved ``hits``?

    Args:
        question: the user's question.
        hits: the retriever's hits for it, best first.
        retriever: for the lexical statistics (IDF) of the index.
        thresholds: the calibrated rule.
        corpus_text: the text whose numbered items and years count as known (default: the whole
            index's; one document's when several are indexed).
        document: with several documents indexed, the one the hits are from: words are weighed
            by their IDF within it.

    Returns:
        A :class:`Decision`.
    """
    if not hits:
        return Decision(False, 0.0, 0.0, False, "nothing retrieved")
    top = hits[: thresholds.passages]
    texts = [f"{h.chunk.section}\n{h.chunk.text}" for h in top]
    coverage, per_passage = (retriever.coverage_by_text(question, texts, headed=True, document=document)
                             if document is not None else retriever.coverage_by_text(question, texts, headed=True))
    dense = max(h.dense_score for h in top)
    # 「BCPって？」 is answered by the entry; 「BCPの訓練日程は？」 names the term but must still be
    # covered by the text like any other question.
    glossary = hits[0].definition_asked
    t = thresholds
    # Abbreviations are read as the outline's words first (「第６次行革」 is its 第６次行政改革).
    unknown = unknown_items(question, retriever.corpus_text if corpus_text is None else corpus_text,
                            retriever.lexicon)
    if unknown:
        return Decision(False, coverage, dense, glossary, f"the outline does not mention {unknown[0]}")
    if glossary:
        return Decision(True, coverage, dense, True, "asks what a glossary term means")
    # A question asking for a date, an amount, a count … is answered only by a passage that is
    # about the question (shares a topic word with it) and states a fact of that kind.
    about = [h for h, c in zip(top, per_passage) if c > 0] or top[:1]
    # A kind no passage states at all refuses; one stated, but not of the noun asked (寄附額 for
    # 目標額), is left to the model as a signal.
    asked = asked_facts(question)
    missing = [kind for kind, noun in asked
               if not any(states_fact(kind, h.chunk.text, question, "", retriever.lexicon, h.chunk.section)
                          for h in about)]
    if missing:
        return Decision(False, coverage, dense, False, f"the passages give no {missing[0]}")
    unnamed = [(kind, noun) for kind, noun in asked
               if noun and not any(states_fact(kind, h.chunk.text, question, noun, retriever.lexicon,
                                               h.chunk.section) for h in about)]
    noun_missing = bool(unnamed)
    no_answer = (f"the passages give no {unnamed[0][0]} of {unnamed[0][1]}; " if unnamed else "")
    listed, cited, headings = (0, 0, ())
    if any(kind == "count" for kind, _ in asked):
        doc = top[0].chunk.document
        listed, cited, headings = _counted_list(
            question, top, lambda: [c.section for c in getattr(retriever, "chunks", ()) if c.document == doc])
    sig = model_signals(question, top, coverage, per_passage, fact_asked=any(k != "person" for k, _ in asked),
                        noun_missing=noun_missing, person_asked=any(k == "person" for k, _ in asked))
    # Every content word of a Japanese question in the passages, and any fact it asks stated:
    # answered on every calibration document, so it stays a rule in front of the model.
    if coverage >= _ALL_WORDS and _JAPANESE.search(question):
        return Decision(True, coverage, dense, False, ALL_WORDS_FOUND, sig, listed, cited, headings)
    # A question in another language none of whose words the vocabulary maps to the passages
    # ("<img src=x onerror=…>", "parking fees?"): nothing to quote, whatever the embedding says.
    # (A Japanese paraphrase can share no word and still be answered: 新しい財源 ~ 歳入の確保.)
    if coverage < _NO_WORDS and not _JAPANESE.search(question):
        return Decision(False, coverage, dense, False, NO_WORDS_FOUND, sig)
    model = load_model(t.model) if t.learned else None
    if model is not None and model.embedding_model == getattr(retriever.embedder, "model_id", None):
        p = model.probability(sig)
        if p >= model.threshold:
            return Decision(True, coverage, dense, False, f"the model finds an answer (p={p:.2f})", sig, listed, cited,
                            headings)
        return Decision(False, coverage, dense, False, f"{no_answer}the model finds no answer (p={p:.2f})", sig)
    if coverage >= t.coverage:
        return Decision(True, coverage, dense, False, "question words found in the passages", sig, listed, cited, headings)
    if dense >= t.dense:
        return Decision(True, coverage, dense, False, "passage very similar to the question", sig, listed, cited, headings)
    if _JAPANESE.search(question) and coverage >= t.coverage_with_dense and dense >= t.dense_with_coverage:
        return Decision(True, coverage, dense, False, "words and meaning both close", sig, listed, cited, headings)
    return Decision(False, coverage, dense, False, "the outline does not seem to cover this", sig)


_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
_ALL_WORDS = 0.999      # coverage of a question all of whose words are in the passages
ALL_WORDS_FOUND = "every question word is in the passages"
_NO_WORDS = 0.1         # below: (almost) none of the question's words is in the passages
NO_WORDS_FOUND = "none of the question's words is in the passages"

# Kinds of fact a question can ask for: (cue in the NFKC, lower-case question, evidence that a
# passage states such a fact). The outline states periods (令和３年度から…), amounts (220億円),
# counts (150件, 17の目標), ranks (県内３位), rate changes (11ポイント) and the bodies that act
# (行政改革推進本部); it never states opening hours, fees, schedules, head counts or names of
# people, which is what staff most often ask of other city documents.
# A number as Japanese writes it: 186, 1,200, 9億2千万, 1万9千 (digits with 億/万/千/百 between).
_NUM = r"\d[\d,.]*(?:\s*[億万千百]\s*(?:\d[\d,.]*)?)*"
FACT_KINDS: dict[str, tuple[re.Pattern, re.Pattern | None]] = {
    "date": (re.compile(r"いつ|何年|何月|何日|時期|日程|予定日|期日|期限|締切|締め切り|[\u3400-\u9fff]日$|竣工"
                        r"|\bwhen\b|what (?:year|date|day)|\bdeadline\b"),
             re.compile(r"\d+\s*(?:年|月|日)|年度|期間|年間|\d{4}")),
    "amount": (re.compile(r"いくら|幾ら|金額|料金|費用|額|年間予算|何円|how much"
                          r"|what (?:is|are|was|were) the (?:[a-z]+ )?(?:costs?|prices?|fees?|budget|amount)\b"),
               re.compile(_NUM + r"\s*円")),
    "head count": (re.compile(r"何人|何名|人数|how many (?:people|staff|members|employees|officials)"),
                   re.compile(_NUM + r"\s*(?:人|名)")),
    "count": (re.compile(r"何件|何個|いくつ|幾つ|何か所|何カ所|何ヶ所|how many|the number of"),
              re.compile(r"\d+\s*の?(?:人|名|件|つ|個|か所|箇所|カ所|市区|目標|ターゲット|要素|項目)"
                         r"|[一二三四五六七八九十]+つ")),
    "number": (re.compile(r"数値|数字|目標値"), re.compile(r"\d")),
    "rank": (re.compile(r"何位|何番|順位|\bwhat (?:rank|place|position)\b|\branking\b"), re.compile(r"\d+\s*位")),
    "rate": (re.compile(r"(?<![効能])率|割合|パーセント|%|what (?:is|was) the (?:[a-z]+ )?rate\b|percentage|what percent"),
             re.compile(r"\d+(?:\.\d+)?\s*(?:%|パーセント|ポイント|割|位)")),
    "time of day": (re.compile(r"何時|時間帯|開庁時間|開館時間|受付時間|営業時間|what time|opening hours"
                               r"|office hours|business hours"),
                    re.compile(r"\d+\s*(?:時(?!間)|:\d\d)")),   # 「24時間」 is a duration
    # How often something is done (頻度, 何回, 週に何日, "how often"): a schedule is stated by
    # 毎年, 年２回, ３年ごと, 定期的に …
    "frequency": (re.compile(r"頻度|何回|(?:週|月|年)に?何(?:日|回|度)|どのくらいの(?:ペース|間隔)|\bhow (?:often|frequently)\b"),
                  re.compile(r"毎(?:年度?|月|週|日|回)|(?:年|月|週)\s*\d+\s*(?:回|日|度)|\d+\s*回(?!目)|\d+\s*(?:年|か月|ヶ月|カ月|箇月|週)"
                             r"(?:ごと|毎|に一度|に\d+回|に１回)|定期的|随時|四半期")),
    "contact": (re.compile(r"電話番号|内線|url|住所|メールアドレス|連絡先|ファックス|fax|phone number|telephone"
                           r"|e-?mail address|web address|postal address|\baddress of\b|\b(?:the|its|your) address\b"),
                re.compile(r"https?://|www\.|\d{2,4}-\d{2,4}-\d{3,4}|〒|@")),
    # An area (「市の面積は？」): a measure of land or floor, or a share of it (延床面積を１０％削減).
    "area": (re.compile(r"面積|\bhow (?:large|big) is\b|\bwhat is the (?:total )?area\b"),
             re.compile(r"\d[\d,.]*\s*(?:km|㎢|平方|ha|ヘクタール|㎡|m2|%|％)")),
    "person": (re.compile(r"誰|だれ|どなた|\bwho\b"), None),
    # The name of a post's holder (「副市長の名前は？」) or of a company (「…を作った会社はどこ？」):
    # plans name bodies and posts, seldom people or firms.
    "name": (re.compile(r"(?<=[長者員官役当])の?(?:名前|氏名)|(?:会社|業者|事業者|メーカー)(?:は|って|が)?(?:どこ|何)"
                        r"|\bname of the (?:mayor|head|chair\w*|director|leader|president|company|contractor)\b"
                        r"|\bwhich (?:companies|company|firms?|contractors?|operators?|businesses)\b"),
             re.compile(r"氏名|株式会社|有限会社|[\u3400-\u9fff]{2,4}(?:氏|さん|様)(?![\u3400-\u9fff])")),
    # How a citizen or staff member does something (申請方法, どうすればいい, "how do I apply"):
    # the outline names measures, never the steps, forms or counters of a procedure. Only the
    # question's topic counts (「申請方法は？」), not a method named as a measure
    # (「新しい支払い方法の導入予定は？」).
    "procedure": (re.compile(r"(?:申請|登録|申し?込み?|予約|手続き?|応募|届け?出|加入|入会|参加|受講|寄附|寄付|納付|支払い?)の?方法(?=は|って|を|[?？]|$)"
                             r"|(?:取り|取得し|申し?込み|払い|使い|受け|もらい|借り|出し|書き)方(?=は|って|を|[?？]|$)"
                             r"|どうすれば|どうしたら"
                             r"|\bhow (?:do|can|should|would) (?:i|we|you|residents|citizens|staff)\b"
                             r"|\bhow to (?:apply|register|sign up|book|pay|get)\b"),
                  re.compile(r"申請(?:書|先)|届出|届け出|申し?込|窓口で|ホームページ|を通じて|電話|郵送")),
    # Where something is done or can be found (どこで見られる, "Where can I …"): the outline
    # names a place only for its publication channels (広報紙や市ホームページ). 「どこに書かれる」
    # and 「どこが定義した」 ask for a document or a body, not a place.
    "place": (re.compile(r"どこで|どこへ|どこから|どこに(?:行|ある|あり)|\bwhere (?:can|do|does|should|is|are|to)\b"),
              re.compile(r"ホームページ|広報|窓口|https?://|〒|住所|で(?:閲覧|公開|公表|受付|配布)")),
}
# Cues that are the end of a noun (申請期限, 回答率, 利用料金, 開催日): the whole noun is what is
# asked, so the passage must name it, not just state some date or number. They count only as the
# question's topic or object (followed by は, って, を, が or the end): 「料金の見直しは？」 asks
# about a review, not an amount.
_NOUN_CUE = re.compile(r"時期|日程|予定日|期日|期限|締切|締め切り|[\u3400-\u9fff]日$|金額|料金|費用|額|年間予算|人数|順位|面積"
                       r"|(?<![効能])率|割合|数値|数字|目標値|電話番号|url|住所|メールアドレス|連絡先")
_NOUN_CUE_END = re.compile("(?:" + _NOUN_CUE.pattern + ")$")
_RUN = re.compile(r"[\u3400-\u9fff\u30a0-\u30ffーa-z]+")
_FOCUS_AFTER = re.compile(r"^(?:は|って|を|が|も|とは|[?？]|$)")
_ASKED_PERSON = re.compile(r"([\u3400-\u9fff\u30a0-\u30ff]{2,})(?:は|って|が)(?:誰|だれ|どなた)")
# A post (本部長, 委員長, 担当者): 「本部長は誰」 asks for the post; 「進行管理は誰が行う」 asks who acts.
_POST = re.compile(r"(?:[長者員官役]|リーダー|担当|代表)$")
# A number and the thing it counts, for a count question: 「158手続」 answers 「手続はいくつ」, and the
# last of an enumeration (「基本方針Ⅳ」, NFKC 「基本方針iv」) answers 「基本方針はいくつ」.
_NUMBER = r"\d[\d,]*"
_NUMERAL_AFTER = r"(?:\d+|[ivx]+(?![a-z]))"
_ACTOR = re.compile(r"本部|委員会|職員|市民|団体|新聞社|省|国連|市長|議会")
# "Who chairs the headquarters?", "Who is the head of the committee?": the role, not a body, is
# asked, so the passage must name a post (本部長, 委員長, 市長), which the outline never does.
_ASKED_ROLE_EN = re.compile(r"\bwho (?:is|are|was|will be) (?:the )?(head|chair|chairperson|chairman|director"
                            r"|leader|president|mayor|members?)\b|\bwho (chair|head|lead|run)s\b")
_HEAD = re.compile(r"[\u3400-\u9fff]長(?![寿期])|リーダー|代表者")
_ROLE_EVIDENCE = {"head": _HEAD, "chair": _HEAD, "chairperson": _HEAD, "chairman": _HEAD, "director": _HEAD,
                  "leader": _HEAD, "president": _HEAD, "lead": _HEAD, "run": _HEAD,
                  "mayor": re.compile(r"市長"), "member": re.compile(r"委員(?!会)|メンバー|構成員")}


def _squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def asked_facts(question: str) -> list[tuple[str, str]]:
    """The kinds of fact ``question`` asks for, each with the noun it is asked of.

    Returns:
        ``(kind, noun)`` pairs: ``("date", "申請期限")`` for 「補助金の申請期限はいつ？」 (and
        ``("date", "")`` for its いつ), ``("amount", "")`` for "How much …?". Empty when the
        question asks for no such fact.
    """
    japanese = bool(_JAPANESE.search(question))
    q = _squash(question) if japanese else " ".join(unicodedata.normalize("NFKC", question).lower().split())
    out = []
    runs = list(_RUN.finditer(q)) if japanese else []
    for kind, (cue, _) in FACT_KINDS.items():
        if japanese:
            for r in runs:      # noun cues: the head (end) of a topic/object noun
                m = _NOUN_CUE_END.search(r.group(0))
                if m and cue.search(m.group(0)) and _FOCUS_AFTER.match(q[r.end():]):
                    # A bare short cue (割合, 金額, 人数) of a kind whose evidence names its unit (4割, 円,
                    # 人) is only the kind asked; a compound (回答率, 申請期限, 年間予算) names the noun.
                    bare = r.group(0) == m.group(0) and len(m.group(0)) <= 2 and kind in _UNIT_KINDS
                    noun = "" if bare else r.group(0)
                    if (kind, noun) not in out:
                        out.append((kind, noun))
            for m in cue.finditer(q):   # question words: いつ, いくら, 何人, 誰 …
                if not _NOUN_CUE.fullmatch(m.group(0)) and (kind == "frequency" or not m.group(0).endswith("日")) \
                        and (kind, "") not in out:
                    out.append((kind, ""))
        elif cue.search(q):
            out.append((kind, ""))
    return out


_UNIT_KINDS = ("rate", "amount", "head count")
_COUNTED = re.compile(r"([\u3400-\u9fff\u30a0-\u30ffa-z]{2,})(?:は|が|って|を)?(?:全部で|全部|合計で?)?"
                      r"(?:いくつ|幾つ|何個|何件|何つ|何項目)")


def _counted_list(question: str, top: Sequence["Hit"],
                  sections: "Callable[[], Sequence[str]]" = lambda: ()) -> tuple[int, int, tuple[str, ...]]:
    """For a count question, the passage that answers it and the number of items it lists.

    The first passage that names the thing counted (「目標はいくつ」: 目標, in its text or heading)
    and either lists items (:func:`bot.decision.listed_items`, counted) or gives a number is
    cited; a passage that gives some other count (「四つの要素」) is not. Without such a passage,
    the first is cited as usual.

    When no top passage lists them but the document has numbered headings named for the thing
    counted (「改革１」「改革２」「改革３」, each its own section, in ``sections()``, the breadcrumbs
    of the document's chunks), those are counted and returned, to be shown with the count.

    Returns:
        ``(items listed, index of the passage to cite, headings counted)``; 0 items when a
        number is given.
    """
    m = _COUNTED.search(_squash(question))
    counted = m.group(1) if m else ""
    for i, h in enumerate(top):
        if counted and counted not in _squash(h.chunk.section + h.chunk.text):
            continue
        items = listed_items(h.chunk.text)
        if len(items) >= 2 and _lists_the_counted(counted, items, h.chunk.section):
            return len(items), i, ()
        if states_fact("count", h.chunk.text, question, counted=False) and (
                not counted or _counts_asked_thing(_squash(h.chunk.text), question)):
            return 0, i, ()
    if counted:
        headings = _numbered_headings(counted, sections())
        if headings:
            cited = next((i for i, h in enumerate(top) if any(x in h.chunk.section for x in headings)), 0)
            return len(headings), cited, headings
        return 0, 0, ()
    if states_fact("count", top[0].chunk.text, question, counted=False):
        return 0, 0, ()
    return len(listed_items(top[0].chunk.text)), 0, ()


def _numbered_headings(counted: str, sections: Sequence[str]) -> tuple[str, ...]:
    """The headings 「<counted>１ …」, 「<counted>２ …」 … of ``sections`` (breadcrumbs), numbered
    1, 2, 3 … without a gap (at least two), as written."""
    by_number: dict[int, str] = {}
    for breadcrumb in sections:
        for part in breadcrumb.split(" › "):
            line = part.strip()
            m = re.match(re.escape(counted) + r"([0-9]{1,2}|[ivx]{1,4}(?![a-z]))(?![0-9])", _squash(line))
            if m:
                n = _item_number(m.group(1))
                if n is not None:
                    by_number.setdefault(n, line)
    out = []
    while len(out) + 1 in by_number:
        out.append(by_number[len(out) + 1])
    return tuple(out) if len(out) >= 2 else ()


def _lists_the_counted(counted: str, items: Sequence[str], section: str) -> bool:
    """Whether ``items`` are the things counted: they name them (「目標１ …」), or they sit
    right under a heading named for them (「第２節 取組方針」: （１）…（５）), not under one
    numbered item of them (「目標１ … › （１）…（２）」 lists one goal's measures)."""
    if not counted:
        return True
    if any(counted in _squash(line) for line in items):
        return True
    heading = _squash(section.split(" › ")[-1])
    at = heading.find(counted)
    return at >= 0 and not re.match(r"[0-9０-９ⅰ-ⅻⅠ-Ⅻivx]", heading[at + len(counted):at + len(counted) + 1])


def _counts_asked_thing(text: str, question: str) -> bool:
    """Whether ``text`` (squashed) numbers a thing the question names: 「158手続」, 「基本方針iv」."""
    for r in _RUN.finditer(_squash(question)):
        word = r.group(0)
        if len(word) < 2 or "何" in word:
            continue
        if re.search(rf"{_NUMBER}の?{re.escape(word)}|{re.escape(word)}{_NUMERAL_AFTER}", text):
            return True
    return False


def states_fact(kind: str, passage: str, question: str = "", noun: str = "", lexicon=None,
                heading: str = "", *, counted: bool = True) -> bool:
    """Whether ``passage`` states a fact of ``kind`` (about ``noun``, when given).

    A person question is answered by a passage naming an actor (本部, 委員会 …); when the question
    names the role it asks about (「本部長は誰」), the passage must name that role. A ``noun``
    (申請期限, 回答率) must occur in the passage or its ``heading`` (breadcrumb), itself or as its
    outline term (:mod:`index.lexicon`: 徴収率 -> 収納率). The fact itself must be in the passage
    text: breadcrumbs carry numbering (「５ 第３次…」, 「(2)」) that is no date or count.
    """
    text = _squash(passage)
    if noun:
        names = {noun}
        if lexicon is not None:
            names |= {_squash(t) for m in lexicon.matches(noun) if m.start == 0 and m.end == len(noun) for t in m.terms}
        where = _squash(heading) + text
        if not any(n in where for n in names):
            return False
    if kind == "person":
        role = _ASKED_PERSON.search(_squash(question))
        if role and _POST.search(role.group(1)):
            return role.group(1)[-3:] in text
        english_role = _ASKED_ROLE_EN.search(question.lower())
        if english_role:
            role_word = english_role.group(1) or english_role.group(2)
            return bool(_ROLE_EVIDENCE[role_word.rstrip("s")].search(text))
        return bool(_ACTOR.search(text))
    text += _sentence_heading(heading)
    if kind == "count" and question and _counts_asked_thing(text, question):
        return True
    # A list answers a count question by its items (目標１ … 目標４, （１）…（５）, ア イ ウ).
    if kind == "count" and counted and len(listed_items(passage)) >= 2:
        return True
    return bool(FACT_KINDS[kind][1].search(text))


_LEADING_LABEL = re.compile(r"^\s*(?:[（(][^）)]{1,4}[）)]|[0-9０-９]{1,3}[.．]?|[一二三四五六七八九十]{1,3}|[ア-ンｱ-ﾝ]|"
                            r"[①-⑳]|第[0-9０-９一二三四五六七八九十]{1,3}[章節項部])\s+")
SENTENCE_HEADING = 20    # characters after its label: a "heading" this long is a numbered sentence


def _sentence_heading(heading: str) -> str:
    """The last heading of a breadcrumb when it is a numbered sentence (「（三） 評価の結果は、毎年
    ９月に…取りまとめ」 — the layout numbers sentences like headings), squashed; else "". A short
    heading's numbers (「５ 第３次…」, 「(2)」) are numbering, not facts."""
    last = heading.split(" › ")[-1] if heading else ""
    body = _LEADING_LABEL.sub("", last, count=1)
    if body == last or len(body) < SENTENCE_HEADING or not re.search(r"[、。]", body):
        return ""
    return _squash(body)


_ERA = {"令和": 2018, "平成": 1988, "昭和": 1925}
_ERA_YEAR = re.compile(r"(令和|平成|昭和)(元|\d{1,2})(?:\(\d{4}\))?年")
_WESTERN_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")
_RANGE = re.compile(r"(令和|平成|昭和)(元|\d{1,2})年度?(?:\(\d{4}\))?から(?:(令和|平成|昭和))?(元|\d{1,2})年度?まで")


def _years(text: str) -> set[int]:
    out = {_ERA[e] + (1 if n == "元" else int(n)) for e, n in _ERA_YEAR.findall(text)}
    out |= {int(y) for y in _WESTERN_YEAR.findall(text)}
    return out


def unknown_years(question: str, corpus_text: str) -> list[str]:
    """Years the question names (令和９年度, 2027) that the outline neither names nor covers
    with a period (「令和３年度から令和８年度まで」 covers 令和４年度).

    Args:
        question: the question.
        corpus_text: the outline's text, NFKC, without whitespace.
    """
    q = "".join(unicodedata.normalize("NFKC", question).split(" "))
    asked = _years(q)
    if not asked:
        return []
    known = _years(corpus_text)
    for e1, n1, e2, n2 in _RANGE.findall(corpus_text):
        a = _ERA[e1] + (1 if n1 == "元" else int(n1))
        b = _ERA[e2 or e1] + (1 if n2 == "元" else int(n2))
        known |= set(range(a, b + 1))
    return [str(y) for y in sorted(asked - known)]


def unknown_items(question: str, corpus_text: str, lexicon=None) -> list[str]:
    """Numbered items and years the question names that the outline does not (see
    :func:`unknown_ordinals`, :func:`unknown_years`).

    An item is unknown only when neither the question's own words nor the outline's words for them
    (``lexicon``) name it: 「第６次行革」 is the outline's 第６次行政改革, and 「第２次プラン」 stays a
    プラン when the document says プラン.
    """
    unknown = unknown_ordinals(question, corpus_text)
    if unknown and lexicon is not None and _JAPANESE.search(question):
        unknown = unknown_ordinals(lexicon.rewrite(question), corpus_text) and unknown
    return unknown + unknown_years(question, corpus_text)


_ORDINAL = re.compile(r"第([0-9]+)([次期回号章条])")
_NOUN_AFTER = re.compile(r"^[・、\s]*(?:第[0-9]+[次期回号章条][・、\s]*)*([\u3400-\u9fff\u30a0-\u30ffA-Za-z]{2,})")
ORDINAL_WINDOW = 10
LIST_WINDOW = 40      # 「実施計画第1期:3年間(令和3年度から令和5年度まで)第2期」 is 31 characters


def unknown_ordinals(question: str, corpus_text: str) -> list[str]:
    """Numbered items of the question (「第9次行政改革」) that the outline never names.

    An ordinal counts as known when the outline has the same ``第N次``/``第N期`` followed within
    :data:`ORDINAL_WINDOW` characters by the word that follows it in the question (its head
    noun: 行政改革, 実施計画, 大綱), or directly preceded by it, as a label (「実施計画 第１期」),
    or when it is a later item of such a labelled list (「実施計画 第１期：… 第２期：…」: the
    label stands before the first item only; the list must be within :data:`LIST_WINDOW`).

    Args:
        question: the question.
        corpus_text: the outline's text, NFKC, without whitespace.

    Returns:
        The unknown items as written in the (NFKC) question.
    """
    q = "".join(unicodedata.normalize("NFKC", question).split())
    unknown = []
    for m in _ORDINAL.finditer(q):
        ordinal = m.group(0)
        noun_m = _NOUN_AFTER.match(q[m.end():])
        positions = [i.start() for i in re.finditer(re.escape(ordinal), corpus_text)]
        if not positions:
            unknown.append(ordinal)
            continue
        if not noun_m:
            continue
        noun = noun_m.group(1)[:4]      # the head of the following compound is enough
        w = ORDINAL_WINDOW
        labelled = [s.start() for s in re.finditer(r"第[0-9]+" + re.escape(m.group(2)), corpus_text)
                    if corpus_text[max(0, s.start() - 2 - len(noun)): s.start()].find(noun) >= 0]
        if not any(noun in corpus_text[p + len(ordinal): p + len(ordinal) + w + len(noun)]
                   or any(0 <= p - s <= LIST_WINDOW for s in labelled) for p in positions):
            unknown.append(ordinal + noun_m.group(1))
    return unknown


def compose(question: str, retriever: "Retriever", k: int = 3, history: Sequence[str] = (),
            thresholds: Thresholds = THRESHOLDS, *, current: str | None = None,
            not_sections: frozenset[str] = frozenset(), structured: bool = True) -> Answer:
    """Answer ``question`` with passages quoted from the outline.

    Args:
        question: the user's question (Japanese or English).
        retriever: a loaded :class:`~index.retriever.Retriever`.
        k: number of sources to return.
        history: earlier questions of the conversation, oldest first; a follow-up is read with
            them (:func:`bot.conversation.read_follow_up`: 「その期間は？」, 「第２期は？」); the
            quoted question stays the user's own. The service reads follow-ups itself.
        thresholds: the found/not-found rule.
        current: the admin's choice of current document (``reformbot index current-document``);
            None or an id the index does not hold: the newest document.
        not_sections: breadcrumbs whose passages are left out (a follow-up that asks something
            new about the previous answer's topic is not answered by that passage again).
        structured: reshape the answer by the document's structure (:mod:`bot.structure`: named
            items, whole lists, comparisons, two-part questions); False for the passage answer only.

    Returns:
        The :class:`Answer`: ``answer`` quotes the top passage when ``found``; ``sources`` are the
        ``k`` best passages with breadcrumb, page, score, kind, id and document; ``glossary``
        defines the glossary terms named in the quoted passage(s), each in its own document;
        ``other_sources`` the passages of other documents that answer the question too (only for
        a question that names no document).
    """
    from bot.conversation import read_follow_up

    query = read_follow_up(question, history).searched if history else question
    n = max(k, thresholds.passages)
    documents = tuple(getattr(retriever, "documents", ()))
    others: list[str] = []
    scope = documents[0] if documents else None
    if len(documents) < 2:
        searched = query
        hits = [h for h in retriever.search(query, k=n + len(not_sections))
                if h.chunk.section not in not_sections][:n]
        decision = decide(query, hits, retriever, thresholds)
    else:
        from index.documents import choose, current_document

        now = current_document(documents, current)
        named = retriever.named_documents(query, now.id)
        scope = retriever.find_document(choose(named, now.id, documents))
        # 「新しい大綱の…」, 「みどり市のプランの…」: 新しい and みどり市 chose the document; they are not the topic.
        searched = retriever.without_document_names(query, now.id)
        # Only a question that names no document is also put to the others.
        others = [] if named else [d.id for d in documents if d.id != scope.id]
        found_in = retriever.search_each(searched, n, [scope.id, *others])
        hits = [h for h in found_in[scope.id] if h.chunk.section not in not_sections]
        decision = _decide_in(scope.id, query, searched, hits, retriever, thresholds)
    sources = tuple(_source(h, h.rank, retriever) for h in hits[:k])
    other_sources: list[Source] = []
    for doc_id in others:
        theirs = found_in[doc_id]
        if theirs and _decide_in(doc_id, query, searched, theirs, retriever, thresholds).found:
            other_sources.append(_source(theirs[0], len(other_sources) + 1, retriever))
    answer_text = ""
    notes: tuple[GlossaryNote, ...] = ()
    if decision.found:
        quoted = [hits[decision.cited]]
        answer_text = quote(quoted[0].chunk)
        if decision.listed:
            answer_text += "\n" + count_note(decision.listed, decision.headings)
        notes = glossary_notes(quoted + list(hits[1:k]), retriever, quoted=quoted[0].chunk)
    plain = Answer(
        question=question, found=decision.found, answer=answer_text, sources=sources,
        glossary=notes, index_version=retriever.version,
        document=_ref(scope), documents=tuple(_ref(d) for d in documents),
        other_sources=tuple(other_sources),
        meta={"coverage": round(decision.coverage, 4), "dense": round(decision.dense, 4),
              "reason": decision.reason, "query": searched,
              **({"document": scope.id} if len(documents) > 1 else {})},
    )
    return _shaped(plain, question, retriever, k, thresholds, current, structured)


def _shaped(answer: Answer, question: str, retriever: "Retriever", k: int, thresholds: Thresholds,
            current: str | None, structured: bool) -> Answer:
    """The structure step (:mod:`bot.structure`) and the exact line (:mod:`bot.highlight`).

    Either step failing on an unforeseen document leaves the passage answer as it was (logged):
    a shaping step never costs the staff member the answer itself."""
    import logging
    from dataclasses import replace

    from bot.highlight import finish

    plain = answer
    if structured:
        from bot.structure import reshape

        try:
            # A part of a two-part question is a question of its own (named items included).
            answer = reshape(answer, question, retriever,
                             lambda part: compose(part, retriever, k, thresholds=thresholds, current=current),
                             k, facts=_facts_with_evidence)
        except Exception:
            logging.getLogger(__name__).exception("structure step failed for %r; passage answer kept", question)
            answer = plain
    try:
        return finish(answer, question, retriever, facts=_facts_with_evidence)
    except Exception:
        logging.getLogger(__name__).exception("highlight failed for %r; answer without it", question)
        return replace(answer, highlight="")


def _facts_with_evidence(question: str) -> list[tuple[str, "re.Pattern | None"]]:
    """(kind, evidence) of each kind of fact ``question`` asks for (:func:`asked_facts`)."""
    return [(kind, FACT_KINDS[kind][1]) for kind, _ in dict.fromkeys(asked_facts(question))]


def _decide_in(document: str, question: str, searched: str, hits: Sequence["Hit"], retriever: "Retriever",
               thresholds: Thresholds) -> Decision:
    """:func:`decide` for one of several documents: numbered items and years count as known only
    when that document names them (「第１期実施計画」 is not in a plan that has no 実施計画), checked
    on the question as asked; the rest on the question as searched (without the words that only
    named the document)."""
    text = retriever.corpus_text_of(document)
    unknown = unknown_items(question, text, retriever.lexicon)
    if unknown:
        return Decision(False, 0.0, 0.0, False, f"the document does not mention {unknown[0]}")
    return decide(searched, hits, retriever, thresholds, corpus_text=text, document=document)


def _ref(document) -> DocumentRef | None:
    return DocumentRef(id=document.id, title=document.title) if document is not None else None


def _source(hit: "Hit", rank: int, retriever: "Retriever") -> Source:
    """A hit as a cited passage, with its document and its page as the document prints it."""
    c = hit.chunk
    document_of = getattr(retriever, "document_of", None)
    doc = document_of(c) if document_of else None
    return Source(rank=rank, text=c.text, section=c.section, page=c.page, score=round(hit.score, 4),
                  kind=c.kind, id=c.id, document=_ref(doc),
                  page_label=doc.cite_page(c.page) if doc is not None else "")


def quote(chunk) -> str:
    """The passage as quoted in ``answer``: its text, and for a glossary entry its heading first
    (「※3 ＰＦＩ（Private Finance Initiative の略）」 answers "What does PFI stand for?")."""
    if chunk.kind == "glossary" and chunk.section:
        heading = chunk.section.split(" › ")[-1]
        return f"{heading}\n{chunk.text}"
    return chunk.text


def glossary_notes(hits: Sequence["Hit"], retriever: "Retriever", limit: int = 5,
                   quoted=None) -> tuple[GlossaryNote, ...]:
    """Definitions of the glossary terms named (or ※-referenced) in the cited passages, in order.

    Each passage's terms and ※N are looked up in its own document's glossary. The entry quoted
    as the answer itself does not get a note repeating it.
    """
    cited_entries = ({(quoted.document, quoted.section_id or quoted.id)}
                     if quoted is not None and quoted.kind == "glossary" else set())
    seen: dict[tuple[str, str], GlossaryNote] = {}
    for h in hits:
        doc = h.chunk.document
        entries = [e for e, _ in retriever.glossary_for(doc).find(h.chunk.text)]
        entries += [e for e in (retriever.glossary_entry(r, doc) for r in h.chunk.glossary_refs) if e]
        for e in entries:
            if (doc, e.id) in seen or (doc, e.id) in cited_entries:
                continue
            seen[(doc, e.id)] = GlossaryNote(term=e.term, definition=e.definition)
    return tuple(seen.values())[:limit]
