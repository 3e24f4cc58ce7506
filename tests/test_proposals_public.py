"""Public answers (issue 13, item 4): the list at /proposals, a page per proposal, search by meaning
with a substring fallback, paging, and the Atom feed — over real HTTP and a real SQLite file.

Citizens see of a proposal only the title and excerpt a staff member approved, its chosen goal,
status, dates and the city's published answer: never its text, a name or an email.
"""
from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.settings import Settings
from clock_support import ManualClock, jst
from feedback.proposals.guard import RateLimiter
from feedback.proposals.linking import ProposalPipeline, SimilarFinder
from feedback.proposals.model import ProposalInput
from feedback.proposals.public import PublicSearch
from feedback.proposals.web import PAGE_SIZE, proposal_routes
from proposals_support import StandInAnswer, answering_store, publish

ATOM = "{http://www.w3.org/2005/Atom}"
SECRET_NAME, SECRET_EMAIL = "山田 太郎", "yamada@example.jp"
RAW_ONLY = "秘密の下書き文言"          # in the stored text only, never in the approved excerpt


class CountingEmbedder:
    """The fake embedder, counting the texts it embeds (to see vectors kept and reused)."""

    def __init__(self):
        from index.embedder import FakeEmbedder

        self.inner = FakeEmbedder()
        self.model_id = self.inner.model_id
        self.texts: list[str] = []

    def embed_queries(self, texts):
        self.texts += list(texts)
        return self.inner.embed_queries(texts)


def make_app(settings, store, *, finder=None, clock=None, search=None):
    clock = clock or ManualClock()
    return Starlette(routes=proposal_routes(settings, store, similar=finder, pipeline=ProposalPipeline(store),
                                            clock=clock, search=search))


@pytest.fixture
def site(tmp_path):
    """Proposals on three goals and statuses; some published, one with an answer."""
    clock = ManualClock(jst(2026, 11, 27, 10, 0, 0))
    settings = Settings(data_dir=tmp_path / "data", proposals_rate_limit="0")
    store = answering_store(settings.database_path, clock=clock)
    ids = {}
    for name, goal, status, published in [("bus", "3", "done", True), ("library", "3", "reviewing", True),
                                          ("land", "2", "received", True), ("draft", "1", "received", False)]:
        p, _ = store.add(ProposalInput(
            title=f"{name} の提案 {SECRET_NAME}", body=f"{RAW_ONLY}。{name} について。連絡は {SECRET_EMAIL}",
            goal=goal, residency="resident", name=SECRET_NAME, email=SECRET_EMAIL))
        ids[name] = p
        clock.advance(3600)
        if status != "received":
            store.set_status(p.id, status, "slack:U0STAFF", note="内部メモ")
        if published:
            publish(store, p.id, title=f"公開用の件名 {name}", excerpt=f"{name} についての承認済みの抜粋。")
            clock.advance(3600)
    store.answers[ids["bus"].id] = StandInAnswer("バスの時刻表を公開しました。<script>alert(1)</script>",
                                                 created_at="2026-12-01T01:00:00Z", author="cli:suzuki")
    client = TestClient(make_app(settings, store, clock=clock), base_url="https://city.example")
    yield {"store": store, "client": client, "ids": ids, "settings": settings, "clock": clock}
    store.close()


def titles(html: str) -> list[str]:
    return re.findall(r'<h3 id="p-[^"]+"><a href="[^"]+">([^<]+)</a></h3>', html)


def assert_nothing_private(html: str) -> None:
    for secret in ("山田", "太郎", SECRET_EMAIL, RAW_ONLY, "U0STAFF", "suzuki", "内部メモ", "<script>"):
        assert secret not in html, secret


# --- the list -----------------------------------------------------------------------------------

def test_the_list_shows_published_proposals_with_answers_and_nothing_private(site):
    c = site["client"]
    r = c.get("/proposals")
    assert r.status_code == 200 and "<h1>公開中の提案と市の回答</h1>" in r.text
    assert titles(r.text) == ["公開用の件名 land", "公開用の件名 library", "公開用の件名 bus"]   # newest first
    assert "land についての承認済みの抜粋。" in r.text and "draft" not in r.text
    bus = r.text[r.text.index("公開用の件名 bus"):]
    assert "<strong>対応済</strong>" in bus and "重点目標３" in bus and "2026-11-27" in bus
    assert "バスの時刻表を公開しました。&lt;script&gt;alert(1)&lt;/script&gt;" in bus and "2026-12-01" in bus
    assert_nothing_private(r.text)
    assert_nothing_private(c.get("/proposals?lang=en").text)


