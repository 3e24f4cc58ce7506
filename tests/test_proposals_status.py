"""The status page (issue 13, item 3): 受付番号 + 照会キー over real HTTP and a real SQLite file.

The key is shown once on the receipt and stored only as a hash; it is typed back in any spelling a
person would use; a wrong number and a wrong key get the same reply and the same work; lookups are
rate limited per client; the page shows the status history and the city's published answer.
"""
from __future__ import annotations

import re
import sqlite3

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.settings import Settings
from clock_support import ManualClock
from feedback.proposals import lookup_keys
from feedback.proposals.guard import RateLimiter
from feedback.proposals.linking import ProposalPipeline
from feedback.proposals.model import ProposalInput
from feedback.proposals.web import proposal_routes
from proposals_support import (VALID, StandInAnswer, answering_store, fresh_form, insert_answer, look_up, lookup_key,
                               old_database, publish, receipt_no, status_form, submit, without_token)

NOT_FOUND = "受付番号と照会キーの組み合わせに一致する提案が見つかりませんでした"


@pytest.fixture
def env(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", proposals_rate_limit="0")
    clock = ManualClock()
    store = answering_store(settings.database_path)
    lookups = RateLimiter(5, 600, clock=clock.monotonic)
    app = Starlette(routes=proposal_routes(settings, store, pipeline=ProposalPipeline(store), lookup_limiter=lookups))
    yield {"settings": settings, "store": store, "client": TestClient(app), "clock": clock, "app": app}
    store.close()


def sent(client, **overrides) -> tuple[str, str]:
    """Send a proposal through the form; its 受付番号 and 照会キー from the receipt page."""
    r = submit(client, **overrides)
    assert r.status_code == 200
    return receipt_no(r.text), lookup_key(r.text)


# --- the key on the receipt ---------------------------------------------------------------------

def test_the_receipt_shows_a_key_once_and_a_resend_says_where_it_was(env):
    c = env["client"]
    data = {**fresh_form(c), **VALID}
    first = c.post("/proposals", data=data)
    key = lookup_key(first.text)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", key)   # 16 symbols, 80 bits
    again = c.post("/proposals", data=data)                                              # double submit
    assert receipt_no(again.text) == receipt_no(first.text)
    assert 'id="lookup-key"' not in again.text and key not in again.text
    assert "照会キーは、最初に送信したときの受付画面に表示しました" in again.text
    # the receipt leads to the status page with the number filled in, never the key
    link = re.search(r'href="(/proposals/status\?[^"]+)"', first.text).group(1)
    assert link == f"/proposals/status?receipt={receipt_no(first.text)}"
    page = c.get(link).text
    assert f'name="receipt" value="{receipt_no(first.text)}"' in page and 'name="key" value=""' in page


def test_every_proposal_gets_its_own_key_returned_only_when_created(tmp_path):
    store = answering_store(tmp_path / "p.db")
    made = [store.add(ProposalInput(title=f"t{i}", body="b", goal="1", submission_token=f"s{i}"))[0]
            for i in range(50)]
    keys = [p.lookup_key for p in made]
    assert len(set(keys)) == 50 and all(lookup_keys.normalise_key(k) for k in keys)
    assert store.add(ProposalInput(title="t0", body="b", goal="1", submission_token="s0"))[0].lookup_key is None
    assert store.get(made[0].id).lookup_key is None             # not readable back from the store
    assert keys[0] not in repr(made[0])                          # nor written to a log by accident
    store.close()


def test_the_key_is_stored_only_as_a_hash(env):
    c, settings = env["client"], env["settings"]
    keys = [sent(c, title=f"提案{i}")[1] for i in range(3)]
    env["store"].close()                                         # checkpoint: everything in the main file
    files = [p for p in settings.data_dir.iterdir() if p.name.startswith("reformbot.db")]
    raw = b"".join(p.read_bytes() for p in files)
    for key in keys:
        for spelling in (key, key.replace("-", ""), key.lower(), key.replace("-", "").lower()):
            for encoding in ("ascii", "utf-16-le", "utf-16-be"):
                assert spelling.encode(encoding) not in raw, (spelling, encoding)
    con = sqlite3.connect(settings.database_path)
    hashes = [h for (h,) in con.execute("SELECT key_hash FROM proposal_status_keys ORDER BY proposal_id")]
    pepper = bytes.fromhex(con.execute("SELECT value FROM proposal_meta WHERE key = 'status_key_pepper'").fetchone()[0])
    con.close()
    assert hashes == [lookup_keys.key_hash(pepper, lookup_keys.normalise_key(k)) for k in keys]
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)


# --- looking up ---------------------------------------------------------------------------------

