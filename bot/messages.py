"""User-facing strings of the staff Q&A page, the JSON API and the CLI, in one place.

``{name}``, ``{kind}``, ``{Kind}``, ``{city}``, ``{goal_word}`` and ``{example}`` are filled from
the current document (:mod:`bot.about`): nothing here names one plan.
"""
import re

WEB = {
    "ja": {
        "title": "{name} Q&A",
        "lead": "{kind}の本文と用語説明から、出典（項目・{kind}のページ）付きでお答えします。{kind}に書かれていないことには「記載がありません」とお答えします。",
        "label": "質問",
        "placeholder": "例：{example}",
        "submit": "質問する",
        "examples": "質問の例",
        "answer": "回答",
        "not_found": "ご質問の内容は、{kind}には記載がありません。",
        "not_found_in": "ご質問の内容は、『{title}』には記載がありません。",
        "other_documents": "ほかの文書の該当箇所",
        "ask_contact": "詳しくは{contact}にお問い合わせください。",
        "related": "関連する可能性のある箇所（回答ではありません）",
        "sources": "出典",
        "source": "出典",
        "more_sources": "ほかの該当箇所",
        "glossary": "用語説明",
        "score": "スコア",
        "index": "索引バージョン",
        "searched_as": "前の質問に続けて、『{searched}』として検索しました。",
        "follow_up": "続けて質問する",
        "follow_up_hint": "前の質問に続けて聞けます（例：「第２期は？」「それって誰が決めるの？」）。",
        "empty": "質問を入力してください。",
        "too_long": "質問が長すぎます。{max}文字以内で入力してください。",
        "unavailable": "いまは索引を読み込めません（未作成または破損）。管理者は `reformbot index versions` で状態を確認し、"
                       "`reformbot index build` または `reformbot index rollback` を実行してください。",
        "error": "回答の作成中に問題が発生しました。時間をおいて再度お試しください。",
        "rate_limited": "短い時間に多くの質問がありました。少し時間をおいてから、もう一度お試しください。",
        "busy": "ただいま質問が集中しています。数秒おいてから、もう一度お試しください。",
        "lang_switch": "English",
        "propose": "行政改革のアイデアを提案する（提案フォーム）",
        "vote_prompt": "この回答は役に立ちましたか？",
        "vote_up": "役に立った",
        "vote_down": "役に立たなかった",
        "vote_thanks": "評価ありがとうございました。回答の改善に役立てます。",
        "vote_already": "この回答にはすでに評価をいただいています。ありがとうございます。",
        "vote_bad": "評価を受け付けられませんでした。回答の下のボタンから評価してください。",
        "vote_expired": "評価を受け付けられませんでした（ページの有効期限切れか、Cookieが無効です）。もう一度質問してから評価してください。",
        "vote_unknown": "この回答の記録が見つからないため、評価を保存できませんでした。",
        "vote_error": "いまは評価を保存できません。時間をおいて、もう一度お試しください。",
    },
    "en": {
        "title": "{name} Q&A",
        "lead": "Answers are quoted from the {kind} and its glossary, with the section and page. When the {kind} does not cover a question, we say so.",
        "label": "Question",
        "placeholder": "e.g. {example}",
        "submit": "Ask",
        "examples": "Example questions",
        "answer": "Answer",
        "not_found": "The {kind} does not cover this question.",
        "not_found_in": "『{title}』 does not cover this question.",
        "other_documents": "In other documents",
        "ask_contact": "Please ask {contact} for details.",
        "related": "Possibly related sections (not an answer)",
        "sources": "Sources",
        "source": "Source",
        "more_sources": "Other relevant passages",
        "glossary": "Glossary",
        "score": "score",
        "index": "index version",
        "searched_as": "Read with the previous question. Searched as: “{searched}”",
        "follow_up": "Ask a follow-up",
        "follow_up_hint": "A follow-up is read with the previous question (e.g. “What about PPP?”).",
        "empty": "Please enter a question.",
        "too_long": "The question is too long; please keep it within {max} characters.",
        "unavailable": "The index cannot be read right now (not built, or damaged). An administrator should "
                       "check `reformbot index versions` and run `reformbot index build` or `reformbot index rollback`.",
        "error": "Something went wrong while composing the answer. Please try again later.",
        "rate_limited": "Many questions arrived from you in a short time. Please wait a little and try again.",
        "busy": "Many questions are being answered right now. Please try again in a few seconds.",
        "lang_switch": "日本語",
        "propose": "Propose a reform idea (proposal form)",
        "vote_prompt": "Was this answer helpful?",
        "vote_up": "Helpful",
        "vote_down": "Not helpful",
        "vote_thanks": "Thank you for rating the answer; it helps us improve them.",
        "vote_already": "You have already rated this answer. Thank you!",
        "vote_bad": "The rating could not be accepted. Please use the buttons under an answer.",
        "vote_expired": "The rating could not be accepted (the page has expired, or cookies are off). Please ask again and then rate the answer.",
        "vote_unknown": "This answer is no longer in the log, so the rating could not be saved.",
        "vote_error": "The rating cannot be saved right now. Please try again later.",
    },
}

