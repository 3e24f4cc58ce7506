"""The docs document what exists: every setting (docs/configuration.md), and the two commands (README)."""
from pathlib import Path

from bot.settings import describe

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    missing = [var for var, _, _ in describe() if f"`{var}`" not in CONFIGURATION]
    assert missing == []


def test_two_commands_are_documented():
    assert "make run" in README and "make test" in README
