"""`reformbot proposals list|show|export|status|answer|publish|unpublish|relink|erase|purge-personal|access-log`
(mounted by bot/cli.py).

Listings, ``show`` and exports leave personal data out unless ``--include-personal`` is given:
name and email, and contact details, My-Number-like numbers or the submitter's own name written
inside the title or text (masked as in Slack). ``--include-personal`` needs ``--reason``: who
(``--by``, default the login name), when, what and why go to the access log before anything is
printed (``access-log`` shows it). ``erase`` removes one submitter's name and email on request,
``purge-personal`` those past the retention period. ``publish`` records the exact public title and
excerpt a staff member approves; citizens see nothing else of a proposal.

Times in JSON and exports are Japan time in ISO 8601 with the offset (``2026-11-28T00:30:00+09:00``):
the same date as the 受付番号 (the database keeps UTC).
"""
from __future__ import annotations

import csv
import io
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from bot.cli_support import PlainErrorsGroup, settings_or_exit

proposals_app = typer.Typer(cls=PlainErrorsGroup, no_args_is_help=True, add_completion=False, help="Citizen proposals.")
DB_OPTION = typer.Option(None, "--db", dir_okay=False, help="SQLite file (default: <data dir>/reformbot.db)")
REASON_OPTION = typer.Option(None, "--reason", help="why you need names and emails (kept in the access log)")
BY_OPTION = typer.Option(None, "--by", help="who you are, for the access log (default: your login name)")


class Format(str, Enum):
    csv = "csv"
    json = "json"


@proposals_app.callback()
def _group() -> None:
    """Citizen proposals: list, inspect, export and triage them."""


def _store(db: Optional[Path], must_exist: bool = True):
    from .store import ProposalStore

    import sqlite3

    from bot.cli_support import fail

    from .web import mail_options

    settings = settings_or_exit()
    path = db or settings.database_path
    if must_exist and not Path(path).exists():
        typer.echo(f"No proposals yet: {path} does not exist (the form creates it with the first proposal).")
        raise typer.Exit(0)
    try:
        from bot.about import document_on_disk

        return ProposalStore(path, mail=mail_options(settings, lambda: document_on_disk(settings.index_dir)))
    except (sqlite3.DatabaseError, OSError) as exc:
        fail(f"cannot open the proposals database {path} ({exc}): check the path "
             "(REFORMBOT_DATA_DIR or --db) and that it is the reformbot.db the server writes")


def _private(store, p, include_personal: bool):
    """``p`` as shown without --include-personal: contact details and the submitter's name inside
    title and text masked."""
    return p if include_personal else store.redact(p)


def _goal_shares(scores: dict) -> str:
    """``{"基本方針Ⅰ": 0.7, "基本方針Ⅲ": 0.3}`` as ``(基本方針Ⅰ 70% / 基本方針Ⅲ 30%)``: goals with a
    share, by the labels stored at link time, in the document's order."""
    parts = [f"{label} {v:.0%}" for label, v in scores.items() if v > 0]
    return f"({' / '.join(parts)})" if parts else ""


def _usage_error(message: str):
    """``error: message`` on one line (no usage box: the message already says what to give), exit 2."""
    from bot.cli_support import fail

    fail(message, 2)


def _status_code(value: str) -> str:
    """A status code from its code or Japanese/English label (受付, 検討中, done, …)."""
    from . import messages as M
    from .model import STATUSES

    v = value.strip()
    if v in STATUSES:
        return v
    for code, labels in M.STATUS_LABELS.items():
        if v in labels.values() or v.lower() == labels["en"].lower():
            return code
    _usage_error(f"unknown status {value!r}; use one of: " +
                 ", ".join(f"{c} ({M.STATUS_LABELS[c]['ja']})" for c in STATUSES))


def _login_name() -> str:
    """Who runs this command, as the system knows them (the access log's default "who")."""
    import getpass
    import os

    try:
        return getpass.getuser()
    except (OSError, KeyError):        # no name for this uid (some containers)
        return f"uid{os.getuid()}"


