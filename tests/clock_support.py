"""A clock the tests set and move by hand: no sleeps, no dependence on the machine's date or zone."""
from __future__ import annotations

from datetime import datetime, timezone

from feedback.clock import JST

__all__ = ["JST", "ManualClock", "jst"]


def jst(*args: int) -> datetime:
    """``jst(2026, 11, 27, 23, 59, 59)``: an aware datetime in Japan time."""
    return datetime(*args, tzinfo=JST)


class ManualClock:
    """Stands in for :class:`feedback.clock.Clock`; time moves only when a test moves it.

    ``advance`` moves both clocks; ``set_wall`` moves only the wall clock, as an administrator or
    NTP would, leaving the monotonic clock where it was.
    """

    def __init__(self, at: datetime | float = 1_000_000.0, monotonic: float = 5_000.0):
        self._wall = at.timestamp() if isinstance(at, datetime) else float(at)
        self._mono = monotonic

    def wall(self) -> float:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._wall, timezone.utc)

    def advance(self, seconds: float) -> None:
        self._wall += seconds
        self._mono += seconds

    def set_wall(self, at: datetime | float) -> None:
        self._wall = at.timestamp() if isinstance(at, datetime) else float(at)
