"""The citizen form in a real headless Chromium (Debian's chromium, driven by Playwright),
served by a real uvicorn on a loopback port. Accessibility checked with axe-core (bundled in
axe-playwright-python; nothing is fetched)."""
from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import expect
from starlette.applications import Starlette

from bot.settings import Settings
from feedback.proposals.linking import ProposalPipeline
from feedback.proposals.store import ProposalStore
from feedback.proposals.web import proposal_routes
from browser_support import browser, page, serious_violations  # noqa: F401  (fixtures)
from proposals_support import bundled_document, live_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("browser")
    settings = Settings(data_dir=data, proposals_rate_limit="0")
    store = ProposalStore(settings.database_path)
    app = Starlette(routes=proposal_routes(settings, store, document=bundled_document, pipeline=ProposalPipeline(store)))
    with live_server(app) as s:
        s.settings = settings
        yield s
    store.close()


def fill_valid(page, title="バスの時刻表をオープンデータに") -> None:
    page.get_by_label("件名").fill(title)
    page.get_by_label("提案内容").fill("市内のバスの時刻表をオープンデータとして公開し、\n民間のアプリで使えるようにしてほしい。")
    page.get_by_label("重点目標３ 市民協働により公共サービスを向上させる").check()
    page.get_by_label("市内在勤").check()
    page.get_by_label("年代").select_option("30s")
    page.get_by_label("メールアドレス").fill("reply@example.jp")
    page.get_by_label("個人情報の取扱いに同意する").check()


def test_submit_valid_proposal_and_read_the_receipt(page, server):
    page.goto(server.url + "/proposals/new")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    assert serious_violations(page) == []
    fill_valid(page)
    page.get_by_role("button", name="送信する").click()
    # the receipt is the POST's own response (no redirect): wait for it by its heading, which the
    # form page does not have, rather than reading whatever page is showing right after the click
    expect(page.get_by_role("heading", level=1)).to_have_text("提案を受け付けました")
    expect(page).to_have_url(re.compile(r"/proposals$"))
    no = page.locator("#receipt-no").inner_text()
    assert "\n民間のアプリ" in page.locator("#receipt-body").inner_text()
    assert serious_violations(page) == []
    con = sqlite3.connect(server.settings.database_path)
    row = con.execute("SELECT title, goal, residency, age_group FROM proposals WHERE receipt_no = ?", (no,)).fetchone()
    assert row == ("バスの時刻表をオープンデータに", "3", "worker", "30s")
    # printable: navigation hidden; the receipt number and whose receipt it is (site name) on paper
    page.emulate_media(media="print")
    expect(page.locator(".lang-switch")).to_be_hidden()
    expect(page.locator("#receipt-no")).to_be_visible()
    expect(page.locator(".site-header")).to_be_visible()
    expect(page.locator(".site-name")).to_be_visible()
    expect(page.locator(".site-name")).to_have_css("color", "rgb(0, 0, 0)")


def test_invalid_input_shows_errors_next_to_fields_and_keeps_the_text(page, server):
    page.goto(server.url + "/proposals/new")
    page.get_by_label("件名").fill("   ")
    page.get_by_label("提案内容").fill("<script>alert('x')</script> 書いた内容は残る")
    page.get_by_label("メールアドレス").fill("taro@")
    page.get_by_role("button", name="送信する").click()
    summary = page.locator("#error-summary")
    expect(summary).to_have_attribute("role", "alert")
    # autofocus is applied by the browser at its next rendering step, not when the element is parsed:
    # an auto-waiting assertion, not an immediate read of document.activeElement
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("4件の問題")
    expect(page.locator("#residency-error")).to_be_visible()
    expect(page.locator("#title-error")).to_have_text(re.compile("件名を入力してください。$"))
    expect(page.get_by_label("件名")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("件名")).to_have_attribute("aria-describedby", re.compile(r"\btitle-error\b"))
    expect(page.locator("#email-error")).to_be_visible()
    expect(page.locator("#consent-error")).to_be_visible()
    expect(page.get_by_label("提案内容")).to_have_value("<script>alert('x')</script> 書いた内容は残る")
    expect(page.get_by_label("メールアドレス")).to_have_value("taro@")
    expect(page).to_have_title(re.compile("^エラー: "))
    # the summary links move focus to the field
    summary.get_by_role("link", name="件名を入力してください。").click()
    expect(page.locator("#field-title")).to_be_focused()
    assert serious_violations(page) == []
    # fix and resend: accepted
    page.get_by_label("件名").fill("直した件名")
    page.get_by_label("メールアドレス").fill("")
    page.get_by_label("その他").check()
    page.get_by_label("個人情報の取扱いに同意する").check()
    page.get_by_role("button", name="送信する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("提案を受け付けました")


def test_english_page_via_visible_switch(page, server):
    page.goto(server.url + "/proposals/new")
    page.get_by_label("提案内容").fill("途中まで日本語で書いた下書き")
    page.get_by_label("市内在学").check()
    page.get_by_role("button", name="English").click()      # the switch keeps what was typed
    expect(page.locator("html")).to_have_attribute("lang", "en")     # waits for the English page
    expect(page.get_by_label("Your proposal")).to_have_value("途中まで日本語で書いた下書き")
    expect(page.get_by_label("Study in the city")).to_be_checked()
    expect(page.get_by_role("heading", level=1)).to_have_text("Citizen proposal form")
    expect(page.locator("#error-summary")).to_have_count(0)   # switching is not submitting
    assert serious_violations(page) == []
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#error-summary")).to_contain_text("There are 2 problems")   # body and residency kept
    page.get_by_label("Title").fill("Bilingual signs")
    page.get_by_label("Your proposal").fill("Add English to the signs at city hall.")
    page.get_by_label("I agree to the handling of personal information").check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your proposal has been received")
    assert serious_violations(page) == []


def test_works_without_javascript_on_a_phone_sized_screen(browser, server):
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740},
                              is_mobile=True, has_touch=True, locale="ja-JP")
    page = ctx.new_page()
    try:
        page.goto(server.url + "/proposals/new")
        fill_valid(page, title="スマホから送った提案")
        width = page.locator("#field-body").bounding_box()["width"]
        assert 280 <= width <= 360
        page.get_by_role("button", name="送信する").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("提案を受け付けました")
    finally:
        ctx.close()


