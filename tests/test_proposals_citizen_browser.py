"""The status page and the public list in a real headless Chromium, served by a real uvicorn:
working without JavaScript, in Japanese and English, on a phone, and passing axe-core (no serious
or critical violation) in every state a citizen can reach."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from starlette.applications import Starlette

from bot.settings import Settings
from clock_support import ManualClock, jst
from feedback.proposals.linking import ProposalPipeline
from feedback.proposals.model import ProposalInput
from feedback.proposals.web import PAGE_SIZE, proposal_routes
from browser_support import browser, page, serious_violations  # noqa: F401  (fixtures)
from proposals_support import StandInAnswer, answering_store, live_server, publish

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A live server with PAGE_SIZE + 3 published proposals (some answered) and one unpublished."""
    data = tmp_path_factory.mktemp("citizen")
    settings = Settings(data_dir=data, proposals_rate_limit="0")
    clock = ManualClock(jst(2026, 11, 27, 10, 0, 0))
    store = answering_store(settings.database_path, clock=clock)
    goals, statuses = ("1", "2", "3", "unknown"), ("received", "reviewing", "done", "difficult")
    for i in range(PAGE_SIZE + 3):
        p, _ = store.add(ProposalInput(title=f"提案{i}", body="本文", goal=goals[i % 4], name="山田 太郎"))
        clock.advance(600)
        if statuses[i % 4] != "received":
            store.set_status(p.id, statuses[i % 4], "cli:test")
        publish(store, p.id, title=f"公開提案{i:02d} 公園のベンチを増やす" if i % 3 == 0 else f"公開提案{i:02d} 窓口の待ち時間",
                excerpt="承認された抜粋です。\n二行目もあります。")
        if i % 4 == 2:
            store.answers[p.id] = StandInAnswer(f"提案{i}への市の回答です。来年度から実施します。")
    store.add(ProposalInput(title="非公開の提案", body="本文", goal="1"))
    app = Starlette(routes=proposal_routes(settings, store, pipeline=ProposalPipeline(store), clock=clock))
    with live_server(app) as s:
        s.store = store
        yield s
    store.close()


