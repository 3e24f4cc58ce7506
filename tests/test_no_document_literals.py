"""Nothing in the code names one document: only the bundled outline, its default data and the tests
may say 第７次, 厚木 or 重点目標１.

Titles, goals, examples, the city and the vocabulary of the surfaces come from the indexed
document, the settings or data files (docs/proposals.md, docs/configuration.md); a literal in
code would be wrong the day another plan is built. Every line of the application's source and
data files is compared in NFKC, so 第7次 and 第７次, 重点目標1 and 重点目標１ are the same.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED_DIRS = ("bot", "corpus", "index", "feedback", "slack")
SCANNED_SUFFIXES = {".py", ".html", ".txt", ".yml", ".yaml", ".json"}
# The bundled outline and the data that belongs to it; each with why it may name it.
ALLOWED = {
    "corpus/outline-7th-summary.txt": "the bundled default corpus itself",
    "feedback/proposals/goals_before_0007.json": "the goals the form offered before migration 0007, "
                                                 "given to proposals stored then",
}
# NFKC forms: 第７次 -> 第7次, 重点目標１ -> 重点目標1; Atsugi is 厚木 in English.
FORBIDDEN = re.compile(r"第7次|厚木|重点目標1(?![0-9])|atsugi", re.IGNORECASE)


def scanned_files() -> list[Path]:
    files = []
    for top in SCANNED_DIRS:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and path.suffix in SCANNED_SUFFIXES and "__pycache__" not in path.parts:
                files.append(path)
    return files


def literals(path: Path) -> list[str]:
    """``file:line: text`` of every line of ``path`` that names the bundled document."""
    rel = path.relative_to(ROOT).as_posix()
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if FORBIDDEN.search(unicodedata.normalize("NFKC", line)):
            found.append(f"{rel}:{number}: {line.strip()[:120]}")
    return found


def test_no_application_file_names_the_bundled_document():
    files = scanned_files()
    assert len(files) > 50 and any(p.name == "messages.py" for p in files)      # it did look
    found = [hit for path in files if path.relative_to(ROOT).as_posix() not in ALLOWED for hit in literals(path)]
    assert found == [], "names of one document in code (take them from the document or a data file):\n" + \
        "\n".join(found)


def test_the_allowed_files_exist_and_are_the_bundled_documents_data():
    for rel in ALLOWED:
        assert (ROOT / rel).is_file(), f"{rel} is allowed to name the bundled outline but does not exist"
    assert literals(ROOT / "corpus" / "outline-7th-summary.txt")       # the check sees what it looks for


def test_the_check_catches_every_spelling(tmp_path):
    (tmp_path / "x.py").write_text('TITLE = "第７次〇〇市"\nA = "第7次"\nB = "重点目標１"\nC = "重点目標1 と 10"\n'
                                   'D = "Atsugi City"\nE = "厚木"\nF = "重点目標10"\nG = "第17次"\n', encoding="utf-8")
    hits = [line for line in (tmp_path / "x.py").read_text(encoding="utf-8").splitlines()
            if FORBIDDEN.search(unicodedata.normalize("NFKC", line))]
    assert [h.split(" = ")[0] for h in hits] == ["TITLE", "A", "B", "C", "D", "E"]     # not 重点目標10, 第17次
