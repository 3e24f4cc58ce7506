"""Pure parts of proposals: validation, masking, form tokens, rate limiter; the store's schema."""
from __future__ import annotations

import re
import sqlite3

import pytest

from feedback.proposals import messages as M
from feedback.proposals.guard import FormTokens, RateLimiter
from feedback.proposals.masking import excerpt, mask_personal
from feedback.proposals.model import ProposalInput
from feedback.proposals.store import BadTransition, ProposalNotFound, ProposalStore
from feedback.proposals.validation import LIMITS, validate_proposal as validate
from slack_helpers import bundled_document

OK = {"title": " 件名 ", "body": "本文\r\n二行目", "goal": "2", "residency": "student", "consent": "yes"}


def validate_proposal(form, lang="ja", **kw):
    """The form as the server validates it with the bundled outline current (its three 重点目標)."""
    from bot.about import describe

    about = describe(bundled_document())
    return validate(form, lang, goals=about.goals, words=M.document_words(about, lang), **kw)


def test_valid_form_is_trimmed_and_line_endings_normalised():
    v = validate_proposal(OK, consent_version="v1")
    assert v.ok
    assert (v.value.title, v.value.body, v.value.goal, v.value.residency) == ("件名", "本文\n二行目", "2", "student")
    assert (v.value.goal_label, v.value.goal_text) == ("重点目標２", "重点目標２ 強い財政基盤を確立する")
    assert v.value.name is None and v.value.email is None and v.value.consent_version == "v1"


@pytest.mark.parametrize("change, field", [
    ({"title": ""}, "title"), ({"body": " \u3000\n\t"}, "body"), ({"body": "a" * (LIMITS["body"] + 1)}, "body"),
    ({"name": "n" * 51}, "name"), ({"email": "a@b"}, "email"), ({"email": "a b@example.jp"}, "email"),
    ({"title": "a\x00b"}, "title"), ({"body": "x\x1b[31m"}, "body"), ({"name": "a\u2066b"}, "name"),
    ({"title": "一行目\n二行目"}, "title"), ({"goal": "4"}, "goal"), ({"age_group": "100s"}, "age_group"),
    ({"consent": ""}, "consent"),
])
def test_each_bad_field_gets_its_own_error(change, field):
    v = validate_proposal({**OK, **change})
    assert not v.ok and list(v.errors) == [field]
    assert v.form["body"] == ({**OK, **change}["body"].replace("\r\n", "\n").strip())   # kept for the form


def test_exact_limits_are_accepted_and_html_is_kept_as_text():
    v = validate_proposal({**OK, "title": "t" * LIMITS["title"], "body": "<b>" + "x" * (LIMITS["body"] - 3)})
    assert v.ok and v.value.body.startswith("<b>")


def test_english_errors_read_as_sentences_and_japanese_keeps_the_label():
    en = validate_proposal({**OK, "body": "", "goal": "", "residency": "", "title": "t" * (LIMITS["title"] + 1)}, "en")
    assert en.errors["body"] == "Please enter your proposal."
    assert en.errors["goal"] == 'Please choose the related goal (or "Not sure").'
    assert en.errors["residency"] == "Please choose your relation to the city."
    assert en.errors["title"] == f"The title must be {LIMITS['title']} characters or fewer (it is {LIMITS['title'] + 1} now)."
    ja = validate_proposal({**OK, "goal": "", "residency": "x"}, "ja")
    assert ja.errors["goal"] == "関係する重点目標を選んでください。"
    assert ja.errors["residency"] == "お住まい等の選択肢が正しくありません。"


def test_errors_follow_the_page_language():
    assert validate_proposal({**OK, "title": ""}, "en").errors["title"] == "Please enter a title."
    assert validate_proposal({**OK, "title": ""}, "ja").errors["title"] == "件名を入力してください。"
    assert M.error_summary(1, "en") == "There is 1 problem with your input."
    assert M.normalise_lang("en-GB") == "en" and M.normalise_lang("fr") == "ja" and M.normalise_lang(None) == "ja"


@pytest.mark.parametrize("text, hidden", [
    ("連絡先 taro.yamada+city@example.co.jp まで", "taro.yamada+city@example.co.jp"),
    ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ へ", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"),
    ("電話 090-1234-5678 まで", "090-1234-5678"),
    ("市役所 (046)223-1511", "223-1511"),
    ("０４６－２２３－１５１１", "２２３－１５１１"),
    ("+81 90 1234 5678", "1234 5678"),
    ("個人番号は1234-5678-9012です", "1234-5678-9012"),
    ("１２３４５６７８９０１２", "１２３４５６７８９０１２"),
    ("カード 4111 1111 1111 1111", "4111 1111 1111 1111"),
    ("携帯は090・1234・5678です", "1234・5678"),
    ("ﾃﾞﾝﾜ 090ｰ1234ｰ5678", "1234ｰ5678"),
    ("０９０／１２３４／５６７８", "１２３４／５６７８"),
    ("番号 1234・5678・9012", "5678・9012"),
])
def test_masking_hides_contact_details_and_long_numbers(text, hidden):
    assert hidden not in mask_personal(text)