def test_the_list_and_the_form_link_to_each_other(site):
    c = site["client"]
    r = c.get("/proposals", follow_redirects=False)
    assert r.status_code == 200                                    # no longer a redirect to the form
    assert 'href="/proposals/new"' in r.text and 'href="/proposals/status"' in r.text
    form = c.get("/proposals/new").text
    assert 'href="/proposals"' in form
    assert 'href="/proposals?lang=en"' in c.get("/proposals/new?lang=en").text
    assert c.get("/proposals/").status_code == 200


@pytest.mark.parametrize("query, expect", [
    ("goal=3", ["公開用の件名 library", "公開用の件名 bus"]),
    ("goal=2", ["公開用の件名 land"]),
    ("goal=1", []),                                     # the only goal-1 proposal is not published
    ("status=done", ["公開用の件名 bus"]),
    ("goal=3&status=reviewing", ["公開用の件名 library"]),
    ("goal=nonsense&status=", ["公開用の件名 land", "公開用の件名 library", "公開用の件名 bus"]),   # ignored
])
def test_filter_by_goal_and_status(site, query, expect):
    r = site["client"].get(f"/proposals?{query}")
    assert r.status_code == 200 and titles(r.text) == expect
    if not expect:
        assert "条件に合う公開中の提案はありません。" in r.text


def test_paging_keeps_the_filters(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", proposals_rate_limit="0")
    clock = ManualClock(jst(2026, 11, 27, 10, 0, 0))
    store = answering_store(settings.database_path, clock=clock)
    for i in range(PAGE_SIZE + 5):
        p, _ = store.add(ProposalInput(title=f"t{i}", body="b", goal="3" if i % 5 else "1"))
        clock.advance(60)
        publish(store, p.id, title=f"提案{i:02d}", excerpt="抜粋")
    c = TestClient(make_app(settings, store, clock=clock))
    first = c.get("/proposals")
    assert len(titles(first.text)) == PAGE_SIZE and f"{PAGE_SIZE + 5}件中 1〜{PAGE_SIZE}件を表示" in first.text
    assert 'rel="prev"' not in first.text
    nxt = re.search(r'<a href="([^"]+)" rel="next">次のページ</a>', first.text).group(1)
    second = c.get(nxt.replace("&amp;", "&"))
    assert titles(second.text) == [f"提案{i:02d}" for i in range(4, -1, -1)] and 'rel="next"' not in second.text
    assert set(titles(first.text)).isdisjoint(titles(second.text))
    # with a filter: 20 of goal 3, one page, and the filter kept in the links
    filtered = c.get("/proposals?goal=3&lang=en")
    assert "Showing 1–20 of 20" in filtered.text and 'rel="next"' not in filtered.text
    assert c.get("/proposals?page=999").status_code == 200                           # clamped to the last page
    assert titles(c.get("/proposals?page=999").text) == titles(second.text)
    assert titles(c.get("/proposals?page=-1").text) == titles(first.text)
    many = c.get("/proposals?goal=3&page=1")
    assert "2 ページ" not in many.text
    two = c.get("/proposals?goal=3&status=received&q=提案").text
    link = re.search(r'href="([^"]+)" lang="en" hreflang="en"', two).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query) == {"lang": ["en"], "goal": ["3"], "status": ["received"], "q": ["提案"]}
    store.close()


# --- search -------------------------------------------------------------------------------------