def _access(reason: Optional[str], by: Optional[str], needed_for: str, example: str, detail: str = ""):
    """Who and why for the access log, or ``error: …`` (exit 2, nothing printed) without a reason."""
    from .model import PersonalAccess

    if not (reason or "").strip():
        _usage_error(f"{needed_for} needs --reason: say why, e.g. --reason \"{example}\" "
                     "(kept with your name in `reformbot proposals access-log`)")
    who = (by or "").strip() or _login_name()
    return PersonalAccess(f"cli:{who}", reason.strip(), detail)


def _get(store, ref: str, include_personal: bool = False, access=None):
    from .store import ProposalNotFound

    try:
        return store.get(ref, include_personal=include_personal, access=access)
    except ProposalNotFound:
        from .receipts import EXAMPLE

        _usage_error(f"no proposal {ref!r}: give a 受付番号 like {EXAMPLE} or an id "
                     "(see `reformbot proposals list`)")


def _proposal_dict(p, include_personal: bool) -> dict:
    """Everything ``show --json`` and ``list --json`` print of ``p``: one shape for both."""
    from .store import jst_iso

    d = {
        "id": p.id, "receipt_no": p.receipt_no, "created_at": jst_iso(p.created_at), "source": p.source,
        "staff_user_id": p.staff_user_id, "status": p.status, "published": p.published, "title": p.title,
        "body": p.body, "goal": p.goal, "goal_text": p.goal_text, "linked_goal": p.linked_goal,
        "linked_goal_text": p.linked_goal_text, "goal_scores": p.goal_scores,
        "residency": p.residency, "age_group": p.age_group, "lang": p.lang,
        "consent_version": p.consent_version, "link_state": p.link_state,
        "sections": [{"rank": s.rank, "id": s.chunk_id, "section": s.section, "page": s.page, "score": s.score}
                     for s in p.sections],
        "similar": [{"receipt_no": s.receipt_no, "title": s.title, "score": s.score, "duplicate": s.duplicate}
                    for s in p.similar],
        "history": [{"status": h.status, "actor": h.actor, "note": h.note, "at": jst_iso(h.at)} for h in p.history],
        "public": ({"title": p.public.title, "excerpt": p.public.excerpt, "approved_by": p.public.approved_by,
                    "approved_at": jst_iso(p.public.approved_at)} if p.public else None),
        "answers": [{"text": a.text, "status": a.status, "published": a.published, "author": a.author,
                     "created_at": jst_iso(a.created_at)} for a in p.answers],
        "mails": [{"id": m.id, "kind": m.kind, "state": m.state, "attempts": m.attempts,
                   "next_try_at": jst_iso(m.next_try_at), "last_error": m.last_error,
                   "created_at": jst_iso(m.created_at), "sent_at": jst_iso(m.sent_at), "message_id": m.message_id}
                  for m in p.mails],
    }
    if include_personal:
        d["name"], d["email"] = p.name, p.email
    return d


@proposals_app.command("list")
def list_(
    status: Optional[str] = typer.Option(None, "--status", "-s", help="only this status (code or label, e.g. 検討中)"),
    source: Optional[str] = typer.Option(None, "--source", help="citizen or staff"),
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=10000),
    as_json: bool = typer.Option(False, "--json", help="JSON lines, one proposal each, as `show --json` prints it"),
    db: Optional[Path] = DB_OPTION,
) -> None:
    """Newest proposals first: 受付番号, status, goal, title.

    With --json each line holds what `show --json` shows (outline sections, similar proposals,
    history), without personal data. Times are Japan time, ISO 8601 with +09:00 (the 受付番号's date).
    """
    from . import messages as M

    store = _store(db)
    rows = store.list(status=_status_code(status) if status else None, source=source, limit=limit)
    if as_json:
        # store.list() leaves out sections, similar proposals, history and public text; printed as
        # empty they would say "none", so each line is the whole proposal, as `show` reads it.
        for p in store.redact_all([store.get(p.id) for p in rows]):
            typer.echo(json.dumps(_proposal_dict(p, False), ensure_ascii=False))
        return
    rows = store.redact_all(rows)
    if not rows:
        typer.echo("(no proposals)")
        return
    for p in rows:
        goal = M.goal_label(p.linked_goal, p.linked_goal_label, "ja")
        typer.echo(f"{p.receipt_no}  {M.label(M.STATUS_LABELS, p.status, 'ja'):<4}  {goal:<6}  "
                   f"{'公開' if p.published else '    '}  {p.source:<7}  {p.title}")


