"""Bolt listeners: ack, call the QA service, render with blocks.py, post.

Bolt acks events before a listener runs (``process_before_response=False``); commands and
actions call ``ack()`` first. All slow work (retrieval, Web API calls) happens after the ack on
Bolt's worker threads. Web API failures are logged with their cause and never escape a listener.
"""
from __future__ import annotations

import html
import json
import logging
import re
import time
from typing import TYPE_CHECKING, Sequence

from bot.slack import blocks as bk
from bot.slack.bot import SLASH_COMMAND, SlackBot, _cause
from bot.slack.messages import HELP_WORDS, detect_language, is_acknowledgement, t

THREAD_TURNS = 10
"""Earlier turns of a thread a follow-up is read with (the newest)."""
from feedback.answers import AlreadyVoted, FeedbackError, UnknownAnswer

if TYPE_CHECKING:
    from slack_bolt import BoltResponse

    from bot.contract import Answer

log = logging.getLogger("bot.slack")

WORKING_REACTION = "eyes"      # 👀 while the answer is being prepared
# Message subtypes that are still a person writing a new message; everything else (edits,
# deletions, joins, bot messages, …) is ignored.
ANSWERABLE_SUBTYPES = {None, "thread_broadcast", "file_share"}


def question_text(text: str, bot_user_id: str | None) -> str:
    """The question in a Slack message: the bot's mention removed, entities unescaped.

    Other mentions, links and emoji stay as typed: the service leaves them out of the search
    (:mod:`bot.chat`: a link's label stands apart from the question), and the log keeps the
    message as written.
    """
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return html.unescape(" ".join(text.split())).strip()


def is_social_only(text: str) -> bool:
    """True for a reply that only thanks, greets or acknowledges (「ありがとうございます🙏」, "thanks!"):
    no question in it. A thank-you with a question (「ありがとう。ところでPFIとは？」) is not."""
    from bot.chat import read_message

    return is_acknowledgement(text) or read_message(text).social_only


def is_from_a_person(event: dict, bot_user_id: str | None) -> bool:
    """False for bots (including this one), edits, deletions and other non-message subtypes."""
    if event.get("bot_id") or event.get("bot_profile") or event.get("subtype") == "bot_message":
        return False
    if event.get("subtype") not in ANSWERABLE_SUBTYPES or event.get("edited") or event.get("hidden"):
        return False
    user = event.get("user")
    return bool(user) and user != bot_user_id


# Interactive payloads that do something (store a vote, post, open a modal); others (options
# loading, a closed modal) are safe to handle again.
ACTING_INTERACTIONS = frozenset({"block_actions", "view_submission", "shortcut", "message_action"})


def delivery_key(body: dict, signature: str | None = None) -> str | None:
    """What one delivery of ``body`` is, so a retry, redelivery or replay of it is handled once.

    Events carry an ``event_id`` that Slack keeps on its retries. Slash commands and interactions
    carry a ``trigger_id``, new for every invocation or click, so a re-sent copy of the same signed
    body (a replay within Slack's 5-minute window) has the same one. Failing that, a click is its
    ``action_ts``, and anything signed is its signature (HMAC over timestamp + body).

    Returns:
        ``"event:…"``, ``"command:…"`` or ``"interaction:…"``; None for what needs no claim
        (url_verification, options loading, …).
    """
    if body.get("type") == "event_callback":
        return f"event:{body['event_id']}" if body.get("event_id") else None
    if body.get("command"):
        kind = "command"
    elif body.get("type") in ACTING_INTERACTIONS:
        kind = "interaction"
    else:
        return None
    unique = body.get("trigger_id") or _action_ts(body) or signature
    return f"{kind}:{unique}" if unique else None


def _action_ts(body: dict) -> str | None:
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict) and actions[0].get("action_ts"):
        user = body.get("user") if isinstance(body.get("user"), dict) else {}
        return f"{user.get('id', '')}:{actions[0]['action_ts']}"
    return None