@pytest.fixture
def searchable(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", proposals_rate_limit="5/600")
    clock = ManualClock(jst(2026, 11, 27, 10, 0, 0))
    store = answering_store(settings.database_path, clock=clock)
    for title, excerpt, goal in [("公民館の会議室をオンラインで予約", "公民館の会議室の予約を、窓口に行かずにスマートフォンからできるようにする提案。", "3"),
                                 ("路線バスの時刻表をオープンデータに", "市内のバスの時刻表を公開し、民間アプリで使えるようにする提案。", "3"),
                                 ("未利用の市有地の売却", "使われていない市の土地を売って財源にする提案。", "2")]:
        p, _ = store.add(ProposalInput(title=title, body=f"{RAW_ONLY} {SECRET_NAME}", goal=goal, name=SECRET_NAME))
        clock.advance(60)
        publish(store, p.id, title=title, excerpt=excerpt)
    embedder = CountingEmbedder()
    finder = SimilarFinder(store, embedder)
    # The fake embedder's cosines are low (64 hashed bigram dimensions): "公民館予約" scores 0.27 against
    # the 公民館 text and below 0 against the others; a name or a word not in the public text, below 0.1.
    search = PublicSearch(store, finder, min_score=0.25)
    c = TestClient(make_app(settings, store, finder=finder, clock=clock, search=search))
    yield {"store": store, "client": c, "embedder": embedder, "clock": clock, "settings": settings}
    store.close()


def test_search_by_meaning_finds_text_without_the_same_words(searchable):
    c = searchable["client"]
    r = c.get("/proposals", params={"q": "公民館予約"})            # not a substring of any public text
    assert titles(r.text)[:1] == ["公民館の会議室をオンラインで予約"]
    assert 'id="substring-only"' not in r.text
    assert "路線バス" not in "".join(titles(r.text))
    assert titles(c.get("/proposals", params={"q": "バス", "goal": "2"}).text) == []   # filters still apply


def test_search_never_reaches_the_stored_text(searchable):
    """Only the approved public text is embedded and matched: a word or a name that is only in the
    stored text finds nothing, by meaning or by substring."""
    c, embedder = searchable["client"], searchable["embedder"]
    queries = (RAW_ONLY, "山田太郎", SECRET_NAME)
    for q in queries:
        assert titles(c.get("/proposals", params={"q": q}).text) == [], q
    # embedded: the three public texts once, then each query; nothing else
    assert embedder.texts[3:] == [f"{q}\n" for q in queries]
    assert sorted(embedder.texts[:3]) == sorted(f"{t}\n{e}" for t, e in [
        ("公民館の会議室をオンラインで予約", "公民館の会議室の予約を、窓口に行かずにスマートフォンからできるようにする提案。"),
        ("路線バスの時刻表をオープンデータに", "市内のバスの時刻表を公開し、民間アプリで使えるようにする提案。"),
        ("未利用の市有地の売却", "使われていない市の土地を売って財源にする提案。")])


def test_public_text_vectors_are_kept_and_redone_when_the_approval_changes(searchable):
    c, store, embedder = searchable["client"], searchable["store"], searchable["embedder"]
    c.get("/proposals", params={"q": "バス"})
    assert len(embedder.texts) == 4                              # three public texts and the query
    c.get("/proposals", params={"q": "予約"})
    assert len(embedder.texts) == 5                              # only the query: vectors reused from SQLite
    bus = store.published(ids=None)[1]
    publish(store, bus.id, title="路線バスの運行情報をオープンデータに", excerpt="運行情報を公開する提案。")
    c.get("/proposals", params={"q": "バス"})
    assert embedder.texts[5] == "路線バスの運行情報をオープンデータに\n運行情報を公開する提案。" and len(embedder.texts) == 7
    store.set_published(bus.id, False, "cli:test")               # unpublished: its vector goes with the text
    con = sqlite3.connect(searchable["settings"].database_path)
    assert con.execute("SELECT COUNT(*) FROM proposal_public_vectors WHERE proposal_id = ?", (bus.id,)).fetchone() == (0,)
    con.close()


def test_search_falls_back_to_substrings_without_embeddings(searchable, tmp_path):
    c, store = searchable["client"], searchable["store"]
    for _ in range(60):                                          # 12 x the form limit of 5: by meaning
        c.get("/proposals", params={"q": "公民館予約"})
    over = c.get("/proposals", params={"q": "公民館予約"})
    assert over.status_code == 200 and 'id="substring-only"' in over.text and titles(over.text) == []
    assert titles(c.get("/proposals", params={"q": "公民館 予約"}).text) == ["公民館の会議室をオンラインで予約"]
    # no embedder at all (the Q&A index is not built): substring search, said so on the page
    bare = TestClient(make_app(searchable["settings"], store))
    r = bare.get("/proposals", params={"q": "ｂｕｓ バス"})
    assert 'id="substring-only"' in r.text and titles(r.text) == []
    r = bare.get("/proposals", params={"q": "時刻表　バス"})      # words in any order, U+3000 between
    assert titles(r.text) == ["路線バスの時刻表をオープンデータに"] and "内容の近さによる検索は現在利用できない" in r.text

    class Broken:
        model_id = "broken"

        def embed_queries(self, texts):
            raise RuntimeError("model file missing")

    broken = TestClient(make_app(searchable["settings"], store, finder=SimilarFinder(store, Broken())))
    r = broken.get("/proposals", params={"q": "時刻表"})
    assert r.status_code == 200 and titles(r.text) == ["路線バスの時刻表をオープンデータに"]
    assert 'id="substring-only"' in r.text


@pytest.mark.slow
def test_search_by_meaning_with_the_real_model(tmp_path, real_qa):
    """The bundled model, as the server uses it (the Q&A index's embedder)."""
    from feedback.proposals.web import _LazyEmbedder

    settings = Settings(data_dir=tmp_path / "data", proposals_rate_limit="0")
    store = answering_store(settings.database_path)
    for title, excerpt in [("公民館の会議室をオンラインで予約", "公民館の会議室の予約を、窓口に行かずにスマートフォンからできるようにする提案。"),
                           ("路線バスの時刻表をオープンデータに", "市内のバスの時刻表を公開し、民間アプリで使えるようにする提案。"),
                           ("未利用の市有地の売却・貸付", "使われていない市の土地を売るか貸して、財源にする提案。")]:
        p, _ = store.add(ProposalInput(title=title, body="本文", goal="unknown"))
        publish(store, p.id, title=title, excerpt=excerpt)
    c = TestClient(make_app(settings, store, finder=SimilarFinder(store, _LazyEmbedder(real_qa))))
    assert titles(c.get("/proposals", params={"q": "集会所をネットで借りたい"}).text)[:1] == ["公民館の会議室をオンラインで予約"]
    assert titles(c.get("/proposals", params={"q": "交通データを誰でも使えるように"}).text)[:1] == \
        ["路線バスの時刻表をオープンデータに"]
    store.close()


# --- one proposal's page ------------------------------------------------------------------------

def test_a_published_proposal_has_its_own_page_and_nothing_else_does(site):
    c, ids = site["client"], site["ids"]
    r = c.get(f"/proposals/{ids['bus'].receipt_no}")
    assert r.status_code == 200 and '<h1 id="proposal-title">公開用の件名 bus</h1>' in r.text
    assert "bus についての承認済みの抜粋。" in r.text and "バスの時刻表を公開しました。" in r.text
    assert_nothing_private(r.text)
    full_width = ids["bus"].receipt_no.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert c.get(f"/proposals/{full_width}").status_code == 200
    missing = [c.get(f"/proposals/{path}") for path in
               (ids["draft"].receipt_no, "20200101-12345", "nonsense", "..%2f..%2fetc")]
    assert {r.status_code for r in missing} == {404}
    assert missing[0].text == missing[1].text                     # unpublished looks like never issued


# --- the Atom feed ------------------------------------------------------------------------------

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def check_atom(xml: bytes) -> etree._Element:
    """The MUST rules of RFC 4287 this feed can break, checked on the parsed document."""
    root = etree.fromstring(xml)
    assert root.tag == f"{ATOM}feed"

    def one(el, name):
        found = el.findall(f"{ATOM}{name}")
        assert len(found) == 1, (name, len(found))
        return found[0]

    for name in ("id", "title", "updated"):
        one(root, name)
    assert RFC3339.match(one(root, "updated").text)
    selfs = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert len(selfs) == 1 and re.match(r"https?://[^/]+/proposals/feed.atom", selfs[0].get("href"))
    feed_author = root.find(f"{ATOM}author/{ATOM}name") is not None
    entries = root.findall(f"{ATOM}entry")
    for e in entries:
        for name in ("id", "title", "updated"):
            one(e, name)
        assert re.match(r"^(urn:uuid:[0-9a-f-]{36}|tag:)", one(e, "id").text)
        assert RFC3339.match(one(e, "updated").text) and RFC3339.match(one(e, "published").text)
        alternates = [link for link in e.findall(f"{ATOM}link") if link.get("rel", "alternate") == "alternate"]
        assert len(alternates) == 1
        assert feed_author or e.find(f"{ATOM}author") is not None
        assert one(e, "summary").get("type") == "text" and one(e, "content").get("type") == "text"
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids)
    return root