@pytest.mark.parametrize("text", ["令和３（2021）年度から令和８（2026）年度", "効果額 220 億円以上",
                                  "郵便番号243-8511", "150件のデータ", "2026年11月27日",
                                  "2026/11/27", "重点目標１・２・３", "1・2・3月の実績"])
def test_masking_leaves_ordinary_numbers(text):
    assert mask_personal(text) == text


def test_excerpt_is_masked_and_cut():
    e = excerpt("あ" * 400 + " taro@example.jp", 100)
    assert len(e) == 100 and e.endswith("…")
    assert "taro@" not in excerpt("連絡は taro@example.jp", 100)


def test_form_tokens_bind_cookie_and_form_and_expire():
    now = [1000.0]
    tokens = FormTokens(b"k" * 32, clock=lambda: now[0])
    tok = tokens.token("c1", "f1")
    assert tokens.valid("c1", "f1", tok)
    assert not tokens.valid("c2", "f1", tok) and not tokens.valid("c1", "f2", tok)
    assert not tokens.valid("c1", "f1", None) and not tokens.valid("c1", "f1", "garbage")
    assert not FormTokens(b"other" * 8, clock=lambda: now[0]).valid("c1", "f1", tok)
    now[0] += 24 * 3600 + 1
    assert not tokens.valid("c1", "f1", tok)


def test_rate_limiter_sliding_window_per_client():
    now = [0.0]
    rl = RateLimiter(2, 60, clock=lambda: now[0])
    assert rl.acquire("a") == 0 and rl.acquire("a") == 0
    assert rl.acquire("a") == pytest.approx(60)
    assert rl.acquire("b") == 0
    now[0] = 59.0
    assert rl.acquire("a") == pytest.approx(1)
    now[0] = 60.5
    assert rl.acquire("a") == 0
    assert RateLimiter.parse("0").acquire("a") == 0 and RateLimiter.parse("5/600").limit == 5


def test_store_schema_migrations_wal_and_personal_table(tmp_path):
    path = tmp_path / "p.db"
    store = ProposalStore(path)
    store.close()
    ProposalStore(path).close()                      # reopening applies nothing twice
    con = sqlite3.connect(path)
    applied = con.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = 'reformbot.proposals'").fetchall()
    assert applied == [("0001_proposals",), ("0002_receipt_secret",), ("0003_public_text",), ("0004_answers",),
                       ("0005_status_keys",), ("0006_personal_access",), ("0007_public_list",), ("0008_goal_text",)]
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"proposals", "proposal_personal", "proposal_status_history", "proposal_sections",
            "proposal_similar", "proposal_vectors", "proposal_public", "proposal_answers", "mail_outbox",
            "proposal_status_keys", "proposal_public_vectors"} <= tables


def test_store_statuses_history_and_lookups(tmp_path):
    store = ProposalStore(tmp_path / "p.db")
    p, created = store.add(ProposalInput(title="t", body="b", goal="1", submission_token="tok"))
    again, created2 = store.add(ProposalInput(title="other", body="b", goal="1", submission_token="tok"))
    assert created and not created2 and again.id == p.id
    assert store.get(p.receipt_no).id == store.get(p.id).id == store.get(str(p.id)).id
    with pytest.raises(ProposalNotFound):
        store.get("19990101-00001")
    with pytest.raises(BadTransition):
        store.set_status(p.id, "received", "cli:x")
    store.set_status(p.id, "difficult", "slack:U1", note="予算")
    with pytest.raises(BadTransition):
        store.set_status(p.id, "done", "slack:U1")             # final: reopen first
    store.set_status(p.id, "reviewing", "slack:U2")
    got = store.get(p.id)
    assert [(h.status, h.actor) for h in got.history] == [("received", "citizen"), ("difficult", "slack:U1"),
                                                           ("reviewing", "slack:U2")]
    assert store.get(p.id).name is None and store.counts_by_status()["reviewing"] == 1


def test_without_goals_only_not_sure_is_a_valid_choice():
    assert validate({**OK, "goal": "unknown"}, "ja").ok
    v = validate({**OK, "goal": "2"}, "ja")
    assert list(v.errors) == ["goal"] and v.errors["goal"] == "関係する目標の選択肢が正しくありません。"


