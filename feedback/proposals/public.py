"""What the public sees of proposals: the city's published answer."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import ProposalStore


def public_answer(store: "ProposalStore", pid: int) -> Any | None:
    """The city's published answer to proposal ``pid``, or None (no answer yet, a draft only, or a
    store without answers). The one place the citizen pages read answers from the store.

    Returns:
        The store's ``ProposalAnswer`` (``text``, ``status``, ``published``, ``author``,
        ``created_at``) when it is published; its author is staff-only and never shown.
    """
    current = getattr(store, "current_answer", None)
    if current is None:
        return None
    answer = current(pid)
    return answer if answer is not None and getattr(answer, "published", False) else None
