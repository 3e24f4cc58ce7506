"""The README and docs/ document what exists.

README.md is the front page; docs/*.md has one page per topic. These tests read every page and
check what a reader would try: links and anchors, `reformbot` commands and their options, `make`
targets, files and scripts named, environment variables, the settings table, and the curl call.
"""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import textwrap
import unicodedata
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

import pytest

from bot.settings import describe

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
MANIFESTS = sorted((ROOT / "slack").glob("manifest*.yml"))
# Pages written on another branch: a link to one is accepted while the file does not exist here.
# Once it exists it is checked like any other page (remove it from this set after the merge).
PENDING: set[Path] = set()
# Paths the docs name that are made by running something, not checked in.
GENERATED = {"benchmarks/results/"}
README_MAX_BYTES = 8 * 1024
TOP_DIRS = ("bot", "corpus", "index", "feedback", "tests", "benchmarks", "slack", "scripts", "docs", ".ci")


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# --- reading Markdown ---------------------------------------------------------------------
FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})([^\n]*)\n(.*?)^[ \t]*\1[ \t]*$", re.S | re.M)
SPAN = re.compile(r"(?<!`)(`+)(?!`)((?:(?!\n[ \t]*\n).)+?)(?<!`)\1(?!`)", re.S)


def blocks(md: str) -> list[tuple[str, str]]:
    """(info string, body) of every fenced code block, body dedented."""
    return [(m.group(2).strip(), textwrap.dedent(m.group(3))) for m in FENCE.finditer(md)]


def prose(md: str) -> str:
    """The page without its fenced code blocks."""
    return FENCE.sub("\n", md)


def spans(md: str) -> list[str]:
    """Inline code spans outside fenced blocks, line breaks folded to spaces."""
    return [" ".join(m.group(2).split()) for m in SPAN.finditer(prose(md))]


def code_lines(md: str) -> list[str]:
    """Every line of code a page shows: lines of fenced blocks and inline spans."""
    lines = [line for _, body in blocks(md) for line in body.splitlines()]
    return lines + spans(md)


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading (github-slugger): the rendered text, lower-cased,
    punctuation and symbols removed (letters, marks and numbers of any script kept, so Japanese
    stays), spaces turned into hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)       # links and images: their text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "")
    text = re.sub(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1", r"\2", text)  # emphasis markers
    text = text.strip().lower()
    kept = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LMN")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor of a page: its headings' slugs (duplicates numbered as GitHub does) and ids."""
    md = read(path)
    seen: dict[str, int] = {}
    out = set()
    for m in re.finditer(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", prose(md), re.M):
        slug = github_slug(m.group(1))
        n = seen.get(slug, 0)
        out.add(slug if n == 0 else f"{slug}-{n}")
        seen[slug] = n + 1
    out |= set(re.findall(r"<a\s[^>]*(?:id|name)=\"([^\"]+)\"", md))
    return out


LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"<(?:a|img)\s[^>]*(?:href|src)=\"([^\"]+)\"")


def links(md: str) -> list[str]:
    """Targets of Markdown links and images and of HTML <a>/<img>, outside code."""
    text = SPAN.sub("", prose(md))
    return LINK.findall(text) + HTML_LINK.findall(text)


# --- the pages ----------------------------------------------------------------------------
def test_readme_is_a_front_page():
    md = read(README)
    assert len(md.encode("utf-8")) <= README_MAX_BYTES, "README.md: move details to a page under docs/"
    commands = [line.split("#")[0].strip() for _, body in blocks(md) for line in body.splitlines()]
    assert "make run" in commands and "make test" in commands
    pictures = [t for t in links(md) if t.startswith("docs/images/") and t.endswith(".png")]
    assert len(pictures) >= 3


def test_the_docs_index_lists_every_page():
    listed = {(DOCS / t.split("#")[0]).resolve() for t in links(read(DOCS / "README.md")) if "://" not in t}
    pages = {p.resolve() for p in DOCS.glob("*.md") if p.name != "README.md"} | {p.resolve() for p in PENDING}
    assert pages - listed == set()
    assert README.resolve() in listed


def test_slug_rules_match_github():
    assert github_slug("Outline revisions (改訂)") == "outline-revisions-改訂"
    assert github_slug("Installing the app (Slack admin, about 10 minutes)") == \
        "installing-the-app-slack-admin-about-10-minutes"
    assert github_slug("Citizen proposals (市民提案)") == "citizen-proposals-市民提案"
    assert github_slug("`reformbot index diff`: what changed?") == "reformbot-index-diff-what-changed"
    assert github_slug("重点目標・ＰＦＩ（用語）› 大綱P.5") == "重点目標ｐｆｉ用語-大綱p5"
    assert github_slug("Tests *and* figures") == "tests-and-figures"


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_relative_link_and_anchor_exists(page):
    problems = []
    for target in links(read(page)):
        if re.match(r"^[a-z][a-z0-9+.-]*:|^//", target, re.I):
            continue                                         # http(s), mailto: not ours to check
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / unquote(path_part)).resolve() if path_part else page
        if ROOT.resolve() not in (dest, *dest.parents):
            problems.append(f"{target}: outside the repository")
        elif not dest.exists():
            if dest not in {p.resolve() for p in PENDING}:
                problems.append(f"{target}: no such file")
        elif anchor:
            if dest.suffix != ".md":
                problems.append(f"{target}: an anchor into a file that is not Markdown")
            elif unquote(anchor) not in anchors(dest):
                problems.append(f"{target}: no heading with that anchor in {rel(dest)}")
    assert problems == []