def test_the_goal_field_and_places_are_named_by_the_document_and_city():
    from bot.about import About
    from corpus.goals import Goal

    goals = tuple(Goal(str(i), f"柱{i}", f"t{i}", "柱") for i in (1, 2, 3, 4, 5))
    town = About(name="第２次みなと町行政改革プラン", kind="プラン", city="みなと町", goals=goals)
    words = M.document_words(town, "ja")
    v = validate({**OK, "goal": "5", "residency": ""}, "ja", goals=goals, words=words)
    assert v.errors == {"residency": "お住まい等を選んでください。"}
    assert M.t("goal", "ja", **words) == "関係する柱" and M.t("site_name", "ja", **words) == "みなと町 行政改革への市民提案"
    assert M.label(M.RESIDENCY, "resident", "ja", **words) == "町内在住"
    en = M.document_words(town, "en")
    assert M.label(M.RESIDENCY, "worker", "en", **en) == "Work in the town"
    assert M.t("site_name", "en", **en) == "みなと町: Citizen proposals for administrative reform"
    neutral = M.document_words(About(), "ja")
    assert M.t("site_name", "ja", **neutral) == "行政改革への市民提案"
    assert M.t("form_intro", "ja", **neutral).startswith("行政改革の計画に関する")
    assert M.label(M.RESIDENCY, "student", "ja") == "市内在学"


def test_proposals_from_before_goal_texts_get_the_goals_the_form_offered_then(tmp_path):
    """Migration 0007: a proposal stored when the form offered the bundled outline's three goals
    keeps reading as that goal, whatever the document is now."""
    from sqlite_utils import Database

    from feedback.proposals.store import migrations

    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="0008_goal_text")
    db.execute("INSERT INTO proposals (id, receipt_no, source, title, body, goal, residency, lang, created_at, status,"
               " status_at, published, link_state, linked_goal, goal_scores) VALUES"
               " (1, 'R-1', 'citizen', 't', 'b', '3', 'resident', 'ja', '2026-11-28T01:00:00Z', 'received',"
               " '2026-11-28T01:00:00Z', 0, 'linked', '2', '{\"1\": 0.25, \"2\": 0.75, \"3\": 0.0}'),"
               " (2, 'R-2', 'citizen', 't', 'b', 'unknown', 'resident', 'ja', '2026-11-28T01:00:00Z', 'received',"
               " '2026-11-28T01:00:00Z', 0, 'linked', NULL, '{}')")
    db.conn.commit()
    db.conn.close()
    store = ProposalStore(path)
    old, unsure = store.get(1), store.get(2)
    assert (old.goal_label, old.goal_text) == ("重点目標３", "重点目標３ 市民協働により公共サービスを向上させる")
    assert (old.linked_goal, old.linked_goal_text) == ("2", "重点目標２ 強い財政基盤を確立する")
    assert old.goal_scores == {"重点目標１": 0.25, "重点目標２": 0.75, "重点目標３": 0.0}
    assert (unsure.goal_text, unsure.linked_goal_text, unsure.goal_scores) == (None, None, {})
    assert store.counts_by_goal() == {"重点目標２": 1, None: 1}


def test_lookup_keys_are_80_random_bits_typed_back_in_any_spelling():
    from feedback.proposals import lookup_keys as K

    keys = {K.new_key() for _ in range(2000)}
    assert len(keys) == 2000
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", k) for k in keys)
    assert len(K.ALPHABET) == 32 and K.KEY_CHARS * 5 >= 80
    assert {c for k in keys for c in k.replace("-", "")} == set(K.ALPHABET)   # every symbol is used
    assert K.new_key(lambda bits: 0) == "0000-0000-0000-0000"
    assert K.new_key(lambda bits: 2 ** bits - 1) == "ZZZZ-ZZZZ-ZZZZ-ZZZZ"
    for typed in ("k7qf-2m9x-h3wd-8rtb", "K7QF2M9XH3WD8RTB", "ｋ７ｑｆ－２ｍ９ｘ－ｈ３ｗｄ－８ｒｔｂ", " K7QF 2M9X\u3000H3WD ー 8RTB ",
                  "K7QF‐2M9X—H3WD−8RTB"):
        assert K.normalise_key(typed) == "K7QF2M9XH3WD8RTB", typed
    assert K.normalise_key("O0Il-1LoI-0000-0000") == "0011" "1101" "0000" "0000"
    for bad in ("", None, "K7QF-2M9X-H3WD", "K7QF-2M9X-H3WD-8RTB-A", "K7QF-2M9X-H3WD-8RTU", "K7QF-2M9X-H3WD-8RT!",
                "Ｋ７ＱＦ２Ｍ９ＸＨ３ＷＤ８ＲＴ", "К7QF-2M9X-H3WD-8RTB"):                           # Cyrillic К
        assert K.normalise_key(bad) is None, bad
    pepper = bytes(32)
    assert K.key_hash(pepper, "K7QF2M9XH3WD8RTB") == K.key_hash(pepper, "K7QF2M9XH3WD8RTB")
    assert K.key_hash(pepper, "K7QF2M9XH3WD8RTB") != K.key_hash(b"\x01" * 32, "K7QF2M9XH3WD8RTB")
    assert re.fullmatch(r"[0-9a-f]{64}", K.key_hash(pepper, "K7QF2M9XH3WD8RTB"))
