"""`reformbot feedback stats`: what staff told us about the bot's answers (mounted by bot/cli.py)."""
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