def register_listeners(bot: SlackBot) -> None:
    """Attach every listener of the Q&A bot to ``bot.app``."""
    app = bot.app
    assert app is not None

    @app.middleware
    def handle_each_delivery_once(body: dict, request, next, logger) -> "BoltResponse | None":  # noqa: A002
        """A retried, redelivered or replayed event, command or click is acked but handled once."""
        signature = (request.headers.get("x-slack-signature") or [None])[0] if request is not None else None
        key = delivery_key(body, signature)
        if key is not None and not bot.ledger.claim(key):
            from slack_bolt import BoltResponse

            logger.info("duplicate delivery of %s ignored", key)
            return BoltResponse(status=200, body="")
        return next()

    @app.event("app_mention")
    def on_mention(event: dict, context, client) -> None:
        if not is_from_a_person(event, context.bot_user_id):
            return
        thread_ts = event.get("thread_ts") or event["ts"]
        answer_in_conversation(bot, event, context.bot_user_id, surface="mention", reply_thread_ts=thread_ts)

    @app.event("message")
    def on_message(event: dict, context, client) -> None:
        if not is_from_a_person(event, context.bot_user_id):
            return
        channel_type = event.get("channel_type")
        if channel_type == "im":
            # A file sent to the bot (a revised outline from an admin) goes to the upload handler.
            if event.get("files") and bot.upload_handler is not None and bot.upload_handler(event):
                return
            answer_in_conversation(bot, event, context.bot_user_id, surface="dm", reply_thread_ts=event.get("thread_ts"))
            return
        # In a channel: only follow-ups in a thread the bot answered, from someone who asked there
        # (others talking in the thread are not talking to the bot unless they mention it), and
        # not a mere "thanks". A message that mentions the bot is an app_mention too; the
        # channel+ts claim makes sure only one of them answers.
        thread_ts = event.get("thread_ts")
        if not thread_ts or thread_ts == event.get("ts"):
            return
        if event.get("user") not in bot.store.thread_askers(event["channel"], thread_ts):
            return
        if is_social_only(question_text(event.get("text") or "", context.bot_user_id)):
            return      # 「ありがとうございます！」: nothing to answer (「ありがとう。ところで…？」 is answered)
        answer_in_conversation(bot, event, context.bot_user_id, surface="thread", reply_thread_ts=thread_ts)

    @app.command(SLASH_COMMAND)
    def on_command(ack, command: dict, respond, client) -> None:
        ack()
        handle_command(bot, command, respond, client)

    @app.action(re.compile(f"^({bk.ACTION_UP}|{bk.ACTION_DOWN})$"))
    def on_vote(ack, body: dict, action: dict, respond, client) -> None:
        ack()
        handle_vote(bot, body, action, respond, client)

    @app.action(bk.ACTION_POST)
    def on_post(ack, body: dict, action: dict, respond) -> None:
        ack()
        share_to_channel(bot, body, action, respond)

    @app.view(bk.MODAL_FEEDBACK)
    def on_feedback_comment(ack, body: dict, view: dict) -> None:
        ack()
        save_comment(bot, body, view)

    @app.event("app_home_opened")
    def on_home(event: dict) -> None:
        if event.get("tab", "home") != "home":
            return
        try:
            bot.publish_home(event["user"])
        except Exception as exc:
            log.error("App Home for %s not published: %s", event.get("user"), _cause(exc))

    @app.error
    def on_error(error: Exception, body: dict) -> None:
        log.error("Slack listener failed (%s): %s", (body or {}).get("type"), _cause(error), exc_info=error)


def failure_text(exc: BaseException, lang: str) -> str:
    """What to tell the user when answering failed; the cause goes to the log."""
    from bot.service import MAX_QUESTION_CHARS, QuestionTooLong
    from index.errors import IndexError_

    if isinstance(exc, QuestionTooLong):
        return t(lang, "too_long", max=MAX_QUESTION_CHARS)
    if isinstance(exc, IndexError_):
        log.error("index unavailable: %s", exc)
        return t(lang, "unavailable")
    log.error("answering failed: %s", _cause(exc), exc_info=exc)
    return t(lang, "error")


def ask(bot: SlackBot, question: str, *, surface: str, history: Sequence = ()) -> "Answer":
    """``bot.qa.ask``, timed and counted as an answer on ``surface`` when the bot has metrics.

    A question refused as empty or too long is not counted; any other failure counts as an error.
    """
    from bot.service import EmptyQuestion, QuestionTooLong

    started = time.perf_counter()
    try:
        answer = bot.qa.ask(question, history=tuple(history))
    except Exception as exc:
        if bot.metrics is not None and not isinstance(exc, (EmptyQuestion, QuestionTooLong)):
            bot.metrics.answered(surface, None, time.perf_counter() - started)
        raise
    if bot.metrics is not None:
        bot.metrics.answered(surface, answer.found, time.perf_counter() - started)
    return answer


