"""`reformbot index build | info`: the index sub-commands (mounted by bot/cli.py)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

index_app = typer.Typer(no_args_is_help=True, add_completion=False)


def _settings():
    from bot.settings import Settings, SettingsError, limit_threads

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise typer.BadParameter(str(exc)) from None
    limit_threads(settings.threads)
    return settings


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@index_app.command("build")
def build(
    source: Optional[List[Path]] = typer.Option(
        None, "--source", "-s", exists=True, dir_okay=False,
        help="source file (.txt, .md, .pdf); repeat for several; default REFORMBOT_SOURCES"),
    as_json: bool = typer.Option(False, "--json", help="print the manifest as JSON"),
) -> None:
    """Parse the outline, embed the chunks (reusing unchanged ones) and write the index."""
    from index.build import build_from_settings
    from index.embedder import ModelNotAvailable
    from index.errors import IndexError_

    settings = _settings()
    bar = None

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal bar
        if stage != "embed" or total == 0:
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="embedding chunks", unit="chunk", disable=as_json)
        bar.update(done - bar.n)

    try:
        manifest = build_from_settings(settings, sources=source or None, progress=progress)
    except (IndexError_, ModelNotAvailable) as exc:
        _fail(str(exc))
    except (OSError, ValueError) as exc:   # unreadable / undecodable source files (corpus errors)
        _fail(str(exc))
    finally:
        if bar is not None:
            bar.close()
    if as_json:
        typer.echo(json.dumps({k: v for k, v in manifest.to_dict().items() if k != "chunk_hashes"},
                              ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"index {manifest.index_version} written to {settings.index_dir}: {manifest.chunk_count} chunks "
        f"({manifest.embedded} embedded, {manifest.reused} reused), {manifest.sections} sections, "
        f"{manifest.glossary_terms} glossary terms, model {manifest.model_id}, "
        f"{manifest.faiss_kind} FAISS, {manifest.build_seconds:.1f}s")


@index_app.command("info")
def info(as_json: bool = typer.Option(False, "--json", help="print as JSON")) -> None:
    """Show the manifest of the built index (no model is loaded)."""
    from index.errors import IndexError_
    from index.store import read_manifest

    settings = _settings()
    try:
        m = read_manifest(settings.index_dir)
    except IndexError_ as exc:
        _fail(str(exc))
    d = {k: v for k, v in m.to_dict().items() if k != "chunk_hashes"}
    if as_json:
        typer.echo(json.dumps(d, ensure_ascii=False, indent=2))
    else:
        for k, v in d.items():
            typer.echo(f"{k}: {v}")
