"""Every string the Slack bot says, in Japanese and English, and the question-language guess.

The bot's own wording follows the question's language; quoted outline text is never translated.
``{name}``, ``{kind}``, ``{Kind}`` and ``{city}`` name the current document (:mod:`bot.about`):
nothing here names one plan.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.messages import is_english

if TYPE_CHECKING:
    from bot.about import About

LANGS = ("ja", "en")

# Hiragana, katakana (full and half width), CJK ideographs, full-width forms.
_JAPANESE = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")


def detect_language(text: str) -> str:
    """Guess the question's language: ``"en"`` for an English question, else ``"ja"`` (the default).

    Same rule as the web page and CLI (:func:`bot.messages.is_english`): no Japanese characters
    and at least two Latin words; a bare acronym ("BCP") keeps the Japanese default.

    Args:
        text: the question, mentions already removed.

    Returns:
        ``"ja"`` or ``"en"``.
    """
    if _JAPANESE.search(text or ""):
        return "ja"
    return "en" if is_english(text or "") else "ja"


MESSAGES: dict[str, dict[str, str]] = {
    "ja": {
        "not_found": "{name}には、この質問に直接答える記述が見つかりませんでした。",
        "not_found_in": "『{title}』には、この質問に直接答える記述が見つかりませんでした。",
        "related_heading": "*参考：関連しそうな箇所*（回答ではありません）",
        "other_documents_heading": "*ほかの文書の該当箇所*",
        "ask_contact": "詳しくは{contact}にお問い合わせください。",
        "answer_heading": "*{kind}の該当箇所*",
        "searched_as": "前の質問に続けて、『{searched}』として検索しました",
        "more_sources": "*ほかの該当箇所*",
        "glossary_heading": "*用語説明*",
        "context_line": "出典：{name}・索引 {version}・作成 {built}",
        "context_line_nodate": "出典：{name}・索引 {version}",
        "trimmed": "（長いため一部を省略しました）",
        "btn_up": "👍 役に立った",
        "btn_down": "👎 役に立たなかった",
        "btn_post": "チャンネルに投稿",
        "feedback_prompt": "この回答は役に立ちましたか？",
        "feedback_thanks": "<@{user}> さん、フィードバックありがとうございます。（👍 {up} ・ 👎 {down}）",
        "feedback_already": "この回答にはすでに評価をいただいています。ありがとうございます。",
        "feedback_unknown": "この回答の記録が見つからないため、評価を保存できませんでした。",
        "modal_title": "回答へのご意見",
        "modal_submit": "送信",
        "modal_close": "閉じる",
        "modal_label": "どこが役に立ちませんでしたか？（任意）",
        "modal_placeholder": "例：知りたかったのは〇〇の担当課です",
        "error": "申し訳ありません。回答の作成中に問題が発生しました。しばらくしてからもう一度お試しください。",
        "empty_question": "質問を書いてください。例：`{example}`",
        "empty_question_plain": "質問を書いてください。",
        "too_long": "質問が長すぎます。{max}文字以内で書いてください。",
        "unavailable": "いまは索引を読み込めないため、お答えできません。管理者に `reformbot index build` の実行を依頼してください。",
        "posted_by": "<@{user}> さんの質問：{question}",
        "question_line": "*質問：* {question}",
        "question_plain": "質問：{question}",
        "help_title": "{name} Q&A の使い方",
        "help_body": (
            "{name}の内容について、{kind}の本文をそのまま引用して答えます。"
            "答えには章・節と{kind}のページを付けます。{kind}に書かれていないことは、書かれていないとお伝えします。\n"
            "• チャンネルで：`@ボット 質問` — スレッドに返信します。スレッド内の続きの質問にも答えます。\n"
            "• DMで：質問をそのまま送ってください。\n"
            "• `/reform 質問` — あなたにだけ表示します。「チャンネルに投稿」で共有できます。\n"
            "• 回答の 👍 / 👎 で、役に立ったかどうかを教えてください。"
        ),
        "help_examples": "*質問の例*",
        "usage": "*使い方：* `/reform {usage}`",
        "usage_question": "[質問]",
        "command_aliases": "（{words} でも可）",
        "list_separator": "、",
        "command_help": "この使い方を表示します",
        "home_title": "{name} Q&A",
        "home_knows": "*このボットが参照している文書*\n{title}\n索引 {version}・作成 {built}\n節 {sections} ・ 用語 {terms} ・ チャンク {chunks}",
        "home_documents": "*参照している文書*（質問が文書を名指ししないときは「現在の文書」から答えます）",
        "home_document": "• {title}（`{id}`）",
        "home_document_current": "• {title}（`{id}`）← 現在の文書",
        "home_unavailable": "索引をまだ読み込めていません。管理者に `reformbot index build` の実行を依頼してください。",
        "home_howto": "*使い方*\nチャンネルでボットをメンションするか、DMで質問するか、`/reform 質問` を使ってください。",
        "home_ideas": "*改革のアイデアを出すには*\n{how}",
        "home_ideas_default": "アイデアの提出方法は準備中です。{contact}までご連絡ください。",
        "unknown": "不明",
    },
    "en": {
        "not_found": "The {kind} ({name}) does not appear to answer this question.",
        "not_found_in": "『{title}』 does not appear to answer this question.",
        "related_heading": "*Related sections* (for reference — not an answer)",
        "other_documents_heading": "*In other documents*",
        "ask_contact": "For more, please ask {contact}.",
        "answer_heading": "*From the {kind}*",
        "searched_as": "Read with the previous question. Searched as: “{searched}”",
        "more_sources": "*Other matching passages*",
        "glossary_heading": "*Glossary*",
        "context_line": "Source: {name} · index {version} · built {built}",
        "context_line_nodate": "Source: {name} · index {version}",
        "trimmed": "(shortened: the full text was too long for Slack)",
        "btn_up": "👍 Helpful",
        "btn_down": "👎 Not helpful",
        "btn_post": "Post to channel",
        "feedback_prompt": "Was this answer helpful?",
        "feedback_thanks": "Thanks for the feedback, <@{user}>. (👍 {up} · 👎 {down})",
        "feedback_already": "You have already rated this answer. Thank you!",
        "feedback_unknown": "This answer is no longer in the log, so the rating could not be saved.",
        "modal_title": "About this answer",
        "modal_submit": "Send",
        "modal_close": "Close",
        "modal_label": "What was wrong with the answer? (optional)",
        "modal_placeholder": "e.g. I wanted to know which section is in charge of …",
        "error": "Sorry, something went wrong while preparing the answer. Please try again in a little while.",
        "empty_question": "Please write a question, e.g. `{example}`",
        "empty_question_plain": "Please write a question.",
        "too_long": "The question is too long. Please keep it within {max} characters.",
        "unavailable": "I cannot read the index right now, so I cannot answer. Please ask the administrator to run `reformbot index build`.",
        "posted_by": "Question from <@{user}>: {question}",
        "question_line": "*Question:* {question}",
        "question_plain": "Question: {question}",
        "help_title": "How to use {name} Q&A",
        "help_body": (
            "I answer questions about {name} by quoting the {kind} itself, with the section and page "
            "of every passage. When the {kind} does not cover something, I say so.\n"
            "• In a channel: `@bot your question` — I reply in the thread, and answer follow-ups there.\n"
            "• In a DM: just send the question.\n"
            "• `/reform your question` — only you see the answer; use “Post to channel” to share it.\n"
            "• Tell me with 👍 / 👎 whether an answer helped."
        ),
        "help_examples": "*Example questions*",
        "usage": "*Usage:* `/reform {usage}`",
        "usage_question": "[question]",
        "command_aliases": " (or {words})",
        "list_separator": ", ",
        "command_help": "shows this help",
        "home_title": "{name} Q&A",
        "home_knows": "*What I know*\n{title}\nindex {version} · built {built}\n{sections} sections · {terms} glossary terms · {chunks} chunks",
        "home_documents": "*Documents* (a question that names none is answered from the current one)",
        "home_document": "• {title} (`{id}`)",
        "home_document_current": "• {title} (`{id}`) ← current document",
        "home_unavailable": "The index is not loaded yet. Ask an administrator to run `reformbot index build`.",
        "home_howto": "*How to ask*\nMention me in a channel, send me a DM, or use `/reform your question`.",
        "home_ideas": "*How to submit reform ideas*\n{how}",
        "home_ideas_default": "Idea submission is coming soon. Please contact {contact}.",
        "unknown": "unknown",
    },
}

# Replies in a bot thread that are not questions: the bot stays quiet.
ACKNOWLEDGEMENTS = frozenset({
    "ありがとう", "ありがとうございます", "ありがとうございました", "助かりました", "了解", "了解です", "了解しました",
    "承知しました", "わかりました", "ok", "okay", "thanks", "thank you", "thx", "got it", "👍", "🙏",
})

HELP_WORDS = frozenset({"help", "ヘルプ", "使い方", "つかいかた", "?", "？", "-h", "--help"})


def is_acknowledgement(text: str) -> bool:
    """True for "thanks"/「ありがとうございます」-style replies (punctuation and case ignored)."""
    core = re.sub(r"[\s!！。．.、,~〜ー♪]+", "", text.lower())
    return core in {re.sub(r"\s+", "", a) for a in ACKNOWLEDGEMENTS}


def t(lang: str, key: str, *, about: "About | None" = None, **kwargs: object) -> str:
    """The string ``key`` in ``lang`` (falls back to Japanese), the document named as ``about``
    says (neutral wording when None), formatted with ``kwargs``."""
    from bot.about import NO_DOCUMENT

    table = MESSAGES.get(lang, MESSAGES["ja"])
    text = (about or NO_DOCUMENT).fill(table.get(key, MESSAGES["ja"][key]), lang)
    return text.format(**kwargs) if kwargs else text
