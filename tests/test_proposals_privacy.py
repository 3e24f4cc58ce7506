"""Personal data in free text (issue 9, finding 8).

Kanji and full-width phone numbers are masked; the name the submitter typed into the name field
is masked wherever it reappears in title or text, in every spelling, wherever text leaves the
store without ``--include-personal``; and citizens see of a published proposal only the title and
excerpt a staff member approved — never a regex's guess.
"""
from __future__ import annotations

import json
import re
import sqlite3

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.settings import Settings
from feedback.proposals.cli import proposals_app
from feedback.proposals.linking import ProposalPipeline, SimilarFinder, SimilarityPolicy
from feedback.proposals.masking import mask_personal
from feedback.proposals.model import LinkResult, ProposalInput, SectionLink, Similar
from feedback.proposals.store import ProposalStore
from feedback.proposals.web import proposal_routes
from proposals_support import VALID, fresh_form, old_database, receipt_no, submit

runner = CliRunner()
MASK_NAME = "［氏名省略］"
MASK_PHONE = "［電話番号省略］"


# --- masking -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, hidden", [
    ("電話は〇九〇-一二三四-五六七八です", "一二三四-五六七八"),
    ("０９０ー１２３４ー５６７８", "１２３４ー５６７８"),
    ("〇九〇－1234－５６７８まで", "1234－５６７８"),
    ("零九零 一二三四 五六七八", "一二三四 五六七八"),
    ("（〇四六）二二三－一五一一", "二二三－一五一一"),
    ("〇四六・二二三・一五一一", "二二三・一五一一"),
    ("個人番号 一二三四 五六七八 九〇一二", "五六七八 九〇一二"),
])
def test_kanji_and_full_width_phone_numbers_are_masked(text, hidden):
    masked = mask_personal(text)
    assert hidden not in masked and ("［電話番号省略］" in masked or "［番号省略］" in masked)


@pytest.mark.parametrize("text", ["二〇二六年十一月", "第一次から第七次まで", "一二三", "重点目標一・二・三",
                                  "令和三年度から令和八年度", "〇一二三四"])
def test_ordinary_kanji_numbers_are_left_alone(text):
    assert mask_personal(text) == text


@pytest.mark.parametrize("name, text", [
    ("山田 太郎", "山田太郎です"),
    ("山田 太郎", "山田　太郎です"),
    ("山田太郎", "山田 太郎です"),
    ("山田　太郎", "山田・太郎です"),
    ("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳです"),
    ("ﾔﾏﾀﾞ ﾀﾛｳ", "やまだたろうです"),
    ("Taro Yamada", "ＴＡＲＯ　ＹＡＭＡＤＡです"),
    ("Taro Yamada", "taroyamadaです"),
])
def test_the_submitters_name_is_masked_in_any_spelling(name, text):
    assert mask_personal(text, [name]) == MASK_NAME + "です"


def test_name_parts_are_masked_but_not_inside_other_words():
    assert mask_personal("山田より。太郎", ["山田 太郎"]) == f"{MASK_NAME}より。{MASK_NAME}"
    assert mask_personal("Ken likes kendo, says KEN.", ["Ken"]) == f"{MASK_NAME} likes kendo, says {MASK_NAME}."
    assert mask_personal("ひとことだけ", ["と"]) == "ひとことだけ"        # one letter: too short to hunt for
    assert mask_personal("電話 〇九〇-一二三四-五六七八 山田", ["山田"]) == f"電話 {MASK_PHONE} {MASK_NAME}"


# --- the seams: CLI and exports ------------------------------------------------------------------

NAME = "山田 太郎"
TITLE = "山田太郎からの提案"
BODY = "私、山田　太郎は公民館の予約をオンラインにしてほしい。電話〇九〇-一二三四-五六七八。"
SECRETS = ("山田", "太郎", "一二三四")


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "data" / "reformbot.db"
    store = ProposalStore(path)
    p, _ = store.add(ProposalInput(title=TITLE, body=BODY, goal="3", residency="resident", name=NAME,
                                   email="yamada@example.jp", consent_version="2026-11"))
    store.save_link(p.id, LinkResult("3", {"3": 1.0}, (SectionLink(1, "s5-3-u-a", "… › 更なる市民協働の推進", 5, 0.9),)))
    q, _ = store.add(ProposalInput(title="公民館の予約", body="同じく公民館の予約をオンラインに。", goal="3"))
    store.save_link(q.id, LinkResult("3", {}, ()), [Similar(p.id, p.receipt_no, p.title, 0.95, True)])
    store.close()
    return path


