"""What every CLI sub-app shares: settings from the environment, and one way to fail."""
from __future__ import annotations

from typing import NoReturn

import typer
from typer.core import TyperGroup

try:  # Typer 0.23+ ships its own copy of click: its parser raises these classes, not the `click` package's
    from typer._click import exceptions as click_errors
except ImportError:  # older Typer (pyproject allows >=0.12) runs on click itself
    from click import exceptions as click_errors

from bot.settings import Settings, SettingsError, limit_threads


def settings_or_exit() -> Settings:
    """Settings from the environment (threads pinned), or ``error: …`` on one line and exit 2."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        fail(str(exc), 2)
    limit_threads(settings.threads)
    return settings


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` to stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


class PlainErrorsGroup(TyperGroup):
    """A Typer group whose usage errors are one ``error: …`` line, like the rest of the CLI.

    Typer shows click's own usage errors (a missing ``--source`` file, ``--format xml``, an unknown
    option) in a multi-line rich box; ``rich_markup_mode=None`` would only swap it for click's
    three-line ``Usage:/Try/Error:`` block. Catching them where the group parses and dispatches
    covers every subcommand below it, whether run from the console script or a test's CliRunner.
    """

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click_errors.ClickException as exc:
            _fail_usage(exc)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click_errors.ClickException as exc:
            _fail_usage(exc)


def _fail_usage(exc: click_errors.ClickException) -> NoReturn:
    """``error: <click's message> (see `<command> --help`)`` on stderr, exit with click's code."""
    if isinstance(exc, getattr(click_errors, "NoArgsIsHelpError", ())):
        raise exc          # a bare group name shows its help, as before
    ctx = getattr(exc, "ctx", None)
    hint = f" (see `{ctx.command_path} --help`)" if isinstance(exc, click_errors.UsageError) and ctx else ""
    fail(exc.format_message() + hint, exc.exit_code)