def test_the_feed_is_valid_atom_linking_to_the_public_pages(site):
    c, ids = site["client"], site["ids"]
    r = c.get("/proposals/feed.atom")
    assert r.status_code == 200 and r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = check_atom(r.content)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "ja"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries][0] == "公開用の件名 bus"      # the answer is the latest change
    assert {e.findtext(f"{ATOM}title") for e in entries} == {"公開用の件名 bus", "公開用の件名 library", "公開用の件名 land"}
    bus = entries[0]
    assert bus.findtext(f"{ATOM}updated") == "2026-12-01T01:00:00Z"
    assert "バスの時刻表を公開しました。<script>alert(1)</script>" in bus.findtext(f"{ATOM}content")    # text, escaped in XML
    assert "&lt;script&gt;" in r.text and "<script>" not in r.text
    for e in entries:
        link = e.find(f"{ATOM}link").get("href")
        assert link.startswith("https://city.example/proposals/")
        assert c.get(link).status_code == 200                     # every entry's page exists
    for secret in ("山田", "太郎", SECRET_EMAIL, RAW_ONLY, "U0STAFF", "suzuki", "内部メモ"):
        assert secret not in r.text, secret
    assert "draft" not in r.text


def test_feed_ids_do_not_change_with_the_host_name_or_language(site):
    store = site["store"]
    one = site["client"].get("/proposals/feed.atom").content
    other = TestClient(make_app(site["settings"], store), base_url="http://127.0.0.1:8000").get(
        "/proposals/feed.atom?lang=en").content
    ids = lambda xml: [e.text for e in etree.fromstring(xml).iter(f"{ATOM}id")]   # noqa: E731
    assert ids(one) == ids(other)
    feed_id = ids(one)[0]
    assert feed_id == f"urn:uuid:{store.feed_id}" and uuid.UUID(store.feed_id).version == 4
    assert "Published proposals and the city's answers" in other.decode()
    assert 'href="http://127.0.0.1:8000/proposals/feed.atom?lang=en"' in other.decode()