# --- conversations ----------------------------------------------------------------------
def answer_in_conversation(
    bot: SlackBot, event: dict, bot_user_id: str | None, *, surface: str, reply_thread_ts: str | None
) -> None:
    """Answer a mention, DM or thread follow-up in place, with 👀 while working."""
    channel, ts = event["channel"], event["ts"]
    if not bot.ledger.claim(f"message:{channel}:{ts}"):
        return  # already answered (the same message arrived as app_mention and message)
    question = question_text(event.get("text") or "", bot_user_id)
    lang = detect_language(question)
    client = bot.client

    def post(message: bk.SlackMessage) -> dict | None:
        try:
            return client.chat_postMessage(
                channel=channel, thread_ts=reply_thread_ts, unfurl_links=False, unfurl_media=False, **message.as_kwargs()
            )
        except Exception as exc:
            log.error("chat.postMessage to %s failed: %s", channel, _cause(exc))
            return None

    if question and event.get("thread_ts") and is_social_only(question):
        return      # 「@bot ありがとうございます！」 or a DM thread's thank-you: nothing to answer
    if not question or is_social_only(question):     # 「@bot お疲れ様です」: ask for a question
        about = bot.about()
        post(bk.simple_message(t(lang, "empty_question" if about.questions(lang) else "empty_question_plain",
                                 about=about)))
        return
    if question.lower() in HELP_WORDS:
        post(bot.help_message(lang))
        return

    reacted = _react(client, "reactions_add", channel, ts)
    try:
        # The thread's earlier questions and the sections that answered them (bot/conversation.py).
        history = (bot.store.thread_turns(channel, event["thread_ts"], limit=THREAD_TURNS)
                   if event.get("thread_ts") else [])
        answer = ask(bot, question, surface=surface, history=history)
        answer_id = bot.store.record_answer(
            question=question,
            chunk_ids=[s.id for s in answer.sources],
            found=answer.found,
            lang=lang,
            surface=surface,
            user_id=event.get("user", ""),
            channel_id=channel,
            thread_ts=reply_thread_ts or "",
            index_version=answer.index_version,
            section=answer.sources[0].section if answer.found and answer.sources else "",
        )
        message = bk.answer_message(
            answer, lang=lang, status=bot.status(), contact=bot.settings.contact, answer_id=answer_id
        )
    except Exception as exc:
        post(bk.simple_message(failure_text(exc, lang)))
    else:
        posted = post(message)
        if posted is not None and posted.get("ts"):
            bot.store.set_message_ts(answer_id, posted["ts"])
        elif posted is None:
            post(bk.simple_message(t(lang, "error")))
    finally:
        if reacted:
            _react(client, "reactions_remove", channel, ts)


def _react(client, method: str, channel: str, ts: str) -> bool:
    try:
        getattr(client, method)(channel=channel, timestamp=ts, name=WORKING_REACTION)
        return True
    except Exception as exc:  # a missing reaction is cosmetic
        log.warning("%s failed on %s/%s: %s", method, channel, ts, _cause(exc))
        return False


# --- slash command ----------------------------------------------------------------------
def handle_command(bot: SlackBot, command: dict, respond, client) -> None:
    """``/reform 質問`` (ephemeral answer), ``/reform help``, or a registered subcommand."""
    text = (command.get("text") or "").strip()
    word, _, rest = text.partition(" ")
    handler = bot.subcommands.get(word.lower())
    if handler is not None:
        try:
            handler(bot=bot, command=command, args=rest.strip(), respond=respond, client=client)
        except Exception:
            log.exception("/reform %s failed", word)
            _respond(respond, bk.simple_message(t(detect_language(text), "error")), response_type="ephemeral")
        return
    if not text or text.lower() in HELP_WORDS:
        lang = "en" if text.lower() == "help" and bot.user_lang(command.get("user_id", "")) == "en" else "ja"
        _respond(respond, bot.help_message(lang), response_type="ephemeral")
        return
    lang = detect_language(text)
    try:
        answer = ask(bot, text, surface="slash")
        answer_id = bot.store.record_answer(
            question=text,
            chunk_ids=[s.id for s in answer.sources],
            found=answer.found,
            lang=lang,
            surface="slash",
            user_id=command.get("user_id", ""),
            channel_id=command.get("channel_id", ""),
            index_version=answer.index_version,
        )
        message = bk.answer_message(
            answer, lang=lang, status=bot.status(), contact=bot.settings.contact, answer_id=answer_id, ephemeral=True
        )
    except Exception as exc:
        message = bk.simple_message(failure_text(exc, lang))
    _respond(respond, message, response_type="ephemeral")


def _respond(respond, message: bk.SlackMessage, **kwargs) -> bool:
    try:
        respond(**message.as_kwargs(), **kwargs)
        return True
    except Exception as exc:
        log.error("response_url post failed: %s", _cause(exc))
        return False


