"""What every CLI sub-app shares: settings from the environment, and one way to fail."""
from __future__ import annotations

from typing import NoReturn

import typer

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