def test_the_feed_escapes_everything_and_drops_what_xml_cannot_hold(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", proposals_rate_limit="0")
    store = answering_store(settings.database_path)
    p, _ = store.add(ProposalInput(title="t", body="b", goal="1"))
    nasty = "A & B <b>\"quoted\" 'single'</b> ]]> &amp; \U0001F600"
    publish(store, p.id, title=nasty[:100], excerpt=nasty)
    store.answers[p.id] = StandInAnswer("回答\x07に制御文字\x00と ]]> と <![CDATA[x]]>", created_at="2026-12-02T00:00:00Z")
    r = TestClient(make_app(settings, store)).get("/proposals/feed.atom")
    root = check_atom(r.content)
    entry = root.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == nasty[:100] and entry.findtext(f"{ATOM}summary") == nasty
    assert "回答に制御文字と ]]> と <![CDATA[x]]>" in entry.findtext(f"{ATOM}content")
    store.close()


def test_an_empty_feed_is_still_valid(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", proposals_rate_limit="0")
    clock = ManualClock(jst(2026, 11, 27, 9, 0, 0))
    store = answering_store(settings.database_path, clock=clock)
    root = check_atom(TestClient(make_app(settings, store, clock=clock)).get("/proposals/feed.atom").content)
    assert root.findall(f"{ATOM}entry") == [] and root.findtext(f"{ATOM}updated") == "2026-11-27T00:00:00Z"
    assert datetime.fromisoformat(root.findtext(f"{ATOM}updated").replace("Z", "+00:00")).tzinfo is not None
    store.close()


def test_answers_that_are_drafts_are_nowhere_public(site):
    c, store, ids = site["client"], site["store"], site["ids"]
    store.answers[ids["library"].id] = StandInAnswer("まだ下書きの回答", published=False)
    for path in ("/proposals", f"/proposals/{ids['library'].receipt_no}", "/proposals/feed.atom"):
        assert "まだ下書きの回答" not in c.get(path).text, path


def test_filters_and_pages_are_never_rate_limited(site):
    """Only searching by meaning is throttled: filters and pages are plain reads."""
    limiter = RateLimiter(1, 600)
    c = TestClient(Starlette(routes=proposal_routes(site["settings"], site["store"], limiter=limiter)))
    assert all(c.get("/proposals?goal=3").status_code == 200 for _ in range(20))
