"""Chat phrasing around a question: what to search when staff wrap it in workplace talk.

「お疲れ様です。BCPって何ですか？よろしくお願いします :pray:」, 「<@U123> さんに聞かれたのですが、
BCPって何ですか？」 and "Hi team, what does PFI stand for? Thanks in advance" ask the same as the
bare question. :func:`read_message` takes the message apart into sentences and clauses and keeps
the ones that carry the question:

* Slack markup goes: user, channel and group mentions (``<@U…>``, ``<#C…|general>``,
  ``<!here>``), links (``<https://…|label>`` keeps its label when it is words, bare URLs go),
  emoji shortcodes (``:pray:``) and Unicode emoji.
* Social formulas go: a clause made only of the general business-chat formulas of
  ``chat_formulas.txt`` (greetings, preambles, sign-offs; an admin-editable data file), and such a
  formula at the start or end of a clause (「至急 BCPとは？」).
* Reported-speech preambles go: 「田中さんに聞かれたのですが、Y」 keeps Y, 「田中さんにYと聞かれた
  のですが」 keeps Y, and a clause that only addresses someone (「田中さん、」) goes.
* When some sentences ask (a question mark, an interrogative, a question ending) and others do
  not, the asking ones are kept, with those that name words the indexed documents know (the
  service passes ``known``): 「業務継続計画の件です。いつ見直しますか？」 keeps both.

A pure module: no index, no settings; the service calls it on the shared path.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

FORMULAS_FILE = Path(__file__).resolve().parent / "chat_formulas.txt"

# Slack markup (https://api.slack.com/reference/surfaces/formatting).
_SLACK_USER = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_CHANNEL = re.compile(r"<#C[A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_SPECIAL = re.compile(r"<![^>]*>")
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>]*)(?:\|([^>]*))?>")
_BARE_URL = re.compile(r"(?:https?://|www\.)[^\s<>「」、。]+")
_SHORTCODE = re.compile(r":[a-z0-9_+\-']+(?:::skin-tone-[2-6])?:")
# Unicode emoji: pictographs, dingbats, flags, keycaps, joiners and selectors.
_EMOJI = re.compile(
    "[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U0001F1E6-\U0001F1FF\u2B00-\u2BFF\u2300-\u23FF"
    "\uFE0E\uFE0F\u200D\u20E3\U000E0020-\U000E007F]"
)

# Sentences end at 。！？!? (an English full stop is made a line break first), or a line break.
_STOPS = "。．！？!?"
_ENGLISH_STOP = re.compile(r"(?<=[A-Za-z0-9)])\.\s+")
_CLAUSE_BREAK = re.compile(r"[、，,：:；;]|\s+(?=[^\sA-Za-z0-9])|(?<=[^\sA-Za-z0-9])\s+")
_KANJI = re.compile(r"[\u3400-\u9fff々]")
_WORD = re.compile(r"[\u3400-\u9fff々\u30a1-\u30faー]{2,}|[A-Za-z]{2,}")
_PARTICLES = set("のはがをにとでもやへ")
_CLAUSE_END = " 　、，,：:；;・"     # cut after a clause; a question's own ？ and 。 stay
_EDGE_PUNCT = " 　、，,。．.！!？?：:；;・…〜~ー－-—\"'「」『』（）()【】[]"

# A question: a question mark, an interrogative word, or a question ending.
_INTERROGATIVE = re.compile(
    r"[?？]|何|なに|なん[でだの]|いつ|誰|だれ|どこ|どちら|どっち|どう|どの|どれ|どんな|いくら|いくつ|なぜ|何故|"
    r"(?:です|ます|でしょう|ません)か|かな$|とは$|って$|は$|って何|教えて|知りたい|"
    r"\b(?:what|when|who|whom|whose|where|which|why|how|is|are|does|do|did|can|could|will|should)\b",
    re.IGNORECASE,
)
# 「Xさんに聞かれたのですが」, 「Xさんから『Y』と質問されまして」: someone else's question being passed on.
_REPORTED = re.compile(
    r"(?:聞か|訊か|尋ねら|問わ|質問さ|問い合わせら|頼ま|言わ|確認さ|相談さ|依頼さ)れ"
    r"(?:た|まし(?:た|て)|て)(?:ん|の)?(?:です|だ)?(?:が|けど|けれど|けれども|ので|から)?$"
)
# "Tanaka asked me:", "a resident was asking" (the question follows).
_REPORTED_EN = re.compile(r"\b(?:asked(?: me| us)?|was asking|is asking|wants to know|wanted to know|was wondering)$",
                          re.IGNORECASE)
_ASKER = re.compile(
    r"^[^、。]{0,12}?(?:さん|様|さま|くん|君|ちゃん|氏|課長|部長|係長|主任|室長|所長|市長|局長|議員|先輩|"
    r"上司|同僚|市民|住民|お客様|お客さん|窓口|の方|方)?(?:に|から|より|経由で)"
)
_QUOTE_END = re.compile(r"(?:って|と)$")
# A closing aside in brackets that asks nothing (「（窓口で聞かれて困ってます）」): context, not the
# question. Short brackets are item numbers or notes (「(3)」, 「（注1）」) and stay.
_ASIDE = re.compile(r"\s*[（(](?=[^）)]*[\u3040-\u309f])[^（）()?？]{4,60}[）)][\s。.!！]*$")
# 「市民の方から電話で問い合わせがあって」, 「窓口で相談を受けまして」: how the question reached the
# asker, said before it (the question itself follows).
_OCCASION = re.compile(
    r"(?:問い合わせ|問合せ|お問い合わせ|質問|相談|電話|連絡|照会|依頼|苦情|要望)(?:が|を)"
    r"(?:あっ|あり|受け|もらっ|いただき|頂き)(?:て|まして|ました|たので|ましたので|たのですが|たんですが)$"
)
# 「田中さん、」, 「課長、」, 「皆様、」: a clause that only addresses someone (a name has no の in it).
_VOCATIVE = re.compile(r"^(?:[^、。\sの]{1,6}(?:さん|様|さま|くん|君|ちゃん)|(?:[^、。\sの]{1,6})?(?:各位|皆さん|皆様|みなさん|みなさま)|"
                       r"課長|部長|係長|主任|室長|所長|局長|先輩)$")
# Discourse markers that start a new topic: what follows is asked on its own (bot/conversation.py).
_NEW_TOPIC = re.compile(r"^(?:ところで|それはそうと|話は変わりますが|話は変わって|別件(?:です|ですが|で)?|"
                        r"(?:by the way|btw|another question)\b)", re.IGNORECASE)


@dataclass(frozen=True)
class ChatMessage:
    """A chat message read for its question.

    Attributes:
        text: the message as typed (mentions and all).
        question: what to search: the question without the chat phrasing around it; the cleaned
            message itself when nothing else is left (a bare 「ありがとう」 stays what it is).
        new_topic: the message opens with a topic change (「ところで」, "by the way").
        social_only: the message is only social formulas (a thank-you, a greeting): no question.
    """

    text: str
    question: str
    new_topic: bool = False
    social_only: bool = False


@lru_cache(maxsize=4)
def formulas(path: Path = FORMULAS_FILE) -> tuple[str, ...]:
    """The social formulas of ``path``, normalised (:func:`_norm`), longest first."""
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.add(_norm(line))
    return tuple(sorted(out, key=len, reverse=True))


def _norm(text: str) -> str:
    """NFKC, lower case, without spaces and punctuation: how formulas are compared."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch)[0] in "PSZ"))


