"""scripts/screenshots.py keeps working: the Slack look-alike page escapes every text, and the
three README pictures are taken from the real server and the real Block Kit (into tmp_path; the
checked-in PNGs in docs/images/ are never rewritten by a test)."""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

from bot.contract import Answer, GlossaryNote, Source
from bot.slack.blocks import answer_message
from browser_support import browser  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"


def _load_script():
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shots = _load_script()
HOSTILE = '<script>alert(1)</script> <img src=x onerror=alert(2)> <!channel> <https://evil.example|click> & *x*'


def _hostile_answer() -> Answer:
    return Answer(question=HOSTILE, found=True, answer=HOSTILE,
                  sources=(Source(rank=1, text=HOSTILE, section=HOSTILE, page=3, score=0.9, kind="body", id="s-1"),),
                  glossary=(GlossaryNote(term=HOSTILE, definition=HOSTILE),), index_version="v1")


def test_the_slack_page_shows_hostile_text_as_text():
    message = answer_message(_hostile_answer(), lang="ja", status={"index_version": HOSTILE}, answer_id=7)
    page = shots.slack_page(message.blocks, question=HOSTILE)
    for markup in ("<script", "<img", "onerror=alert(2)>", "<https://", "<!channel"):
        assert markup not in page, markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page          # shown, as the text it is
    assert "👍" in page and "👎" in page                              # the feedback buttons are drawn


def test_mrkdwn_is_drawn_like_slack():
    users = {"U1": "suzuki"}
    assert shots.mrkdwn_html("*大綱* &lt;b&gt; &amp; <@U1> <!here> <https://x.example/a?b=1&amp;c=2|資料>", users) == (
        '<b>大綱</b> &lt;b&gt; &amp; <span class="mention">@suzuki</span> <span class="mention">@here</span> '
        '<span class="link">資料</span>')
    assert shots.mrkdwn_html("前\n> 引用1\n> 引用2\n後") == "前<br><blockquote>引用1<br>引用2</blockquote>後"


def test_a_block_the_page_cannot_draw_is_an_error_not_a_gap():
    with pytest.raises(ValueError, match="rich_text"):
        shots.block_html({"type": "rich_text", "elements": []})


def test_recompressing_keeps_a_valid_png(tmp_path):
    import struct
    import zlib

    raw = b"".join(b"\x00" + bytes([x % 256, 0, 0]) * 4 for x in range(3))          # 4x3 RGB, filter 0
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 3, 8, 2, 0, 0, 0))
           + chunk(b"tEXt", b"Software\x00x") + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))
    path = tmp_path / "a.png"
    path.write_bytes(png)
    shots.recompress_png(path)
    data = path.read_bytes()
    assert b"tEXt" not in data and shots.png_size(path) == (4, 3)
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4:idat])[0]
    assert zlib.decompress(data[idat + 4:idat + 4 + length]) == raw


def test_the_checked_in_pictures_are_small_pngs_800_wide():
    for name in (shots.QA_PAGE, shots.PROPOSAL_FORM, shots.SLACK_ANSWER):
        path = IMAGES / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert shots.png_size(path)[0] == shots.WIDTH, name
        assert path.stat().st_size < 200 * 1024, name  # the repository stays small


@pytest.mark.slow
def test_the_slack_picture_is_the_bots_real_answer(real_qa):
    page = shots.slack_answer_page(real_qa)
    assert "Private Finance Initiative" in page and "大綱P.2" in page
    assert real_qa.status()["index_version"] in page


@pytest.mark.browser
@pytest.mark.slow
def test_the_script_takes_the_three_pictures(real_settings, real_qa, browser, tmp_path):  # noqa: F811
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in IMAGES.glob("*.png")}
    paths = shots.take_screenshots(real_settings, real_qa, tmp_path, browser)
    assert [p.name for p in paths] == [shots.QA_PAGE, shots.PROPOSAL_FORM, shots.SLACK_ANSWER]
    for path in paths:
        assert path.parent == tmp_path
        width, height = shots.png_size(path)
        assert width == shots.WIDTH and 300 <= height <= shots.MAX_HEIGHT, (path.name, height)
        assert path.stat().st_size < 200 * 1024, path.name  # the repository stays small
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in IMAGES.glob("*.png")} == before
