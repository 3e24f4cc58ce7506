"""Every user-facing string of the proposals surfaces, Japanese and English together.

``t(key, lang)`` looks a string up; Japanese is the default and the fallback.
"""
from __future__ import annotations

LANGS = ("ja", "en")

GOAL_TITLES = {
    "1": {"ja": "重点目標１ 強くしなやかな組織をつくる", "en": "Goal 1: a strong, flexible organisation"},
    "2": {"ja": "重点目標２ 強い財政基盤を確立する", "en": "Goal 2: a strong financial base"},
    "3": {"ja": "重点目標３ 市民協働により公共サービスを向上させる",
          "en": "Goal 3: better public services through citizen collaboration"},
    "unknown": {"ja": "わからない", "en": "Not sure"},
}
GOAL_SHORT = {
    "1": {"ja": "重点目標１", "en": "Goal 1"},
    "2": {"ja": "重点目標２", "en": "Goal 2"},
    "3": {"ja": "重点目標３", "en": "Goal 3"},
    "unknown": {"ja": "わからない", "en": "Not sure"},
    None: {"ja": "該当なし", "en": "None"},
}
RESIDENCY = {
    "resident": {"ja": "市内在住", "en": "Live in Atsugi"},
    "worker": {"ja": "市内在勤", "en": "Work in Atsugi"},
    "student": {"ja": "市内在学", "en": "Study in Atsugi"},
    "other": {"ja": "その他", "en": "Other"},
}
AGE_GROUPS = {
    "": {"ja": "回答しない", "en": "Prefer not to say"},
    "under20": {"ja": "20歳未満", "en": "Under 20"},
    "20s": {"ja": "20歳代", "en": "20s"},
    "30s": {"ja": "30歳代", "en": "30s"},
    "40s": {"ja": "40歳代", "en": "40s"},
    "50s": {"ja": "50歳代", "en": "50s"},
    "60s": {"ja": "60歳代", "en": "60s"},
    "70plus": {"ja": "70歳以上", "en": "70 or over"},
}
STATUS_LABELS = {
    "received": {"ja": "受付", "en": "Received"},
    "reviewing": {"ja": "検討中", "en": "Under review"},
    "done": {"ja": "対応済", "en": "Done"},
    "difficult": {"ja": "対応困難", "en": "Difficult"},
    "out_of_scope": {"ja": "対象外", "en": "Out of scope"},
}
SOURCE_LABELS = {
    "citizen": {"ja": "市民", "en": "Citizen"},
    "staff": {"ja": "職員", "en": "Staff"},
}

MAIL_KINDS = {
    "answer": {"ja": "回答", "en": "answer"},
    "receipt": {"ja": "受付確認", "en": "receipt"},
}
MAIL_STATES = {
    "pending": {"ja": "送信待ち", "en": "waiting to be sent"},
    "sending": {"ja": "送信中", "en": "sending"},
    "sent": {"ja": "送信済", "en": "sent"},
    "failed": {"ja": "送信できませんでした", "en": "could not be sent"},
}

PERSONAL_KINDS = {
    "email": {"ja": "メールアドレス", "en": "an email address"},
    "phone": {"ja": "電話番号", "en": "a phone number"},
    "number": {"ja": "個人番号などの長い番号", "en": "a long number (e.g. My Number)"},
    "name": {"ja": "提案者の氏名", "en": "the submitter's name"},
}

