"""Slack: 同義語に追加 on an answer that was not found (or got a 👎) — learning from staff.

click 同義語に追加 -> an admin (``REFORMBOT_ADMINS``)? -> the proposed line(s) for the question
(:func:`bot.suggest.propose_for`), privately, with 追加する -> click 追加する -> admin again ->
appended to the synonyms file and applied by the running service
(:meth:`bot.service.QAService.reload_synonyms`): the next question uses it, no restart.
Anyone else gets a polite private refusal. A listener acks, calls the core, and renders.
"""
from __future__ import annotations

import json
import logging

from bot.slack import blocks as bk
from bot.slack.messages import t
from bot.slack.respond import admin_click, cause, on_button, privately

log = logging.getLogger(__name__)

MAX_LINES = 5
"""Lines carried by one 追加する button (a question rarely has more unknown words)."""


def proposal_message(question: str, lines: list[str], answer_id: int, lang: str, preview=None) -> dict:
    """The private message showing the proposed lines, what they would change
    (:class:`bot.suggest_service.Preview`), and 追加する (its value carries the lines)."""
    shown = "\n".join(lines)
    value = json.dumps({"answer": answer_id, "lines": lines[:MAX_LINES]}, ensure_ascii=False)
    effect = []
    if preview is not None:
        effect = [bk.context(t(lang, "synonym_preview_found", section=bk.escape(bk.fit(preview.section, 300)))
                             if preview.found else t(lang, "synonym_preview_refused"))]
    return {
        "text": t(lang, "synonym_proposal", question=bk.escape(bk.fit(question, 300))) + "\n" + bk.escape(shown),
        "blocks": [
            bk.section(t(lang, "synonym_proposal", question=bk.escape(bk.fit(question, 300)))),
            bk.section("```" + bk.escape(bk.fit(shown, 2500)) + "```"),
            *effect,
            {"type": "actions", "block_id": "synonym_proposal",
             "elements": [bk.button(t(lang, "btn_synonym_add"), bk.ACTION_SYNONYM_ADD, value, style="primary")]},
        ],
    }


class SynonymButtons:
    """同義語に追加 and 追加する for one bot."""

    def __init__(self, bot) -> None:
        self.bot = bot

    def _admin(self, body: dict, respond) -> tuple[str, str] | None:
        """(user, lang) of an admin's click; anyone else is told so, privately, and gets None."""
        contact = bk.escape(self.bot.settings.contact)
        return admin_click(self.bot, body, respond, lambda lang: t(lang, "synonym_admin_only", contact=contact),
                           "synonym button")

    def _tell(self, respond, text: str, **extra) -> None:
        privately(respond, text, **extra)

    def show(self, body: dict, action: dict, respond) -> None:
        """同義語に追加: the proposed lines for the answer's question, to the admin only."""
        from bot.suggest import propose_for
        from bot.suggest_service import preview
        from index.synonyms import read_synonyms

        who = self._admin(body, respond)
        if who is None:
            return
        _, lang = who
        try:
            answer_id = int(action["value"])
            record = self.bot.store.get_answer(answer_id)
            retriever = self.bot.qa.retriever
            proposal = propose_for(retriever, record.question)
            effect = preview(retriever, record.question, proposal.lines,
                             read_synonyms(self.bot.settings.synonyms_path).rules)
        except Exception:
            log.exception("synonym proposal for answer %s failed", action.get("value"))
            self._tell(respond, t(lang, "synonym_unavailable"))
            return
        if not proposal.lines:
            self._tell(respond, t(lang, "synonym_none", question=bk.escape(bk.fit(record.question, 300))))
            return
        msg = proposal_message(record.question, list(proposal.lines), answer_id, lang, effect)
        self._tell(respond, msg["text"], blocks=msg["blocks"])

    def add(self, body: dict, action: dict, respond) -> None:
        """追加する: append the lines to the synonyms file and apply it now."""
        from bot.suggest_service import add_lines

        who = self._admin(body, respond)
        if who is None:
            return
        user, lang = who
        try:
            lines = [str(x) for x in json.loads(action["value"])["lines"]]
            done = add_lines(self.bot.settings.synonyms_path, lines)
            reload = getattr(self.bot.qa, "reload_synonyms", None)
            if reload is not None:
                reload()
        except Exception as exc:
            log.exception("synonym lines not added")
            self._tell(respond, t(lang, "synonym_failed", detail=bk.escape(bk.fit(cause(exc), 500))))
            return
        log.info("synonym lines added from Slack by %s: %s", user, done.added)
        text = (t(lang, "synonym_added", user=user, lines=bk.escape(" / ".join(done.added))) if done.added
                else t(lang, "synonym_already", lines=bk.escape(" / ".join(done.already))))
        privately(respond, text, replace=True)      # the private proposal becomes the outcome


def register_synonym_buttons(bot) -> None:
    """Attach the two buttons' listeners to ``bot.app``."""
    buttons = SynonymButtons(bot)
    on_button(bot.app, bk.ACTION_SYNONYM, buttons.show)
    on_button(bot.app, bk.ACTION_SYNONYM_ADD, buttons.add)
