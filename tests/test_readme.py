"""The README documents what exists: every setting, and the two commands."""
from pathlib import Path

from bot.settings import describe

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    missing = [var for var, _, _ in describe() if f"`{var}`" not in README]
    assert missing == []


def test_two_commands_are_documented():
    assert "make run" in README and "make test" in README