# --- files, scripts and make targets --------------------------------------------------------
PATH = re.compile(r"(?<![\w./<-])((?:%s)/[\w./*-]*[\w*/])" % "|".join(re.escape(d) for d in TOP_DIRS))


@pytest.mark.parametrize("page", PAGES + MANIFESTS, ids=rel)
def test_every_file_named_exists(page):
    missing = []
    for name in sorted(set(PATH.findall(read(page)))):
        if name in GENERATED:
            continue
        found = list(ROOT.glob(name)) if "*" in name else [ROOT / name] if (ROOT / name).exists() else []
        if not found and (ROOT / name).resolve() not in {p.resolve() for p in PENDING}:
            missing.append(name)
    assert missing == [], f"{rel(page)} names files that do not exist"


def make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w.-]*)[ \t]*:(?!=)", read(ROOT / "Makefile"), re.M))


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_make_target_shown_exists(page):
    shown = {t for line in code_lines(read(page)) for t in re.findall(r"(?<![\w-])make ([a-z][\w-]*)", line)}
    assert shown - make_targets() == set()


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_option_shown_for_a_script_exists(page):
    problems = []
    for line in code_lines(read(page)):
        for m in re.finditer(r"python3? ((?:benchmarks|scripts)/[\w/-]+\.py)([^#`;]*)", line):
            source = read(ROOT / m.group(1))
            for flag in _flags(m.group(2)):
                if f'"{flag}"' not in source and f"'{flag}'" not in source:
                    problems.append(f"{m.group(1)} {flag}")
    assert problems == []


def _flags(args: str) -> list[str]:
    out = []
    for token in _tokens(args):
        token = token.strip("[](),")
        if re.match(r"^--?[A-Za-z]", token):
            out.append(token.split("=", 1)[0])
    return out


def _tokens(args: str) -> list[str]:
    try:
        return shlex.split(args)
    except ValueError:               # an unbalanced quote in prose-like text: whitespace is enough
        return args.split()


# --- reformbot commands ---------------------------------------------------------------------
# `reformbot` in command position: at the start of a line or of a shell command (after &&, |, ;,
# sudo -u USER, exec, ExecStart=), optionally as a path ending in /bin/. Not a directory or user
# name that happens to be called reformbot (/var/lib/reformbot, useradd … reformbot).
COMMAND = re.compile(r"(?:^|&&|\|\||[|;(]|\bsudo(?:\s+-u\s+\S+)?|\bexec|ExecStart=)\s*(?:\S*/bin/)?"
                     r"reformbot(?=\s|$)([^#`;&|'\"]*)")


def typer_app():
    """The `reformbot` Typer app with its sub-apps, as bot.cli.main builds it."""
    from bot import cli

    if not any(g.name == "index" for g in cli.app.registered_groups):
        cli._add_subcommands()
    return cli.app


@lru_cache(maxsize=1)
def cli_app():
    """The whole `reformbot` command as click sees it."""
    import typer

    return typer.main.get_command(typer_app())


def shown_commands() -> list[tuple[str, str]]:
    """(page, argument text) of every `reformbot …` a page shows in code."""
    out = []
    for page in PAGES:
        for line in code_lines(read(page)):
            out += [(rel(page), m.group(1).split(" #")[0]) for m in COMMAND.finditer(line)]
    return out


def resolve(args: str):
    """The sub-command path an argument text names, the click command, and the options shown.

    Raises:
        AssertionError: a word where a sub-command must be is not one.
    """
    cmd, path = cli_app(), []
    tokens = [t.strip("[](),") for t in _tokens(args)]
    words = iter(t for t in tokens if t and not t.startswith("-"))
    while hasattr(cmd, "get_command"):             # a group: the next word is a sub-command
        word = next(words, None)
        if word is None or word in ("…", "..."):
            break
        sub = cmd.get_command(None, word)
        assert sub is not None, f"`reformbot {' '.join(path + [word])}`: no such sub-command"
        cmd, path = sub, path + [word]
    return path, cmd, _flags(args)


