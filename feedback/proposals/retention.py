"""Names and emails are kept no longer than the retention period.

A submitter's name and email are erased ``retention_days`` days after the proposal's last status
change (``REFORMBOT_PERSONAL_DATA_RETENTION_DAYS``, default 1095: three years); the proposal
itself stays. The server runs a :class:`PersonalDataJanitor` (at start, then once a day);
``reformbot proposals purge-personal`` runs the same :func:`purge` by hand. Each erasure is in
the access log (action ``purge``), and the file is compacted so no copy stays in it
(:meth:`ProposalStore.erase_personal`).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from feedback.clock import Clock

from .model import Erasure, PersonalAccess
from .store import ProposalStore

log = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600.0
RETENTION_BY = "system"
"""Who the access log names for erasures the server makes on its own."""


def retention_reason(days: int) -> str:
    """The reason the access log gives for an erasure at the end of the retention period."""
    return f"retention period over: {days} days after the last status change"


@dataclass(frozen=True)
class Purge:
    """What :func:`purge` found and did."""

    due: tuple[tuple[int, str, str], ...]    # (id, 受付番号, last status change) of each proposal due
    erasure: Erasure | None                  # None: a dry run, or nothing was due


def purge(store: ProposalStore, retention_days: int, by: str, *, dry_run: bool = False,
          now: datetime | None = None) -> Purge:
    """Erase the names and emails whose retention period is over.

    Args:
        store: the proposals store.
        retention_days: days after a proposal's last status change its personal data is kept.
        by: who runs it, for the access log (``system``, ``cli:<user>``).
        dry_run: only say which proposals are due.
        now: the current time (default: the store's clock).

    Returns:
        A :class:`Purge`.
    """
    now = now or store.clock.now()
    due = tuple(store.personal_due(retention_days, now))
    if dry_run or not due:
        return Purge(due, None)
    erasure = store.erase_personal([pid for pid, _, _ in due], PersonalAccess(by, retention_reason(retention_days)),
                                   action="purge", now=now)
    return Purge(due, erasure)


class PersonalDataJanitor:
    """Runs :func:`purge` in the server: once at start, then every ``interval`` seconds (a day).

    Tests call :meth:`run_once` with a clock they move by hand; :attr:`ran` is set after each run
    of the thread, so a test can wait for the first one instead of sleeping.

    Args:
        store: the proposals store.
        clock: the time source for ages (default: the store's).
        retention_days: days after a proposal's last status change its personal data is kept.
        interval: seconds between runs.
    """

    def __init__(self, store: ProposalStore, clock: Clock | None = None, retention_days: int = 1095, *,
                 interval: float = DAY_SECONDS):
        if retention_days < 1:
            raise ValueError(f"retention_days must be at least 1, not {retention_days}")
        self.store = store
        self.clock = clock or store.clock
        self.retention_days = retention_days
        self.interval = interval
        self.ran = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._compact_pending = False

    def run_once(self) -> Purge:
        """Erase what is due now; retry a compaction an earlier run could not finish."""
        result = purge(self.store, self.retention_days, RETENTION_BY, now=self.clock.now())
        if result.erasure is not None:
            log.info("personal data: erased the names and emails of %d proposals whose last status change "
                     "is %d days or more ago", len(result.erasure.erased), self.retention_days)
            self._compact_pending = not result.erasure.compacted
        elif self._compact_pending:
            self._compact_pending = not self.store.compact()
        return result

    def start(self) -> None:
        """Start the daily thread (its first run is at once)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="personal-data-retention", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, letting a run in progress finish."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None

    def _loop(self) -> None:
        while True:
            try:
                self.run_once()
            except Exception:        # the next day tries again; the server keeps serving
                log.exception("erasing personal data past the retention period failed")
            self.ran.set()
            if self._stop.wait(self.interval):
                return