_STRINGS: dict[str, dict[str, str]] = {
    # page chrome
    "site_name": {"ja": "厚木市 行政改革への市民提案", "en": "Atsugi City: citizen proposals for administrative reform"},
    "form_title": {"ja": "市民提案フォーム", "en": "Citizen proposal form"},
    "form_intro": {
        "ja": "第７次厚木市行政改革大綱に関する、市民協働や行政改革のアイデアをお寄せください。"
              "＊印の項目は必須です。",
        "en": "Send us your ideas for citizen collaboration and administrative reform under Atsugi City's "
              "7th Administrative Reform Outline. Fields marked * are required.",
    },
    "switch_lang": {"ja": "English", "en": "日本語"},
    "switch_lang_label": {"ja": "Switch to English", "en": "日本語に切り替え"},
    "skip_link": {"ja": "本文へ移動", "en": "Skip to main content"},
    "required": {"ja": "必須", "en": "required"},
    "optional": {"ja": "任意", "en": "optional"},
    # punctuation follows the page's language (full-width marks on an English page look broken)
    "required_mark": {"ja": "＊", "en": "*"},
    "optional_note": {"ja": "（任意）", "en": "(optional)"},
    # fields
    "title": {"ja": "件名", "en": "Title"},
    "title_hint": {"ja": "{max}文字以内", "en": "Up to {max} characters"},
    "body": {"ja": "提案内容", "en": "Your proposal"},
    "body_hint": {"ja": "{max}文字以内。具体的な内容をお書きください。", "en": "Up to {max} characters. Please be specific."},
    "goal": {"ja": "関係する重点目標", "en": "Related goal"},
    "residency": {"ja": "お住まい等", "en": "Relation to Atsugi"},
    "name": {"ja": "お名前またはニックネーム", "en": "Name or nickname"},
    "name_hint": {"ja": "公開されません。", "en": "Never published."},
    "email": {"ja": "メールアドレス", "en": "Email address"},
    "email_hint": {"ja": "返信を希望する場合のみ。公開されません。", "en": "Only if you would like a reply. Never published."},
    "age_group": {"ja": "年代", "en": "Age group"},
    "consent": {"ja": "個人情報の取扱いに同意する", "en": "I agree to the handling of personal information"},
    "privacy_heading": {"ja": "個人情報の取扱いについて", "en": "Handling of personal information"},
    "privacy_version": {"ja": "版: {version}", "en": "Version: {version}"},
    "honeypot": {"ja": "この欄は空欄のままにしてください", "en": "Leave this field empty"},
    "submit": {"ja": "送信する", "en": "Send"},
    "preview_similar": {"ja": "似た提案を確認する", "en": "Check for similar proposals"},
    "similar_heading": {"ja": "これまでに公開された似た提案", "en": "Similar published proposals"},
    "similar_none": {"ja": "似た公開済みの提案は見つかりませんでした。", "en": "No similar published proposals were found."},
    "similar_intro": {
        "ja": "同じ内容の提案がすでにある場合でも、送信いただけます。",
        "en": "You may still send your proposal even if a similar one exists.",
    },
    "similar_unavailable": {"ja": "似た提案の検索は現在利用できません。", "en": "The search for similar proposals is not available right now."},
    # publishing (staff): the text citizens will see
    "public_title": {"ja": "公開する件名", "en": "Public title"},
    "public_excerpt": {"ja": "公開する抜粋", "en": "Public excerpt"},
    "error_public_personal": {
        "ja": "{field}に{kinds}と思われる箇所があります。削除してから公開してください。",
        "en": "{What} seems to contain {kinds}; remove it before publishing.",
    },
    "list_sep": {"ja": "・", "en": ", "},
    # errors
    "error_summary": {"ja": "入力内容に{n}件の問題があります。", "en": "There {is_are} {n} problem{s} with your input."},
    "error_required": {"ja": "{field}を入力してください。", "en": "Please enter {what}."},
    "error_choose": {"ja": "{field}を選んでください。", "en": "Please choose {what}."},
    "error_too_long": {"ja": "{field}は{max}文字以内で入力してください（現在{n}文字）。",
                       "en": "{What} must be {max} characters or fewer (it is {n} now)."},
    "error_control": {"ja": "{field}に使用できない制御文字が含まれています。", "en": "{What} contains control characters that cannot be used."},
    "error_newline": {"ja": "{field}に改行は使えません。", "en": "{What} cannot contain line breaks."},
    "error_email": {"ja": "メールアドレスの形式が正しくありません（例: name@example.jp）。",
                    "en": "Please enter an email address like name@example.jp."},
    "error_consent": {"ja": "個人情報の取扱いに同意いただく必要があります。",
                      "en": "You need to agree to the handling of personal information."},
    "error_invalid_choice": {"ja": "{field}の選択肢が正しくありません。", "en": "{What} is not one of the options; please choose again."},
    "error_csrf": {
        "ja": "セキュリティ確認に失敗しました（ページの有効期限切れの可能性があります）。内容は保持されていますので、もう一度送信してください。",
        "en": "The security check failed (the page may have expired). Your text has been kept; please send it again.",
    },
    "error_rate": {
        "ja": "短時間に多くの送信がありました。{minutes}分ほど待ってから、もう一度送信してください。内容は保持されています。",
        "en": "Too many submissions in a short time. Please wait about {minutes} minute(s) and send again. Your text has been kept.",
    },
    "error_server": {
        "ja": "申し訳ありません。一時的な問題で送信できませんでした。時間をおいてもう一度お試しください。",
        "en": "Sorry, your proposal could not be sent because of a temporary problem. Please try again later.",
    },
    # receipt
    "receipt_title": {"ja": "提案を受け付けました", "en": "Your proposal has been received"},
    "receipt_no": {"ja": "受付番号", "en": "Receipt number"},
    "receipt_intro": {
        "ja": "ご提案ありがとうございます。お問い合わせの際は受付番号をお伝えください。",
        "en": "Thank you for your proposal. Please quote the receipt number if you contact us about it.",
    },
    "receipt_print": {"ja": "このページは印刷または保存できます。", "en": "You can print or save this page."},
    "received_at": {"ja": "受付日時", "en": "Received at"},
    "new_proposal": {"ja": "別の提案を送る", "en": "Send another proposal"},
    "not_found_title": {"ja": "ページが見つかりません", "en": "Page not found"},
    "forbidden_title": {"ja": "送信できませんでした", "en": "Could not send"},
    "back_to_form": {"ja": "フォームに戻る", "en": "Back to the form"},
    # navigation between the citizen pages
    "nav_label": {"ja": "市民提案のページ", "en": "Citizen proposal pages"},
    "nav_form": {"ja": "提案する", "en": "Send a proposal"},
    "nav_list": {"ja": "公開中の提案と回答", "en": "Published proposals and answers"},
    "nav_status": {"ja": "提案の状況確認", "en": "Check a proposal's status"},
    # 照会キー on the receipt
    "lookup_key": {"ja": "照会キー", "en": "Lookup key"},
    "lookup_key_hint": {
        "ja": "受付番号と一緒に入力すると、提案の状況と市からの回答を確認できます。このキーはこの画面にしか表示されず、"
              "市の職員にも分かりません。印刷するか書き留めてください。",
        "en": "Enter it with the receipt number to see your proposal's status and the city's answer. It is shown "
              "only on this page and the city's staff cannot see it either: print it or write it down.",
    },
    "lookup_key_shown_before": {
        "ja": "照会キーは、最初に送信したときの受付画面に表示しました。安全のため、もう一度表示することはできません。",
        "en": "The lookup key was shown on the receipt page when you first sent this proposal. For your "
              "security it cannot be shown again.",
    },
    "receipt_status_link": {"ja": "提案の状況を確認する", "en": "Check the status of your proposal"},
    # status page
    "status_title": {"ja": "提案の状況の確認", "en": "Check the status of a proposal"},
    "status_intro": {"ja": "受付画面に表示された受付番号と照会キーを入力してください。",
                     "en": "Enter the receipt number and the lookup key shown on your receipt."},
    "status_receipt_hint": {"ja": "例: {example}", "en": "For example {example}"},
    "status_key_hint": {"ja": "例: {example}（小文字・全角・ハイフンなしでも入力できます）",
                        "en": "For example {example} (lower case, full-width characters or no dashes are fine too)"},
    "error_csrf_lookup": {
        "ja": "セキュリティ確認に失敗しました（ページの有効期限切れの可能性があります）。もう一度入力してください。",
        "en": "The security check failed (the page may have expired). Please enter the details again.",
    },
    "status_submit": {"ja": "状況を確認する", "en": "Check status"},
    "status_not_found": {
        "ja": "受付番号と照会キーの組み合わせに一致する提案が見つかりませんでした。入力内容をご確認ください。",
        "en": "No proposal matches this receipt number and lookup key. Please check what you typed.",
    },
    "error_receipt_format": {"ja": "受付番号は「{example}」のように、数字8桁・ハイフン・数字5桁で入力してください。",
                             "en": "Please enter the receipt number like {example} (8 digits, a dash, 5 digits)."},
    "error_key_format": {"ja": "照会キーは「{example}」のように、16文字の英数字で入力してください。",
                         "en": "Please enter the lookup key like {example} (16 letters and digits)."},
    "error_status_rate": {
        "ja": "短時間に多くの照会がありました。{minutes}分ほど待ってから、もう一度お試しください。",
        "en": "Too many lookups in a short time. Please wait about {minutes} minute(s) and try again.",
    },
    "error_temporary": {
        "ja": "申し訳ありません。一時的な問題が起きました。時間をおいてもう一度お試しください。",
        "en": "Sorry, something went wrong for a moment. Please try again later.",
    },
    "status_result_title": {"ja": "提案の状況", "en": "Status of your proposal"},
    "current_status": {"ja": "現在の状況", "en": "Current status"},
    "status_history": {"ja": "これまでの経過", "en": "History"},
    "history_date": {"ja": "日時", "en": "Date"},
    "status_label": {"ja": "状況", "en": "Status"},
    "answer_heading": {"ja": "市からの回答", "en": "The city's answer"},
    "answer_none": {"ja": "市からの回答はまだ公開されていません。", "en": "No answer from the city has been published yet."},
    "answered_on": {"ja": "回答日", "en": "Answered on"},
    "public_page": {"ja": "公開中の提案", "en": "Published proposal"},
    "public_page_link": {"ja": "公開ページを見る", "en": "See its public page"},
    "not_published": {"ja": "公開されていません", "en": "Not published"},
    "status_another": {"ja": "別の提案の状況を確認する", "en": "Check another proposal"},
    # public list, proposal page and feed
    "list_title": {"ja": "公開中の提案と市の回答", "en": "Published proposals and the city's answers"},
    "list_intro": {
        "ja": "市民の皆さまからの提案のうち、市が公開したものと市からの回答です。提案者の氏名や連絡先は公開しません。",
        "en": "Proposals from citizens that the city has published, with the city's answers. Names and "
              "contact details are never published.",
    },
    "search_label": {"ja": "言葉や内容で探す", "en": "Search by words or meaning"},
    "search_hint": {"ja": "同じ言葉を含まなくても、内容の近い提案も表示します。",
                    "en": "Proposals close in meaning are shown too, even without the same words."},
    "filter_heading": {"ja": "提案を探す", "en": "Find proposals"},
    "filter_all": {"ja": "すべて", "en": "All"},
    "filter_submit": {"ja": "表示する", "en": "Show"},
    "filter_clear": {"ja": "条件をクリア", "en": "Clear the search"},
    "list_count": {"ja": "{total}件中 {first}〜{last}件を表示", "en": "Showing {first}–{last} of {total}"},
    "list_none": {"ja": "条件に合う公開中の提案はありません。", "en": "No published proposals match."},
    "search_substring_only": {
        "ja": "内容の近さによる検索は現在利用できないため、入力した言葉を含む提案だけを表示しています。",
        "en": "Search by meaning is not available right now, so only proposals containing your words are shown.",
    },
    "pagination_label": {"ja": "ページ", "en": "Pages"},
    "page_prev": {"ja": "前のページ", "en": "Previous page"},
    "page_next": {"ja": "次のページ", "en": "Next page"},
    "page_of": {"ja": "{page} / {pages} ページ", "en": "Page {page} of {pages}"},
    "received_on": {"ja": "受付日", "en": "Received"},
    "published_on": {"ja": "公開日", "en": "Published"},
    "updated_on": {"ja": "最終更新", "en": "Last updated"},
    "feed_link": {"ja": "更新情報（Atomフィード）", "en": "Updates (Atom feed)"},
    "feed_subtitle": {"ja": "市が公開した市民提案と、その状況・市からの回答", "en":
                      "Citizen proposals the city has published, their status and the city's answers"},
    "no_such_public_proposal": {"ja": "この受付番号の公開中の提案はありません。",
                                "en": "There is no published proposal with this receipt number."},
    "back_to_list": {"ja": "一覧に戻る", "en": "Back to the list"},
    # Slack
    "slack_new": {"ja": "新しい市民提案", "en": "New citizen proposal"},
    "slack_new_staff": {"ja": "新しい職員アイデア", "en": "New staff idea"},
    "slack_goal_linked": {"ja": "大綱との関連（推定）", "en": "Outline goal (estimated)"},
    "slack_goal_chosen": {"ja": "提案者の選択", "en": "Submitter's choice"},
    "slack_sections": {"ja": "関連する大綱の箇所", "en": "Related outline sections"},
    "slack_similar": {"ja": "似た提案", "en": "Similar proposals"},
    "slack_duplicate": {"ja": "重複の可能性", "en": "possible duplicate"},
    "slack_no_sections": {"ja": "関連する箇所は見つかりませんでした。", "en": "No related sections found."},
    "slack_status": {"ja": "状態", "en": "Status"},
    "slack_changed_by": {"ja": "{status}（<@{user}> が {at} に変更）", "en": "{status} (set by <@{user}> at {at})"},
    "slack_status_fallback": {"ja": "提案 {receipt} の状態: {status}", "en": "Proposal {receipt}: {status}"},
    "slack_publish": {"ja": "公開する", "en": "Publish"},
    "slack_unpublish": {"ja": "非公開にする", "en": "Unpublish"},
    "slack_published": {"ja": "公開中（似た提案として市民に表示）", "en": "Published (shown to citizens as similar)"},
    "slack_unknown_proposal": {"ja": "この提案は見つかりませんでした。", "en": "This proposal was not found."},
    "slack_bad_transition": {"ja": "「{src}」から「{dst}」には変更できません。", "en": "Cannot change from {src} to {dst}."},
    "slack_publish_title": {"ja": "公開する内容の確認", "en": "Approve public text"},
    "slack_publish_submit": {"ja": "公開する", "en": "Publish"},
    "slack_publish_intro": {
        "ja": "市民向けフォームの「似た提案」には、ここで承認した件名と抜粋だけが表示されます（受付番号 {receipt}）。"
              "氏名・住所・連絡先など個人が分かる情報が残っていないか確認し、必要なら書き換えてください。",
        "en": "Citizens see only the title and excerpt you approve here, in the form's similar proposals "
              "(receipt {receipt}). Check that no name, address, contact detail or other personal "
              "information is left, and edit them if needed.",
    },
    "slack_public_text": {"ja": "市民に表示: {title} — {excerpt}", "en": "Shown to citizens: {title} — {excerpt}"},
    "slack_idea_title": {"ja": "アイデアを登録", "en": "Submit an idea"},
    "slack_idea_submit": {"ja": "登録", "en": "Submit"},
    "slack_idea_cancel": {"ja": "キャンセル", "en": "Cancel"},
    "slack_idea_command": {"ja": "職員のアイデアを登録するフォームを開きます（`/reform idea 件名` で件名入り）",
                           "en": "opens the form to submit a staff idea (`/reform idea title` fills in the title)"},
    "slack_idea_saved": {"ja": "アイデアを受付番号 {receipt} で登録しました。", "en": "Your idea was saved as {receipt}."},
    "slack_home_heading": {"ja": "市民提案", "en": "Citizen proposals"},
    "slack_home_counts": {"ja": "重点目標ごとの件数", "en": "Count per goal"},
    "slack_home_recent": {"ja": "最近の提案（{status}）", "en": "Recent proposals ({status})"},
    "slack_home_none": {"ja": "ありません", "en": "None"},
    # answers (staff): the 回答する modal and the answer shown on the proposal's message
    "answer_text": {"ja": "回答", "en": "Answer"},
    "answer_status": {"ja": "対応状況", "en": "Outcome"},
    "answer_publish": {"ja": "公開する", "en": "Publish"},
    "answer_publish_hint": {"ja": "受付状況のページで市民に回答を表示します。",
                            "en": "Show the answer to citizens on the status page."},
    "error_answer_status": {"ja": "「{src}」の提案を「{dst}」にはできません。選べるのは {allowed} です。",
                            "en": "A proposal that is {src} cannot become {dst}; choose one of {allowed}."},
    "error_answer_personal": {
        "ja": "公開する回答に{kinds}と思われる箇所があります。削除するか、「公開する」を外してください。",
        "en": "The answer to publish seems to contain {kinds}; remove it or untick Publish.",
    },
    "slack_answer": {"ja": "回答する", "en": "Answer"},
    "slack_answer_edit": {"ja": "回答を編集", "en": "Edit answer"},
    "slack_answer_title": {"ja": "提案への回答", "en": "Answer a proposal"},
    "slack_answer_submit": {"ja": "回答を保存", "en": "Save answer"},
    "slack_answer_intro_mail": {
        "ja": "受付番号 {receipt}「{title}」への回答です。提案者はメールアドレスを残しています。保存すると回答がメールで送られます（編集して保存すると、更新した回答がもう一度送られます）。",
        "en": "Answer to {receipt} “{title}”. The submitter left an email address: saving mails them the answer "
              "(saving an edit mails the updated answer again).",
    },
    "slack_answer_intro_nomail": {
        "ja": "受付番号 {receipt}「{title}」への回答です。提案者のメールアドレスはないため、メールは送られません。",
        "en": "Answer to {receipt} “{title}”. The submitter left no email address, so no mail is sent.",
    },
    "slack_answer_heading": {"ja": "回答（<@{user}>、{at}）", "en": "Answer (<@{user}>, {at})"},
    "slack_answer_heading_other": {"ja": "回答（{user}、{at}）", "en": "Answer ({user}, {at})"},
    "slack_answer_public": {"ja": "公開", "en": "public"},
    "slack_answer_private": {"ja": "非公開", "en": "not public"},
    "slack_answer_edits": {"ja": "編集 {n} 回（以前の回答は履歴に残っています）",
                           "en": "edited {n} time(s) (earlier answers kept in the history)"},
    "slack_answer_failed": {"ja": "一時的な問題で回答を保存できませんでした。少し待ってからもう一度保存してください。",
                            "en": "The answer could not be saved because of a temporary problem. Please save it again shortly."},
    "slack_mail_state": {"ja": "市民へのメール: {state}", "en": "Mail to the citizen: {state}"},
    "slack_mail_failed": {
        "ja": "⚠️ 受付番号 {receipt} への{kind}メールを送れませんでした（{attempts} 回試行）: {error}\n"
              "`reformbot proposals show {receipt}` で確認できます（outbox {id}）。",
        "en": "⚠️ The {kind} mail for {receipt} could not be sent ({attempts} attempt(s)): {error}\n"
              "See `reformbot proposals show {receipt}` (outbox {id}).",
    },
    "slack_home_howto": {
        "ja": "職員のアイデアは `/reform idea` またはショートカット「アイデアを登録」から登録できます。",
        "en": "Staff can submit ideas with `/reform idea` or the “Submit an idea” shortcut.",
    },
}