def run(*args) -> str:
    r = runner.invoke(proposals_app, list(args))
    assert r.exit_code == 0, r.output
    return r.stdout


def test_the_name_from_the_form_is_masked_in_cli_listings_and_exports(db):
    outputs = [run("list", "--db", str(db)), run("list", "--json", "--db", str(db)),
               run("show", "1", "--db", str(db)), run("show", "1", "--json", "--db", str(db)),
               run("show", "2", "--db", str(db)),                       # the similar proposal's title
               run("export", "-f", "csv", "--db", str(db)), run("export", "-f", "json", "--db", str(db))]
    for out in outputs:
        assert not any(s in out for s in SECRETS), out
    assert "［氏名省略］からの提案" in outputs[0] and "［電話番号省略］" in outputs[3]
    assert "似た提案" in outputs[4] and "［氏名省略］からの提案" in outputs[4]
    full = run("show", "1", "--include-personal", "--reason", "test", "--db", str(db)) + run(
        "export", "-f", "json", "--include-personal", "--reason", "test", "--db", str(db))
    assert all(s in full for s in SECRETS)


def test_publish_records_the_approved_text_and_refuses_personal_data(db, tmp_path):
    out = run("publish", "1", "--dry-run", "--db", str(db))           # what citizens would see
    assert "not published" in out and "［氏名省略］からの提案" in out and not any(s in out for s in SECRETS)
    store = ProposalStore(db)
    assert not store.get(1).published
    store.close()
    for args, expect in [(["--title", "山田・太郎の提案"], "the submitter's name"),
                         (["--excerpt", "連絡は０９０ー１２３４ー５６７８"], "a phone number"),
                         (["--title", ""], "Please enter the public title"),
                         (["--title", "二行\nの件名"], "cannot contain line breaks")]:
        r = runner.invoke(proposals_app, ["publish", "1", *args, "--db", str(db)])
        assert r.exit_code == 2 and expect in r.output and len(r.output.strip().splitlines()) == 1, r.output
    excerpt = tmp_path / "excerpt.txt"
    excerpt.write_text("公民館の予約をオンラインでできるようにする提案です。\n", encoding="utf-8")
    out = run("publish", "1", "--title", "公民館のオンライン予約", "--excerpt-file", str(excerpt), "--by", "suzuki",
              "--db", str(db))
    assert "published" in out and "公民館のオンライン予約" in out
    store = ProposalStore(db)
    from feedback.proposals.model import PublicText
    from feedback.proposals.store import BadPublicText

    p = store.get(1)
    assert p.published and p.public.title == "公民館のオンライン予約"
    assert p.public.excerpt == "公民館の予約をオンラインでできるようにする提案です。" and p.public.approved_by == "cli:suzuki"
    with pytest.raises(BadPublicText):
        store.set_published(1, True, "cli:x")                              # no approved text: refused
    with pytest.raises(BadPublicText):
        store.set_published(1, True, "cli:x", public=PublicText("山田太郎", "本文"))
    store.close()
    assert json.loads(run("show", "1", "--json", "--db", str(db)))["public"]["title"] == "公民館のオンライン予約"
    run("unpublish", "1", "--db", str(db))
    assert json.loads(run("show", "1", "--json", "--db", str(db)))["public"] is None


# --- the seam citizens see: the similar-proposals preview ----------------------------------------

@pytest.fixture
def form(tmp_path):
    from index.embedder import FakeEmbedder

    settings = Settings(data_dir=tmp_path / "data", proposals_rate_limit="0")
    store = ProposalStore(settings.database_path)
    finder = SimilarFinder(store, FakeEmbedder(), SimilarityPolicy(similar=0.5, duplicate=0.9))
    pipeline = ProposalPipeline(store, None, finder)
    client = TestClient(Starlette(routes=proposal_routes(settings, store, similar=finder, pipeline=pipeline)))
    yield settings, store, finder, pipeline, client
    store.close()