def strip_markup(text: str) -> str:
    """The message without Slack mentions, links' URLs, emoji and other markup."""
    text = _SLACK_USER.sub(" ", text)
    text = _SLACK_CHANNEL.sub(" ", text)
    text = _SLACK_SPECIAL.sub(" ", text)

    def link(m: re.Match) -> str:
        label = (m.group(2) or "").strip()
        # A link's words stand apart from the question they follow or precede.
        return f"\n{label}\n" if label and not _BARE_URL.fullmatch(label) else " "

    text = _SLACK_LINK.sub(link, text)
    text = _BARE_URL.sub(" ", text)
    text = _SHORTCODE.sub(" ", text)
    text = _EMOJI.sub(" ", text)
    text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _only_formulas(norm: str) -> bool:
    """Whether ``norm`` (normalised) is made of social formulas only (greedy longest match)."""
    if not norm:
        return True
    known = formulas()
    i = 0
    while i < len(norm):
        for f in known:
            if f and norm.startswith(f, i):
                i += len(f)
                break
        else:
            return False
    return True


def _strip_edges(clause: str) -> str:
    """``clause`` without social formulas at its start or end (「至急BCPとは？」 -> 「BCPとは？」).

    A formula is cut only where the clause then goes on (or stops) at a word edge, so a word that
    begins like a formula is left whole.
    """
    changed = True
    while changed and clause:
        changed = False
        norm_clause = _norm(clause)
        # Longest formula first; once one matches but is part of a word (「お疲れ様の…」), a shorter
        # one (「お疲れ」) at the same edge is not tried.
        prefix_open = suffix_open = True
        for f in formulas():
            if not f or len(f) >= len(norm_clause):
                continue
            cut = _cut_prefix(clause, f) if prefix_open else None
            if cut is False:
                prefix_open = False
            elif cut is not None:
                clause, changed = cut, True
                break
            cut = _cut_suffix(clause, f) if suffix_open else None
            if cut is False:
                suffix_open = False
            elif cut is not None:
                clause, changed = cut, True
                break
    rest = clause.lstrip(_EDGE_PUNCT)
    # A numbered item that opens the question (「(3)の取組は？」, 「（ｱ）は？」) keeps its bracket.
    start = len(clause) - len(rest)
    if start and clause[start - 1] in "(（" and _BRACKETED_NUMBER.match(rest):
        rest = clause[start - 1:]
    return rest.rstrip(_CLAUSE_END + "（(【[「『")


