"""Screenshots for the README: the Q&A page with an answer, the proposal form, an answer in Slack.

``make screenshots`` (or ``python scripts/screenshots.py [--out DIR]``) builds the real index
(bundled outline, default model) in a temporary directory, serves the real app
(``bot.server.create_app`` on uvicorn, loopback, a free port) and photographs it with headless
Debian Chromium through Playwright (``executable_path``, as the browser tests do; never a browser
download). There is no Slack here, so the Slack picture is the bot's real Block Kit message
(``bot.slack.blocks.answer_message`` for a real answer) drawn as a local HTML page that looks like
a Slack thread; every text in it is escaped.

The PNGs are 800 px wide and re-compressed (zlib level 9), so each stays small enough to check
in (``docs/images/``). Japanese text needs a CJK font (Debian: fonts-noto-cjk; the Makefile's
``screenshots`` target installs it).
"""
from __future__ import annotations

import argparse
import contextlib
import html
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import zlib
from pathlib import Path
from typing import Iterator, Mapping, Sequence

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "images"
QUESTION = "PFIとは何ですか"
WIDTH = 800
MAX_HEIGHT = 1000
"""Tallest picture: the top of a long page is what a reader of the README needs."""

CHROMIUM = "/usr/bin/chromium"
# The same flags as tests/browser_support.py: without the background-networking ones Chromium keeps
# dialling out on this closed network.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

QA_PAGE = "qa-page.png"
PROPOSAL_FORM = "proposal-form.png"
SLACK_ANSWER = "slack-answer.png"


class NoJapaneseFont(RuntimeError):
    "No CJK font is installed, so Japanese text would be drawn as empty boxes."


# --- serving ------------------------------------------------------------------------------
@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a background thread.

    The socket listens before the thread starts, so the browser may connect at once.

    Yields:
        The base URL, e.g. ``http://127.0.0.1:41234``.
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def launch(playwright):
    """Headless Debian Chromium (the test browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)


def new_page(browser):
    """A Japanese-locale page, ``WIDTH`` px wide, one device pixel per CSS pixel."""
    ctx = browser.new_context(locale="ja-JP", viewport={"width": WIDTH, "height": 600}, device_scale_factor=1)
    return ctx.new_page()


def shoot(page, path: Path, *, selector: str | None = None) -> Path:
    """Screenshot the page (or one element) at most ``MAX_HEIGHT`` px tall, then compress it."""
    if selector:
        # the element's bottom in page coordinates (bounding_box() is relative to the scrolled viewport)
        bottom = page.locator(selector).evaluate("e => e.getBoundingClientRect().bottom + window.scrollY")
        clip = {"x": 0, "y": 0, "width": WIDTH, "height": min(MAX_HEIGHT, bottom + 16)}
    else:
        height = page.evaluate("document.documentElement.scrollHeight")
        clip = {"x": 0, "y": 0, "width": WIDTH, "height": min(MAX_HEIGHT, height)}
    page.screenshot(path=str(path), clip=clip, full_page=True, animations="disabled")
    recompress_png(path)
    return path


# --- the pictures -------------------------------------------------------------------------
def shoot_qa_page(browser, base_url: str, path: Path, question: str = QUESTION) -> Path:
    """The staff Q&A page after asking ``question`` (typed and sent as a staff member would)."""
    page = new_page(browser)
    try:
        page.goto(base_url + "/")
        page.get_by_label("質問").fill(question)
        page.get_by_role("button", name="質問する").click()
        page.locator("section.answer").wait_for()
        page.wait_for_load_state("load")
        return shoot(page, path)
    finally:
        page.context.close()


EXAMPLE_PROPOSAL = {
    "件名": "公民館の空き時間を市民団体の活動に開放する",
    "提案内容": "平日の昼間に使われていない公民館の部屋を、登録した市民団体が使えるようにしてはどうでしょうか。"
            "子育て支援や高齢者の見守りなど、地域の活動が広がると思います。",
}


def shoot_proposal_form(browser, base_url: str, path: Path) -> Path:
    """The citizens' proposal form being filled in, down to the 重点目標 choice."""
    page = new_page(browser)
    try:
        page.goto(base_url + "/proposals/new")
        for label, text in EXAMPLE_PROPOSAL.items():
            page.get_by_label(label).fill(text)
        page.locator("#field-goal input[type=radio]").nth(2).check()      # the third 重点目標
        page.evaluate("document.activeElement.blur()")                    # no focus ring in the picture
        page.wait_for_load_state("load")
        return shoot(page, path, selector="#field-goal")
    finally:
        page.context.close()


def shoot_slack(browser, page_html: str, path: Path) -> Path:
    """A local HTML page (``slack_page``) as a picture."""
    page = new_page(browser)
    try:
        page.set_content(page_html, wait_until="load")
        return shoot(page, path, selector=".thread")
    finally:
        page.context.close()


# --- Block Kit as HTML ----------------------------------------------------------------------
_TOKEN = re.compile(r"<([^<>]*)>")