def preview(client) -> str:
    draft = {**fresh_form(client), **VALID, "action": "similar", "title": "公民館の予約をオンラインで"}
    r = client.post("/proposals", data=draft)
    assert r.status_code == 200
    m = re.search(r'<section class="similar".*?</section>', r.text, re.S)
    return m.group(0) if m else ""


def test_citizens_see_only_the_text_a_staff_member_approved(form):
    """The finding: a published proposal showed 山田太郎 to anonymous visitors. Now the name from
    the form is masked in the draft staff approve, and a name the checks cannot know (another
    person's) is shown only if the staff member leaves it in."""
    settings, store, _, pipeline, c = form
    no = receipt_no(submit(c, name="山田 太郎", title="公民館の予約をオンラインで（山田太郎）",
                           body="山田 太郎です。隣の佐藤花子さんとも話しました。公民館の会議室の予約をオンラインで。"
                                "電話〇九〇-一二三四-五六七八").text)
    pipeline.join()
    assert "似た公開済みの提案は見つかりませんでした" in preview(c)
    dry = run("publish", no, "--dry-run", "--db", str(settings.database_path))
    assert "佐藤花子" in dry and "山田" not in dry          # the checks cannot know 佐藤花子 …
    shown = preview(c)
    assert no not in shown                                   # … and a dry run publishes nothing
    approved = "公民館の会議室の予約をオンラインでできるようにする提案。"
    run("publish", no, "--excerpt", approved, "--db", str(settings.database_path))
    shown = preview(c)
    assert no in shown and approved in shown and "公民館の予約をオンラインで（［氏名省略］）" in shown
    for secret in ("山田", "太郎", "佐藤", "花子", "一二三四", "隣の"):
        assert secret not in shown
    run("unpublish", no, "--db", str(settings.database_path))
    assert no not in preview(c)


def test_proposals_published_before_approval_existed_are_hidden_until_approved(tmp_path):
    """A database from before: proposals published with no approved text. After the upgrade they
    are unpublished (the history says so) and the preview shows none of them until staff publish
    them again."""
    from index.embedder import FakeEmbedder

    settings = Settings(data_dir=tmp_path / "data", proposals_rate_limit="0")
    settings.data_dir.mkdir()
    old_database(settings.database_path, ["20261128-00001", "20261128-00002"], published=True)
    con = sqlite3.connect(settings.database_path)
    con.execute("UPDATE proposals SET title = '公民館の予約をオンラインで', body = '公民館の会議室の予約をオンラインで。山田太郎'")
    con.commit()
    con.close()
    store = ProposalStore(settings.database_path)
    finder = SimilarFinder(store, FakeEmbedder(), SimilarityPolicy(similar=0.5, duplicate=0.9))
    for p in store.list():
        finder.remember(p)
    c = TestClient(Starlette(routes=proposal_routes(settings, store, similar=finder,
                                                    pipeline=ProposalPipeline(store, None, finder))))
    assert [p.published for p in store.list()] == [False, False]
    assert store.get(1).history[-1].actor == "system" and "approve" in store.get(1).history[-1].note
    shown = preview(c)
    assert "20261128-0000" not in shown and "山田太郎" not in shown
    run("publish", "20261128-00002", "--excerpt", "公民館の予約の提案。", "--db", str(settings.database_path))
    shown = preview(c)
    assert "20261128-00002" in shown and "公民館の予約の提案。" in shown and "20261128-00001" not in shown
    assert "山田太郎" not in shown
    store.close()


def test_revision_notice_in_slack_masks_the_submitters_name(db):
    """The post listing proposals to review after an outline revision leaves the store too."""
    from bot.slack.revisions import affected_proposals, proposals_message
    from index.diff import RevisionDiff

    store = ProposalStore(db)
    diff = RevisionDiff("v1", "v2", (), changed_chunk_ids=("s5-3-u-a",))
    affected = affected_proposals(store, diff.changed_chunk_ids)
    text, blocks = proposals_message(diff, affected)
    out = text + json.dumps(blocks, ensure_ascii=False)
    assert "［氏名省略］からの提案" in out and not any(s in out for s in SECRETS)
    store.close()
