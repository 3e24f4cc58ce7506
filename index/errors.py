"""Named errors of the index. Each message says which command fixes it."""
from __future__ import annotations

BUILD_COMMAND = "reformbot index build"


class IndexError_(Exception):
    "The search index cannot be used (base class; the CLI and server translate it)."


class IndexNotBuilt(IndexError_):
    "No built index in the data directory."


class IndexMismatch(IndexError_):
    "The built index does not match this program, model or its own files."


class IndexBuildError(IndexError_):
    "Building the index failed; any previous index was left in place."