# Mail to citizens. Plain text; the status page is where they can look again later.
MAIL_TEXTS: dict[str, dict[str, str]] = {
    "answer_subject": {"ja": "【{site}】ご提案への回答（受付番号 {receipt}）",
                       "en": "[{site}] Our answer to your proposal ({receipt})"},
    "answer_subject_edit": {"ja": "【{site}】ご提案への回答を更新しました（受付番号 {receipt}）",
                            "en": "[{site}] We updated our answer to your proposal ({receipt})"},
    "answer_body": {
        "ja": "ご提案いただきありがとうございました。\n"
              "次のご提案について、担当からの回答をお知らせします。\n\n"
              "受付番号: {receipt}\n件名: {title}\n対応状況: {status}\n\n"
              "――― 回答 ―――\n{answer}\n――――――――\n\n"
              "受付状況は次のページで確認できます。\n{url}\n\n"
              "このメールは、{site}のフォームでメールアドレスをご入力いただいた方にお送りしています。"
              "お心当たりのない場合は、お手数ですが破棄してください。\n",
        "en": "Thank you for your proposal.\n"
              "Here is our answer to the following proposal.\n\n"
              "Receipt number: {receipt}\nTitle: {title}\nOutcome: {status}\n\n"
              "--- Answer ---\n{answer}\n--------------\n\n"
              "You can check its status on this page:\n{url}\n\n"
              "You receive this mail because this address was entered on the form of {site}. "
              "If that was not you, please delete it.\n",
    },
    "answer_body_edit_note": {"ja": "（先にお送りした回答を更新しました。こちらが最新の回答です。）\n\n",
                              "en": "(We updated the answer we sent earlier; this is the current one.)\n\n"},
    "receipt_subject": {"ja": "【{site}】ご提案を受け付けました（受付番号 {receipt}）",
                        "en": "[{site}] We received your proposal ({receipt})"},
    "receipt_body": {
        "ja": "ご提案をお寄せいただきありがとうございます。次のとおり受け付けました。\n\n"
              "受付番号: {receipt}\n受付日時: {received_at}\n件名: {title}\n{key_line}\n"
              "担当が内容を確認し、回答をこのメールアドレスにお送りします。\n"
              "受付状況は次のページで、受付番号と照会キーを入力して確認できます。\n{url}\n\n"
              "このメールは、{site}のフォームでメールアドレスをご入力いただいた方にお送りしています。"
              "お心当たりのない場合は、お手数ですが破棄してください。\n",
        "en": "Thank you for your proposal. We received it as follows.\n\n"
              "Receipt number: {receipt}\nReceived at: {received_at}\nTitle: {title}\n{key_line}\n"
              "Staff will read it and send our answer to this address.\n"
              "You can check its status on this page with the receipt number and the lookup key:\n{url}\n\n"
              "You receive this mail because this address was entered on the form of {site}. "
              "If that was not you, please delete it.\n",
    },
}


