"""Every string of publishing a revision from Slack (and undoing one), in Japanese and English.

The admin's DM follows their Slack locale; the announcement's 元に戻す button follows the
announcement. Quoted outline text and engine messages (file problems, versions) are not translated.
"""
from __future__ import annotations

PUBLISH: dict[str, dict[str, str]] = {
    "ja": {
        "not_admin": "ファイルから大綱の新しい版を作れるのは管理者だけです。大綱の改訂については{contact}にご相談ください。",
        "one_file": "大綱の全文を 1 つのファイルにして、1 つずつ送ってください（{count} 個のファイルが届きました）。",
        "received": "「{name}」を受け取りました。新しい版を作っています（まだ公開しません）。数分かかることがあります。",
        "busy": "いま「{name}」から新しい版を作っています（<@{user}> さん、{since} から）。終わってからもう一度送ってください。",
        "busy_lock": "いま別の版の作成か切り替えが実行中です（{holder}）。終わってからもう一度送ってください。",
        "stage_download": "⏳ ダウンロードしています…",
        "stage_read": "⏳ ファイルを読み取っています…",
        "stage_embed": "⏳ 新しい版を作っています（埋め込み {done} / {total}）…",
        "stage_verify": "⏳ 新しい版を検証しています…",
        "stage_done": "✅ 版 `{version}` を作りました（{embedded} 件を埋め込み、{reused} 件を再利用）。",
        "stage_failed": "⚠️ 新しい版は作れませんでした。",
        "source_problem": "「{name}」は使えません：{problem}",
        "info_failed": "送られたファイルの情報を Slack から取得できませんでした（{detail}）。もう一度送ってください。",
        "no_url": "送られたファイルは Slack からダウンロードできない種類です（{detail}）。ファイルとして添付し直してください。",
        "signin": "「{name}」をダウンロードできませんでした。Slack がファイルの代わりにサインインページを返しました。"
                  "Slack アプリに files:read の権限があるか、Slack の管理者に確認してください。",
        "failed": "「{name}」を Slack からダウンロードできませんでした（{detail}）。しばらくしてからもう一度送ってください。",
        "unchanged": "「{name}」は現在の版 `{version}` と同じ内容です。新しい版は作りませんでした。",
        "build_failed": "「{name}」から新しい版を作れませんでした。現在の版 `{current}` はそのまま使われています。\n原因：{detail}",
        "build_failed_none": "「{name}」から新しい版を作れませんでした。\n原因：{detail}",
        "staged_title": "新しい版を作りました（まだ公開していません）",
        "staged_lead": "「{name}」から版 `{version}` を作りました。いま使われている版 `{current}` はそのままです。"
                       "読み取り結果と変更点を確かめて、*公開する* か *破棄する* を選んでください。",
        "staged_lead_first": "「{name}」から版 `{version}` を作りました。いま使われている版はありません。"
                             "読み取り結果を確かめて、*公開する* か *破棄する* を選んでください。",
        "summary": "*読み取り結果*（`reformbot index inspect` と同じ）\n"
                   "題名：{title}\n節 {sections} ・ 用語 {terms} ・ チャンク {chunks}（ページのないもの {no_page}）\n"
                   "ページ：{pages}（{page_source}）\n"
                   "ページの飾りとして除いた行 {removed} ・ どの節にも入らなかった行 {unplaced}",
        "page_markers": "見出しのページ表示から",
        "page_printed": "ページに印刷された番号から",
        "page_pdf": "PDF のページから",
        "page_none": "ページなし",
        "notes": "*確認してほしい点*\n{notes}",
        "changes": "*変更点*（公開すると、この内容を告知します）",
        "no_previous": "いま使われている版がないため、比べる版はありません。",
        "btn_publish": "公開する",
        "btn_discard": "破棄する",
        "confirm_publish_title": "公開しますか？",
        "confirm_publish": "版 {version} を公開します。職員への回答はすぐにこの版からになり、告知が投稿されます。",
        "confirm_discard_title": "破棄しますか？",
        "confirm_discard": "版 {version} と受け取ったファイルを削除します。",
        "confirm_yes": "はい",
        "confirm_no": "やめる",
        "published": "<@{user}> さんが版 `{version}` を公開しました（前の版 `{previous}`）。",
        "not_announced": "告知するチャンネルが設定されていないため、告知はしていません。",
        "discarded": "<@{user}> さんが版 `{version}` を破棄しました。いま使われている版 `{current}` はそのままです。",
        "already_current": "版 `{version}` はすでに公開されています。",
        "gone": "版 `{version}` はもうありません（破棄されたか、古い版として削除されました）。もう一度ファイルを送ってください。",
        "stale": "この版の変更点は版 `{base}` と比べたものですが、いま使われている版は `{current}` に変わっています。"
                 "公開していません。変更点を確かめ直すため、もう一度ファイルを送ってください。",
        "publish_failed": "公開できませんでした。いま使われている版 `{current}` はそのままです。\n原因：{detail}",
        "discard_failed": "破棄できませんでした：{detail}",
        "admin_only": "この操作ができるのは管理者だけです。",
        "btn_undo": "元に戻す",
        "confirm_undo_title": "元に戻しますか？",
        "confirm_undo": "版 {new} をやめて、前の版 {old} に戻します。職員への回答はすぐに前の版からになります。",
        "undone": "<@{user}> さんが元に戻しました（版 `{new}` → 版 `{old}`）。",
        "undo_stale": "いま使われている版は `{current}` のため、版 `{new}` を元に戻すことはできません。",
        "undo_failed": "元に戻せませんでした。いま使われている版 `{current}` はそのままです。\n原因：{detail}",
        "none": "なし",
    },
    "en": {
        "not_admin": "Only admins can make a new version of the outline from a file. For a revision of the outline, "
                     "please contact {contact}.",
        "one_file": "Please send the whole outline as one file, one file at a time ({count} files arrived).",
        "received": "Got “{name}”. Making a new version (not published yet); this can take a few minutes.",
        "busy": "A new version is being made from “{name}” right now (by <@{user}>, since {since}). "
                "Please send the file again when it is done.",
        "busy_lock": "Another build or switch of the index is running ({holder}). Please send the file again when it is done.",
        "stage_download": "⏳ Downloading…",
        "stage_read": "⏳ Reading the file…",
        "stage_embed": "⏳ Making the new version (embedding {done} / {total})…",
        "stage_verify": "⏳ Verifying the new version…",
        "stage_done": "✅ Version `{version}` made ({embedded} chunks embedded, {reused} reused).",
        "stage_failed": "⚠️ No new version was made.",
        "source_problem": "“{name}” cannot be used: {problem}",
        "info_failed": "Slack did not describe the file that was sent ({detail}). Please send it again.",
        "no_url": "Slack offers no download of the file that was sent ({detail}). Please attach it as a file.",
        "signin": "“{name}” could not be downloaded: Slack answered with its sign-in page instead of the file. "
                  "Ask a Slack admin whether the app has the files:read scope.",
        "failed": "“{name}” could not be downloaded from Slack ({detail}). Please send it again in a little while.",
        "unchanged": "“{name}” has the same content as the current version `{version}`. No new version was made.",
        "build_failed": "No new version could be made from “{name}”. The current version `{current}` keeps serving.\n"
                        "Cause: {detail}",
        "build_failed_none": "No new version could be made from “{name}”.\nCause: {detail}",
        "staged_title": "New version made (not published yet)",
        "staged_lead": "Version `{version}` was made from “{name}”. The version in use, `{current}`, is unchanged. "
                       "Check how the file was read and what changed, then choose *Publish* or *Discard*.",
        "staged_lead_first": "Version `{version}` was made from “{name}”. No version is in use yet. "
                             "Check how the file was read, then choose *Publish* or *Discard*.",
        "summary": "*How the file was read* (as `reformbot index inspect`)\n"
                   "Title: {title}\n{sections} sections · {terms} glossary terms · {chunks} chunks ({no_page} without a page)\n"
                   "Pages: {pages} ({page_source})\n"
                   "Lines removed as page furniture: {removed} · lines in no section: {unplaced}",
        "page_markers": "from the page markers in headings",
        "page_printed": "from page numbers printed on the pages",
        "page_pdf": "the PDF's own pages",
        "page_none": "no pages",
        "notes": "*Worth a look*\n{notes}",
        "changes": "*What changed* (publishing announces this)",
        "no_previous": "No version is in use, so there is nothing to compare with.",
        "btn_publish": "Publish",
        "btn_discard": "Discard",
        "confirm_publish_title": "Publish?",
        "confirm_publish": "Version {version} will be published: staff get answers from it at once, and it is announced.",
        "confirm_discard_title": "Discard?",
        "confirm_discard": "Version {version} and the file that was sent will be deleted.",
        "confirm_yes": "Yes",
        "confirm_no": "Cancel",
        "published": "<@{user}> published version `{version}` (previous: `{previous}`).",
        "not_announced": "No announcement channel is set, so it was not announced.",
        "discarded": "<@{user}> discarded version `{version}`. The version in use, `{current}`, is unchanged.",
        "already_current": "Version `{version}` is already published.",
        "gone": "Version `{version}` no longer exists (discarded, or removed as an old version). Please send the file again.",
        "stale": "What changed was worked out against version `{base}`, but the version in use is now `{current}`. "
                 "Nothing was published; please send the file again to see what changes now.",
        "publish_failed": "Publishing failed; the version in use, `{current}`, is unchanged.\nCause: {detail}",
        "discard_failed": "Could not discard: {detail}",
        "admin_only": "Only admins can do this.",
        "btn_undo": "Undo",
        "confirm_undo_title": "Undo this revision?",
        "confirm_undo": "Version {new} will be replaced by the previous version {old}: staff get answers from it at once.",
        "undone": "<@{user}> undid the revision (version `{new}` → version `{old}`).",
        "undo_stale": "The version in use is `{current}`, so version `{new}` cannot be undone from here.",
        "undo_failed": "Undo failed; the version in use, `{current}`, is unchanged.\nCause: {detail}",
        "none": "none",
    },
}


def t(lang: str, key: str, **kwargs: object) -> str:
    """The string ``key`` in ``lang`` (falls back to Japanese), formatted with ``kwargs``."""
    table = PUBLISH.get(lang, PUBLISH["ja"])
    text = table.get(key, PUBLISH["ja"][key])
    return text.format(**kwargs) if kwargs else text