_BRACKETED_NUMBER = re.compile(r"[0-9０-９a-zａ-ｚア-ンｱ-ﾝ一二三四五六七八九十]{1,3}[)）]")


def _cut_prefix(clause: str, formula: str) -> str | None | bool:
    """``clause`` without the leading ``formula`` (compared normalised); None when it does not
    start with it; False when it does but the formula is part of a word there."""
    seen = ""
    for i, ch in enumerate(clause):
        seen += _norm(ch)
        if seen == formula:
            rest = clause[i + 1:]
            if not rest.strip(_EDGE_PUNCT):
                return None
            # An English formula must end at a word edge: "hi" is not the start of "history".
            if formula[-1].isascii() and formula[-1].isalnum() and rest[:1].isascii() and rest[:1].isalnum():
                return False
            # A formula used as a noun (「お疲れ様の言い方は？」) is part of the question.
            if rest[:1] in _PARTICLES or (_KANJI.match(clause[i]) and _KANJI.match(rest[:1])):
                return False
            return rest.lstrip(_EDGE_PUNCT)
        if not formula.startswith(seen):
            return None
    return None


def _cut_suffix(clause: str, formula: str) -> str | None | bool:
    """``clause`` without the trailing ``formula`` (compared normalised, end punctuation aside);
    None when it does not end with it; False when it does but is part of a word there."""
    body = clause.rstrip(_EDGE_PUNCT)
    seen = ""
    for i in range(len(body) - 1, -1, -1):
        seen = _norm(body[i]) + seen
        if seen == formula:
            rest = body[:i]
            if not rest.strip(_EDGE_PUNCT):
                return None
            if formula[0].isascii() and formula[0].isalnum() and rest[-1:].isascii() and rest[-1:].isalnum():
                return False
            # Only after a question ends: 「BCPとは？よろしく」, not 「…の説明をお願いします」's お願いします.
            if not _INTERROGATIVE.search(rest.rstrip(" 　、，,")):
                return None
            return rest
        if not formula.endswith(seen):
            return None
    return None


def _reported(clause: str) -> str | None:
    """For a reported-speech preamble, the question it passes on ("" when it names none); else None.

    「田中さんに聞かれたのですが」 -> "", 「田中さんにBCPって何か聞かれたのですが」 -> 「BCPって何か」.
    """
    clause = clause.strip(_EDGE_PUNCT.replace("」", "").replace("』", ""))
    if _REPORTED_EN.search(clause):
        return ""
    if _OCCASION.search(clause):
        return ""
    m = _REPORTED.search(clause)
    if not m:
        return None
    before = clause[:m.start()].strip()
    asker = _ASKER.match(before)
    if asker:
        before = before[asker.end():]
    before = _QUOTE_END.sub("", before.lstrip(_EDGE_PUNCT).rstrip(" 　、を"))
    before = before.strip(" 　、").strip("「」『』")
    return before