def mail_text(key: str, lang: str = "ja", **kwargs) -> str:
    """A mail subject or body from :data:`MAIL_TEXTS` in ``lang`` (Japanese when missing)."""
    entry = MAIL_TEXTS[key]
    return (entry.get(lang) or entry["ja"]).format(**kwargs)


# English error messages name a field inside a sentence ("Please enter a title."), which the bare
# labels ("Title") cannot do: the phrase after a verb, and the phrase that starts a sentence.
# Japanese needs neither: 「{field}を入力してください。」 reads well with the label itself.
_EN_FIELD_PHRASES = {
    "title": ("a title", "The title"),
    "body": ("your proposal", "Your proposal"),
    "goal": (f'the related goal (or "{GOAL_TITLES["unknown"]["en"]}")', "The related goal"),
    "residency": ("your relation to Atsugi", "Your relation to Atsugi"),
    "name": ("your name or nickname", "Your name or nickname"),
    "email": ("your email address", "Your email address"),
    "age_group": ("your age group", "Your age group"),
    "public_title": ("the public title", "The public title"),
    "public_excerpt": ("the public excerpt", "The public excerpt"),
    "answer_text": ("the answer", "The answer"),
    "answer_status": ("the outcome", "The outcome"),
    "receipt_no": ("the receipt number", "The receipt number"),
    "lookup_key": ("the lookup key", "The lookup key"),
}