@proposals_app.command("show")
def show(
    ref: str = typer.Argument(..., help="受付番号 or id"),
    include_personal: bool = typer.Option(False, "--include-personal",
                                          help="also print name and email (needs --reason; logged)"),
    reason: Optional[str] = REASON_OPTION,
    by: Optional[str] = BY_OPTION,
    as_json: bool = typer.Option(False, "--json"),
    db: Optional[Path] = DB_OPTION,
) -> None:
    """One proposal: text, outline links, similar proposals, status history.

    With --include-personal also the submitter's name and email: give --reason; who, when and why
    go to the access log first. Times are Japan time (in --json, ISO 8601 with +09:00: the 受付番号's date).
    """
    from . import messages as M
    from .store import local_time

    access = _access(reason, by, "--include-personal", "reply to the submitter's question") \
        if include_personal else None
    store = _store(db)
    p = _private(store, _get(store, ref, include_personal, access), include_personal)
    if as_json:
        typer.echo(json.dumps(_proposal_dict(p, include_personal), ensure_ascii=False, indent=2))
        return
    typer.echo(f"受付番号   {p.receipt_no}  (id {p.id}, {p.source}{', ' + p.staff_user_id if p.staff_user_id else ''})")
    typer.echo(f"受付日時   {local_time(p.created_at)}")
    typer.echo(f"状態       {M.label(M.STATUS_LABELS, p.status, 'ja')}{'  (公開)' if p.published else ''}")
    typer.echo(f"件名       {p.title}")
    # The goals as stored with the proposal: the document's wording when it was submitted and linked.
    typer.echo(f"目標       推定 {M.goal_text(p.linked_goal, p.linked_goal_text, 'ja')} "
               f"{_goal_shares(p.goal_scores or {})}".rstrip())
    typer.echo(f"           提案者 {M.goal_text(p.goal, p.goal_text, 'ja')}")
    typer.echo(f"属性       {M.label(M.RESIDENCY, p.residency, 'ja')} {M.label(M.AGE_GROUPS, p.age_group or '', 'ja')}"
               f"  同意版 {p.consent_version or '-'}")
    if include_personal:
        typer.echo(f"氏名       {p.name or '-'}\nメール     {p.email or '-'}")
    if p.public:
        typer.echo(f"公開文     件名 {p.public.title}\n           抜粋 {p.public.excerpt}\n"
                   f"           承認 {p.public.approved_by} {local_time(p.public.approved_at)}")
    typer.echo("\n" + p.body + "\n")
    typer.echo("関連する箇所:" if p.sections else f"関連する箇所: なし ({p.link_state})")
    for s in p.sections:
        typer.echo(f"  {s.rank}. {s.section} (P.{s.page}) {s.score:.3f}  [{s.chunk_id}]")
    for s in p.similar:
        typer.echo(f"  似た提案 {s.receipt_no} {s.title} {s.score:.3f}{'  ← 重複の可能性' if s.duplicate else ''}")
    for i, a in enumerate(p.answers):
        current = i == len(p.answers) - 1
        typer.echo(("回答:" if current else f"以前の回答 ({i + 1}/{len(p.answers)}):") +
                   f"  {M.label(M.STATUS_LABELS, a.status, 'ja')}  {'公開' if a.published else '非公開'}  "
                   f"{a.author}  {local_time(a.created_at)}")
        typer.echo("  " + a.text.replace("\n", "\n  "))
    if p.mails:
        typer.echo("メール:")
    for m in p.mails:
        typer.echo(f"  outbox {m.id}  {_mail_line(m)}")
        if m.last_error and m.state != "sent":
            typer.echo(f"    {m.last_error}")
    typer.echo("履歴:")
    for h in p.history:
        typer.echo(f"  {local_time(h.at)}  {M.label(M.STATUS_LABELS, h.status, 'ja')}  {h.actor}  {h.note}")