# Wording of the example questions (bot/examples.py picks what they ask about from the document).
EXAMPLE_PATTERNS = {
    "ja": {"term": "{term}とは何ですか", "term_short": "{term}って？", "period": "{period}は？",
           "goals": "{word}は何ですか", "heading": "{heading}について教えてください"},
    "en": {"stand_for": "What does {term} stand for?", "term": "What is {term}?",
           "period": "How long is the plan period?"},
}

# What the surfaces call the document when no index can be read (or the title does not say).
DOCUMENT_WORDS = {
    "ja": {"name": "行政改革の計画", "kind": "計画", "city": "", "goal_word": "目標"},
    "en": {"name": "the reform plan", "kind": "plan", "city": "", "goal_word": "goal"},
}
# The kinds of plan (corpus.titles.PLAN_KINDS) in English; any other kind is a "plan".
KIND_EN = {"大綱": "outline", "方針": "policy", "指針": "guidelines", "ビジョン": "vision", "戦略": "strategy",
           "構想": "concept"}


def is_english(text: str) -> bool:
    """True when ``text`` reads as an English question: no Japanese characters and at least two
    Latin-letter words ("What is PPP?", "BCP meaning").

    A bare acronym ("PFI", "BCP?") is not an English question: staff type those in Japanese
    conversations too, so the default (Japanese) wording stays.
    """
    for ch in text:
        o = ord(ch)
        if 0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xFF66 <= o <= 0xFF9F:
            return False
    return len(_LATIN_WORD.findall(text)) >= 2


_LATIN_WORD = re.compile(r"[A-Za-z]+")


# Notices of answers shaped by the document's structure (bot/structure.py): an item the document
# does not have, an item silent on what is asked, lines left out of a long list, a part of a
# two-part question or comparison the document does not cover. Shown with the answer by every surface.
STRUCTURE = {
    "ja": {
        "no_such_item": "「{item}」は文書にありません。文書にあるのは {existing} です。",
        "no_such_item_none": "「{item}」は文書にありません。",
        "item_silent": "「{item}」の箇所には、お尋ねの内容は書かれていません（ほかの項目の記載では答えません）。",
        "list_left_out": "長いため {n} 行を省略しました。全文は「{section}」をご覧ください。",
        "part_missing": "「{part}」については、文書に記載が見つかりませんでした。",
    },
    "en": {
        "no_such_item": "The document has no \"{item}\"; it has {existing}.",
        "no_such_item_none": "The document has no \"{item}\".",
        "item_silent": "The part \"{item}\" does not say this (other parts are not used to answer).",
        "list_left_out": "{n} lines were left out; see \"{section}\" for all of them.",
        "part_missing": "The document does not seem to cover \"{part}\".",
    },
}


def structure_text(lang: str, key: str, **values) -> str:
    """A notice of :data:`STRUCTURE` in ``lang`` ("ja" or "en"), filled in."""
    return STRUCTURE["en" if lang == "en" else "ja"][key].format(**values)
