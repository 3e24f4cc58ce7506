"""Proposals in Slack: the channel post, status buttons, the staff-idea modal, App Home.

Pure Block Kit builders (``proposal_message``, ``idea_modal``, ``home_blocks``) over
:class:`Proposal`; the edge is :class:`SlackNotifier` (posts and updates messages) and
:func:`proposals_plugin` / :func:`register_proposal_listeners` (Bolt listeners on the bot built by
``bot.slack.build_slack_app``). Personal data never reaches Slack: names and emails are not
sent, and emails, phone numbers, long digit strings and the submitter's own name inside the text
are masked (``ProposalStore.redact``). The 公開する button opens a modal with the public title and
excerpt; what the staff member approves there is exactly what citizens will see. The 回答する
button opens :func:`answer_modal` (answer, outcome, 公開する); the saved answer, its author and the
state of the mail to the citizen are shown on the message, and a mail that could not be sent is
reported in the channel (:meth:`SlackNotifier.mail_failed`).
Citizen text goes into ``plain_text`` objects (Slack does not parse mentions or links there) or
is escaped for mrkdwn (``&``, ``<``, ``>``), so ``<!channel>`` or ``<http://x|y>`` stay text.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from . import messages as M
from .masking import excerpt, mask_personal
from .model import FINAL_STATUSES, GOAL_CHOICES, STATUSES, TRANSITIONS, MailRecord, Proposal, PublicText
from .store import BadAnswer, BadPublicText, BadTransition, ProposalNotFound, ProposalStore, local_time
from .validation import ANSWER_LIMIT, PUBLIC_LIMITS, answer_statuses, validate_proposal

if TYPE_CHECKING:
    from .linking import ProposalPipeline

log = logging.getLogger(__name__)

STATUS_ACTION = "proposal_status"          # action_id prefix: proposal_status_<status>
PUBLISH_ACTION = "proposal_publish"
PUBLISH_CALLBACK = "proposal_publish_approve"   # the modal that approves the public text
ANSWER_ACTION = "proposal_answer"          # the 回答する button
ANSWER_CALLBACK = "proposal_answer_save"   # the answer modal
PUBLISH_OPTION = "publish"                 # value of the 公開する checkbox
ANSWER_SHOWN_CHARS = 2000                  # of the answer on the channel message
IDEA_CALLBACK = "proposal_idea"            # shortcut and modal callback_id
MAX_TEXT = 3000                            # Block Kit text object limit
MAX_HEADER = 150
EXCERPT_CHARS = 500


def mrkdwn_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control (``&``, ``<``, ``>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int = MAX_TEXT) -> dict:
    return {"type": "plain_text", "text": _fit(text, limit) or " ", "emoji": False}


def _md(text: str) -> dict:
    return {"type": "mrkdwn", "text": _fit(text, MAX_TEXT)}


def page_ref(page: int | None) -> str:
    return f"大綱P.{page}" if page else ""


def _status_line(p: Proposal, lang: str) -> str:
    label = M.label(M.STATUS_LABELS, p.status, lang)
    last = p.history[-1] if p.history else None
    if last and last.actor.startswith("slack:") and last.status == p.status:
        return M.t("slack_changed_by", lang, status=label, user=last.actor.split(":", 1)[1],
                   at=local_time(last.at))
    return label


def proposal_message(p: Proposal, lang: str = "ja") -> tuple[str, list[dict]]:
    """The channel post for a proposal: ``(fallback text, blocks)``.

    Title, masked excerpt, linked goal and sections with 大綱P.x, similar proposals, status and
    buttons for the allowed status changes. ``p`` should come from ``ProposalStore.redact`` (its
    submitter's name masked); contact details are masked here as well.
    """
    head = M.t("slack_new_staff" if p.source == "staff" else "slack_new", lang)
    title = mask_personal(p.title)
    blocks: list[dict] = [
        {"type": "header", "text": _plain(f"{head}: {title}", MAX_HEADER)},
        {"type": "section", "text": _plain(excerpt(p.body, EXCERPT_CHARS))},
    ]
    meta = [f"*{M.t('receipt_no', lang)}* {p.receipt_no}", local_time(p.created_at),
            M.label(M.SOURCE_LABELS, p.source, lang)]
    if p.source == "staff" and p.staff_user_id and re.fullmatch(r"[A-Z0-9]+", p.staff_user_id):
        meta.append(f"<@{p.staff_user_id}>")
    blocks.append({"type": "context", "elements": [_md(" ・ ".join(meta))]})

    share = p.goal_scores.get(p.linked_goal) if p.linked_goal else None
    linked = M.label(M.GOAL_SHORT, p.linked_goal, lang) + (f"（{share:.0%}）" if share else "")
    if p.link_state == "pending":
        linked = "…"
    fields = [_md(f"*{M.t('slack_goal_linked', lang)}*\n{linked}"),
              _md(f"*{M.t('slack_goal_chosen', lang)}*\n{M.label(M.GOAL_SHORT, p.goal, lang)}")]
    blocks.append({"type": "section", "fields": fields})

    if p.sections:
        lines = [f"• {mrkdwn_escape(s.section)}" + (f"（{page_ref(s.page)}）" if s.page else "") +
                 f" — {s.score:.2f}" for s in p.sections]
    else:
        lines = [M.t("slack_no_sections", lang)]
    blocks.append({"type": "section", "text": _md(f"*{M.t('slack_sections', lang)}*\n" + "\n".join(lines))})

    if p.similar:
        lines = []
        for s in p.similar:
            flag = f" ⚠️ *{M.t('slack_duplicate', lang)}*" if s.duplicate else ""
            lines.append(f"• {s.receipt_no} {mrkdwn_escape(mask_personal(_fit(s.title, 80)))} — {s.score:.2f}{flag}")
        blocks.append({"type": "section", "text": _md(f"*{M.t('slack_similar', lang)}*\n" + "\n".join(lines))})

    status = f"*{M.t('slack_status', lang)}:* {_status_line(p, lang)}"
    if p.published:
        status += f"\n{M.t('slack_published', lang)}"
    blocks.append({"type": "section", "text": _md(status)})
    if p.published and p.public:
        blocks.append({"type": "context", "elements": [_plain(M.t(
            "slack_public_text", lang, title=p.public.title, excerpt=_fit(p.public.excerpt, 300)))]})
    blocks += _answer_blocks(p, lang)
    buttons = []
    for target in TRANSITIONS[p.status]:
        b = {"type": "button", "action_id": f"{STATUS_ACTION}_{target}", "value": f"{p.id}:{target}",
             "text": _plain(M.label(M.STATUS_LABELS, target, lang), 75)}
        if target == "done":
            b["style"] = "primary"
        buttons.append(b)
    buttons.append({"type": "button", "action_id": ANSWER_ACTION, "value": str(p.id),
                    "text": _plain(M.t("slack_answer_edit" if p.answer else "slack_answer", lang), 75)})
    buttons.append({"type": "button", "action_id": PUBLISH_ACTION, "value": f"{p.id}:{0 if p.published else 1}",
                    "text": _plain(M.t("slack_unpublish" if p.published else "slack_publish", lang), 75)})
    blocks.append({"type": "actions", "block_id": f"proposal_{p.id}", "elements": buttons})
    text = mrkdwn_escape(f"{head} {p.receipt_no}: {_fit(title, 100)}"
                         f" [{M.label(M.STATUS_LABELS, p.status, lang)}]")
    return text, blocks


def _author(author: str, at: str, lang: str) -> str:
    kind, _, who = author.partition(":")
    if kind == "slack" and re.fullmatch(r"[A-Z0-9]+", who):
        return M.t("slack_answer_heading", lang, user=who, at=local_time(at))
    return M.t("slack_answer_heading_other", lang, user=mrkdwn_escape(author), at=local_time(at))


def mail_state(record: MailRecord, lang: str = "ja") -> str:
    """``回答 送信済（2026-11-27 10:00 JST）``: one outbox row as staff read it."""
    state = f"{M.label(M.MAIL_KINDS, record.kind, lang)} {M.label(M.MAIL_STATES, record.state, lang)}"
    if record.state == "sent" and record.sent_at:
        state += f"（{local_time(record.sent_at)}）" if lang == "ja" else f" ({local_time(record.sent_at)})"
    elif record.state == "pending" and record.attempts:
        state += f"（{record.attempts}回失敗、再試行します）" if lang == "ja" else \
            f" ({record.attempts} failed attempt(s), will retry)"
    return state


def _answer_blocks(p: Proposal, lang: str) -> list[dict]:
    """The current answer (author, outcome, public or not, text) and the latest mail's state."""
    blocks: list[dict] = []
    a = p.answer
    if a is not None:
        flag = M.t("slack_answer_public" if a.published else "slack_answer_private", lang)
        blocks.append({"type": "section", "text": _md(
            f"*{_author(a.author, a.created_at, lang)}* ・ {M.label(M.STATUS_LABELS, a.status, lang)} ・ {flag}")})
        blocks.append({"type": "section", "text": _plain(_fit(a.text, ANSWER_SHOWN_CHARS))})
    notes = []
    if len(p.answers) > 1:
        notes.append(M.t("slack_answer_edits", lang, n=len(p.answers) - 1))
    if p.mails:
        notes.append(M.t("slack_mail_state", lang, state=mail_state(p.mails[-1], lang)))
    if notes:
        blocks.append({"type": "context", "elements": [_plain(" ・ ".join(notes))]})
    return blocks


def answer_modal(p: Proposal, lang: str = "ja", *, has_email: bool, channel: str = "", ts: str = "") -> dict:
    """The modal behind 回答する: the answer (the current one, to edit), the outcome to set, and
    公開する. ``p`` should be redacted (its title is shown); ``has_email`` says whether saving
    mails the citizen, so the staff member knows before they save."""
    meta = json.dumps({"id": p.id, "channel": channel or p.slack_channel or "", "ts": ts or p.slack_ts or ""})
    current = p.answer
    allowed = answer_statuses(p.status)
    options = [{"text": _plain(M.label(M.STATUS_LABELS, s, lang), 75), "value": s} for s in allowed]
    chosen = current.status if current and current.status in allowed else "done" if "done" in allowed else allowed[0]
    publish = {"text": _plain(M.t("answer_publish", lang), 75), "value": PUBLISH_OPTION,
               "description": _plain(M.t("answer_publish_hint", lang), 75)}
    text_input = {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": ANSWER_LIMIT}
    if current:
        text_input["initial_value"] = current.text
    checkbox = {"type": "checkboxes", "action_id": "value", "options": [publish]}
    if current and current.published:
        checkbox["initial_options"] = [publish]
    intro = M.t("slack_answer_intro_mail" if has_email else "slack_answer_intro_nomail", lang,
                receipt=p.receipt_no, title=_fit(mask_personal(p.title), 80))
    return {
        "type": "modal",
        "callback_id": ANSWER_CALLBACK,
        "private_metadata": meta,
        "title": _plain(M.t("slack_answer_title", lang), 24),
        "submit": _plain(M.t("slack_answer_submit", lang), 24),
        "close": _plain(M.t("slack_idea_cancel", lang), 24),
        "blocks": [
            {"type": "section", "text": _plain(intro)},
            {"type": "input", "block_id": "answer_text", "label": _plain(M.t("answer_text", lang)),
             "element": text_input},
            {"type": "input", "block_id": "answer_status", "label": _plain(M.t("answer_status", lang)),
             "element": {"type": "static_select", "action_id": "value", "options": options,
                         "initial_option": options[allowed.index(chosen)]}},
            {"type": "input", "block_id": "answer_publish", "optional": True,
             "label": _plain(M.t("answer_publish", lang)), "element": checkbox},
        ],
    }


def idea_modal(lang: str = "ja", channel_id: str = "", title: str = "") -> dict:
    """The staff-idea modal: title, body, goal."""
    options = [{"text": _plain(M.label(M.GOAL_TITLES, g, lang), 75), "value": g} for g in GOAL_CHOICES]
    return {
        "type": "modal",
        "callback_id": IDEA_CALLBACK,
        "private_metadata": channel_id,
        "title": _plain(M.t("slack_idea_title", lang), 24),
        "submit": _plain(M.t("slack_idea_submit", lang), 24),
        "close": _plain(M.t("slack_idea_cancel", lang), 24),
        "blocks": [
            {"type": "input", "block_id": "title", "label": _plain(M.t("title", lang)),
             "element": {"type": "plain_text_input", "action_id": "value", "max_length": 100,
                         **({"initial_value": title[:100]} if title else {})}},
            {"type": "input", "block_id": "body", "label": _plain(M.t("body", lang)),
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": 3000}},
            {"type": "input", "block_id": "goal", "label": _plain(M.t("goal", lang)),
             "element": {"type": "static_select", "action_id": "value", "options": options,
                         "initial_option": options[-1]}},
        ],
    }


def publish_modal(p: Proposal, draft: PublicText, lang: str = "ja", channel: str = "", ts: str = "") -> dict:
    """The modal that approves what citizens will see of ``p``: its public title and excerpt,
    prefilled with the masked draft for the staff member to check and edit."""
    meta = json.dumps({"id": p.id, "channel": channel or p.slack_channel or "", "ts": ts or p.slack_ts or ""})
    return {
        "type": "modal",
        "callback_id": PUBLISH_CALLBACK,
        "private_metadata": meta,
        "title": _plain(M.t("slack_publish_title", lang), 24),
        "submit": _plain(M.t("slack_publish_submit", lang), 24),
        "close": _plain(M.t("slack_idea_cancel", lang), 24),
        "blocks": [
            {"type": "section", "text": _plain(M.t("slack_publish_intro", lang, receipt=p.receipt_no))},
            {"type": "input", "block_id": "public_title", "label": _plain(M.t("public_title", lang)),
             "element": {"type": "plain_text_input", "action_id": "value",
                         "max_length": PUBLIC_LIMITS["public_title"], "initial_value": draft.title}},
            {"type": "input", "block_id": "public_excerpt", "label": _plain(M.t("public_excerpt", lang)),
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                         "max_length": PUBLIC_LIMITS["public_excerpt"], "initial_value": draft.excerpt}},
        ],
    }


def home_blocks(store: ProposalStore, lang: str = "ja", per_status: int = 5) -> list[dict]:
    """App Home section: count per 重点目標, recent proposals by status, how to submit ideas."""
    counts = store.counts_by_goal()
    by_status = store.counts_by_status()
    goal_line = " ・ ".join(f"{M.label(M.GOAL_SHORT, g, lang)}: *{counts.get(g, 0)}*"
                           for g in ("1", "2", "3", None))
    blocks: list[dict] = [
        {"type": "header", "text": _plain(M.t("slack_home_heading", lang), MAX_HEADER)},
        {"type": "section", "text": _md(f"*{M.t('slack_home_counts', lang)}*\n{goal_line}")},
        {"type": "context", "elements": [_md(" ・ ".join(
            f"{M.label(M.STATUS_LABELS, s, lang)} {by_status[s]}" for s in STATUSES))]},
    ]
    for status in STATUSES:
        recent = store.redact_all(store.list(status=status, limit=per_status))
        if not recent and status in FINAL_STATUSES:
            continue
        label = M.label(M.STATUS_LABELS, status, lang)
        lines = [f"• {p.receipt_no} {mrkdwn_escape(mask_personal(_fit(p.title, 60)))}"
                 f"（{M.label(M.GOAL_SHORT, p.linked_goal, lang)}）" for p in recent]
        blocks.append({"type": "section", "text": _md(
            f"*{M.t('slack_home_recent', lang, status=label)}*\n" + ("\n".join(lines) or M.t('slack_home_none', lang)))})
    blocks.append({"type": "context", "elements": [_md(M.t("slack_home_howto", lang))]})
    return blocks


# --- the edge ---------------------------------------------------------------------------------

@dataclass
class SlackNotifier:
    """Posts new proposals to the proposals channel and keeps their messages current."""

    client: object                 # slack_sdk.WebClient
    channel: str
    store: ProposalStore
    lang: str = "ja"

    def _redacted(self, p: Proposal) -> Proposal:
        return self.store.redact(p) if self.store is not None else p

    def proposal_created(self, p: Proposal) -> None:
        """Post ``p`` and remember the message (so status changes can update it)."""
        text, blocks = proposal_message(self._redacted(p), self.lang)
        resp = self.client.chat_postMessage(channel=self.channel, text=text, blocks=blocks, unfurl_links=False,
                                            unfurl_media=False)
        self.store.set_slack_message(p.id, resp["channel"], resp["ts"])

    def proposal_updated(self, p: Proposal, channel: str | None = None, ts: str | None = None) -> None:
        """Re-render the message of ``p`` (after a status change)."""
        channel, ts = channel or p.slack_channel, ts or p.slack_ts
        if not (channel and ts):
            return
        text, blocks = proposal_message(self._redacted(p), self.lang)
        self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

    def mail_failed(self, p: Proposal, record: MailRecord) -> None:
        """Tell the channel that a mail to the citizen could not be sent (no address, no password),
        and show it on the proposal's message."""
        text = M.t("slack_mail_failed", self.lang, kind=M.label(M.MAIL_KINDS, record.kind, self.lang),
                   receipt=p.receipt_no, attempts=record.attempts, id=record.id,
                   error=mrkdwn_escape(_fit(record.last_error or "", 600)))
        self.client.chat_postMessage(channel=self.channel, text=text, unfurl_links=False, unfurl_media=False)
        self.proposal_updated(p)

    def mail_sent(self, p: Proposal, record: MailRecord) -> None:
        """Show on the proposal's message that the mail went out."""
        self.proposal_updated(p)


def _parse_value(value: str) -> tuple[int, str]:
    pid, _, arg = (value or "").partition(":")
    return int(pid), arg


def proposals_plugin(store: ProposalStore, pipeline: "ProposalPipeline | None" = None, lang: str = "ja"):
    """A ``bot.slack`` plugin (``register(bot)``) adding the proposal listeners."""

    def register(bot) -> None:
        register_proposal_listeners(bot.app, store, pipeline, lang=lang, bot=bot)

    return register


def register_proposal_listeners(bolt_app, store: ProposalStore, pipeline: "ProposalPipeline | None" = None,
                                *, lang: str = "ja", bot=None) -> None:
    """Status buttons, publish toggle, 回答する and its modal, ``/reform idea``, the idea shortcut and
    modal, App Home section.

    Args:
        bolt_app: the Bolt app from ``bot.slack.build_slack_app``.
        store: the proposals store.
        pipeline: links and posts staff ideas (None: stored only).
        lang: language of the proposal messages (staff use Japanese).
        bot: the ``SlackBot`` (default: looked up from ``bolt_app``).
    """
    if bot is None:
        from bot.slack import slack_bot

        bot = slack_bot(bolt_app)
    app = bolt_app

    def update_message(body: dict, p: Proposal, client) -> None:
        container = body.get("container") or {}
        refresh(p, client, container.get("channel_id"), container.get("message_ts"))

    def refresh(p: Proposal, client, channel: str | None, ts: str | None) -> None:
        channel, ts = channel or p.slack_channel, ts or p.slack_ts
        if not (channel and ts):
            return
        text, blocks = proposal_message(store.redact(store.get(p.id)), lang)
        try:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except Exception as exc:
            log.error("chat.update for proposal %s failed: %s", p.receipt_no, exc)

    def tell(client, body: dict, text: str) -> None:
        container = body.get("container") or {}
        try:
            client.chat_postEphemeral(channel=container.get("channel_id") or (body.get("channel") or {}).get("id"),
                                      user=body["user"]["id"], text=mrkdwn_escape(text))
        except Exception as exc:
            log.error("chat.postEphemeral failed: %s", exc)

    @app.action(re.compile(rf"^{STATUS_ACTION}_({'|'.join(STATUSES)})$"))
    def on_status(ack, body: dict, action: dict, client) -> None:
        ack()
        user = body["user"]["id"]
        try:
            pid, status = _parse_value(action.get("value", ""))
            p = store.set_status(pid, status, actor=f"slack:{user}")
            log.info("proposal %s -> %s by %s", p.receipt_no, status, user)
        except ProposalNotFound:
            tell(client, body, M.t("slack_unknown_proposal", lang))
            return
        except (BadTransition, ValueError):
            current = store.get(pid)
            tell(client, body, M.t("slack_bad_transition", lang,
                                   src=M.label(M.STATUS_LABELS, current.status, lang),
                                   dst=M.label(M.STATUS_LABELS, status, lang)))
            update_message(body, current, client)     # someone else changed it first: show that
            return
        update_message(body, p, client)

    @app.action(PUBLISH_ACTION)
    def on_publish(ack, body: dict, action: dict, client) -> None:
        """公開する opens the approval modal (nothing is public yet); 非公開にする acts at once."""
        ack()
        user = body["user"]["id"]
        try:
            pid, flag = _parse_value(action.get("value", ""))
            if flag == "1":
                p = store.get(pid)
                container = body.get("container") or {}
                view = publish_modal(p, store.public_draft(pid), bot.user_lang(user),
                                     container.get("channel_id") or "", container.get("message_ts") or "")
                try:
                    client.views_open(trigger_id=body["trigger_id"], view=view)
                except Exception as exc:     # nothing was published; the button can be clicked again
                    log.error("opening the publish modal for proposal %s failed: %s", p.receipt_no, exc)
                return
            p = store.set_published(pid, False, actor=f"slack:{user}")
        except (ProposalNotFound, ValueError):
            tell(client, body, M.t("slack_unknown_proposal", lang))
            return
        update_message(body, p, client)

    @app.view(PUBLISH_CALLBACK)
    def on_publish_approved(ack, body: dict, view: dict, client) -> None:
        user = body["user"]["id"]
        user_lang = bot.user_lang(user)
        values = view.get("state", {}).get("values", {})

        def value(block: str) -> str:
            return (values.get(block, {}).get("value", {}) or {}).get("value") or ""

        try:
            meta = json.loads(view.get("private_metadata") or "{}")
            pid = int(meta["id"])
            checked = store.check_public_text(pid, value("public_title"), value("public_excerpt"), user_lang)
        except (ProposalNotFound, ValueError, KeyError, TypeError):
            ack(response_action="errors", errors={"public_title": M.t("slack_unknown_proposal", user_lang)})
            return
        if not checked.ok:
            ack(response_action="errors", errors=checked.errors)
            return
        ack()
        try:
            p = store.set_published(pid, True, actor=f"slack:{user}", public=checked.value)
        except BadPublicText as exc:     # checked just above; only a concurrent change gets here
            log.error("publishing proposal %s failed: %s", pid, exc)
            return
        log.info("proposal %s published by %s", p.receipt_no, user)
        refresh(p, client, meta.get("channel"), meta.get("ts"))

    @app.action(ANSWER_ACTION)
    def on_answer(ack, body: dict, action: dict, client) -> None:
        """回答する opens the answer modal (with the current answer to edit)."""
        ack()
        user = body["user"]["id"]
        try:
            pid = int(action.get("value", ""))
            p = store.redact(store.get(pid))
        except (ProposalNotFound, ValueError):
            tell(client, body, M.t("slack_unknown_proposal", lang))
            return
        container = body.get("container") or {}
        view = answer_modal(p, bot.user_lang(user), has_email=store.has_email(pid),
                            channel=container.get("channel_id") or "", ts=container.get("message_ts") or "")
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except Exception as exc:     # nothing was saved; the button can be clicked again
            log.error("opening the answer modal for proposal %s failed: %s", p.receipt_no, exc)

    @app.view(ANSWER_CALLBACK)
    def on_answer_saved(ack, body: dict, view: dict, client) -> None:
        user = body["user"]["id"]
        user_lang = bot.user_lang(user)
        values = view.get("state", {}).get("values", {})
        element = {block: (values.get(block, {}).get("value") or {}) for block in
                   ("answer_text", "answer_status", "answer_publish")}
        text = element["answer_text"].get("value") or ""
        status = (element["answer_status"].get("selected_option") or {}).get("value") or ""
        published = any(o.get("value") == PUBLISH_OPTION for o in element["answer_publish"].get("selected_options") or [])
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
            pid = int(meta["id"])
            checked = store.check_answer(pid, text, status, published=published, lang=user_lang)
            if checked.ok:
                store.answer(pid, text, status, published=published, author=f"slack:{user}")
        except (ProposalNotFound, ValueError, KeyError, TypeError) as exc:
            if isinstance(exc, BadAnswer):     # someone changed the status meanwhile: say so by the field
                checked = store.check_answer(pid, text, status, published=published, lang=user_lang)
            else:
                ack(response_action="errors", errors={"answer_text": M.t("slack_unknown_proposal", user_lang)})
                return
        except Exception:                      # the database: nothing was saved; the text stays in the modal
            log.exception("saving the answer from %s failed", user)
            ack(response_action="errors", errors={"answer_text": M.t("slack_answer_failed", user_lang)})
            return
        if not checked.ok:
            ack(response_action="errors", errors=checked.errors)
            return
        ack()
        p = store.get(pid)
        log.info("proposal %s answered by %s (%s)", p.receipt_no, user, status)
        refresh(p, client, meta.get("channel"), meta.get("ts"))

    def open_modal(client, trigger_id: str, user_lang: str, channel_id: str = "", title: str = "") -> None:
        client.views_open(trigger_id=trigger_id, view=idea_modal(user_lang, channel_id, title))

    def idea_subcommand(*, bot, command: dict, args: str, respond, client) -> None:
        open_modal(client, command["trigger_id"], bot.user_lang(command.get("user_id", "")),
                   command.get("channel_id", ""), args)

    summary = {lang: M.t("slack_idea_command", lang) for lang in ("ja", "en")}
    bot.add_subcommand("idea", idea_subcommand, summary)
    bot.add_subcommand("アイデア", idea_subcommand, summary)

    @app.shortcut(IDEA_CALLBACK)
    def on_shortcut(ack, body: dict, client) -> None:
        ack()
        open_modal(client, body["trigger_id"], bot.user_lang(body["user"]["id"]))

    @app.view(IDEA_CALLBACK)
    def on_idea(ack, body: dict, view: dict, client) -> None:
        user = body["user"]["id"]
        values = view.get("state", {}).get("values", {})

        def value(block: str) -> str:
            v = values.get(block, {}).get("value", {})
            return v.get("value") or (v.get("selected_option") or {}).get("value") or ""

        user_lang = bot.user_lang(user)
        result = validate_proposal({"title": value("title"), "body": value("body"), "goal": value("goal") or "unknown",
                                    "residency": "other"}, user_lang, require_consent=False, source="staff",
                                   staff_user_id=user)
        if not result.ok:
            ack(response_action="errors", errors={k: v for k, v in result.errors.items()
                                                  if k in ("title", "body", "goal")} or
                {"body": next(iter(result.errors.values()))})
            return
        ack()
        token = f"slack-view:{view.get('id', '')}:{view.get('hash', '')}"     # a resubmitted view: one idea
        p, created = store.add(replace_token(result.value, token))
        if created and pipeline is not None:
            pipeline.submit(p.id)
        try:
            client.chat_postMessage(channel=user, text=M.t("slack_idea_saved", user_lang, receipt=p.receipt_no))
        except Exception as exc:
            log.error("telling %s about idea %s failed: %s", user, p.receipt_no, exc)

    bot.add_home_section("ideas", lambda user_id, user_lang: home_blocks(store, user_lang))


def replace_token(item, token: str):
    from dataclasses import replace

    return replace(item, submission_token=token)


def fallback_texts(blocks: Sequence[dict]) -> str:
    """All text in ``blocks`` (tests and logs)."""
    out = []

    def walk(x):
        if isinstance(x, dict):
            if x.get("type") in ("plain_text", "mrkdwn"):
                out.append(x.get("text", ""))
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(list(blocks))
    return "\n".join(out)