def _en_field(label: str) -> dict[str, str]:
    """``what``/``What`` phrases for the field whose English label is ``label`` (the label itself
    when the field has no phrases)."""
    for key, (what, what_cap) in _EN_FIELD_PHRASES.items():
        if _STRINGS[key]["en"] == label:
            return {"what": what, "What": what_cap}
    return {"what": label, "What": label}


def t(key: str, lang: str = "ja", **kwargs) -> str:
    """The string ``key`` in ``lang`` (Japanese when missing), formatted with ``kwargs``.

    In English, a ``field`` argument (a field's label) also provides ``{what}`` and ``{What}``,
    the field as a phrase inside and at the start of a sentence.
    """
    entry = _STRINGS[key]
    text = entry.get(lang) or entry["ja"]
    if lang == "en" and entry.get("en") and "field" in kwargs:
        kwargs = {**_en_field(kwargs["field"]), **kwargs}
    return text.format(**kwargs) if kwargs else text


def label(table: dict, key, lang: str = "ja") -> str:
    """A label from one of the choice tables above (GOAL_TITLES, RESIDENCY, …)."""
    entry = table.get(key) or {}
    return entry.get(lang) or entry.get("ja") or str(key)


def normalise_lang(value: str | None) -> str:
    """``"en"`` when asked for English, otherwise ``"ja"``."""
    return "en" if (value or "").strip().lower().startswith("en") else "ja"


def error_summary(n: int, lang: str) -> str:
    """"There are N problems" with English plurals."""
    return t("error_summary", lang, n=n, is_are="is" if n == 1 else "are", s="" if n == 1 else "s")