def test_no_horizontal_scroll_on_a_phone_and_keyboard_order(browser, server):
    ctx = browser.new_context(viewport={"width": 320, "height": 640}, locale="ja-JP")
    page = ctx.new_page()
    try:
        page.goto(server.url + "/proposals/new")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        seen = []
        for _ in range(30):
            page.keyboard.press("Tab")
            seen.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
        assert seen[0] == "本文へ移動"                       # skip link first
        for field in ("field-title", "field-body", "goal-unknown", "field-name", "field-email", "field-consent"):
            assert field in seen, (field, seen)
        assert "field-website" not in seen                  # honeypot never reached by keyboard
        assert seen.index("field-title") < seen.index("field-body") < seen.index("field-consent")
    finally:
        ctx.close()


def test_axe_check_does_catch_a_serious_violation(page):
    """The accessibility check above is not vacuous: an unlabelled input with low contrast fails."""
    page.set_content('<html lang="ja"><title>x</title><main><input type="text">'
                     '<p style="color:#bbb;background:#fff">薄い文字</p></main></html>')
    found = serious_violations(page)
    assert any(v.startswith("label") for v in found) and any(v.startswith("color-contrast") for v in found)


def test_similar_preview_without_javascript_returns_to_its_results(browser, tmp_path):
    from index.embedder import FakeEmbedder
    from feedback.proposals.linking import SimilarFinder, SimilarityPolicy
    from feedback.proposals.model import ProposalInput

    settings = Settings(data_dir=tmp_path, proposals_rate_limit="0")
    store = ProposalStore(settings.database_path)
    finder = SimilarFinder(store, FakeEmbedder(), SimilarityPolicy(similar=0.5, duplicate=0.9))
    earlier, _ = store.add(ProposalInput(title="公民館の予約をオンラインで", body="公民館の会議室をネットで予約したい",
                                         goal="3"))
    pipeline = ProposalPipeline(store, None, finder)
    pipeline.submit(earlier.id)
    pipeline.join()
    store.set_published(earlier.id, True, "cli:test", public=store.public_draft(earlier.id))
    app = Starlette(routes=proposal_routes(settings, store, document=bundled_document, similar=finder, pipeline=pipeline))
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 700}, locale="ja-JP")
    page = ctx.new_page()
    try:
        with live_server(app) as s:
            page.goto(s.url + "/proposals/new")
            page.get_by_label("件名").fill("公民館の予約をオンラインに")
            page.get_by_label("提案内容").fill("公民館の会議室をネットで予約できるように")
            page.get_by_role("button", name="似た提案を確認する").click()
            expect(page).to_have_url(re.compile(r"/proposals#similar-results$"))
            expect(page.locator(".similar")).to_contain_text("公民館の予約をオンラインで")
            # the browser scrolls to the fragment once the page has loaded: wait for that, then measure
            page.wait_for_load_state("load")
            page.wait_for_function("window.scrollY > 0")
            box = page.locator("#similar-title").bounding_box()
            assert 0 <= box["y"] < 700                                    # in view, not at the top
            expect(page.get_by_label("件名")).to_have_value("公民館の予約をオンラインに")     # draft kept
            # Enter checks again; it never switches the language. The URL is the same before and
            # after, so wait for the navigation itself, or the checks below could read the old page.
            with page.expect_navigation(wait_until="load"):
                page.get_by_label("件名").press("Enter")
            expect(page.locator("html")).to_have_attribute("lang", "ja")
            expect(page).to_have_url(re.compile(r"/proposals#similar-results$"))
            expect(page.locator(".similar")).to_have_count(1)
    finally:
        ctx.close()
        store.close()


def test_enter_in_a_text_field_sends_the_form_not_the_language_switch(page, server):
    page.goto(server.url + "/proposals/new")
    fill_valid(page, title="Enterキーで送った提案")
    page.get_by_label("件名").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("提案を受け付けました")   # waits for the receipt
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    assert serious_violations(page) == []