def _sentences(text: str) -> list[str]:
    """Sentences of ``text``; a quotation (「…？」) is not broken at its own question mark."""
    out, current, depth = [], "", 0
    for i, ch in enumerate(text):
        current += ch
        if ch in "「『":
            depth += 1
        elif ch in "」』":
            depth = max(0, depth - 1)
        elif depth == 0 and (ch == "\n" or (ch in _STOPS and text[i + 1:i + 2] not in _STOPS)):
            out.append(current)
            current = ""
    out.append(current)
    return [s.strip() for s in out if s.strip(_EDGE_PUNCT)]


def _clauses(sentence: str) -> list[str]:
    parts, last = [], 0
    for m in _CLAUSE_BREAK.finditer(sentence):
        parts.append(sentence[last:m.start()])
        last = m.end()
    parts.append(sentence[last:])
    return [p for p in parts if p.strip(_EDGE_PUNCT)]


def _read_sentence(sentence: str) -> str:
    """The sentence without its social and reported-speech clauses at either end ("" if nothing is left)."""
    clauses = _clauses(sentence)
    kept_from, kept_to = 0, len(clauses)
    passed_on = ""
    while kept_from < kept_to:
        c = clauses[kept_from]
        said = _reported(c)
        if _only_formulas(_norm(c)) or _VOCATIVE.match(c.strip(_EDGE_PUNCT)):
            kept_from += 1
        elif said is not None:
            passed_on = passed_on or said
            kept_from += 1
        else:
            break
    while kept_to > kept_from and _only_formulas(_norm(clauses[kept_to - 1])):
        kept_to -= 1
    if kept_from == kept_to:
        return passed_on
    if len(clauses) == 1 and clauses[0] == sentence.strip():
        body = sentence.strip()
    else:
        # Rejoin what is kept as it was written (the separators between kept clauses stay).
        start = sentence.find(clauses[kept_from])
        end_clause = clauses[kept_to - 1]
        end = sentence.find(end_clause, start) + len(end_clause)
        tail = sentence[end:]
        body = sentence[start:end] + (tail if not tail.strip(_EDGE_PUNCT) else "")
    return _strip_edges(body.strip()) or body.strip()


def asks(text: str) -> bool:
    """Whether ``text`` is phrased as a question (question mark, interrogative, question ending)."""
    return bool(_INTERROGATIVE.search(text))


def _names_known(sentence: str, known: Callable[[str], bool]) -> bool:
    """Whether a word of ``sentence`` (a run of kanji, katakana or Latin letters) is ``known``."""
    return any(known(w) for w in _WORD.findall(unicodedata.normalize("NFKC", sentence)))


def read_message(text: str, known: Callable[[str], bool] | None = None) -> ChatMessage:
    """Read a chat message for the question it asks.

    Args:
        text: the message (control characters already removed; Slack markup allowed).
        known: whether a word occurs in the indexed documents. A sentence that does not ask is
            dropped beside one that does, unless it names something the documents know
            (「業務継続計画の件です。いつ見直しますか？」 keeps both); None: dropped.

    Returns:
        A :class:`ChatMessage`; ``question`` is never empty for a non-empty message.
    """
    plain = _ASIDE.sub("", strip_markup(text or ""))
    sentences = _sentences(_ENGLISH_STOP.sub(".\n", plain))
    new_topic = False
    kept: list[str] = []
    for s in sentences:
        body = s.strip(_EDGE_PUNCT)
        if _NEW_TOPIC.match(body):
            new_topic = True
        read = _read_sentence(s)
        if read and not _only_formulas(_norm(read)):
            kept.append(read)
    asking = [s for s in kept if asks(s)]
    if asking and len(asking) < len(kept):
        kept = [s for s in kept if s in asking or (known is not None and _names_known(s, known))]
    question = " ".join(kept).strip()
    if not question:
        fallback = " ".join(plain.split()) or " ".join((text or "").split())
        return ChatMessage(text=text, question=fallback, new_topic=new_topic, social_only=bool(fallback))
    return ChatMessage(text=text, question=question, new_topic=new_topic)
