"""`reformbot index inspect FILE`: how a source file will be read, to check it before publishing.

The logic is :mod:`corpus.inspect` (pure); this is the command's edge: settings for the source
limits, the error message, the printing. Registered by index/cli.py.
"""
from __future__ import annotations

import json
from pathlib import Path

import typer

from bot.cli_support import fail, settings_or_exit


def inspect(
    file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                help="source file (.txt, .md, .pdf, .docx) to read as `index build` would"),
    as_json: bool = typer.Option(False, "--json", help="print as JSON"),
) -> None:
    """Show how a source file is read: section tree, glossary terms, pages, what was removed or not placed.

    Nothing is built or changed; run it on a plan before `reformbot index build --source FILE`.
    """
    from corpus import CorpusError
    from corpus.inspect import format_inspection, inspect_source

    settings = settings_or_exit()
    try:
        found = inspect_source(file, limits=settings.source_limits())
    except CorpusError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(found.to_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(format_inspection(found))
