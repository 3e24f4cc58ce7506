"""照会キー (lookup key): what a citizen types with the 受付番号 to see a proposal's status.

- 16 symbols of Crockford's base32 (``0-9`` and ``A-Z`` without ``I L O U``), 80 random bits from
  :mod:`secrets`, shown in four groups: ``K7QF-2M9X-H3WD-8RTB``.
- Easy to type back: lower case, full-width letters and digits, spaces, other dashes or none at
  all are accepted, and the letters people confuse with digits are read as those digits
  (``O`` → ``0``, ``I``/``L`` → ``1``), so a key copied from paper still works.
- Stored only as :func:`key_hash`, an HMAC-SHA256 under a random per-database pepper: the key
  itself is shown once, on the receipt, and nowhere else (not even to staff).

Pure functions; the store keeps the pepper and the hashes.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

from .receipts import DASHES

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"     # Crockford base32: 5 bits a symbol
KEY_CHARS = 16                                     # 80 bits
GROUP = 4
EXAMPLE = "K7QF-2M9X-H3WD-8RTB"                    # shown in hints and error messages
_READ_AS = {"O": "0", "I": "1", "L": "1"}


def new_key(randbits=secrets.randbits) -> str:
    """A fresh key in its display form, e.g. ``K7QF-2M9X-H3WD-8RTB``."""
    n = randbits(5 * KEY_CHARS)
    symbols = "".join(ALPHABET[(n >> (5 * i)) & 31] for i in range(KEY_CHARS))
    return display(symbols)


def display(key: str) -> str:
    """A normalised key in groups of four separated by dashes."""
    return "-".join(key[i:i + GROUP] for i in range(0, len(key), GROUP))


def normalise_key(text: str | None) -> str | None:
    """A key as typed in its canonical form (16 symbols, no dashes), or None when it cannot be one.

    >>> normalise_key("k7qf 2m9x ｈ３ｗｄ－8rtb")
    'K7QF2M9XH3WD8RTB'
    >>> normalise_key("K7QF-2M9X-H3WD-8RTO"), normalise_key("K7QF")
    ('K7QF2M9XH3WD8RT0', None)
    """
    folded = unicodedata.normalize("NFKC", text or "").upper()
    folded = "".join(_READ_AS.get(ch, ch) for ch in folded if not ch.isspace() and ch not in DASHES)
    if len(folded) != KEY_CHARS or any(ch not in ALPHABET for ch in folded):
        return None
    return folded


def key_hash(pepper: bytes, key: str) -> str:
    """What the database keeps of a (normalised) key: HMAC-SHA256 under the pepper, hex."""
    return hmac.new(pepper, b"lookup-key|" + key.encode("ascii", "replace"), hashlib.sha256).hexdigest()