def _mail_line(m) -> str:
    """One outbox row for ``show``: kind, state, tries, times, Message-ID (never the address)."""
    from . import messages as M
    from .store import local_time

    line = f"{M.label(M.MAIL_KINDS, m.kind, 'ja')}  {M.label(M.MAIL_STATES, m.state, 'ja')}  試行 {m.attempts}"
    if m.state == "sent" and m.sent_at:
        line += f"  {local_time(m.sent_at)}"
    elif m.state == "pending":
        line += f"  次の試行 {local_time(m.next_try_at)}" if m.next_try_at else ""
        if not settings_or_exit().smtp_url:
            line += "  (REFORMBOT_SMTP_URL is not set: queued, not sent)"
    return f"{line}  {m.message_id}"


def _defuse(value):
    """Spreadsheet-safe CSV cell: text starting with = + - @ (or tab/CR) gets a leading ' so
    Excel shows it instead of running it as a formula (OWASP "CSV injection")."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@proposals_app.command("export")
def export(
    fmt: Format = typer.Option(Format.csv, "--format", "-f", help="csv or json"),
    include_personal: bool = typer.Option(False, "--include-personal",
                                          help="add name and email columns (needs --reason; logged)"),
    reason: Optional[str] = REASON_OPTION,
    by: Optional[str] = BY_OPTION,
    output: Optional[Path] = typer.Option(None, "--output", "-o", dir_okay=False, help="file (default: stdout)"),
    db: Optional[Path] = DB_OPTION,
) -> None:
    """Every proposal as CSV (UTF-8 with BOM, opens in Excel) or JSON. No personal data by default;
    with --include-personal give --reason (who, when, what and why go to the access log first).

    created_at is Japan time, ISO 8601 with +09:00 (e.g. 2026-11-28T00:30:00+09:00): its date is
    the 受付番号's.
    """
    access = None
    if include_personal:
        where = f"to {output}" if output else "to standard output"
        access = _access(reason, by, "--include-personal", "survey of submitters, approved by the section head",
                         f"({fmt.value}, {where})")
    rows = _store(db).export_rows(include_personal=include_personal, access=access)   # masked unless personal
    if fmt is Format.json:
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    else:
        buf = io.StringIO()
        fields = list(rows[0].keys()) if rows else ["id", "receipt_no", "created_at", "status", "title", "body"]
        writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows({k: _defuse(v) for k, v in r.items()} for r in rows)
        text = buf.getvalue()
    if output:
        text = ("\ufeff" if fmt is Format.csv else "") + text
        try:
            if include_personal:
                from feedback.permissions import write_private

                write_private(output, text)         # owner-only (0600), whatever the umask
            else:
                output.write_text(text, encoding="utf-8")
        except OSError as exc:
            from bot.cli_support import fail

            fail(f"cannot write {output}: {exc.strerror or exc}; nothing was exported")
        typer.echo(f"wrote {len(rows)} proposals to {output}" + (" (with personal data)" if include_personal else ""),
                   err=True)
    else:
        sys.stdout.write(text)


@proposals_app.command("status")
def set_status(
    ref: str = typer.Argument(..., help="受付番号 or id"),
    status: str = typer.Argument(..., help="received|reviewing|done|difficult|out_of_scope or 受付/検討中/対応済/対応困難/対象外"),
    note: str = typer.Option("", "--note", help="why (kept in the history)"),
    by: str = typer.Option("admin", "--by", help="who is changing it (recorded as cli:<by>)"),
    db: Optional[Path] = DB_OPTION,
) -> None:
    """Change a proposal's status (recorded in its history)."""
    from . import messages as M
    from .model import TRANSITIONS
    from .store import BadTransition

    store = _store(db)
    p = _get(store, ref)
    code = _status_code(status)
    try:
        p = store.set_status(p.id, code, actor=f"cli:{by}", note=note)
    except BadTransition:
        _usage_error(f"{p.receipt_no} is {M.STATUS_LABELS[p.status]['ja']} ({p.status}); it cannot become "
                     f"{M.STATUS_LABELS[code]['ja']} ({code}). Allowed: "
                     + ", ".join(f"{c} ({M.STATUS_LABELS[c]['ja']})" for c in TRANSITIONS[p.status]))
    typer.echo(f"{p.receipt_no}: {M.label(M.STATUS_LABELS, p.status, 'ja')} ({p.status})")
    _update_slack(store, p)


