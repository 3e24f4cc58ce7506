"""受付番号: the JST date and five random digits, e.g. ``20261127-48213``.

- Random (from :mod:`secrets`), so a number tells nobody how many proposals exist or which
  number the next citizen will get; the store keeps them unique (UNIQUE index, retried on a clash).
- Digits only, so it reads easily over the phone; a number typed back with full-width digits,
  another dash or spaces (``２０２６１１２７－４８２１３``) is still found (:func:`normalise_receipt`).
- The honeypot's "receipt" for a bot (a *decoy*) has the same shape but comes from the other
  half of the number space, split by a keyed hash of the whole number under a secret kept in the
  database (:func:`is_decoy`): a decoy is never issued to a real proposal, and nobody without the
  secret can tell the two kinds apart. Decoys are not stored.

Numbers issued before this scheme (``YYYYMMDD-NNNNN``, the row id) are kept and still looked up.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import datetime
from typing import Callable, Iterator

from feedback.clock import JST

RECEIPT_DIGITS = 5
# After this many clashes in a row the day is nearly full (tens of thousands of proposals):
# widen by one digit rather than fail a citizen's submission.
TRIES_PER_WIDTH = 64
EXAMPLE = "20261127-48213"     # shown in help and error messages

# Dashes people type (full-width, katakana long vowel from an IME, typographic): all read as "-".
DASHES = "-‐‑‒–—―−ー－ｰ"
_RECEIPT = re.compile(r"(\d{8})-?(\d{5,7})")


def receipt_day(at: datetime) -> str:
    """The receipt's date part: ``at``'s day in Japan time, e.g. ``20261127``."""
    return f"{at.astimezone(JST):%Y%m%d}"


def is_decoy(secret: bytes, receipt_no: str) -> bool:
    """True when ``receipt_no`` belongs to the honeypot's half of the number space."""
    return bool(hmac.new(secret, receipt_no.encode(), hashlib.sha256).digest()[0] & 1)


def candidates(secret: bytes, day: str, *, decoy: bool,
               randbelow: Callable[[int], int]) -> Iterator[str]:
    """Random receipt numbers for ``day`` of one kind (real or decoy), endlessly.

    Five digits; one more after each :data:`TRIES_PER_WIDTH` numbers of the wanted kind (the caller
    asks for the next one when a number is taken).
    """
    tries = 0
    while True:
        digits = RECEIPT_DIGITS + tries // TRIES_PER_WIDTH
        number = f"{day}-{randbelow(10 ** digits):0{digits}d}"
        if is_decoy(secret, number) == decoy:
            tries += 1
            yield number


def normalise_receipt(text: str) -> str | None:
    """A receipt number as typed (full-width, another dash, spaces, no dash) in its stored form.

    >>> normalise_receipt("２０２６１１２７－４８２１３")
    '20261127-48213'
    >>> normalise_receipt("20261127 48213"), normalise_receipt("2026112748213")
    ('20261127-48213', '20261127-48213')

    Returns:
        ``YYYYMMDD-NNNNN`` (or longer), or None when ``text`` does not look like one.
    """
    folded = unicodedata.normalize("NFKC", text or "")
    folded = "".join("-" if ch in DASHES else ch for ch in folded if not ch.isspace())
    m = _RECEIPT.fullmatch(folded)
    return f"{m.group(1)}-{m.group(2)}" if m else None