# --- feedback ---------------------------------------------------------------------------
def handle_vote(bot: SlackBot, body: dict, action: dict, respond, client) -> None:
    """Store a 👍/👎, thank the user in the message, open the "what was wrong?" modal on 👎."""
    verdict = "up" if action["action_id"] == bk.ACTION_UP else "down"
    user = body["user"]["id"]
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
    try:
        answer_id = int(action["value"])
        record = bot.store.get_answer(answer_id)
        counts = bot.store.vote(answer_id, user_id=user, channel_id=channel, verdict=verdict)
    except AlreadyVoted:
        lang = _lang_of(bot, action)
        _respond(respond, bk.simple_message(t(lang, "feedback_already")), response_type="ephemeral", replace_original=False)
        return
    except (UnknownAnswer, ValueError, FeedbackError) as exc:
        log.warning("vote not stored: %s", exc)
        _respond(respond, bk.simple_message(t("ja", "feedback_unknown")), response_type="ephemeral", replace_original=False)
        return
    lang = record.lang
    if verdict == "down" and body.get("trigger_id"):
        try:  # the trigger expires 3 s after the click: open the modal before anything else
            client.views_open(
                trigger_id=body["trigger_id"],
                view=bk.feedback_modal(answer_id, lang, channel_id=channel, message_ts=container.get("message_ts", "")),
            )
        except Exception as exc:
            log.warning("feedback modal not opened: %s", _cause(exc))
    note = t(lang, "feedback_thanks", user=user, up=counts.up, down=counts.down)
    message = body.get("message")
    if container.get("is_ephemeral") or not message:
        # Ephemeral answers cannot be chat.update'd and their blocks are not sent back: re-render.
        try:
            answer = bot.qa.ask(record.question)
            blocks = bk.answer_message(
                answer, lang=lang, status=bot.status(), contact=bot.settings.contact, answer_id=answer_id, ephemeral=True
            ).blocks
        except Exception:
            log.exception("re-rendering answer %s failed", answer_id)
            return
        _respond(respond, bk.SlackMessage(text=note, blocks=bk.with_feedback_status(blocks, note)), replace_original=True)
        return
    blocks = bk.with_feedback_status(message.get("blocks") or [], note)
    try:
        client.chat_update(channel=channel, ts=container.get("message_ts") or message["ts"], text=message.get("text") or note, blocks=blocks)
    except Exception as exc:
        log.warning("chat.update failed (%s); updating through response_url", _cause(exc))
        _respond(respond, bk.SlackMessage(text=message.get("text") or note, blocks=blocks), replace_original=True)


def _lang_of(bot: SlackBot, action: dict) -> str:
    try:
        return bot.store.get_answer(int(action["value"])).lang
    except Exception:
        return "ja"


def share_to_channel(bot: SlackBot, body: dict, action: dict, respond) -> None:
    """"Post to channel" on an ephemeral answer: post it for everyone, remove the private copy."""
    user = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
    try:
        record = bot.store.get_answer(int(action["value"]))
        answer = ask(bot, record.question, surface="shared")
        answer_id = bot.store.record_answer(
            question=record.question,
            chunk_ids=[s.id for s in answer.sources],
            found=answer.found,
            lang=record.lang,
            surface="shared",
            user_id=user,
            channel_id=channel,
            index_version=answer.index_version,
        )
        message = bk.answer_message(
            answer,
            lang=record.lang,
            status=bot.status(),
            contact=bot.settings.contact,
            answer_id=answer_id,
            asked_by=user,
        )
    except Exception:
        log.exception("sharing answer %s failed", action.get("value"))
        _respond(respond, bk.simple_message(t("ja", "error")), response_type="ephemeral", replace_original=False)
        return
    # response_url works in any channel the command ran in, even where the bot is not a member.
    if _respond(respond, message, response_type="in_channel", replace_original=False):
        try:
            respond(delete_original=True)
        except Exception as exc:
            log.warning("ephemeral answer not removed: %s", _cause(exc))


def save_comment(bot: SlackBot, body: dict, view: dict) -> None:
    """The optional text from the 👎 modal, attached to that user's vote."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        value = view["state"]["values"][bk.MODAL_INPUT_BLOCK][bk.MODAL_INPUT_ACTION].get("value") or ""
    except (KeyError, ValueError) as exc:
        log.warning("feedback modal payload not understood: %s", exc)
        return
    if value.strip():
        bot.store.add_comment(int(meta["answer_id"]), user_id=body["user"]["id"], comment=value[:1000])
