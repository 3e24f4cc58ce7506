"""Build index/thesaurus/sudachi-synonyms.tsv from the Sudachi synonym dictionary.

    python scripts/build_thesaurus.py                       # download the pinned package (npm registry)
    python scripts/build_thesaurus.py --from package.tgz    # or a local copy (tgz or the extracted json)

The source is the npm package ``sudachi-synonyms-dictionary`` (the JSON form of SudachiDict's
``synonyms.txt``, Apache-2.0, © Works Applications), pinned by version and sha256: a download or a
local tgz whose checksum differs is refused. A local ``.json`` has no package checksum to verify and
is accepted as is (for a quick look; the checked-in file is built from the tgz).

What is kept (see docs/vocabulary.md):

* every synonym group, minus the words of proper-noun domains (``DROPPED_DOMAINS``: company,
  person, place, country, university, organisation, shop and product names, characters) and the
  words marked offensive: a city plan's questions are about administration, and a company's old
  and new names or a person's readings only widen a question with names the plan does not mean;
* words with Sudachi's expansion flag 2 ("never expand") are dropped; words with flag 1 ("not a
  trigger") are kept, written with a leading ``~``: they are reached from the group's other words
  but do not expand themselves (職員 is flag 1 in the groups of 局員, 署員, 社員: asking about
  職員 should not search for 社員);
* a group left with fewer than two words is dropped.

Output: one group per line, ``id<TAB>word<TAB>word…``, after a header naming the source, version,
checksum and licence.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "sudachi-synonyms-dictionary"
VERSION = "18.0.0"
URL = f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
SHA256 = "f59fdcfdffac935a5ae6c73baa112f2d22f3220c958f6327e8fa304e1f5e6dec"
OUTPUT = ROOT / "index" / "thesaurus" / "sudachi-synonyms.tsv"
MEMBER = f"package/{PACKAGE}.json"

DROPPED_DOMAINS = frozenset({
    "企業名", "旧企業名", "人名", "地名", "国名", "大学名", "組織名", "旧組織名", "店名", "店", "キャラ", "商品",
    "不快",
})
"""Sudachi 分野 (bunya) labels whose words are dropped: proper nouns and offensive words."""


class ChecksumMismatch(Exception):
    "The package's sha256 is not the pinned one."


def verify(data: bytes, expected: str = SHA256) -> None:
    """Raise :class:`ChecksumMismatch` unless ``data`` hashes to ``expected``."""
    got = hashlib.sha256(data).hexdigest()
    if got != expected:
        raise ChecksumMismatch(f"sha256 {got} is not the pinned {expected}: refusing this package")


def groups_from_package(data: bytes, expected: str = SHA256) -> list[dict]:
    """The dictionary's groups from a package tgz, after checking its sha256."""
    verify(data, expected)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = tar.extractfile(MEMBER)
        if member is None:
            raise FileNotFoundError(f"{MEMBER} is not in the package")
        return json.loads(member.read().decode("utf-8"))


def kept_words(group: dict) -> list[str]:
    """The group's words to keep, ``~word`` for words that do not trigger an expansion."""
    out: list[str] = []
    seen: set[str] = set()
    for item in group.get("items", ()):
        word = " ".join(str(item.get("midashi", "")).split())
        if not word or "\t" in word or word in seen:
            continue
        if DROPPED_DOMAINS.intersection(item.get("bunya") or ()):
            continue
        flag = item.get("expandControl", 0)
        if flag == 2:
            continue
        seen.add(word)
        out.append(("~" + word) if flag == 1 else word)
    return out


def render(groups: list[dict], sha256: str = SHA256) -> str:
    """The TSV text for ``groups`` (header first)."""
    lines = [
        f"# Sudachi synonym dictionary: npm {PACKAGE} {VERSION} (SudachiDict synonyms.txt), sha256 {sha256}",
        f"# source: {URL}",
        "# licence: Apache-2.0, Copyright (c) Works Applications Co., Ltd.; see index/thesaurus/NOTICE",
        "# built by scripts/build_thesaurus.py; words of these domains dropped: " + " ".join(sorted(DROPPED_DOMAINS)),
        "# one synonym group per line: id<TAB>word<TAB>word...; ~word is reached from the others but expands nothing",
    ]
    for g in groups:
        words = kept_words(g)
        if len(words) >= 2 and sum(not w.startswith("~") for w in words) >= 1:
            lines.append("\t".join([str(g.get("id", "")), *words]))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--from", dest="source", help="local package .tgz (verified) or extracted .json")
    ap.add_argument("--output", default=str(OUTPUT), help="where to write the TSV")
    ap.add_argument("--sha256", default=SHA256, help=argparse.SUPPRESS)   # tests pin their own package
    args = ap.parse_args(argv)
    if args.source and args.source.endswith(".json"):
        groups = json.loads(Path(args.source).read_text(encoding="utf-8"))
    else:
        if args.source:
            data = Path(args.source).read_bytes()
        else:
            with urllib.request.urlopen(URL, timeout=60) as resp:   # noqa: S310 (pinned https URL)
                data = resp.read()
        try:
            groups = groups_from_package(data, args.sha256)
        except ChecksumMismatch as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = render(groups, args.sha256)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({text.count(chr(10)) - 5} groups, {len(text.encode('utf-8')) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