@proposals_app.command("answer")
def answer(
    ref: str = typer.Argument(..., help="受付番号 or id"),
    file: Path = typer.Option(..., "--file", "-f", dir_okay=False,
                              help="the answer, a UTF-8 text file (- for standard input)"),
    status: str = typer.Option(..., "--status", "-s",
                               help="outcome: done|difficult|out_of_scope|reviewing or 対応済/対応困難/対象外/検討中"),
    publish: bool = typer.Option(False, "--publish", help="show the answer to citizens on the status page"),
    by: str = typer.Option("admin", "--by", help="who answers (recorded as cli:<by>)"),
    db: Optional[Path] = DB_OPTION,
) -> None:
    """Answer a proposal: save the answer (an edit keeps the earlier one in the history), set its
    status, and mail the answer to the citizen when they left an address (through the outbox;
    the server sends it)."""
    from . import messages as M
    from .store import BadAnswer

    store = _store(db)
    p = _get(store, ref)
    text = _read_text(file, "answer")
    code = _status_code(status)
    checked = store.check_answer(p.id, text, code, published=publish, lang="en")
    if not checked.ok:
        _usage_error(" ".join(checked.errors.values()) + _answer_hint(checked.errors))
    mails_before = len(p.mails)
    try:
        store.answer(p.id, text, code, published=publish, author=f"cli:{by}")
    except BadAnswer as exc:     # checked just above; only a concurrent change gets here
        _usage_error(str(exc))
    p = store.get(p.id)
    mail = next((m for m in p.mails[mails_before:] if m.kind == "answer"), None)    # queued with this answer
    typer.echo(f"{p.receipt_no}: answered, {M.label(M.STATUS_LABELS, p.status, 'ja')} ({p.status}), "
               f"{'public' if publish else 'not public'}" + (f" ({len(p.answers) - 1} earlier kept)" if len(p.answers) > 1 else ""))
    if mail is None:
        typer.echo("mail: none (the submitter left no email address)")
    elif settings_or_exit().smtp_url:
        typer.echo(f"mail: queued as outbox {mail.id}; the server sends it (see `reformbot proposals show {p.receipt_no}`)")
    else:
        typer.echo(f"mail: queued as outbox {mail.id}, not sent while REFORMBOT_SMTP_URL is not set")
    _update_slack(store, p)


def _answer_hint(errors: dict) -> str:
    if "answer_status" in errors:
        return " (--status)"
    return " (edit the --file)" if "answer_text" in errors else ""


def _read_text(path: Path, what: str) -> str:
    """A UTF-8 text file (``-``: standard input), or a one-line error naming it."""
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror or exc
        _usage_error(f"cannot read the {what} from {path}: {reason}")


def _update_slack(store, p) -> None:
    """Keep the proposal's Slack message in step with a change made here (when Slack is set up)."""
    if not p.slack_ts:
        return
    settings = settings_or_exit()
    if not settings.slack_bot_token:
        typer.echo("(Slack message not updated: SLACK_BOT_TOKEN is not set)", err=True)
        return
    from bot.about import document_on_disk
    from bot.slack import make_web_client

    from .slack import SlackNotifier

    try:
        SlackNotifier(make_web_client(settings), p.slack_channel, store, city_name=settings.city_name,
                      document=lambda: document_on_disk(settings.index_dir)).proposal_updated(p)
    except Exception as exc:   # the change is stored; say why the message is stale
        typer.echo(f"(Slack message not updated: {exc})", err=True)


