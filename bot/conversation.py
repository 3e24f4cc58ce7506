"""Follow-ups in a conversation: what a short question means after the earlier ones.

A follow-up is read with the thread's earlier turns only as far as it needs them:

* a switched numbered item (「第２期は？」 after 「第１期実施計画の期間は？」, 「基本目標３のほうは？」,
  「じゃあ３は？」): the previous question with its item swapped — labels are read from the text
  (第N期/次/章…, a word followed by a number or a Roman numeral, (N)), never from a list;
* ellipsis (「じゃあ大綱全体だと？」, 「収納率は？」): the previous question's frame with its topic
  swapped (「大綱全体の期間は？」);
* pronouns (「それって誰が点検するの？」, 「その中で…」, 「大綱ではそれをどうする？」): the pronoun
  replaced by the previous topic (or the heading of the previous answer when the question had none);
* anything with its own content and predicate (「ところでPFIとは？」, 「市税の収納率の状況は？」) is
  a new question, searched on its own.

:func:`read_follow_up` returns a :class:`Reading`: the text to search and whether the context was
used (surfaces then say 「『…』として検索しました」). Pure: no index, no settings.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Mapping, Sequence, Union

MAX_HISTORY = 10
"""Earlier turns looked at (the newest ones); older turns of a long thread do not matter."""
MAX_FOLLOW_UP_CHARS = 40
"""A follow-up that leans on the context is short; a longer message is a question of its own."""


@dataclass(frozen=True)
class Turn:
    """One earlier turn of a conversation.

    Attributes:
        question: the question as searched (or as asked).
        section: the breadcrumb of the answer's first source ("" when not answered / unknown).
    """

    question: str
    section: str = ""


HistoryItem = Union[str, Turn, Mapping]


@dataclass(frozen=True)
class Reading:
    """How a question is read in its conversation.

    Attributes:
        searched: the text to search.
        context_used: True when earlier turns changed what is searched.
        how: ``"own"``, ``"item"`` (switched item), ``"topic"`` (ellipsis), ``"pronoun"``,
            ``"within"`` (「その中で…」), ``"more"`` (「具体的には？」: the previous question and this one).
    """

    searched: str
    context_used: bool = False
    how: str = "own"
    fallbacks: tuple[str, ...] = ()
    """Further readings, in order, to search when ``searched`` finds no answer: for a pronoun,
    the question on its own words (「それって誰が点検するの？」 -> 「誰が点検するの？」); for a
    swapped topic, the noun as the attribute asked of the previous topic (「担当は？」 after
    「第１期実施計画の期間は？」 -> 「第１期実施計画の担当は？」), then the follow-up itself."""
    names: str = ""
    """An item the answer must name (「令和７年度」 added to the previous question): a passage that does
    not is not taken, and the fallbacks are tried."""
    not_section: str = ""
    """The previous answer's section, for a question that asks something new about its topic
    (「大綱ではそれをどうするって書いてある？」 after a definition): another passage answers it."""


# Discourse openers that lean on the previous turn (stripped before reading).
_OPENER = re.compile(r"^(?:じゃあ|じゃ|では|それでは|それなら|なら|で|あと|それと|それから|次に|ちなみに|"
                     r"(?:and|so|then|also|what about|how about)\b)[、,\s]*", re.IGNORECASE)
_NEW_TOPIC = re.compile(r"^(?:ところで|それはそうと|話は変わりますが|別件(?:です|ですが|で)?|by the way|btw)[、,\s]*",
                        re.IGNORECASE)
# Ellipsis endings: 「Xは？」「Xのほうは？」「Xだと？」「Xでは？」「Xも？」「Xについては？」 "X?"
_ELLIPSIS_END = re.compile(r"(?:の(?:ほう|方)|について|に関して)?(?:は|だと|では|なら|も)?(?:どう(?:ですか|でしょう|なの|なっている)?)?"
                           r"[?？。]*$")
_EN_ELLIPSIS = re.compile(r"^(?:what|how) about\s+(.+?)[?.]*$|^(?:and|also)\s+(.+?)[?.]*$", re.IGNORECASE)
# A predicate or a question word of its own: the follow-up asks something itself.
_PREDICATE = re.compile(r"何|なに|いつ|誰|だれ|どこ|どう(?!ですか$)|どの|どれ|どんな|いくら|いくつ|なぜ|"
                        r"する|した|して|され|ます|ました|ません|です(?!か?$)|ある|いる|なる|れる|たい|教えて|書いて|"
                        r"[っ]?た(?:の|か)|とは")
# A clause, not a noun phrase: a topic/subject/object particle with more after it (「計画は見直す」),
# a verb or adjective ending (「うまくいかなかった取組」, 「見直す」).
_CLAUSE = re.compile(r"[はがを](?=\S)|[っか]た|ない|[\u3400-\u9fff][るすうくつむぶぐ]$|[\u3040-\u309f]い$")
_EN_PREDICATE = re.compile(r"\b(?:what|when|who|whom|where|which|why|how|is|are|was|were|does|do|did|can|could|"
                           r"will|should|has|have|tell|explain|list)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"(?:それ|これ|あれ|そちら|こちら)(?:ら)?(?=って|は|を|が|の|に|で|と|も|[?？]|$)|"
                      r"(?:その|この|あの)")
_DEFINITION_END = re.compile(r"(?:とは|って)(?:何|なに|なん)?[?？。]*$")
_PRONOUN_PHRASE = re.compile(r"^(?:じゃあ|では|で)?[、\s]*(?:それ|これ|あれ)(?:って|は|が|を)|(?:その|この)(?:中|うち|なか)(?:で|の|に|では)?")
_CONTAINMENT = re.compile(r"^(?:その|この)(?:中|うち|なか)(?:で|の|に|では|から)?")
_EN_PRONOUN = re.compile(r"\b(?:it|that|this|they|them|its)\b", re.IGNORECASE)
_MORE = re.compile(r"^(?:具体的|詳しく|詳細|他|ほか|例え|もっと|more|details?|for example|specifically)", re.IGNORECASE)

# Numbered labels, read from the text: 第２期 / 第３次 / 第１章, 基本目標３ / 基本方針Ⅳ, (3) / （ｲ）.
_NUM = r"[0-9０-９一二三四五六七八九十]+"
_ROMAN = r"[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹ]+"
_LABEL = re.compile(
    rf"第(?P<n1>{_NUM})(?P<unit>[次期回号章条節項部編])"
    rf"|(?P<word>[\u3400-\u9fff\u30a0-\u30ffA-Za-z]{{2,8}}?)\s*(?P<n2>[0-9０-９]+|{_ROMAN})(?![0-9０-９年月日%％])"
    rf"|[（(](?P<n3>[0-9０-９]+|[ｱ-ﾝア-ン]|[a-zA-Z])[）)]"
    rf"|(?<![第0-9０-９])(?P<n4>[0-9０-９]+)(?P<unit4>[次期回章])(?![間0-9０-９])"
)
_YEAR = re.compile(r"(?:令和|平成|昭和)?[0-9０-９元]+年度?|(?:19|20)[0-9]{2}年?度?|FY ?[0-9]{2,4}", re.IGNORECASE)
_BARE_NUMBER = re.compile(rf"^(?:{_NUM}|{_ROMAN}|[ｱ-ﾝア-ン])(?:つ目|番目|番)?$")
# The topic of a question: what comes before its topic/question particle.
_TOPIC_END = re.compile(r"(?:って|とは|については|について|は|を|が|の意味|で)")
_EN_TOPIC = re.compile(r"\b[A-Z][A-Z0-9&]{1,9}s?\b")


def _turn(item: HistoryItem) -> Turn:
    if isinstance(item, Turn):
        return item
    if isinstance(item, Mapping):
        return Turn(question=str(item.get("question") or item.get("searched") or ""),
                    section=str(item.get("section") or ""))
    return Turn(question=str(item))


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _core(question: str) -> str:
    """The follow-up without its opener and ellipsis ending (「じゃあ大綱全体だと？」 -> 「大綱全体」)."""
    q = question.strip()
    q = _OPENER.sub("", q).strip()
    m = _EN_ELLIPSIS.match(q)
    if m:
        return (m.group(1) or m.group(2) or "").strip()
    return _ELLIPSIS_END.sub("", q).strip(" 　、,")


def _labels(text: str) -> list[tuple[int, int, str, str]]:
    """``(start, end, kind, number)`` of each numbered label of ``text``."""
    out = []
    for m in _LABEL.finditer(text):
        if m.group("n1"):
            out.append((m.start(), m.end(), "第" + m.group("unit"), m.group("n1")))
        elif m.group("n2"):
            out.append((m.start(), m.end(), m.group("word"), m.group("n2")))
        elif m.group("n4"):         # 「２期」: the same item as 「第２期」
            out.append((m.start(), m.end(), "第" + m.group("unit4"), m.group("n4")))
        else:
            out.append((m.start(), m.end(), "()", m.group("n3")))
    return out


def _swap_item(core: str, previous: str) -> str | None:
    """The previous question with its item swapped for the one ``core`` names, or None.

    「第２期」 + 「第１期実施計画の期間は？」 -> 「第２期実施計画の期間は？」; 「３」 + 「基本目標２は？」 ->
    「基本目標３は？」. Only a label of the same kind (same unit, same word) is swapped.
    """
    mine = _labels(core)
    theirs = _labels(previous)
    if not theirs:
        return None
    if len(mine) == 1 and core[mine[0][0]:mine[0][1]] == core:
        _, _, kind, number = mine[0]
        for start, end, their_kind, old in theirs:
            if _nfkc(their_kind) == _nfkc(kind):
                text = previous[start:end]      # the previous label with the new number (第２期 for 「２期」)
                i = text.rfind(old)
                return previous[:start] + text[:i] + number + text[i + len(old):] + previous[end:]
        return None
    if _BARE_NUMBER.match(core):
        number = re.sub(r"(?:つ目|番目|番)$", "", core)
        start, end, kind, old = theirs[0]
        text = previous[start:end]
        i = text.rfind(old)
        return previous[:start] + text[:i] + number + text[i + len(old):] + previous[end:]
    return None


def _new_label(swapped: str, previous: str) -> str:
    """The label of ``swapped`` that ``previous`` does not have (the item swapped in)."""
    before = {swapped_text for swapped_text in (previous[a:b] for a, b, _, _ in _labels(previous))}
    for start, end, _, _ in _labels(swapped):
        if swapped[start:end] not in before:
            return swapped[start:end]
    return ""


def topic(question: str) -> tuple[str, str]:
    """``(topic, rest)`` of a question: 「第１期実施計画の期間は？」 -> (「第１期実施計画」, 「の期間は？」),
    「BCPって何ですか」 -> (「BCP」, 「って何ですか」). ``("", question)`` when none is found."""
    q = question.strip()
    if not re.search(r"[\u3040-\u30ff\u3400-\u9fff]", q):
        m = list(_EN_TOPIC.finditer(q))
        if m:
            return q[m[-1].start():m[-1].end()], q
        return "", q
    m = _TOPIC_END.search(q)
    if not m or m.start() == 0:
        return "", q
    phrase = q[:m.start()]
    # 「AのB」: A is the topic, B the attribute asked (期間, 目標, 成果 …).
    if "の" in phrase:
        head, _, attribute = phrase.rpartition("の")
        if head and attribute:
            return head, q[len(head):]
    return phrase, q[len(phrase):]


def _swap_topic(core: str, previous: str) -> str | None:
    """The previous question's frame with ``core`` as its topic: 「大綱全体」 + 「第１期実施計画の
    期間は？」 -> 「大綱全体の期間は？」; an English acronym swaps for the previous one."""
    old, rest = topic(previous)
    if not old:
        return None
    if rest is previous:           # English: the acronym in place
        i = previous.rfind(old)
        return previous[:i] + core + previous[i + len(old):]
    return core + rest


def _heading(section: str) -> str:
    """The last heading of a breadcrumb without its numbering (「ウ 基本目標３ 市民…」 -> 「基本目標３ 市民…」)."""
    last = section.split(" › ")[-1].strip()
    return re.sub(r"^(?:[（(][^）)]{1,3}[）)]|[0-9０-９ａ-ｚア-ンｱ-ﾝ一二三四五六七八九十]{1,2}(?:[－\-.．][0-9０-９]+)?)\s*",
                  "", last).strip()


_QUESTION_WORDS = re.compile(r"何[年月日人件回個つ]?[間目]?|なに|いつ|誰|だれ|どこ|どの|どれ|どう|どんな|いくら|いくつ|なぜ|何故|"
                             r"\b(?:what|when|who|whom|where|which|why|how|long|much|many|and|about|is|are|the|it)\b",
                             re.IGNORECASE)


def _has_content(text: str) -> bool:
    """Whether ``text`` names something (a kanji, katakana or Latin word other than a question word)."""
    rest = _QUESTION_WORDS.sub("", _nfkc(text))
    return bool(re.search(r"[\u3400-\u9fff\u30a1-\u30faA-Za-z0-9]", rest))


def _own_words(core: str) -> bool:
    """Whether ``core`` asks something of its own: a predicate, or more than a short noun phrase
    (「BCPって」 asks what BCP is)."""
    return (bool(_PREDICATE.search(core) or _EN_PREDICATE.search(core) or core.endswith(("って", "とは"))
                 or _CLAUSE.search(core))
            or len(core) > MAX_FOLLOW_UP_CHARS)


def read_follow_up(question: str, history: Sequence[HistoryItem] = (), *, new_topic: bool = False) -> Reading:
    """Read ``question`` in its conversation.

    Args:
        question: the question (chat phrasing already removed, :mod:`bot.chat`).
        history: earlier turns, oldest first: questions as strings, or :class:`Turn` (or
            ``{"question", "section"}``) with the answered section. Earlier string questions are
            read in turn, so 「じゃあ３は？」 after 「基本目標１は？」, 「基本目標２は？」 is 「基本目標３は？」.
        new_topic: the message opened with 「ところで」 or similar: never merged.

    Returns:
        The :class:`Reading`.
    """
    turns = [_turn(h) for h in list(history)[-MAX_HISTORY:] if _turn(h).question.strip()]
    stripped = _NEW_TOPIC.sub("", question.strip())
    if not turns or new_topic or stripped != question.strip():
        return Reading(stripped or question)
    previous = turns[-1]
    # An earlier follow-up is read with its own earlier turns (unless it came with its reading).
    if len(turns) > 1:
        earlier = read_follow_up(previous.question, turns[:-1])
        if earlier.context_used:
            previous = Turn(earlier.searched, previous.section)
    return _read(question.strip(), previous)


def _read(question: str, previous: Turn) -> Reading:
    prev = previous.question.strip()
    core = _core(question)
    if not core:
        return Reading(question)
    english = not re.search(r"[\u3040-\u30ff\u3400-\u9fff]", question)
    # A pronoun: the previous topic (or the previous answer's heading) stands in for it.
    pronoun = (_EN_PRONOUN if english else _PRONOUN).search(core)
    if pronoun:
        old, _ = topic(prev)
        referent = old or _heading(previous.section)
        if not referent:
            return Reading(question)
        containment = None if english else _CONTAINMENT.match(core)
        if containment:
            rewritten = referent + "の" + question[question.find(core) + containment.end():].lstrip("、 ")
        else:
            start = question.find(core) + pronoun.start()
            end = question.find(core) + pronoun.end()
            joint = "の" if question[start:end] in ("その", "この", "あの") else ""
            rewritten = question[:start] + referent + joint + question[end:]
        rewritten = _OPENER.sub("", rewritten)
        own = _PRONOUN_PHRASE.sub("", question).strip(" 、,") if not english else ""
        return Reading(rewritten, True, "within" if containment else "pronoun",
                       fallbacks=(own,) if own and own != rewritten and _own_words(own) and _has_content(own) else (),
                       not_section="" if containment else previous.section)
    if not _has_content(core):
        # Only a question word and a predicate (「いつまで？」, 「何年間？」, "Who?"): asked of the
        # previous topic.
        old, _ = topic(prev)
        if old and not english:
            return Reading(f"{old}は{_OPENER.sub('', question).strip()}", True, "predicate")
        return Reading(f"{prev} {question}", True, "predicate")
    if _own_words(core) or "の" in core or _DEFINITION_END.search(question):
        # A predicate, or a noun phrase with its own attribute (「市税の収納率の状況」): a question
        # of its own, not merged.
        return Reading(question)
    if _labels(core) and not _swap_item(core, prev) and _labels(core)[0][:2] == (0, len(core)):
        return Reading(question)      # an item the previous question had none of: asked on its own
    swapped = _swap_item(core, prev)
    if swapped:
        # The answer must name the new item; else the item alone (「重点目標３は？」) is asked.
        label = _new_label(swapped, prev)
        alone = f"{label}は？" if label and not english else ""
        return Reading(swapped, True, "item", fallbacks=(alone,) if alone and alone != swapped else (),
                       names=label)
    if _MORE.match(core):
        return Reading(f"{prev} {question}", True, "more")
    if _YEAR.fullmatch(core):
        # A year the previous question had none of (「令和７年度は？」 after 「経常収支比率の目標は」).
        old, _ = topic(prev)
        return Reading(f"{core}の{prev}" if not english else f"{prev} {core}", True, "item",
                       fallbacks=(f"{core}の{old}は？",) if old and not english else (), names=core)
    swapped = _swap_topic(core, prev)
    if swapped:
        old, rest = topic(prev)
        attribute = f"{old}の{core}は？" if rest.startswith("の") and not english and old not in core else ""
        bare = _OPENER.sub("", question).strip()
        labels = _labels(core)      # a numbered topic (「第２次プラン」) must be named by the answer
        return Reading(swapped, True, "topic", fallbacks=tuple(f for f in (attribute, bare) if f),
                       names=core[labels[0][0]:labels[0][1]] if labels else "")
    return Reading(f"{prev} {question}", True, "more")
