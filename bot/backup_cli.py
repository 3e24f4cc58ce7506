"""`reformbot backup DIR` and `reformbot restore DIR` (registered on the top-level app by bot/cli.py).

Thin: settings give the data dir, bot/backup.py does the work, errors become one ``error:`` line.
"""
from __future__ import annotations

from pathlib import Path

import typer

from bot.cli_support import fail, settings_or_exit


def backup_command(
    target: Path = typer.Argument(..., file_okay=False, help="new directory for this backup (e.g. one per day)"),
) -> None:
    """Back up the database and the current index version into DIR, while the server runs.

    DIR gets manifest.json (reformbot version, time, index version, migrations, row counts, sha256
    of every file), reformbot.db (SQLite's online backup) and index/versions/<ID>/. It holds names
    and emails: DIR is 0700 and its files 0600.
    """
    from bot.backup import BackupError, backup

    settings = settings_or_exit()
    try:
        manifest = backup(settings.data_dir, target)
    except BackupError as exc:
        fail(str(exc))
    held = [_count(manifest.rows.get("proposals", 0), "proposal") if manifest.has_database else "no database",
            f"index version {manifest.index_version}" if manifest.index_version else "no index (not built)"]
    typer.echo(f"backup written to {target} ({manifest.taken()}): {', '.join(held)}; "
               f"{_count(len(manifest.files), 'file')}, their sha256 in {target / 'manifest.json'}")


def restore_command(
    source: Path = typer.Argument(..., file_okay=False, help="a directory written by `reformbot backup`"),
    force: bool = typer.Option(False, "--force",
                               help="replace the database and index of a data dir that is not empty (stop the server first)"),
) -> None:
    """Restore a backup into the data dir (REFORMBOT_DATA_DIR), which must be empty unless --force.

    Every file is checked against the backup's manifest first; a damaged backup is refused and
    nothing is written.
    """
    from bot.backup import BackupError, reformbot_version, restore

    settings = settings_or_exit()
    try:
        manifest = restore(source, settings.data_dir, force=force)
    except BackupError as exc:
        fail(str(exc))
    held = [_count(manifest.rows.get("proposals", 0), "proposal") if manifest.has_database else "no database",
            f"index version {manifest.index_version} is current" if manifest.index_version else "no index"]
    typer.echo(f"restored {source} ({manifest.taken()}, reformbot {manifest.reformbot_version}) into "
               f"{settings.data_dir}: {', '.join(held)}")
    if manifest.reformbot_version not in (reformbot_version(), "unknown"):
        typer.echo(f"note: the backup was written by reformbot {manifest.reformbot_version}, this is "
                   f"{reformbot_version()}; the database is upgraded when the server opens it", err=True)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