def _read_excerpt(excerpt: Optional[str], excerpt_file: Optional[Path]) -> Optional[str]:
    """The excerpt given with --excerpt or read from --excerpt-file (``-``: standard input)."""
    if excerpt is not None and excerpt_file is not None:
        _usage_error("give the excerpt with --excerpt or --excerpt-file, not both")
    if excerpt_file is None:
        return excerpt
    if str(excerpt_file) == "-":
        return sys.stdin.read()
    try:
        return excerpt_file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        _usage_error(f"cannot read the excerpt from {excerpt_file}: {getattr(exc, 'strerror', None) or exc}")


@proposals_app.command("publish")
def publish(
    ref: str = typer.Argument(..., help="受付番号 or id"),
    title: Optional[str] = typer.Option(None, "--title", help="public title (default: the proposal's, masked)"),
    excerpt: Optional[str] = typer.Option(None, "--excerpt", help="public excerpt (default: the start of the text, masked)"),
    excerpt_file: Optional[Path] = typer.Option(None, "--excerpt-file", dir_okay=False,
                                                help="read the public excerpt from this UTF-8 file (- for stdin)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="show the text citizens would see; publish nothing"),
    by: str = typer.Option("admin", "--by", help="who approves it (recorded as cli:<by>)"),
    db: Optional[Path] = DB_OPTION,
) -> None:
    """Show a proposal to citizens as a "similar proposal": only the public title and excerpt
    printed here, which you approve by publishing (check them with --dry-run first; edit with
    --title and --excerpt/--excerpt-file). Nothing else of the proposal is shown."""
    from . import messages as M
    from .store import BadPublicText

    store = _store(db)
    p = _get(store, ref)
    body = _read_excerpt(excerpt, excerpt_file)
    draft = store.public_draft(p.id)
    checked = store.check_public_text(p.id, draft.title if title is None else title,
                                      draft.excerpt if body is None else body, "en")
    if not checked.ok:
        _usage_error(" ".join(checked.errors.values()) + " (edit with --title / --excerpt / --excerpt-file)")
    public = checked.value
    shown = f"  {M.t('public_title', 'ja')}: {public.title}\n  {M.t('public_excerpt', 'ja')}: {public.excerpt}"
    if dry_run:
        typer.echo(f"{p.receipt_no}: not published (--dry-run); citizens would see:\n{shown}")
        return
    try:
        p = store.set_published(p.id, True, actor=f"cli:{by}", public=public)
    except BadPublicText as exc:     # checked just above; only a concurrent change gets here
        _usage_error(str(exc))
    typer.echo(f"{p.receipt_no}: published; citizens see only:\n{shown}")
    _update_slack(store, p)


@proposals_app.command("unpublish")
def unpublish(ref: str = typer.Argument(...), by: str = typer.Option("admin", "--by"), db: Optional[Path] = DB_OPTION) -> None:
    """Stop showing a proposal to citizens (its approved public text is forgotten)."""
    store = _store(db)
    p = store.set_published(_get(store, ref).id, False, actor=f"cli:{by}")
    typer.echo(f"{p.receipt_no}: unpublished")
    _update_slack(store, p)


@proposals_app.command("relink")
def relink(
    all_: bool = typer.Option(False, "--all", help="relink every proposal, not only failed or pending ones"),
    db: Optional[Path] = DB_OPTION,
) -> None:
    """Link proposals to the current document again (after `reformbot index build`, or when linking failed).

    Each proposal relinked keeps the goal it is linked to now, as the current document words it.
    """
    from bot.service import QAService

    from .linking import ProposalPipeline, SimilarFinder

    settings = settings_or_exit()
    store = _store(db)
    qa = QAService(settings)
    try:
        retriever = qa.retriever
    except Exception as exc:
        from bot.cli_support import fail

        fail(str(exc))
    ids = [p.id for p in store.list(limit=-1)] if all_ else \
        [p.id for p in store.list(limit=-1) if p.link_state != "linked"]
    store.mark_pending(ids)
    pipeline = ProposalPipeline(store, retriever, SimilarFinder(store, retriever.embedder), document=qa.current_document)
    with typer.progressbar(ids, label="linking") as bar:
        for pid in bar:
            pipeline.process(pid)
    typer.echo(f"relinked {len(ids)} proposals")


@proposals_app.command("erase")
def erase(
    ref: str = typer.Argument(..., help="受付番号 or id"),
    reason: Optional[str] = typer.Option(None, "--reason", help="why (e.g. the submitter asked); kept in the access log"),
    by: Optional[str] = BY_OPTION,
    db: Optional[Path] = DB_OPTION,
) -> None:
    """Erase one submitter's name and email on request; the proposal stays.

    The name is also masked where the submitter repeated it in the title or text, and the database
    file is compacted so no copy stays in it. Recorded in the access log with --reason.
    """
    access = _access(reason, by, "erase", "the submitter asked by phone on 2026-12-01")
    store = _store(db)
    p = _get(store, ref)
    done = store.erase_personal([p.id], access)
    if done.erased:
        typer.echo(f"{p.receipt_no}: name and email erased; the proposal stays (recorded in the access log)")
    else:
        typer.echo(f"{p.receipt_no}: no name or email stored, nothing to erase (the request is recorded in the access log)")
    if not done.compacted:
        typer.echo("(the database file could not be compacted yet: another process is using it; "
                   "run this command again later to remove every copy)", err=True)


@proposals_app.command("purge-personal")
def purge_personal(
    dry_run: bool = typer.Option(False, "--dry-run", help="list the proposals due; erase nothing"),
    by: Optional[str] = BY_OPTION,
    db: Optional[Path] = DB_OPTION,
) -> None:
    """Erase the names and emails kept longer than REFORMBOT_PERSONAL_DATA_RETENTION_DAYS after a
    proposal's last status change (the server does this once a day too); the proposals stay."""
    from .retention import purge
    from .store import local_time

    days = settings_or_exit().personal_data_retention_days
    who = (by or "").strip() or _login_name()
    store = _store(db)
    result = purge(store, days, f"cli:{who}", dry_run=dry_run)
    if not result.due:
        typer.echo(f"no names or emails are due: each is kept {days} days after the proposal's last status change")
        return
    head = "would erase (--dry-run, nothing erased)" if dry_run else "erased"
    n = len(result.due)
    typer.echo(f"{head} the names and emails of {n} proposal{'' if n == 1 else 's'}, "
               f"last status change {days} days or more ago:")
    for _, receipt, last in result.due:
        typer.echo(f"  {receipt}  last status change {local_time(last)}")
    if result.erasure is not None and not result.erasure.compacted:
        typer.echo("(the database file could not be compacted yet: another process is using it; "
                   "it is compacted at the next erasure)", err=True)


@proposals_app.command("access-log")
def access_log(
    ref: Optional[str] = typer.Argument(None, help="only this proposal (受付番号 or id)"),
    limit: int = typer.Option(100, "--limit", "-n", min=1, max=100000, help="the newest N lines"),
    as_json: bool = typer.Option(False, "--json", help="JSON lines"),
    db: Optional[Path] = DB_OPTION,
) -> None:
    """Who read or erased names and emails, when, what and why (oldest first; times in Japan time)."""
    from .store import ProposalNotFound, jst_iso, local_time

    store = _store(db)
    try:
        records = store.access_log(limit, ref)
    except ProposalNotFound:
        from .receipts import EXAMPLE

        _usage_error(f"no proposal {ref!r}: give a 受付番号 like {EXAMPLE} or an id (see `reformbot proposals list`)")
    if as_json:
        for r in records:
            typer.echo(json.dumps({"at": jst_iso(r.at), "by": r.by, "action": r.action, "subject": r.subject,
                                   "reason": r.reason}, ensure_ascii=False))
        return
    if not records:
        typer.echo("(no reads or erasures of personal data recorded)")
        return
    for r in records:
        typer.echo(f"{local_time(r.at)}  {r.by}  {r.action:<6}  {r.subject}  reason: {r.reason}")
