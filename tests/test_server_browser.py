"""The staff Q&A page in a real headless Chromium (Debian's chromium via Playwright) on a real
uvicorn, with the real index: what a staff member sees, and axe-core's accessibility check."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from bot.server import create_app
from browser_support import browser, page, serious_violations  # noqa: F401  (fixtures)
from proposals_support import live_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(real_settings, real_qa):
    with live_server(create_app(real_settings, qa=real_qa)) as s:
        yield s


def test_staff_asks_on_the_page_and_reads_a_cited_answer(server, page):
    page.goto(server.url + "/")
    page.get_by_label("質問").fill("PFIとは何ですか")
    page.get_by_role("button", name="質問する").click()
    # wait for the answer page by what only it shows (wait_for_load_state right after the click
    # could return at once on the question page, if the navigation had not started yet)
    quote = page.locator("figure.answer-quote")
    expect(quote.locator("blockquote")).to_contain_text("Private Finance Initiative")
    caption = quote.locator("figcaption")
    expect(caption).to_have_text(re.compile(r"^出典:.*用語説明.*\(大綱P\.2\)", re.S))
    expect(page.locator("dl.glossary dt")).not_to_have_count(0)      # ＰＰＰ, named in the quoted text
    assert serious_violations(page) == []


@pytest.mark.parametrize(
    "q, lang, expected",
    [
        ("What does BCP stand for?", "en", "Source:"),
        ("ごみの収集日は？", "ja", "大綱には記載がありません"),
        ("", "ja", "質問を入力してください。"),
        ("<img src=x onerror=alert(1)>", "en", "The outline does not cover this question."),
    ],
)
def test_pages_staff_meet_have_no_serious_accessibility_violations(server, page, q, lang, expected):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server.url + "/?q=" + quote(q))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("main")).to_contain_text(expected)
    assert dialogs == []                                        # markup in a question never runs
    assert serious_violations(page) == []


def test_language_switch_stays_on_one_line_on_a_phone(server, browser):
    ctx = browser.new_context(locale="ja-JP", viewport={"width": 400, "height": 800})
    page = ctx.new_page()
    page.goto(server.url + "/?q=" + quote("What is the capital of France?"))
    link = page.locator("header a.lang")
    line_height = float(link.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert link.bounding_box()["height"] < 1.5 * line_height        # 「日本語」 not broken as 日本/語
    ctx.close()


# --- 👍/👎 and the proposal form, with JavaScript off ------------------------------------------------

@pytest.fixture(scope="module")
def own_server(tmp_path_factory, real_settings, real_qa):
    """A server with a reformbot.db of its own (votes land there), on a copy of the real index."""
    import shutil

    from bot.settings import Settings

    data = tmp_path_factory.mktemp("vote-browser") / "data"
    shutil.copytree(real_settings.index_dir, data / "index")
    settings = Settings(data_dir=data, ask_rate_limit="0")
    with live_server(create_app(settings, qa=real_qa)) as s:
        s.settings = settings
        yield s


@pytest.fixture
def no_js_page(browser):
    ctx = browser.new_context(locale="ja-JP", java_script_enabled=False)
    p = ctx.new_page()
    yield p
    ctx.close()


VOTES = [
    ("ja", "PFIとは何ですか", "役に立った", "up", "評価ありがとうございました"),
    ("en", "What does BCP stand for?", "Not helpful", "down", "Thank you for rating the answer"),
]


def rate(server, page, lang, question, button) -> int:
    """Ask on the page, press 👍 or 👎 under the answer; the answer's id."""
    page.goto(server.url + f"/?lang={lang}&q=" + quote(question))
    vote = page.locator("form.vote")
    expect(vote).to_be_visible()
    answer_id = int(vote.locator("input[name=answer_id]").get_attribute("value"))
    vote.get_by_role("button", name=button, exact=True).click()
    return answer_id


@pytest.mark.parametrize("lang, question, button, verdict, thanks", VOTES)
def test_staff_rates_an_answer_without_javascript(own_server, no_js_page, lang, question, button, verdict, thanks):
    import sqlite3

    answer_id = rate(own_server, no_js_page, lang, question, button)
    expect(no_js_page.locator("p.notice")).to_contain_text(thanks)
    expect(no_js_page.locator("html")).to_have_attribute("lang", lang)
    conn = sqlite3.connect(own_server.settings.database_path)
    try:
        verdicts = conn.execute("select verdict from answer_votes where answer_id = ?", (answer_id,)).fetchall()
    finally:
        conn.close()
    assert verdicts == [(verdict,)]


@pytest.mark.parametrize("lang, question, button, verdict, thanks", VOTES)
def test_vote_form_and_thank_you_page_are_accessible(own_server, page, lang, question, button, verdict, thanks):
    page.goto(own_server.url + f"/?lang={lang}&q=" + quote(question))
    expect(page.locator("form.vote")).to_be_visible()
    assert serious_violations(page) == []                    # the answer page with its vote form
    page.locator("form.vote").get_by_role("button", name=button, exact=True).click()
    expect(page.locator("p.notice")).to_contain_text(thanks)
    assert serious_violations(page) == []                    # the thank-you page


def test_staff_page_leads_to_the_proposal_form(own_server, no_js_page):
    page = no_js_page
    page.goto(own_server.url + "/?lang=en")
    page.get_by_role("link", name="Propose a reform idea").click()
    expect(page).to_have_url(re.compile(r"/proposals/new\?lang=en$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_staff_asks_a_follow_up_without_javascript(server, no_js_page):
    """The answer page's 「続けて質問する」 form carries the previous question: a follow-up is
    read with it, and the page says how it was searched."""
    page = no_js_page
    page.goto(server.url + "/?q=" + quote("第１期実施計画の期間は？"))
    follow = page.locator("form.follow-up")
    follow.get_by_label("続けて質問する").fill("第２期は？")
    follow.get_by_role("button", name="続けて質問する").click()
    expect(page.locator("p.searched-as")).to_contain_text("『第２期実施計画の期間は？』として検索しました")
    expect(page.locator("blockquote.quote")).to_contain_text("令和６年度から令和８年度まで")
    expect(page.locator("#q")).to_have_value("第２期は？")