@pytest.mark.parametrize("spell", [
    lambda no, key: (no, key),
    lambda no, key: (no, key.lower()),
    lambda no, key: (no.replace("-", ""), key.replace("-", "")),
    lambda no, key: (no.translate(str.maketrans("0123456789-", "０１２３４５６７８９－")),
                     key.translate(str.maketrans("ABCDEFGHJKMNPQRSTVWXYZ0123456789-",
                                                 "ＡＢＣＤＥＦＧＨＪＫＭＮＰＱＲＳＴＶＷＸＹＺ０１２３４５６７８９ー"))),
    lambda no, key: (f" {no} ", " ".join(key.split("-"))),
    lambda no, key: (no, key.replace("0", "O").replace("1", "l")),      # letters misread as digits
], ids=["as-shown", "lower-case", "no-dashes", "full-width", "spaces", "O-and-l"])
def test_the_number_and_key_may_be_typed_as_people_type_them(env, spell):
    c = env["client"]
    no, key = sent(c)
    typed_no, typed_key = spell(no, key)
    r = look_up(c, typed_no, typed_key)
    assert r.status_code == 200, r.text
    assert "<h1>提案の状況</h1>" in r.text and f'id="status-receipt-no">{no}<' in r.text
    assert 'id="current-status">受付<' in r.text and VALID["title"] in r.text


def test_a_wrong_number_and_a_wrong_key_get_the_same_reply(env):
    c, store = env["client"], env["store"]
    no, key = sent(c)
    other_no, other_key = sent(c, title="別の提案")
    unknown = "20200101-12345"
    decoy = store.decoy_receipt_no()
    replies = {
        "wrong key": look_up(c, no, other_key),
        "unknown number": look_up(c, unknown, key),
        "decoy number": look_up(c, decoy, key),
        "another's number": look_up(c, other_no, key),
        "one symbol off": look_up(c, no, key[:-1] + ("2" if key[-1] != "2" else "3")),
    }
    typed = {"wrong key": no, "unknown number": unknown, "decoy number": decoy, "another's number": other_no,
             "one symbol off": no}
    pages = {name: without_token(r.text).replace(typed[name], "<typed number>") for name, r in replies.items()}
    assert {r.status_code for r in replies.values()} == {404}
    assert len(set(pages.values())) == 1, "the replies differ"
    assert {tuple(sorted(r.headers.keys())) for r in replies.values()} == {tuple(sorted(replies["wrong key"].headers))}
    page = pages["wrong key"]
    assert NOT_FOUND in page and 'role="alert"' in page and 'name="key" value=""' in page   # the key is never echoed
    assert key not in replies["unknown number"].text
    env["clock"].advance(601)                                          # (five lookups: the limit)
    assert look_up(c, no, key).status_code == 200                     # and the right pair still works


def test_unknown_numbers_cost_the_same_work_as_wrong_keys(env, monkeypatch):
    """Always one hash and one constant-time comparison, whether or not the number exists."""
    import feedback.proposals.store as store_module

    calls = []
    real_hash, real_compare = store_module.key_hash, store_module.hmac.compare_digest
    monkeypatch.setattr(store_module, "key_hash", lambda *a: calls.append("hash") or real_hash(*a))
    monkeypatch.setattr(store_module.hmac, "compare_digest", lambda a, b: calls.append("compare") or real_compare(a, b))
    store = env["store"]
    p, _ = store.add(ProposalInput(title="t", body="b", goal="1"))
    for receipt, key in ((p.receipt_no, "K7QF-2M9X-H3WD-8RTB"), ("20200101-12345", p.lookup_key),
                         ("not a number", "not a key"), (p.receipt_no, p.lookup_key)):
        calls.clear()
        store.status_lookup(receipt, key)
        assert calls == ["hash", "compare"], (receipt, calls)


def test_a_proposal_from_before_the_status_page_has_no_key_and_is_not_found(tmp_path):
    """Proposals stored before migration 0005 have no key: the same reply as a wrong key."""
    settings = Settings(data_dir=tmp_path / "data", proposals_rate_limit="0")
    settings.data_dir.mkdir()
    old_database(settings.database_path, ["20261128-00001"])
    store = answering_store(settings.database_path)
    c = TestClient(Starlette(routes=proposal_routes(settings, store)))
    r = look_up(c, "20261128-00001", "K7QF-2M9X-H3WD-8RTB")
    assert r.status_code == 404 and NOT_FOUND in r.text
    store.close()


def test_lookups_are_rate_limited_per_client(env):
    c = env["client"]
    no, key = sent(c)
    for _ in range(4):
        assert look_up(c, "20200101-12345", key).status_code == 404
    assert look_up(c, no, key).status_code == 200                  # the 5th lookup is allowed
    r = look_up(c, no, key)
    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 600
    assert "短時間に多くの照会がありました" in r.text and key not in r.text
    env["clock"].advance(601)
    assert look_up(c, no, key).status_code == 200


