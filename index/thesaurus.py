"""The general thesaurus: synonym groups from public data files, loaded once.

Two data files under ``index/thesaurus/`` (data, not code; see docs/vocabulary.md):

* ``sudachi-synonyms.tsv``: the Sudachi synonym dictionary (SudachiDict's synonym groups,
  Apache-2.0, © Works Applications), filtered by ``scripts/build_thesaurus.py`` (proper-noun
  domains dropped). One group per line, ``id<TAB>word<TAB>…``; ``~word`` is reached from the
  group's other words but expands nothing itself (Sudachi's expansion flag 1).
* ``administrative.txt``: general municipal vocabulary, English <-> Japanese 行政 words and
  everyday <-> administrative Japanese, in the Solr synonym format (:mod:`index.synonyms`).

Both become :class:`index.synonyms.SynonymRule` lists, read on first use and kept (read-only
afterwards, shared by every thread and retriever; :mod:`index.lexicon` indexes them once).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from index.synonyms import SynonymRule, parse_synonyms

THESAURUS_DIR = Path(__file__).resolve().with_name("thesaurus")
SUDACHI_FILE = THESAURUS_DIR / "sudachi-synonyms.tsv"
ADMINISTRATIVE_FILE = THESAURUS_DIR / "administrative.txt"

# English ordinals name numbered items in any plan ("the sixth reform", "phase 2"): general
# language, written out here rather than as one line per number in the data file.
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_SUFFIX = {1: "st", 2: "nd", 3: "rd"}


def parse_sudachi_groups(text: str) -> tuple[SynonymRule, ...]:
    """Rules from the ``id<TAB>word<TAB>…`` lines of ``sudachi-synonyms.tsv`` (``#`` lines skipped).

    Each group is one rule: its words without ``~`` name every word of the group.
    """
    out = []
    for no, line in enumerate(text.splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        words = line.split("\t")[1:]
        left = tuple(w for w in words if w and not w.startswith("~"))
        right = tuple(w.lstrip("~") for w in words if w)
        if left and len(right) >= 2:
            out.append(SynonymRule(left, right, no))
    return tuple(out)


def ordinal_rules() -> tuple[SynonymRule, ...]:
    """"sixth", "6th" name 第6次 and 第6期 (NFKC forms, as the matching text is)."""
    return tuple(SynonymRule((word, f"{n}{_SUFFIX.get(n, 'th')}"), (f"第{n}次", f"第{n}期"))
                 for n, word in enumerate(_ORDINALS, 1))


@lru_cache(maxsize=1)
def administrative_rules() -> tuple[SynonymRule, ...]:
    """The general municipal vocabulary (``administrative.txt``) and the English ordinals."""
    parsed = parse_synonyms(ADMINISTRATIVE_FILE.read_text(encoding="utf-8"))
    return parsed.rules + ordinal_rules()


@lru_cache(maxsize=1)
def sudachi_rules() -> tuple[SynonymRule, ...]:
    """The Sudachi synonym groups (``sudachi-synonyms.tsv``), read once."""
    return parse_sudachi_groups(SUDACHI_FILE.read_text(encoding="utf-8"))
