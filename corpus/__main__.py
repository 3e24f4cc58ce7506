"""Inspect the corpus: ``python -m corpus [FILE ...] [--mode section|window|item] [--max-chars N]
[--window N] [--stride N] [--lines]`` prints every chunk's id, kind, page, text length and
breadcrumb (or, with ``--lines``, the repaired lines), to judge chunk sizes and repairs."""
from __future__ import annotations

import argparse
import sys

from corpus import (DEFAULT_MAX_CHARS, DEFAULT_SOURCE, CorpusError, load_chunks, load_document, read_source,
                    repair_lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corpus", description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", help="source files (default: the bundled outline)")
    parser.add_argument("--mode", default="section", choices=("section", "window", "item"))
    parser.add_argument("--max-chars", type=int, default=DEFAULT_MAX_CHARS)
    parser.add_argument("--window", type=int, default=3)
    parser.add_argument("--stride", type=int, default=None)
    parser.add_argument("--lines", action="store_true", help="print the repaired lines instead")
    args = parser.parse_args(argv)
    try:
        if args.lines:
            for path in args.files or [DEFAULT_SOURCE]:
                for line in repair_lines(read_source(path).text):
                    print(line)
            return 0
        doc = load_document(args.files or None)
        chunks = load_chunks(doc, mode=args.mode, max_chars=args.max_chars, window=args.window,
                             stride=args.stride)
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"# {doc.title} — {len(doc.sections)} sections, {len(doc.glossary)} glossary entries, "
          f"{len(chunks)} chunks")
    print("id\tkind\tpage\tchars\tsection")
    for c in chunks:
        print(f"{c.id}\t{c.kind}\t{c.page}\t{len(c.text)}\t{c.section}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
