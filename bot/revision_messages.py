"""User-facing strings of index revisions (announcements, the "what changed?" answer), ja and en.

Quoted outline text is never translated; only the bot's own wording follows the language.
"""
from __future__ import annotations

REVISION = {
    "ja": {
        "header": "第７次行政改革大綱の検索データが更新されました",
        "versions": "版 `{new}`（前の版 `{old}`）",
        "counts": "節: 変更 {sections_changed} ・ 追加 {sections_added} ・ 削除 {sections_removed}　"
                  "用語: 変更 {glossary_changed} ・ 追加 {glossary_added} ・ 削除 {glossary_removed}",
        "no_changes": "本文と用語説明に変更はありません。",
        "op_added": "追加", "op_removed": "削除", "op_changed": "変更",
        "kind_section": "節", "kind_glossary": "用語",
        "old": "旧", "new": "新",
        "more": "ほか {n} 件の変更があります。",
        "how_to_see": "全文の比較: `reformbot index diff {old} {new}`",
        "answer_lead": "最新の改訂（版 {new}、前の版 {old}）で変わった点: {summary}",
        "answer_lead_rollback": "直近の切り替えは改訂ではなく、前の版への差し戻し（ロールバック: 版 {old} → 版 {new}）です。"
                                "差し戻しで変わった点: {summary}",
        "answer_none": "改訂の記録はまだありません（現在の版 {new} が最初の版です）。",
        "answer_unavailable": "改訂の記録を読めませんでした。管理者に `reformbot index versions` の確認を依頼してください。",
        "summary": "節の変更 {sections_changed} 件・追加 {sections_added} 件・削除 {sections_removed} 件、"
                   "用語の変更 {glossary_changed} 件・追加 {glossary_added} 件・削除 {glossary_removed} 件",
        "removed_line": "削除: {text}",
        "changed_line": "変更: {old} → {new}",
        "added_line": "追加: {text}",
        "proposals_header": "改訂で関連する節が変わった提案があります（版 {new}）",
        "proposal_line": "• *{receipt}* {title} — 変わった節: {sections}",
        "proposals_note": "提案が前提としていた記述が変わった可能性があります。内容をご確認ください。",
        "command_summary": "最新の改訂で大綱の何が変わったかを表示します（`/reform changes en` で英語）",
    },
    "en": {
        "header": "The outline index was updated",
        "versions": "Version `{new}` (previous `{old}`)",
        "counts": "Sections: {sections_changed} changed · {sections_added} added · {sections_removed} removed   "
                  "Glossary: {glossary_changed} changed · {glossary_added} added · {glossary_removed} removed",
        "no_changes": "No change to the text or the glossary.",
        "op_added": "added", "op_removed": "removed", "op_changed": "changed",
        "kind_section": "section", "kind_glossary": "glossary",
        "old": "old", "new": "new",
        "more": "{n} more changes.",
        "how_to_see": "Full comparison: `reformbot index diff {old} {new}`",
        "answer_lead": "What changed in the latest revision (version {new}, previous {old}): {summary}",
        "answer_lead_rollback": "The latest switch was not a revision but a rollback to an earlier version "
                                "(version {old} -> version {new}). What the rollback changed: {summary}",
        "answer_none": "There is no earlier revision yet (the current version {new} is the first).",
        "answer_unavailable": "The revision history could not be read. Ask an admin to check `reformbot index versions`.",
        "summary": "{sections_changed} sections changed, {sections_added} added, {sections_removed} removed; "
                   "{glossary_changed} glossary entries changed, {glossary_added} added, {glossary_removed} removed",
        "removed_line": "removed: {text}",
        "changed_line": "changed: {old} → {new}",
        "added_line": "added: {text}",
        "proposals_header": "Proposals whose linked sections changed in this revision (version {new})",
        "proposal_line": "• *{receipt}* {title} — changed: {sections}",
        "proposals_note": "What these proposals relied on may have changed; please review them.",
        "command_summary": "shows what the latest revision of the outline changed (`/reform changes en` in English)",
    },
}


def t(lang: str, key: str, **kw) -> str:
    """The string ``key`` in ``lang`` (falls back to Japanese), formatted with ``kw``."""
    table = REVISION.get(lang, REVISION["ja"])
    return table.get(key, REVISION["ja"][key]).format(**kw)
