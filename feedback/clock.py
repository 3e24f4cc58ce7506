"""Where the application reads the time: one injectable clock, so nothing depends on the machine.

Two time sources, kept apart on purpose:

* ``wall()`` — seconds since the epoch, for timestamps people read and that outlive the process
  (``created_at``, receipt dates, form-token issue times, SQLite event claims). Dates people see
  are always computed in Japan time (:data:`JST`), never in the machine's time zone or locale.
* ``monotonic()`` — for intervals inside one process (rate-limit windows, event-claim expiry),
  which must not jump when NTP or an administrator sets the wall clock.

Tests pass their own :class:`Clock` (e.g. set to 23:59:59 JST) instead of sleeping or patching.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

JST = timezone(timedelta(hours=9), "JST")
"""Japan Standard Time (no daylight saving): the time zone of every date a citizen or staff member sees."""


@dataclass(frozen=True)
class Clock:
    """A wall clock and a monotonic clock; the default reads the system's."""

    wall: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic

    def now(self) -> datetime:
        """The current time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.wall(), timezone.utc)


SYSTEM_CLOCK = Clock()