def test_field_errors_depend_only_on_what_was_typed_and_are_not_counted(env):
    c = env["client"]
    for receipt, key, field, message in [
        ("", "K7QF-2M9X-H3WD-8RTB", "receipt", "受付番号を入力してください。"),
        ("2026-1", "K7QF-2M9X-H3WD-8RTB", "receipt", "数字8桁・ハイフン・数字5桁"),
        ("20261128-12345", "\u3000", "key", "照会キーを入力してください。"),
        ("20261128-12345", "K7QF-2M9X", "key", "16文字の英数字"),
        ("20261128-12345", "K7QF-2M9X-H3WD-8RTU", "key", "16文字の英数字"),       # U is not in the alphabet
    ]:
        r = look_up(c, receipt, key)
        assert r.status_code == 422 and message in r.text, (receipt, key)
        assert f'href="#field-{field}"' in r.text and 'aria-invalid="true"' in r.text
        assert r.text.count("<title>エラー: ") == 1
    for _ in range(5):                     # none of the above counted against the limit of 5
        assert look_up(c, "20200101-12345", "K7QF-2M9X-H3WD-8RTB").status_code == 404


def test_the_lookup_is_a_post_with_a_csrf_token(env):
    c = env["client"]
    no, key = sent(c)
    page = c.get(f"/proposals/status?receipt={no}&key={key}").text       # a key in a URL is ignored
    assert key not in page
    assert re.search(r'<form id="status-form" method="post" action="/proposals/status"', page)
    r = c.post("/proposals/status", data={"receipt": no, "key": key})      # no token
    assert r.status_code == 403 and key not in r.text and f'value="{no}"' in r.text
    other = TestClient(env["app"])
    stolen = status_form(other)
    assert c.post("/proposals/status", data={**stolen, "receipt": no, "key": key}).status_code == 403
    assert c.post("/proposals/status", data={**status_form(c), "receipt": no, "key": "x" * 5000}).status_code == 413


# --- what the page shows ------------------------------------------------------------------------

def test_the_status_page_shows_the_history_and_the_published_answer_only(env):
    c, store = env["client"], env["store"]
    no, key = sent(c, name="山田 太郎", email="taro@example.jp")
    store.set_status(no, "reviewing", "slack:U0STAFF", note="担当課へ回付（内部メモ）")
    publish(store, no, title="公民館のオンライン予約")
    pid = store.get(no).id
    store.answers[pid] = StandInAnswer("検討のうえ、来年度からオンライン予約を始めます。", published=False,
                                       author="cli:suzuki")
    r = look_up(c, no, key)
    assert 'id="answer-none"' in r.text and "来年度から" not in r.text        # a draft answer is not shown
    store.set_status(no, "done", "cli:suzuki")
    store.answers[pid] = StandInAnswer("検討のうえ、来年度からオンライン予約を始めます。\n<b>詳細</b>は市のサイトで。",
                                       author="cli:suzuki")
    r = look_up(c, no, key)
    assert r.status_code == 200
    history = re.search(r'<table class="history".*?</table>', r.text, re.S).group(0)
    assert re.findall(r"<td>(受付|検討中|対応済)</td>", history) == ["受付", "検討中", "対応済"]   # publishing is not a step
    assert 'id="current-status">対応済<' in r.text
    assert "検討のうえ、来年度からオンライン予約を始めます。\n&lt;b&gt;詳細&lt;/b&gt;は市のサイトで。" in r.text
    assert "2026-12-01" in r.text and f'href="/proposals/{no}"' in r.text
    for staff_only in ("U0STAFF", "suzuki", "担当課へ", "内部メモ", "山田", "taro@example.jp"):
        assert staff_only not in r.text, staff_only


def test_the_answer_from_the_answers_table_once_merged(tmp_path):
    """With the answers branch merged (migration 0004_answers, ProposalStore.current_answer), a
    published row of proposal_answers is what the status page shows."""
    from feedback.proposals.store import ProposalStore

    if not hasattr(ProposalStore, "current_answer"):
        pytest.skip("ProposalStore.current_answer is not on this branch yet (the answers branch adds it)")
    settings = Settings(data_dir=tmp_path / "data", proposals_rate_limit="0")
    store = ProposalStore(settings.database_path)
    c = TestClient(Starlette(routes=proposal_routes(settings, store)))
    no, key = sent(c)
    assert insert_answer(store, store.get(no).id, "市からの正式な回答です。")
    assert "市からの正式な回答です。" in look_up(c, no, key).text
    store.close()


def test_the_status_page_in_english(env):
    c = env["client"]
    page = c.get("/proposals/status?lang=en").text
    assert '<html lang="en">' in page and "Receipt number</label>" in page and "Lookup key</label>" in page
    assert "受付番号" not in page
    ja = c.get("/proposals/status").text
    assert "受付番号</label>" in ja and "照会キー</label>" in ja
    no, key = sent(c, lang="en")
    r = look_up(c, no, key, lang="en")
    assert r.status_code == 200 and "Status of your proposal" in r.text and ">Received<" in r.text
    miss = look_up(c, no, "K7QF-2M9X-H3WD-8RTB", lang="en")
    assert miss.status_code == 404 and "No proposal matches this receipt number and lookup key" in miss.text
    bad = look_up(c, "", "", lang="en")
    assert "Please enter the receipt number." in bad.text and "Please enter the lookup key." in bad.text
    # the language switch keeps the number, never the key
    assert f'href="/proposals/status?lang=ja&amp;receipt={no}"' in r.text
