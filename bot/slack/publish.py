"""Publishing a revision from Slack: an admin sends the revised outline to the bot in a DM.

DM with a file (``message``, subtype ``file_share``) -> an admin (``REFORMBOT_ADMINS``)? -> one
build at a time -> on a worker thread: ``files.info`` and the download with the bot token
(bot/slack/uploads.py) -> how the file is read (:mod:`corpus.inspect`) -> a new version built and
verified **without switching** -> in the DM thread, the inspection, the diff against the version in
use and 公開する / 破棄する (bot/slack/publish_blocks.py). Nothing is published without the button.

公開する switches to the version (verified again) and has the server load it at once, which
announces it as every switch is announced, with a 元に戻す button; 破棄する deletes the version and
the file. 元に戻す rolls back to the version before, for admins only. Everyone else gets a polite
reply, and so does a file that is of the wrong kind, too large, or cannot be downloaded or read.

:func:`publish_plugin` is a :data:`bot.slack.bot.Plugin`.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from bot.slack.respond import admin_click, cause, on_button, privately
from bot.slack import publish_blocks as pb
from bot.slack import uploads
from bot.slack.blocks import SlackMessage, escape, fit, section
from bot.slack.publish_messages import t
from bot.slack.revisions import announcement_message
from corpus.reader import SOURCE_SUFFIXES

if TYPE_CHECKING:  # pragma: no cover
    from bot.slack.bot import SlackBot

log = logging.getLogger(__name__)

PROGRESS_SECONDS = 5.0
"""While embedding, the progress line is updated at most this often (chat.update is rate limited)."""
UPLOADS = "uploads"
"""Where files sent in Slack are kept, under the data dir (owner-only)."""


@dataclass(frozen=True)
class Job:
    """One file being turned into a staged version."""

    user: str
    channel: str
    thread_ts: str
    lang: str
    file_id: str
    name: str
    since: str        # HH:MM UTC, for "busy" replies


class ProgressNote:
    """The "received" reply in the DM thread, its last line updated as the build goes on."""

    def __init__(self, client, channel: str, ts: str | None, head: str, lang: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client, self.channel, self.ts, self.head, self.lang = client, channel, ts, head, lang
        self.clock = clock
        self._last = float("-inf")
        self._embedding = False

    def stage(self, key: str, **kw: object) -> None:
        self._show(t(self.lang, f"stage_{key}", **kw))

    def build(self, stage: str, done: int, total: int) -> None:
        """``progress(stage, done, total)`` of the build (see index/build.py)."""
        if stage == "embed" and total:
            first, self._embedding = not self._embedding, True
            if first or done >= total or self.clock() - self._last >= PROGRESS_SECONDS:
                self.stage("embed", done=done, total=total)
        elif stage == "index" and done == 0:
            self.stage("verify")

    def _show(self, line: str) -> None:
        self._last = self.clock()
        if not self.ts:
            return
        text = f"{self.head}\n{line}"
        try:
            self.client.chat_update(channel=self.channel, ts=self.ts, text=text, blocks=[section(text)])
        except Exception as exc:          # progress is cosmetic
            log.warning("progress update in %s failed: %s", self.channel, cause(exc))


class Publisher:
    """Turns files admins send into staged versions, and handles 公開する / 破棄する / 元に戻す."""

    def __init__(self, bot: "SlackBot") -> None:
        self.bot = bot
        self.settings = bot.settings
        self.uploads = bot.settings.data_dir / UPLOADS
        self._busy = threading.Lock()
        self.job: Job | None = None
        self.worker: threading.Thread | None = None

    # --- helpers -------------------------------------------------------------------------------
    def is_admin(self, user: str) -> bool:
        return bool(user) and user in self.settings.admin_ids

    def post(self, channel: str, thread_ts: str | None, message: SlackMessage) -> str | None:
        """Post in the thread; the message ts, or None (logged) when Slack refused."""
        try:
            r = self.bot.client.chat_postMessage(channel=channel, thread_ts=thread_ts, unfurl_links=False,
                                                 unfurl_media=False, **message.as_kwargs())
            return r.get("ts")
        except Exception as exc:
            log.error("chat.postMessage to %s failed: %s", channel, cause(exc))
            return None

    def _serving_model(self) -> str | None:
        """The model id the server queries with: a version is switched to only if it matches."""
        try:
            return self.bot.qa.retriever.embedder.model_id       # type: ignore[attr-defined]
        except Exception:
            return None

    def _load_now(self) -> None:
        """Have the server load the version just switched to (its switch listeners announce it)."""
        refresh = getattr(self.bot.qa, "refresh", None)
        if refresh is None:
            return
        try:
            refresh()
        except Exception:                 # the server's own watcher tries again within a second
            log.exception("loading the new index version failed")

    # --- the upload ----------------------------------------------------------------------------
    def on_upload(self, event: dict) -> bool:
        """A DM that carries files (an upload handler, see ``SlackBot.set_upload_handler``).

        Returns:
            True when the message needs nothing else; False when its text should be answered as a
            question too (someone who is not an admin attached a file to a question).
        """
        channel, ts = event["channel"], event["ts"]
        if not self.bot.ledger.claim(f"upload:{channel}:{ts}"):
            return True
        user = event.get("user", "")
        lang = self.bot.user_lang(user)
        thread_ts = event.get("thread_ts") or ts
        files = [f for f in event.get("files") or () if isinstance(f, dict) and f.get("id")]
        if not self.is_admin(user):
            log.info("file sent by %s in a DM not used: not in REFORMBOT_ADMINS", user)
            self.post(channel, thread_ts, pb.note(t(lang, "not_admin", contact=escape(self.settings.contact))))
            return not (event.get("text") or "").strip()    # a question written with it is still answered
        text = (event.get("text") or "").strip()
        named = [Path(str(f.get("name") or "")).suffix.lower() for f in files]
        if text and named and all(s and s not in SOURCE_SUFFIXES for s in named):
            return False              # a screenshot with a question, not an outline: answer the question
        if len(files) != 1:
            self.post(channel, thread_ts, pb.note(t(lang, "one_file", count=len(files))))
            return True
        f = files[0]
        name = str(f.get("name") or f.get("title") or f["id"])
        if not self._busy.acquire(blocking=False):
            running = self.job
            log.info("file %s from %s refused: a build from Slack is running", f["id"], user)
            self.post(channel, thread_ts, pb.note(t(lang, "busy", name=escape(running.name if running else "?"),
                                                     user=running.user if running else "?",
                                                     since=running.since if running else "?")))
            return True
        try:
            job = Job(user=user, channel=channel, thread_ts=thread_ts, lang=lang, file_id=str(f["id"]), name=name,
                      since=datetime.now(timezone.utc).strftime("%H:%M UTC"))
            self.job = job
            head = t(lang, "received", name=escape(name))
            ts_note = self.post(channel, thread_ts, pb.note(head))
            progress = ProgressNote(self.bot.client, channel, ts_note, head, lang)
            self.worker = threading.Thread(target=self._run, args=(job, progress), name="slack-publish", daemon=True)
            self.worker.start()
        except BaseException:
            self.job = None
            self._busy.release()
            raise
        return True

    def _run(self, job: Job, progress: ProgressNote) -> None:
        try:
            message = self._stage(job, progress)
        except Exception:
            log.exception("staging %s from Slack failed", job.name)
            progress.stage("failed")
            message = pb.note(t(job.lang, "build_failed_none", name=escape(job.name), detail="internal error"))
        finally:
            self.job = None
            self._busy.release()
        self.post(job.channel, job.thread_ts, message)

    def _stage(self, job: Job, progress: ProgressNote) -> SlackMessage:
        """Download, inspect and build without switching; the reply for the DM thread."""
        from corpus import CorpusError
        from corpus.inspect import inspect_source
        from index.diff import diff_versions
        from index.errors import IndexError_
        from bot.indexing import build_version_from_settings
        from index.versions import BuildInProgress, current_version, version_dir

        lang, name = job.lang, escape(job.name)
        limits = self.settings.source_limits()

        def failed(message: SlackMessage, upload: uploads.Upload | None = None) -> SlackMessage:
            if upload is not None:
                uploads.remove(self.uploads, upload.key)
            progress.stage("failed")
            return message

        def problem(exc: Exception) -> str:
            # SourceError and OutlineError say it in both languages; engine errors in English
            said = getattr(exc, "problem_ja" if lang == "ja" else "problem", None)
            return escape(fit(str(said or exc), 1500))

        progress.stage("download")
        upload = None
        try:
            shared = uploads.describe(self.bot.client, job.file_id)
            name = escape(shared.name)
            uploads.check(shared, limits)
            token = self.bot.client.token or self.settings.slack_bot_token
            upload = uploads.download(shared, token, self.uploads, limits)
            progress.stage("read")
            # named as the admin named it, not by where the server keeps it
            inspection = replace(inspect_source(upload.path, limits=limits), source=upload.name)
        except uploads.DownloadError as exc:
            log.warning("file %s from %s not downloaded: %s", job.file_id, job.user, exc)
            return failed(pb.note(t(lang, exc.reason, name=name, detail=escape(exc.detail))), upload)
        except CorpusError as exc:
            log.warning("file %s from %s not used: %s", job.file_id, job.user, exc)
            return failed(pb.note(t(lang, "source_problem", name=name, problem=problem(exc))), upload)

        root = self.settings.index_dir
        current = current_version(root)
        try:
            report = build_version_from_settings(self.settings, sources=[upload.path], progress=progress.build,
                                                 switch=False)
        except BuildInProgress as exc:
            holder = exc.holder.describe() if exc.holder else "?"
            return failed(pb.note(t(lang, "busy_lock", holder=escape(holder))), upload)
        except (IndexError_, OSError, ValueError, *CorpusError) as exc:
            log.error("no version built from %s (sent by %s): %s", upload.path, job.user, exc)
            key = "build_failed" if current else "build_failed_none"
            return failed(pb.note(t(lang, key, name=name, current=current or "", detail=problem(exc))), upload)
        if report.unchanged:
            return failed(pb.note(t(lang, "unchanged", name=name, version=report.version)), upload)
        log.info("version %s staged from %s (sent by %s); %s stays current", report.version, upload.path, job.user,
                 report.previous)
        progress.stage("done", version=report.version, embedded=report.embedded, reused=report.reused)
        staged = pb.Staged(version=report.version, base=report.previous or "", upload=upload.key, name=upload.name)
        diff_blocks: list[dict] = []
        if staged.base:
            diff = diff_versions(version_dir(root, staged.base), version_dir(root, staged.version))
            _, blocks = announcement_message(diff, lang)
            diff_blocks = [b for b in blocks if b.get("type") != "header"]
        return pb.staged_message(staged, inspection, diff_blocks, lang)

    # --- the buttons -----------------------------------------------------------------------------
    def _clicker(self, body: dict, respond) -> tuple[str, str] | None:
        """(user, lang) of an admin's click; anyone else is told so, privately, and gets None."""
        pressed = [a.get("action_id") for a in body.get("actions") or []]
        return admin_click(self.bot, body, respond, lambda lang: t(lang, "admin_only"), f"revision button {pressed}")

    def _tell(self, respond, text: str) -> None:
        """An ephemeral reply to the one who clicked."""
        privately(respond, text)

    def _replace(self, body: dict, respond, outcome: str, extra: list[dict] | None = None) -> None:
        """Swap the clicked message's buttons for ``outcome``."""
        message = body.get("message") or {}
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
        blocks = pb.with_outcome(message.get("blocks") or [], outcome, extra or [])
        text = message.get("text") or outcome
        try:
            self.bot.client.chat_update(channel=channel, ts=container.get("message_ts") or message.get("ts"),
                                        text=text, blocks=blocks)
        except Exception as exc:
            log.warning("chat.update failed (%s); updating through response_url", cause(exc))
            try:
                respond(text=text, blocks=blocks, replace_original=True)
            except Exception as exc2:
                log.error("response_url post failed: %s", cause(exc2))

    def _staged_click(self, body: dict, action: dict, respond, button: str):
        """``(user, lang, staged)`` of an admin's click on ``button``, or None (already answered)."""
        who = self._clicker(body, respond)
        if who is None:
            return None
        user, lang = who
        try:
            staged = pb.Staged.from_value(action.get("value") or "")
        except ValueError as exc:
            log.warning("%s with an unusable value %r: %s", button, action.get("value"), exc)
            self._tell(respond, t(lang, "gone", version="?"))
            return None
        return user, lang, staged

    def publish(self, body: dict, action: dict, respond) -> None:
        """公開する: switch to the staged version if the version in use is still the one it was compared with."""
        from index.errors import IndexError_
        from index.versions import VersionNotFound, current_version, switch_to

        clicked = self._staged_click(body, action, respond, "公開する")
        if clicked is None:
            return
        user, lang, staged = clicked
        root = self.settings.index_dir
        current = current_version(root)
        if current == staged.version:
            self._tell(respond, t(lang, "already_current", version=staged.version))
            return
        if (current or "") != staged.base:
            self._tell(respond, t(lang, "stale", base=staged.base or t(lang, "none"), current=current or t(lang, "none")))
            return
        try:
            pointer = switch_to(root, staged.version, reason="use", model_id=self._serving_model())
        except VersionNotFound:
            self._tell(respond, t(lang, "gone", version=staged.version))
            return
        except IndexError_ as exc:
            log.error("version %s not published from Slack: %s", staged.version, exc)
            self._tell(respond, t(lang, "publish_failed", current=current or t(lang, "none"),
                                  detail=escape(fit(str(exc), 1500))))
            return
        log.info("index version %s published from Slack by %s (previous %s)", staged.version, user, pointer.previous)
        self._load_now()
        outcome = t(lang, "published", user=user, version=staged.version, previous=pointer.previous or t(lang, "none"))
        if not self.settings.announce_channel:
            outcome += " " + t(lang, "not_announced")
        extra = [pb.undo_actions(staged.version, pointer.previous, lang)] if pointer.previous else []
        self._replace(body, respond, outcome, extra)

    def discard(self, body: dict, action: dict, respond) -> None:
        """破棄する: delete the staged version and the file it was built from."""
        from index.errors import IndexError_
        from index.versions import VersionNotFound, current_version, discard

        clicked = self._staged_click(body, action, respond, "破棄する")
        if clicked is None:
            return
        user, lang, staged = clicked
        root = self.settings.index_dir
        try:
            discard(root, staged.version)
        except VersionNotFound:
            pass                                  # gone already: the file can go too
        except IndexError_ as exc:
            self._tell(respond, t(lang, "discard_failed", detail=escape(fit(str(exc), 1500))))
            return
        uploads.remove(self.uploads, staged.upload)
        log.info("staged index version %s discarded from Slack by %s", staged.version, user)
        current = current_version(root)
        self._replace(body, respond, t(lang, "discarded", user=user, version=staged.version,
                                       current=current or t(lang, "none")))

    def undo(self, body: dict, action: dict, respond) -> None:
        """元に戻す: back to the version before, if the one it undoes is still in use."""
        from index.errors import IndexError_
        from index.versions import current_version, rollback

        who = self._clicker(body, respond)
        if who is None:
            return
        user, lang = who
        try:
            undo = pb.Undo.from_value(action.get("value") or "")
        except ValueError as exc:
            log.warning("元に戻す with an unusable value %r: %s", action.get("value"), exc)
            return
        root = self.settings.index_dir
        current = current_version(root)
        if current != undo.new:
            self._tell(respond, t(lang, "undo_stale", current=current or t(lang, "none"), new=undo.new))
            return
        try:
            rollback(root, undo.old, model_id=self._serving_model())
        except IndexError_ as exc:
            log.error("undo of %s from Slack failed: %s", undo.new, exc)
            self._tell(respond, t(lang, "undo_failed", current=current, detail=escape(fit(str(exc), 1500))))
            return
        log.info("index version %s undone from Slack by %s: back to %s", undo.new, user, undo.old)
        self._load_now()
        self._replace(body, respond, t(lang, "undone", user=user, new=undo.new, old=undo.old))


def publish_plugin(bot: "SlackBot") -> None:
    """Slack plugin (``mount_slack(plugins=[...])``): files from admins in DMs, 公開する / 破棄する / 元に戻す."""
    publisher = Publisher(bot)
    bot.set_upload_handler(publisher.on_upload)
    for action_id, handle in ((pb.ACTION_PUBLISH, publisher.publish), (pb.ACTION_DISCARD, publisher.discard),
                              (pb.ACTION_UNDO, publisher.undo)):
        on_button(bot.app, action_id, handle)
