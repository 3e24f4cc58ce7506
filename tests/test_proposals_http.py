"""The citizen form over HTTP: CSRF, honeypot, rate limit, double submit, escaping, languages."""
from __future__ import annotations

import html
import re
import sqlite3

import pytest
from markupsafe import escape
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.settings import Settings
from feedback.proposals.guard import RateLimiter
from feedback.proposals.linking import ProposalPipeline
from feedback.proposals.model import PersonalAccess
from feedback.proposals.store import ProposalStore
from feedback.proposals.web import proposal_routes
from clock_support import ManualClock
from proposals_support import VALID, fresh_form, hidden, lookup_key, receipt_no, submit

XSS = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}}",
    "&lt;b&gt;already escaped&lt;/b&gt;",
]


@pytest.fixture
def env(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", proposals_rate_limit="0")
    store = ProposalStore(settings.database_path)
    clock = ManualClock()
    limiter = RateLimiter(3, 600, clock=clock.monotonic)
    pipeline = ProposalPipeline(store)
    app = Starlette(routes=proposal_routes(settings, store, pipeline=pipeline, limiter=limiter))
    client = TestClient(app, base_url="http://testserver")
    yield {"settings": settings, "store": store, "client": client, "clock": clock, "app": app}
    store.close()


def rows(settings) -> list[tuple]:
    """Read the SQLite file directly, not through the store."""
    con = sqlite3.connect(settings.database_path)
    try:
        return con.execute("SELECT receipt_no, title, body FROM proposals ORDER BY id").fetchall()
    finally:
        con.close()


def test_form_is_japanese_by_default_with_visible_english_switch(env):
    r = env["client"].get("/proposals/new")
    assert r.status_code == 200
    assert '<html lang="ja">' in r.text
    assert "市民提案フォーム" in r.text and "件名" in r.text and "提案内容" in r.text
    assert 'formaction="/proposals?lang=en"' in r.text and "English</button>" in r.text   # keeps the draft
    en = env["client"].get("/proposals/new?lang=en")
    assert '<html lang="en">' in en.text and "Citizen proposal form" in en.text and "件名" not in en.text
    assert "Content-Security-Policy" in r.headers and "script-src" not in r.headers["Content-Security-Policy"]


def test_every_input_has_a_label(env):
    page = env["client"].get("/proposals/new").text
    ids = re.findall(r'<(?:input|textarea|select)[^>]*\bid="([^"]+)"', page)
    assert len(ids) >= 10
    for i in ids:
        assert f'for="{i}"' in page, i


def test_valid_submission_gives_receipt_and_one_row(env):
    r = submit(env["client"])
    assert r.status_code == 200
    no = receipt_no(r.text)
    assert re.fullmatch(r"\d{8}-\d{5}", no)
    assert "提案を受け付けました" in r.text
    assert rows(env["settings"]) == [(no, VALID["title"], VALID["body"])]
    p = env["store"].get(no, include_personal=True, access=PersonalAccess("test", "check what was stored"))
    assert (p.name, p.email, p.consent_version) == ("あつぎ太郎", "taro@example.jp", env["settings"].privacy_notice_version)
    # personal data is not in the proposals table itself
    con = sqlite3.connect(env["settings"].database_path)
    cols = [c[1] for c in con.execute("PRAGMA table_info(proposals)")]
    assert "email" not in cols and "name" not in cols
    assert con.execute("SELECT email FROM proposal_personal").fetchone() == ("taro@example.jp",)


def test_english_submission_and_errors_in_english(env):
    c = env["client"]
    data = {**fresh_form(c, "en"), **VALID, "title": "   ", "email": "not-an-email", "consent": None}
    r = c.post("/proposals?lang=en", data={k: v for k, v in data.items() if v is not None})
    assert r.status_code == 422
    assert "Please enter a title." in r.text and "Please enter an email address like" in r.text
    assert "You need to agree" in r.text and "There are 3 problems" in r.text
    ok = submit(c, lang="en")
    assert "Your proposal has been received" in ok.text
    page = c.get("/proposals/new?lang=en").text       # ASCII marks on the English page, as its intro says
    assert "(optional)" in page and "（" not in page and "＊" not in page and '<span class="req">*' in page
    assert "（任意）" in c.get("/proposals/new").text and '<span class="req">＊' in c.get("/proposals/new").text


@pytest.mark.parametrize("field,value,expect", [
    ("title", "", "件名を入力してください。"),
    ("title", "\u3000\u3000 ", "件名を入力してください。"),
    ("body", "x" * 4001, "提案内容は4000文字以内で入力してください（現在4001文字）。"),
    ("title", "t" * 101, "件名は100文字以内"),
    ("email", "taro@", "メールアドレスの形式が正しくありません"),
    ("body", "ベル\x07文字", "提案内容に使用できない制御文字"),
    ("title", "右から左\u202e", "件名に使用できない制御文字"),
    ("consent", None, "個人情報の取扱いに同意いただく必要があります。"),
    ("residency", "mars", "お住まい等の選択肢が正しくありません。"),
    ("goal", None, "関係する重点目標を選んでください。"),
])
def test_bad_input_shows_field_error_summary_and_keeps_text(env, field, value, expect):
    body_text = "ここに書いた文章は消えてはいけません。<b>太字</b>"
    r = submit(env["client"], **{field: value, **({"body": body_text} if field != "body" else {})})
    assert r.status_code == 422
    assert expect in html.unescape(r.text)
    assert 'class="error-summary" role="alert"' in r.text
    assert f'href="#field-{field}"' in r.text
    if field in ("title", "body", "email"):
        assert 'aria-invalid="true"' in r.text and f'aria-describedby="{field}-hint {field}-error"' in r.text
    if field != "body":
        assert html.escape(body_text, quote=False) in r.text   # text kept, escaped
    assert r.text.count("<title>エラー: ") == 1
    assert rows(env["settings"]) == []


def test_language_switch_on_the_form_keeps_the_draft_and_stores_nothing(env):
    c = env["client"]
    form = fresh_form(c)
    draft = {**form, "title": "下書きの件名", "body": "<b>途中</b>まで", "residency": "worker", "action": "switch_lang"}
    r = c.post("/proposals?lang=en", data=draft)
    assert r.status_code == 200 and '<html lang="en">' in r.text and "Citizen proposal form" in r.text
    assert 'value="下書きの件名"' in r.text and "&lt;b&gt;途中&lt;/b&gt;まで" in r.text
    assert 'id="residency-worker" name="residency" value="worker" checked' in r.text
    assert hidden(r.text, "form_id") == form["form_id"] and 'name="lang" value="en"' in r.text
    assert "error-summary" not in r.text and rows(env["settings"]) == []
    back = c.post("/proposals?lang=ja", data={**draft, "lang": "en"})
    assert '<html lang="ja">' in back.text and 'value="下書きの件名"' in back.text
    forged = c.post("/proposals?lang=en", data={**draft, "csrf_token": "1.0"})
    assert forged.status_code == 403                   # the switch is checked like any other POST


def test_missing_or_invalid_csrf_is_rejected_and_text_kept(env):
    c = env["client"]
    form = fresh_form(c)
    r = c.post("/proposals", data={**VALID, "form_id": form["form_id"]})     # no token
    assert r.status_code == 403 and "セキュリティ確認に失敗しました" in r.text
    assert VALID["body"] in r.text
    forged = form["csrf_token"][:-1] + ("1" if form["csrf_token"][-1] == "0" else "0")   # always differs
    r = c.post("/proposals", data={**VALID, **form, "csrf_token": forged})
    assert r.status_code == 403
    # a token from another browser (other cookie) is useless
    other = TestClient(env["app"])
    stolen = fresh_form(other)
    r = c.post("/proposals", data={**VALID, **stolen})
    assert r.status_code == 403
    # no cookie at all
    bare = TestClient(env["app"])
    r = bare.post("/proposals", data={**VALID, **form})
    assert r.status_code == 403
    assert rows(env["settings"]) == []


def test_expired_token_is_rejected(tmp_path):
    settings = Settings(data_dir=tmp_path, proposals_rate_limit="0")
    store = ProposalStore(settings.database_path)
    clock = ManualClock(1_000_000)
    app = Starlette(routes=proposal_routes(settings, store, clock=clock))
    c = TestClient(app)
    form = fresh_form(c)
    clock.advance(24 * 3600 + 1)
    assert c.post("/proposals", data={**VALID, **form}).status_code == 403
    assert store.count() == 0


def test_honeypot_looks_like_success_but_stores_nothing(env):
    c = env["client"]
    real = submit(c)
    trapped = submit(c, website="http://spam.example")
    assert trapped.status_code == real.status_code == 200
    no = receipt_no(trapped.text)
    assert re.fullmatch(r"\d{8}-\d{5}", no)
    # a decoy 照会キー of the same shape, never stored (it opens nothing)
    decoy_key = lookup_key(trapped.text)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", decoy_key)
    assert env["store"].status_lookup(no, decoy_key) is None
    # same page, apart from the number (also in the status link), the key and the time
    strip = lambda t: re.sub(r'\d{8}-\d{5}|id="lookup-key"[^>]*>[^<]+<|\d{4}-\d\d-\d\d \d\d:\d\d JST', "", t)  # noqa: E731
    assert strip(trapped.text) == strip(real.text)
    assert set(trapped.headers) == set(real.headers)
    assert len(rows(env["settings"])) == 1


def test_double_submit_makes_one_proposal(env):
    c = env["client"]
    data = {**fresh_form(c), **VALID}
    first = c.post("/proposals", data=data)
    second = c.post("/proposals", data=data)
    assert receipt_no(first.text) == receipt_no(second.text)
    assert len(rows(env["settings"])) == 1


def test_rate_limit_per_client_with_text_kept(env):
    c = env["client"]
    for _ in range(3):
        assert submit(c).status_code == 200
    r = submit(c, body="四件目の提案です。")
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert "短時間に多くの送信がありました" in r.text and "四件目の提案です。" in r.text
    assert len(rows(env["settings"])) == 3
    env["clock"].advance(601)
    assert submit(c).status_code == 200
    assert len(rows(env["settings"])) == 4


def test_re_posting_an_already_stored_form_is_not_rate_limited(env):
    c = env["client"]
    data = {**fresh_form(c), **VALID}
    for _ in range(3):
        submit(c)
    # the form stored first is resent (reload): same receipt, not a 429
    first = c.post("/proposals", data=data)
    assert first.status_code == 429     # a new form: limited
    env["clock"].advance(601)
    ok = c.post("/proposals", data=data)
    again = c.post("/proposals", data=data)
    assert ok.status_code == again.status_code == 200 and receipt_no(ok.text) == receipt_no(again.text)


@pytest.mark.parametrize("payload", XSS)
def test_xss_payloads_are_stored_as_text_and_escaped_everywhere(env, payload):
    c = env["client"]
    fields = {"title": payload[:100], "body": payload + "\n" + payload, "name": payload[:50]}
    r = submit(c, **fields)
    assert r.status_code == 200
    for page in (r.text,
                 submit(c, **fields, email="bad").text,                  # error page
                 submit(c, **fields, website="x").text,                  # honeypot receipt
                 c.post("/proposals", data={**VALID, **fields}).text):   # CSRF error page
        assert "<script>alert" not in page and "<svg/onload" not in page and "<img src=x" not in page
        assert "onerror=alert(1)>" not in page.replace("onerror=alert(1)&gt;", "")
    assert str(escape(payload[:100])) in r.text
    stored = env["store"].get(receipt_no(r.text))
    assert stored.title == payload[:100]     # stored verbatim


def test_oversized_request_is_refused(env):
    c = env["client"]
    r = c.post("/proposals", data={**fresh_form(c), **VALID, "body": "あ" * 40000})
    assert r.status_code == 413
    assert rows(env["settings"]) == []


def test_similar_preview_without_javascript(tmp_path):
    from index.embedder import FakeEmbedder
    from feedback.proposals.linking import SimilarFinder, SimilarityPolicy

    settings = Settings(data_dir=tmp_path, proposals_rate_limit="0")
    store = ProposalStore(settings.database_path)
    finder = SimilarFinder(store, FakeEmbedder(), SimilarityPolicy(similar=0.5, duplicate=0.9))
    pipeline = ProposalPipeline(store, None, finder)
    c = TestClient(Starlette(routes=proposal_routes(settings, store, similar=finder, pipeline=pipeline)))
    first = receipt_no(submit(c, name="秘密の名前", email="secret@example.jp", title="公民館の予約をオンラインで k@ex.jp",
                              body="公民館の会議室の予約を 090-1234-5678 でなくオンラインで").text)
    pipeline.join()
    draft = {**fresh_form(c), **VALID, "action": "similar", "title": "公民館の予約をオンラインで"}
    r = c.post("/proposals", data=draft)
    assert r.status_code == 200 and "似た公開済みの提案は見つかりませんでした" in r.text   # not published yet
    store.set_published(first, True, "cli:test", public=store.public_draft(first))   # the masked draft, approved
    r = c.post("/proposals", data=draft)
    assert first in r.text and "公民館の予約をオンラインで" in r.text
    assert "秘密の名前" not in r.text and "secret@example.jp" not in r.text and "090-1234-5678" not in r.text
    assert "k@ex.jp" not in r.text and "公民館の予約をオンラインで ［メール省略］" in r.text   # title masked too
    assert hidden(r.text, "form_id") == draft["form_id"]       # same form continues
    assert store.count() == 1


def test_similar_preview_is_rate_limited_more_loosely_than_submitting(tmp_path):
    from index.embedder import FakeEmbedder
    from feedback.proposals.linking import SimilarFinder

    settings = Settings(data_dir=tmp_path, proposals_rate_limit="0")
    store = ProposalStore(settings.database_path)
    finder = SimilarFinder(store, FakeEmbedder())
    clock = ManualClock()
    c = TestClient(Starlette(routes=proposal_routes(settings, store, similar=finder,
                                                    limiter=RateLimiter(1, 600, clock=clock.monotonic))))
    draft = {**fresh_form(c), **VALID, "action": "similar"}
    pages = [c.post("/proposals", data=draft).text for _ in range(7)]
    assert all("似た公開済みの提案は見つかりませんでした" in p for p in pages[:6])
    assert "似た提案の検索は現在利用できません" in pages[6] and VALID["body"] in pages[6]


def test_form_mounts_on_the_main_server_next_to_the_qa_page(tmp_path):
    """bot.server.create_app serves the form beside /, /api/ask and /static; on shutdown the
    background worker finishes what was queued."""
    from bot.server import create_app
    from bot.service import QAService

    settings = Settings(data_dir=tmp_path / "data", proposals_rate_limit="0")
    app = create_app(settings, QAService(settings))     # no index built: linking fails, the form works
    with TestClient(app) as c:
        assert c.get("/proposals/new").status_code == 200
        assert c.get("/proposals/static/proposals.css").headers["content-type"].startswith("text/css")
        no = receipt_no(submit(c).text)
    store = ProposalStore(settings.database_path)
    p = store.get(no)
    assert store.count() == 1 and p.title == VALID["title"]
    assert p.link_state == "failed"          # processed before shutdown; `proposals relink` after a build
