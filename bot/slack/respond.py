"""Private replies through a button's ``response_url``, and a short cause for their log lines."""
from __future__ import annotations

import logging

log = logging.getLogger("reformbot.slack")


def cause(exc: BaseException) -> str:
    """A Slack API error as ``error (HTTP n)``; anything else as ``Type: message``."""
    response = getattr(exc, "response", None)
    try:
        if response is not None:
            return f"{response.get('error')} (HTTP {response.status_code})"
    except Exception:
        pass
    return f"{type(exc).__name__}: {exc}"


def privately(respond, text: str, *, replace: bool = False, **extra) -> None:
    """An ephemeral reply to the one who clicked (``replace``: instead of the clicked message);
    a failure is logged, never raised into the listener."""
    try:
        respond(text=text, response_type="ephemeral", replace_original=replace, **extra)
    except Exception as exc:
        log.error("response_url post failed: %s", cause(exc))


def admin_click(bot, body: dict, respond, refusal, what: str) -> tuple[str, str] | None:
    """(user, lang) of a button click by an admin (``REFORMBOT_ADMINS``); anyone else gets
    ``refusal(lang)`` privately, a log line naming ``what`` was pressed, and None."""
    user = (body.get("user") or {}).get("id", "")
    lang = bot.user_lang(user)
    if not user or user not in bot.settings.admin_ids:
        log.warning("%s pressed by %s, who is not in REFORMBOT_ADMINS: refused", what, user)
        privately(respond, refusal(lang))
        return None
    return user, lang


def on_button(app, action_id: str, handle) -> None:
    """Register ``handle(body, action, respond)`` for a button: acknowledged first (Slack wants
    the ack within 3 s), then handled."""
    def listener(ack, body: dict, action: dict, respond) -> None:
        ack()
        handle(body, action, respond)

    app.action(action_id)(listener)