def _inline(text: str) -> str:
    """One run of Slack-escaped mrkdwn with no ``<…>`` tokens, as safe HTML."""
    out = html.escape(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"), quote=True)
    out = re.sub(r"`([^`\n]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*([^*\n]+)\*", r"<b>\1</b>", out)
    out = re.sub(r"(?<!\w)_([^_\n]+)_(?!\w)", r"<i>\1</i>", out)
    return re.sub(r"(?<!\w)~([^~\n]+)~(?!\w)", r"<s>\1</s>", out)


def _token(inner: str, users: Mapping[str, str]) -> str:
    """A ``<…>`` control sequence: a mention, a special mention or a link."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return f'<span class="mention">@{html.escape(users.get(target[1:], target[1:]))}</span>'
    if target.startswith("!"):
        return f'<span class="mention">@{html.escape(label or target[1:])}</span>'
    return f'<span class="link">{_inline(label or target)}</span>'


def mrkdwn_html(text: str, users: Mapping[str, str] | None = None) -> str:
    """Slack mrkdwn (as Block Kit carries it: ``&``, ``<``, ``>`` escaped) as safe HTML.

    Handles what the bot sends: ``> `` quotes, ``*bold*``, ``_italic_``, ``~strike~``, ``code``,
    mentions and links. Every character of text is HTML-escaped; only the tags added here are markup.
    """
    users = users or {}
    lines, quote = [], []

    def line_html(line: str) -> str:
        parts, pos = [], 0
        for m in _TOKEN.finditer(line):
            parts += [_inline(line[pos:m.start()]), _token(m.group(1), users)]
            pos = m.end()
        return "".join(parts + [_inline(line[pos:])])

    def flush() -> None:
        if quote:
            lines.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
            quote.clear()

    for line in text.split("\n"):
        if line.startswith(">"):
            quote.append(line_html(line[1:].lstrip(" ")))
            continue
        flush()
        lines.append(line_html(line) + "<br>")
    flush()
    return "".join(lines).removesuffix("<br>")


def _text_html(obj: Mapping, users: Mapping[str, str]) -> str:
    if obj.get("type") == "mrkdwn":
        return mrkdwn_html(obj.get("text", ""), users)
    return html.escape(obj.get("text", ""))


def block_html(block: Mapping, users: Mapping[str, str] | None = None) -> str:
    """One Block Kit block as HTML.

    Raises:
        ValueError: a block type this page cannot draw (so a new kind of block is never dropped silently).
    """
    users = users or {}
    kind = block.get("type")
    if kind == "section":
        body = _text_html(block["text"], users) if "text" in block else ""
        fields = "".join(f'<div class="field">{_text_html(f, users)}</div>' for f in block.get("fields", []))
        return f'<div class="section">{body}{fields}</div>'
    if kind == "context":
        return '<div class="context">' + " ".join(
            _text_html(e, users) for e in block.get("elements", []) if e.get("type") != "image") + "</div>"
    if kind == "actions":
        buttons = []
        for e in block.get("elements", []):
            style = " primary" if e.get("style") == "primary" else " danger" if e.get("style") == "danger" else ""
            buttons.append(f'<span class="button{style}">{_text_html(e["text"], users)}</span>')
        return '<div class="actions">' + "".join(buttons) + "</div>"
    if kind == "header":
        return f'<div class="header">{_text_html(block["text"], users)}</div>'
    if kind == "divider":
        return "<hr>"
    raise ValueError(f"no HTML for Block Kit block type {kind!r}")


SLACK_CSS = """
body { margin: 0; background: #fff; font: 15px/1.47 "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", sans-serif; color: #1d1c1d; }
.thread { width: 800px; box-sizing: border-box; padding: 0 0 12px; }
.bar { display: flex; gap: 8px; align-items: baseline; padding: 10px 20px; border-bottom: 1px solid #e2e2e2; }
.bar b { font-size: 17px; } .bar span { color: #616061; font-size: 13px; }
.msg { display: flex; gap: 8px; padding: 8px 20px; }
.avatar { flex: 0 0 36px; height: 36px; border-radius: 6px; color: #fff; font-weight: bold; display: flex; align-items: center; justify-content: center; }
.avatar.user { background: #8a6d3b; } .avatar.bot { background: #1d4e89; }
.content { flex: 1; min-width: 0; }
.meta b { font-weight: 900; } .meta .app { background: #e8e8e8; color: #616061; font-size: 10px; font-weight: bold; padding: 1px 3px; border-radius: 2px; margin-left: 4px; vertical-align: 2px; }
.meta .time { color: #616061; font-size: 12px; margin-left: 6px; }
.replies { color: #1264a3; font-size: 13px; padding: 4px 20px 4px 64px; border-bottom: 1px solid #e2e2e2; }
.section { margin: 4px 0; white-space: normal; }
blockquote { margin: 4px 0; padding-left: 12px; border-left: 4px solid #dddddd; }
.context { color: #616061; font-size: 12px; margin: 4px 0; }
.actions { margin: 8px 0 4px; display: flex; gap: 8px; }
.button { border: 1px solid #bbbabb; border-radius: 4px; padding: 3px 12px; font-size: 13px; font-weight: bold; }
.button.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.mention { color: #1264a3; background: #e8f5fa; border-radius: 3px; padding: 0 2px; }
.link { color: #1264a3; }
code { font-size: 12px; color: #e01e5a; background: #f8f8f8; border: 1px solid #e2e2e2; border-radius: 3px; padding: 0 3px; }
"""


def _message_html(avatar: str, avatar_class: str, name: str, when: str, body: str, app: bool = False) -> str:
    badge = '<span class="app">APP</span>' if app else ""
    return (f'<div class="msg"><div class="avatar {avatar_class}">{html.escape(avatar)}</div><div class="content">'
            f'<div class="meta"><b>{html.escape(name)}</b>{badge}<span class="time">{html.escape(when)}</span></div>'
            f"{body}</div></div>")


def slack_page(blocks: Sequence[Mapping], *, question: str, channel: str = "行政改革", asker: str = "職員（行政経営課）",
               bot_name: str = "reformbot", when: str = "10:24") -> str:
    """A Slack thread as a standalone HTML page: the staff member's mention, and the bot's reply.

    Args:
        blocks: the bot's Block Kit blocks (``SlackMessage.blocks``).
        question: the question as typed after the mention.
        channel: channel name shown in the bar.
        asker: display name of the staff member.
        bot_name: the bot's display name.
        when: time shown on both messages.

    Returns:
        HTML with every text escaped.
    """
    users = {"UBOT": bot_name, "USTAFF": asker}
    ask = _message_html(asker[:1], "user", asker, when,
                        f'<div class="section">{mrkdwn_html("<@UBOT> " + _slack_escape(question), users)}</div>')
    reply = _message_html("行", "bot", bot_name, when, "".join(block_html(b, users) for b in blocks), app=True)
    return ("<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>Slack</title>"
            f"<style>{SLACK_CSS}</style></head><body><div class=\"thread\">"
            f'<div class="bar"><b>スレッド</b><span>#{html.escape(channel)}</span></div>'
            f'{ask}<div class="replies">1件の返信</div>{reply}</div></body></html>')


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_answer_page(qa, question: str = QUESTION) -> str:
    """The bot's real reply to ``question`` in a channel (real answer, real Block Kit) as HTML."""
    from bot.slack.blocks import answer_message
    from bot.slack.messages import detect_language

    answer = qa.ask(question)
    message = answer_message(answer, lang=detect_language(question), status=qa.status(),
                             contact=qa.settings.contact, answer_id=1)
    return slack_page(message.blocks, question=question)


# --- PNG ----------------------------------------------------------------------------------
def recompress_png(path: Path) -> None:
    """Re-deflate a PNG's image data at zlib level 9 and drop ancillary chunks (same pixels)."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, chunks, idat = 8, [], b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IDAT":
            idat += body
        elif kind in (b"IHDR", b"PLTE", b"tRNS", b"IEND"):
            chunks.append((kind, body))
    packed = zlib.compress(zlib.decompress(idat), 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    out = data[:8] + b"".join(chunk(k, b) for k, b in chunks if k != b"IEND")
    path.write_bytes(out + chunk(b"IDAT", packed) + chunk(b"IEND", b""))


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    data = path.read_bytes()[:24]
    return struct.unpack(">II", data[16:24])


def require_japanese_font() -> None:
    """Raise :class:`NoJapaneseFont` unless fontconfig knows a font with Japanese glyphs."""
    try:
        found = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True).stdout.strip()
    except FileNotFoundError:
        found = ""
    if not found:
        raise NoJapaneseFont("no Japanese font: install one (Debian: apt-get install fonts-noto-cjk; "
                             "`make screenshots` does this)")


# --- all of it ----------------------------------------------------------------------------
def take_screenshots(settings, qa, out_dir: Path, browser) -> list[Path]:
    """Serve the real app for ``settings``/``qa`` and write the three pictures to ``out_dir``.

    Returns:
        The PNG paths: Q&A page, proposal form, Slack answer.
    """
    from bot.server import create_app

    out_dir.mkdir(parents=True, exist_ok=True)
    with serving(create_app(settings, qa=qa)) as url:
        shots = [shoot_qa_page(browser, url, out_dir / QA_PAGE),
                 shoot_proposal_form(browser, url, out_dir / PROPOSAL_FORM)]
    shots.append(shoot_slack(browser, slack_answer_page(qa), out_dir / SLACK_ANSWER))
    return shots


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder for the PNGs (default {OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")        # never a model download
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        require_japanese_font()
    except NoJapaneseFont as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from bot.indexing import build_from_settings
    from bot.service import QAService
    from bot.settings import Settings, limit_threads

    with tempfile.TemporaryDirectory(prefix="reformbot-screenshots-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")    # bundled outline, default model, Slack off
        limit_threads(settings.threads)
        print("building the index (bundled outline, default model) …", file=sys.stderr)
        build_from_settings(settings)
        qa = QAService(settings)
        with sync_playwright() as pw:
            browser = launch(pw)
            try:
                shots = take_screenshots(settings, qa, args.out, browser)
            finally:
                browser.close()
    for path in shots:
        w, h = png_size(path)
        print(f"{path}: {w}x{h}, {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
