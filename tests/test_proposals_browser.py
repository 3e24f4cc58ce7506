"""The citizen form in a real headless Chromium (Debian's chromium, driven by Playwright),
served by a real uvicorn on a loopback port. Accessibility checked with axe-core (bundled in
axe-playwright-python; nothing is fetched)."""
from __future__ import annotations

import shutil
import sqlite3

import pytest
from starlette.applications import Starlette

from bot.settings import Settings
from feedback.proposals.linking import ProposalPipeline
from feedback.proposals.store import ProposalStore
from feedback.proposals.web import proposal_routes
from proposals_support import live_server

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail("Debian chromium is missing: apt-get install -y chromium (the Makefile does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("browser")
    settings = Settings(data_dir=data, proposals_rate_limit="0")
    store = ProposalStore(settings.database_path)
    app = Starlette(routes=proposal_routes(settings, store, pipeline=ProposalPipeline(store)))
    with live_server(app) as s:
        s.settings = settings
        yield s
    store.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(locale="ja-JP")
    p = ctx.new_page()
    yield p
    ctx.close()


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a",
                                                                             "wcag21aa", "best-practice"]}})
    assert results.response["testEngine"]["name"] == "axe-core"
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    return [f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']][:3]})" for v in bad]


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
    assert page.locator("html").get_attribute("lang") == "ja"
    assert serious_violations(page) == []
    fill_valid(page)
    page.get_by_role("button", name="送信する").click()
    page.wait_for_url("**/proposals")
    assert page.get_by_role("heading", level=1).inner_text() == "提案を受け付けました"
    no = page.locator("#receipt-no").inner_text()
    assert "\n民間のアプリ" in page.locator("#receipt-body").inner_text()
    assert serious_violations(page) == []
    con = sqlite3.connect(server.settings.database_path)
    row = con.execute("SELECT title, goal, residency, age_group FROM proposals WHERE receipt_no = ?", (no,)).fetchone()
    assert row == ("バスの時刻表をオープンデータに", "3", "worker", "30s")
    # printable: navigation hidden; the receipt number and whose receipt it is (site name) on paper
    page.emulate_media(media="print")
    assert not page.locator(".lang-switch").is_visible() and page.locator("#receipt-no").is_visible()
    assert page.locator(".site-name").is_visible()
    assert page.locator(".site-name").evaluate("e => getComputedStyle(e).color") == "rgb(0, 0, 0)"


def test_invalid_input_shows_errors_next_to_fields_and_keeps_the_text(page, server):
    page.goto(server.url + "/proposals/new")
    page.get_by_label("件名").fill("   ")
    page.get_by_label("提案内容").fill("<script>alert('x')</script> 書いた内容は残る")
    page.get_by_label("メールアドレス").fill("taro@")
    page.get_by_role("button", name="送信する").click()
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    assert page.evaluate("document.activeElement.id") == "error-summary"   # focus lands on the summary
    assert "4件の問題" in summary.inner_text()
    assert page.locator("#residency-error").is_visible()
    assert page.locator("#title-error").inner_text().endswith("件名を入力してください。")
    assert page.get_by_label("件名").get_attribute("aria-invalid") == "true"
    assert "title-error" in page.get_by_label("件名").get_attribute("aria-describedby")
    assert page.locator("#email-error").is_visible() and page.locator("#consent-error").is_visible()
    assert page.get_by_label("提案内容").input_value() == "<script>alert('x')</script> 書いた内容は残る"
    assert page.get_by_label("メールアドレス").input_value() == "taro@"
    assert page.title().startswith("エラー: ")
    # the summary links move focus to the field
    summary.get_by_role("link", name="件名を入力してください。").click()
    assert page.evaluate("document.activeElement.id") == "field-title"
    assert serious_violations(page) == []
    # fix and resend: accepted
    page.get_by_label("件名").fill("直した件名")
    page.get_by_label("メールアドレス").fill("")
    page.get_by_label("その他").check()
    page.get_by_label("個人情報の取扱いに同意する").check()
    page.get_by_role("button", name="送信する").click()
    assert page.get_by_role("heading", level=1).inner_text() == "提案を受け付けました"


def test_english_page_via_visible_switch(page, server):
    page.goto(server.url + "/proposals/new")
    page.get_by_label("提案内容").fill("途中まで日本語で書いた下書き")
    page.get_by_label("市内在学").check()
    page.get_by_role("button", name="English").click()      # the switch keeps what was typed
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("Your proposal").input_value() == "途中まで日本語で書いた下書き"
    assert page.get_by_label("Study in Atsugi").is_checked()
    assert page.locator("#error-summary").count() == 0        # switching is not submitting
    assert page.get_by_role("heading", level=1).inner_text() == "Citizen proposal form"
    assert serious_violations(page) == []
    page.get_by_role("button", name="Send").click()
    assert "There are 2 problems" in page.locator("#error-summary").inner_text()   # body and residency kept
    page.get_by_label("Title").fill("Bilingual signs")
    page.get_by_label("Your proposal").fill("Add English to the signs at city hall.")
    page.get_by_label("I agree to the handling of personal information").check()
    page.get_by_role("button", name="Send").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your proposal has been received"
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
        assert page.get_by_role("heading", level=1).inner_text() == "提案を受け付けました"
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
    store.set_published(earlier.id, True, "cli:test")
    app = Starlette(routes=proposal_routes(settings, store, similar=finder, pipeline=pipeline))
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 700}, locale="ja-JP")
    page = ctx.new_page()
    try:
        with live_server(app) as s:
            page.goto(s.url + "/proposals/new")
            page.get_by_label("件名").fill("公民館の予約をオンラインに")
            page.get_by_label("提案内容").fill("公民館の会議室をネットで予約できるように")
            page.get_by_role("button", name="似た提案を確認する").click()
            assert page.url.endswith("/proposals#similar-results")
            results = page.locator("#similar-title")
            assert "公民館の予約をオンラインで" in page.locator(".similar").inner_text()
            box = results.bounding_box()
            assert page.evaluate("window.scrollY") > 0 and 0 <= box["y"] < 700     # in view, not at the top
            assert page.get_by_label("件名").input_value() == "公民館の予約をオンラインに"     # draft kept
            page.get_by_label("件名").press("Enter")      # Enter checks again; it never switches the language
            assert page.locator("html").get_attribute("lang") == "ja"
            assert page.url.endswith("/proposals#similar-results") and page.locator(".similar").count() == 1
    finally:
        ctx.close()
        store.close()


def test_enter_in_a_text_field_sends_the_form_not_the_language_switch(page, server):
    page.goto(server.url + "/proposals/new")
    fill_valid(page, title="Enterキーで送った提案")
    page.get_by_label("件名").press("Enter")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.get_by_role("heading", level=1).inner_text() == "提案を受け付けました"
    assert serious_violations(page) == []
