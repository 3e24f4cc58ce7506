"""`reformbot feedback stats | suggest | accept`: what staff told us about the bot's answers, and
synonym lines learnt from it (mounted by bot/cli.py)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from bot.cli_support import PlainErrorsGroup

feedback_app = typer.Typer(cls=PlainErrorsGroup, no_args_is_help=True, add_completion=False, help="Answer feedback from staff.")


SURFACE_LABELS = {
    "mention": "Slack mention", "dm": "Slack DM", "thread": "Slack thread", "slash": "Slack /reform",
    "web": "staff web page", "api": "/api/ask", "cli": "reformbot ask",
}


@feedback_app.callback()
def _group() -> None:
    """Answer feedback from staff: answers shown in Slack, on the staff web page, by /api/ask and
    `reformbot ask`, and 👍/👎 votes from Slack and the web page."""


def _database(db: Optional[Path]) -> Path:
    if db is not None:
        return db
    from bot.settings import Settings, SettingsError

    try:
        return Settings.from_env().database_path
    except SettingsError as exc:
        raise typer.BadParameter(str(exc)) from None


@feedback_app.command("stats")
def stats(
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=200, help="questions to list per table"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
    db: Optional[Path] = typer.Option(None, "--db", dir_okay=False, help="SQLite file (default: <data dir>/reformbot.db)"),
) -> None:
    """Answers shown and 👍/👎 votes, in total and by surface (Slack, web page, API, CLI), and the
    questions most often unhelpful or unanswered.

    The unanswered list is what the outline lacks (or what retrieval misses): read it first.
    """
    from feedback.answers import FeedbackStore

    path = _database(db)
    if not path.exists():
        typer.echo(f"No feedback yet: {path} does not exist (the server or `reformbot ask` creates it with its first answer).")
        return
    store = FeedbackStore(path)
    try:
        summary = store.stats(limit=limit)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
        return
    votes = summary.votes_up + summary.votes_down
    helpful = f"{summary.votes_up / votes:.0%}" if votes else "-"
    typer.echo(f"Answers shown:        {summary.answers}")
    typer.echo(f"Not in the outline:   {summary.unanswered}")
    typer.echo(f"Votes:                👍 {summary.votes_up}  👎 {summary.votes_down}  (helpful {helpful})")
    _surfaces(summary.by_surface)
    _table("Most often marked unhelpful (👎)", summary.most_unhelpful)
    _table("Most often unanswered (not in the outline)", summary.most_unanswered)
    if summary.recent_comments:
        typer.echo("\nRecent comments on 👎")
        for question, comment in summary.recent_comments:
            typer.echo(f"  - {question}\n      {comment}")


def _table(title: str, items) -> None:
    typer.echo(f"\n{title}")
    if not items:
        typer.echo("  (none)")
        return
    width = max(len(str(i.count)) for i in items)
    for item in items:
        typer.echo(f"  {item.count:>{width}}  {item.question}")


def _surfaces(counts) -> None:
    typer.echo("\nBy surface")
    if not counts:
        typer.echo("  (none)")
        return
    labels = [f"{c.surface} ({SURFACE_LABELS[c.surface]})" if c.surface in SURFACE_LABELS else c.surface
              for c in counts]
    width = max(len(label) for label in labels)
    typer.echo(f"  {'':<{width}}  answers  not in outline    👍    👎")
    for label, c in zip(labels, counts):
        typer.echo(f"  {label:<{width}}  {c.answers:>7}  {c.unanswered:>14}  {c.votes_up:>4}  {c.votes_down:>4}")


# --- learning from staff ------------------------------------------------------------------------
@feedback_app.command("suggest")
def suggest(
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=200, help="questions to list"),
    as_json: bool = typer.Option(False, "--json", help="print the suggestions as JSON"),
) -> None:
    """Questions not answered or marked 👎, newest first, numbered, each with a proposed synonym
    line: the question's words no document uses, mapped one way to the nearest document terms by
    meaning (the index's model) and by characters. Accept one with `reformbot feedback accept N`.
    """
    from bot.cli_support import fail, settings_or_exit
    from bot.service import QAService
    from bot.suggest_service import list_suggestions
    from feedback.answers import FeedbackStore

    settings = settings_or_exit()
    path = settings.database_path
    if not path.exists():
        typer.echo(f"No feedback yet: {path} does not exist (the server or `reformbot ask` creates it with its first answer).")
        return
    try:
        retriever = QAService(settings).retriever
    except Exception as exc:        # not built, model missing: the index's own message says how to fix it
        fail(str(exc))
    from index.synonyms import read_synonyms

    store = FeedbackStore(path)
    try:
        items = list_suggestions(store, retriever, limit=limit, rules=read_synonyms(settings.synonyms_path).rules)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([s.to_dict() for s in items], ensure_ascii=False, indent=2))
        return
    if not items:
        typer.echo("Nothing to learn: every question's latest answer was found and not marked 👎.")
        return
    typer.echo("Questions not answered or marked 👎, newest first. Proposed lines for the synonyms file "
               f"({settings.synonyms_path}):")
    for s in items:
        p = s.problem
        typer.echo(f"\n{s.n:>3}. {p.question}")
        typer.echo(f"     not answered {p.not_answered} · 👎 {p.votes_down} · last asked {p.last_asked[:10]}")
        if not s.lines:
            typer.echo("     (no line: every word of the question is in the documents or already has a rule)")
        for w in s.proposal.words:
            if not w.line():
                continue
            near = "; ".join(
                f"{label} {', '.join(m.term for m in ms)}" for label, ms in
                (("by meaning", w.by_embedding), ("by characters", w.by_characters)) if ms)
            typer.echo(f"     {w.line()}    ({near})")
        if s.preview is not None:
            typer.echo(f"     with {'this line' if len(s.lines) == 1 else 'these lines'}: "
                       + (f"answered from 〔{s.preview.section}〕 — check it is the right passage" if s.preview.found
                          else "still not answered"))
    typer.echo("\nAccept one: reformbot feedback accept N   (or correct it: --edit \"word => document term\")")


@feedback_app.command("accept")
def accept(
    number: int = typer.Argument(..., min=1, help="the suggestion's number in the list `reformbot feedback suggest` showed last"),
    edit: Optional[str] = typer.Option(None, "--edit", help="write this line instead, e.g. \"word => document term\" or \"a, b\""),
) -> None:
    """Append suggestion N's synonym line(s) to the synonyms file; a running server applies the
    changed file within a second (no restart), the next `reformbot ask` at once."""
    from bot.cli_support import fail, settings_or_exit
    from bot.suggest_service import NothingToAccept, accept as accept_lines
    from feedback.answers import FeedbackStore, UnknownSuggestion
    from index.synonyms import SynonymLineError

    settings = settings_or_exit()
    if not settings.database_path.exists():
        fail("no suggestions shown yet: run `reformbot feedback suggest` first", 2)
    store = FeedbackStore(settings.database_path)
    try:
        question, done = accept_lines(store, settings.synonyms_path, number, edit)
    except UnknownSuggestion as exc:
        fail(f"{exc}; run `reformbot feedback suggest` and use a number it shows", 2)
    except NothingToAccept as exc:
        fail(str(exc), 2)
    except SynonymLineError as exc:
        fail(f"not a synonym line: {exc}; write `word => document term` or `a, b`", 2)
    finally:
        store.close()
    typer.echo(f"{number}. {question}")
    for line in done.added:
        typer.echo(f"  added: {line}")
    for line in done.already:
        typer.echo(f"  already in the file: {line}")
    if done.added:
        typer.echo(f"Written to {settings.synonyms_path}; a running server applies it within a second, no restart.")
