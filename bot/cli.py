"""Command line: `reformbot index build | ask | eval | serve | feedback | proposals | config | backup | restore`.

Heavy modules (numpy, faiss, torch, sentence-transformers) are imported inside commands, so
`reformbot --help` starts fast.
"""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from bot.cli_support import PlainErrorsGroup, fail as _fail, settings_or_exit
from bot.settings import Settings, describe

HELP = "reformbot: cited answers about {name}, and citizen proposals."


def main_help() -> str:
    """The top-level help, naming the document indexed now (neutral wording when none is)."""
    from bot.about import NO_DOCUMENT, describe, document_on_disk

    try:
        settings = Settings.from_env()
        about = describe(document_on_disk(settings.index_dir), settings.city_name)    # no model loaded
    except Exception:      # a bad setting is reported by the command itself, not by its help
        about = NO_DOCUMENT
    return about.fill(HELP, "en")


class _MainGroup(PlainErrorsGroup):
    """The ``reformbot`` group: its help is written when shown (reading the index's document.json)."""

    def format_help(self, ctx, formatter):
        self.help = main_help()
        return super().format_help(ctx, formatter)


app = typer.Typer(
    cls=_MainGroup,
    help=HELP.format(name="the indexed plan"),
    no_args_is_help=True,
    add_completion=False,
)


def _index_errors() -> tuple[type[BaseException], ...]:
    from index.errors import IndexError_

    return (IndexError_,)


@app.command()
def ask(
    question: str = typer.Argument(..., help="the question, in Japanese or English"),
    as_json: bool = typer.Option(False, "--json", help="print the answer contract as JSON"),
    k: int = typer.Option(3, "--k", min=1, max=10, help="number of sources"),
    previous: list[str] = typer.Option([], "--previous", help="an earlier question of the conversation "
                                       "(repeat, oldest first): a follow-up is read with them"),
) -> None:
    """Answer one question from the indexed document, with citations."""
    from bot.service import EmptyQuestion, QAService, QuestionTooLong

    settings = settings_or_exit()
    qa = QAService(settings)
    try:
        answer = qa.ask(question, k=k, history=tuple(previous))
    except (EmptyQuestion, QuestionTooLong) as exc:
        _fail(f"{exc}", 2)
    except _index_errors() as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        from bot.render_text import render_answer

        from bot.about import current

        typer.echo(render_answer(answer, contact=settings.contact, about=current(qa, settings.city_name)))
    _log_answer(settings, answer)


def _log_answer(settings: Settings, answer) -> None:
    """Log an answer shown here for `reformbot feedback stats` (surface ``cli``); never fails the command."""
    from bot.messages import is_english
    from feedback.answers import FeedbackStore

    try:
        store = FeedbackStore(settings.database_path)
        try:
            store.record_answer(question=answer.question, chunk_ids=[s.id for s in answer.sources],
                                found=answer.found, lang="en" if is_english(answer.question) else "ja",
                                surface="cli", index_version=answer.index_version)
        finally:
            store.close()
    except Exception as exc:      # the answer was printed; only its line in the log is missing
        logging.getLogger(__name__).warning("answer not logged for `reformbot feedback stats`: %s", exc)


@app.command("eval")
def eval_(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="TSV: question<TAB>expected text or -"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Score retrieval on a question set: hit@1/3/5, MRR@10, answered/refused rates, misses."""
    from bot.evaluate import EvalFileError, evaluate
    from bot.service import QAService

    settings = settings_or_exit()
    qa = QAService(settings)
    try:
        report = evaluate(path, lambda q: qa.ask(q, k=10))
    except EvalFileError as exc:
        _fail(str(exc), 2)
    except UnicodeDecodeError:
        _fail(f"{path}: not UTF-8 text; save the question file as UTF-8", 2)
    except _index_errors() as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(report.format())


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, help="bind address (default REFORMBOT_HOST)"),
    port: Optional[int] = typer.Option(None, min=1, max=65535, help="port (default REFORMBOT_PORT)"),
    forwarded_allow_ips: Optional[str] = typer.Option(
        None, "--forwarded-allow-ips",
        help="reverse proxies trusted for X-Forwarded-For/-Proto, comma-separated IPs or * "
             "(default REFORMBOT_FORWARDED_ALLOW_IPS)"),
) -> None:
    """Run the HTTP server: staff Q&A page, /api/ask, /healthz, Slack and the proposal form."""
    from dataclasses import replace

    from bot.ports import PortUnavailable, ensure_free
    from bot.server import serve as run

    settings = settings_or_exit()
    settings = replace(settings, host=host or settings.host, port=port or settings.port,
                       forwarded_allow_ips=forwarded_allow_ips or settings.forwarded_allow_ips)
    try:
        ensure_free(settings.host, settings.port)       # before loading anything: one clear line
    except PortUnavailable as exc:
        if exc.host_problem:
            _fail(f"{exc}: listen on one of this machine's addresses instead, e.g. "
                  f"`REFORMBOT_HOST=127.0.0.1 make run` or `reformbot serve --host 127.0.0.1`")
        other = settings.port + 1 if settings.port < 65535 else settings.port - 1
        _fail(f"{exc}: choose another port, e.g. `REFORMBOT_PORT={other} make run` "
              f"or `reformbot serve --port {other}`")
    run(settings)


@app.command()
def config() -> None:
    """Show every setting: environment variable, current value, default, meaning."""
    settings = settings_or_exit()
    from dataclasses import fields

    for f, (var, default, help_) in zip(fields(Settings), describe()):
        value = getattr(settings, f.name)
        if isinstance(value, tuple):
            value = ":".join(str(v) for v in value)
        if "token" in f.name or "secret" in f.name:
            value = "(set)" if value else "(not set)"
        elif f.metadata.get("redact") == "url" and value:
            value = settings.smtp_config().redacted()      # the password as ***
        typer.echo(f"{var}={value}    # {help_} [default: {default or '(empty)'}]")


def _add_subcommands() -> None:
    from bot.index_cli import index_app

    app.add_typer(index_app, name="index", help="Build and inspect the search index.")
    try:
        from feedback.cli import feedback_app
    except ModuleNotFoundError:  # until the Slack feedback module lands
        feedback_app = None
    if feedback_app is not None:
        app.add_typer(feedback_app, name="feedback", help="Answer feedback from staff.")
    try:
        from feedback.proposals.cli import proposals_app
    except ModuleNotFoundError:
        proposals_app = None
    if proposals_app is not None:
        app.add_typer(proposals_app, name="proposals", help="Citizen proposals.")
    from bot.backup_cli import backup_command, restore_command

    app.command("backup")(backup_command)
    app.command("restore")(restore_command)


OWN_LOGGERS = ("bot", "index", "corpus", "feedback", "uvicorn")


class _OwnInfoOnly(logging.Filter):
    """INFO from reformbot's own modules (and uvicorn's server lines); WARNING and up from the rest.

    Libraries' INFO/DEBUG chatter (sentence-transformers "Loaded 2 prompts", bm25s, which sets its
    own logger to DEBUG) is noise on a staff member's terminal.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        own = record.name.split(".", 1)[0] in OWN_LOGGERS
        return own and record.levelno >= logging.INFO


def setup_logging() -> None:
    """Log lines on stderr: ours from INFO, libraries' from WARNING."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_OwnInfoOnly())
    logging.basicConfig(level=logging.INFO, handlers=[handler])


def main() -> None:
    """Console-script entry point."""
    setup_logging()
    _add_subcommands()
    app()


if __name__ == "__main__":
    main()
