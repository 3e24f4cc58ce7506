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