def test_commands_are_found_in_the_docs():
    pages = {page for page, _ in shown_commands()}
    assert {"README.md", "docs/usage.md", "docs/revisions.md", "docs/proposals.md"} <= pages


@pytest.mark.parametrize("page, args", shown_commands(), ids=lambda x: x if "/" in x or x.endswith(".md") else None)
def test_every_reformbot_command_shown_exists_with_its_options(page, args):
    from typer.testing import CliRunner

    path, cmd, flags = resolve(args)
    result = CliRunner().invoke(typer_app(), [*path, "--help"])
    assert result.exit_code == 0, result.output
    known = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}
    assert [f for f in flags if f not in known] == [], f"{page}: reformbot {args.strip()}"


def test_the_command_check_catches_a_wrong_command_or_option():
    with pytest.raises(AssertionError, match="no such sub-command"):
        resolve("index rebuild")
    path, cmd, flags = resolve("proposals list [--status 検討中] [--colour red]")
    known = {o for p in cmd.params for o in p.opts}
    assert path == ["proposals", "list"] and "--status" in known and "--colour" in flags and "--colour" not in known


# --- environment variables and the settings table ------------------------------------------------
VARIABLE = re.compile(r"\b(?:REFORMBOT|SLACK)_[A-Z0-9_]*[A-Z0-9]\b")


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_variable_mentioned_is_a_setting(page):
    settings = {var for var, _, _ in describe()}
    assert set(VARIABLE.findall(read(page))) - settings == set()


def settings_table() -> dict[str, str]:
    md = read(DOCS / "configuration.md")
    table = md.split("<!-- settings-table: begin -->")[1].split("<!-- settings-table: end -->")[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[1]
    return rows


def test_the_settings_table_lists_every_setting_with_its_default():
    rows = settings_table()
    assert list(rows) == [var for var, _, _ in describe()]
    for var, default, _ in describe():
        shown = rows[var]
        if default == "":
            assert shown == "(empty)", var
        else:
            default = default.replace(str(ROOT) + "/", "")          # the bundled outline, relative
            assert shown.strip("`").startswith(default), f"{var}: the table says {shown}, the code {default}"


def test_every_setting_is_documented_on_the_configuration_page():
    md = read(DOCS / "configuration.md")
    assert [var for var, _, _ in describe() if f"`{var}`" not in md] == []


# --- curl -------------------------------------------------------------------------------------
def curl_lines() -> list[tuple[str, str]]:
    """(page, command) of every curl call with a URL that a page shows."""
    return [(rel(p), line.split(" #")[0].strip()) for p in PAGES for line in code_lines(read(p))
            if line.strip().startswith("curl ") and "://" in line]


def test_every_curl_url_is_ascii():
    """uvicorn refuses a request line with raw UTF-8 (400 Invalid HTTP request received.): a
    Japanese question goes through `-G --data-urlencode`."""
    assert curl_lines()
    for page, line in curl_lines():
        urls = [t for t in shlex.split(line) if "://" in t]
        assert all(u.isascii() for u in urls), f"{page}: {line}"


@pytest.mark.slow
def test_the_documented_curl_call_answers(real_settings, real_qa):
    import json

    from bot.server import create_app
    from proposals_support import live_server

    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    with live_server(create_app(real_settings, qa=real_qa)) as server:
        for page, line in curl_lines():
            if "/api/ask" not in line:      # health and metrics calls are run by test_operations_doc
                continue
            argv = [t.replace("http://127.0.0.1:8000", server.url) for t in shlex.split(line)]
            done = subprocess.run([*argv, "--silent", "--show-error", "--fail"], capture_output=True, timeout=60)
            assert done.returncode == 0, f"{page}: {line}: {done.stderr.decode()}"
            answer = json.loads(done.stdout)
            assert answer["found"] is True and answer["sources"], f"{page}: {line}"


# --- Slack -------------------------------------------------------------------------------------
def test_the_shortcut_block_is_what_both_manifests_declare():
    import yaml

    shown = [yaml.safe_load(body) for info, body in blocks(read(DOCS / "proposals.md"))
             if info == "yaml" and "shortcuts:" in body]
    assert len(shown) == 1
    for manifest in MANIFESTS:
        assert yaml.safe_load(read(manifest))["features"]["shortcuts"] == shown[0]["shortcuts"], rel(manifest)


def test_the_manifests_walkthrough_exists():
    for manifest in MANIFESTS:
        assert "Walkthrough: docs/slack.md" in read(manifest)
    assert "## Installing the app" in read(DOCS / "slack.md")