def send_proposal(page, base: str) -> tuple[str, str]:
    page.goto(base + "/proposals/new")
    page.get_by_label("件名").fill("図書館の夜間開館")
    page.get_by_label("提案内容").fill("仕事帰りにも使えるよう、図書館を夜9時まで開けてほしい。")
    page.get_by_label("市内在住").check()
    page.get_by_label("個人情報の取扱いに同意する").check()
    page.get_by_role("button", name="送信する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("提案を受け付けました")
    return page.locator("#receipt-no").inner_text(), page.locator("#lookup-key").inner_text()


def test_from_the_receipt_to_the_status_page(page, server):
    no, key = send_proposal(page, server.url)
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", key)
    assert serious_violations(page) == []
    page.emulate_media(media="print")                       # the key is on the printed receipt
    expect(page.locator("#lookup-key")).to_be_visible()
    expect(page.locator(".site-nav")).to_be_hidden()
    page.emulate_media(media="screen")
    page.get_by_role("link", name="提案の状況を確認する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("提案の状況の確認")
    expect(page.get_by_label("受付番号")).to_have_value(no)        # filled in from the receipt
    expect(page.get_by_label("照会キー")).to_have_value("")
    expect(page.get_by_role("link", name="提案の状況確認")).to_have_attribute("aria-current", "page")
    assert serious_violations(page) == []
    page.get_by_label("照会キー").fill(key.replace("-", "").lower())
    page.get_by_role("button", name="状況を確認する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("提案の状況")
    expect(page).to_have_url(re.compile(r"/proposals/status$"))    # the key is in no URL
    expect(page.locator("#current-status")).to_have_text("受付")
    expect(page.locator("#answer-none")).to_be_visible()
    assert serious_violations(page) == []


def test_status_errors_and_a_wrong_key_are_announced_and_accessible(page, server):
    page.goto(server.url + "/proposals/status")
    page.get_by_role("button", name="状況を確認する").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("2件の問題")
    expect(page.get_by_label("照会キー")).to_have_attribute("aria-invalid", "true")
    assert serious_violations(page) == []
    summary.get_by_role("link", name="照会キーを入力してください。").click()
    expect(page.get_by_label("照会キー")).to_be_focused()
    page.get_by_label("受付番号").fill("20261127-12345")
    page.get_by_label("照会キー").fill("K7QF-2M9X-H3WD-8RTB")
    page.get_by_role("button", name="状況を確認する").click()
    banner = page.locator("#form-banner")
    expect(banner).to_be_focused()
    expect(banner).to_contain_text("一致する提案が見つかりませんでした")
    expect(page.get_by_label("受付番号")).to_have_value("20261127-12345")
    expect(page.get_by_label("照会キー")).to_have_value("")
    assert serious_violations(page) == []


def test_status_page_without_javascript_in_english_with_an_answer(browser, server):
    store = server.store
    p, _ = store.add(ProposalInput(title="Bilingual signs", body="Add English to the signs.", goal="3", lang="en"))
    store.set_status(p.id, "done", "cli:test")
    store.answers[p.id] = StandInAnswer("New signs go up in April.\nThank you.")
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740}, locale="en-GB")
    page = ctx.new_page()
    try:
        page.goto(server.url + "/proposals/status?lang=en")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.get_by_label("Receipt number").fill(p.receipt_no.replace("-", ""))
        page.get_by_label("Lookup key").fill(p.lookup_key)
        page.get_by_role("button", name="Check status").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Status of your proposal")
        expect(page.locator("#current-status")).to_have_text("Done")
        expect(page.locator("#answer-text")).to_have_text("New signs go up in April.\nThank you.")
        rows = page.locator("#status-history tbody tr")
        expect(rows).to_have_count(2)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.get_by_role("link", name="日本語").click()            # the switch keeps the number only
        expect(page.get_by_label("受付番号")).to_have_value(p.receipt_no)
        expect(page.get_by_label("照会キー")).to_have_value("")
    finally:
        ctx.close()


def test_the_public_list_filters_pages_and_searches_without_javascript(browser, server):
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 640}, locale="ja-JP")
    page = ctx.new_page()
    try:
        page.goto(server.url + "/proposals/new")
        page.get_by_role("link", name="公開中の提案と回答").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("公開中の提案と市の回答")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        entries = page.locator(".proposal-list > li")
        expect(entries).to_have_count(PAGE_SIZE)
        expect(page.locator("#result-count")).to_have_text(f"{PAGE_SIZE + 3}件中 1〜{PAGE_SIZE}件を表示")
        page.get_by_role("link", name="次のページ").click()
        expect(entries).to_have_count(3)
        expect(page.get_by_text("2 / 2 ページ")).to_be_visible()
        # filter by goal and status with the form (GET: the choice is in the URL)
        page.get_by_label("関係する重点目標").select_option("3")
        page.get_by_label("状況", exact=True).select_option("done")
        page.get_by_role("button", name="表示する").click()
        expect(page).to_have_url(re.compile(r"/proposals\?q=&goal=3&status=done$"))
        expect(entries).to_have_count(6)                              # i = 2, 6, …, 22
        expect(page.get_by_label("関係する重点目標")).to_have_value("3")
        # search (no embedder on this server: substring, and the page says so)
        page.get_by_role("link", name="条件をクリア").click()
        page.get_by_label("言葉や内容で探す").fill("公園 ベンチ")
        page.get_by_role("button", name="表示する").click()
        expect(entries).to_have_count(8)                              # i = 0, 3, …, 21
        expect(page.locator("#substring-only")).to_be_visible()
        # one proposal's page, with the city's answer
        page.get_by_role("link", name="公開提案18 公園のベンチを増やす").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("公開提案18 公園のベンチを増やす")
        expect(page.locator("#answer-text")).to_have_text("提案18への市の回答です。来年度から実施します。")
        page.get_by_role("link", name="一覧に戻る").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("公開中の提案と市の回答")
        assert "山田" not in page.content()
    finally:
        ctx.close()


@pytest.mark.parametrize("path", ["/proposals", "/proposals?lang=en", "/proposals?page=2",
                                  "/proposals?goal=1&status=done", "/proposals?q=%E5%85%AC%E5%9C%92",
                                  "/proposals/feed-missing", "/proposals/status?lang=en"])
def test_public_pages_pass_axe(page, server, path):
    page.goto(server.url + path)
    assert serious_violations(page) == []


def test_a_proposal_page_with_an_answer_passes_axe_in_both_languages(page, server):
    answered = next(p for p in server.store.published() if p.id in server.store.answers)
    for lang in ("", "?lang=en"):
        page.goto(f"{server.url}/proposals/{answered.receipt_no}{lang}")
        expect(page.locator("#answer-text")).to_be_visible()
        assert serious_violations(page) == []
