"""Where the data lives does not depend on the directory a command is started from."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import cli
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent      # the checkout these tests run from
cli._add_subcommands()
runner = CliRunner()


def data_dir_line(output: str) -> str:
    [line] = [ln for ln in output.splitlines() if ln.startswith("REFORMBOT_DATA_DIR=")]
    return line.split("=", 1)[1].split("    #", 1)[0]


def test_a_source_checkout_keeps_its_data_in_the_checkout(tmp_path):
    from bot.settings import default_data_dir

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'reformbot'\n")
    assert default_data_dir({"XDG_DATA_HOME": "/srv/xdg"}, package_root=tmp_path) == tmp_path / "data"


def test_an_installed_package_uses_the_xdg_data_dir(tmp_path):
    from bot.settings import default_data_dir

    site_packages = tmp_path / "site-packages"         # no pyproject.toml next to the package
    site_packages.mkdir()
    assert default_data_dir({"XDG_DATA_HOME": "/srv/xdg", "HOME": "/home/staff"},
                            package_root=site_packages) == Path("/srv/xdg/reformbot")
    assert default_data_dir({"HOME": "/home/staff"}, package_root=site_packages) == \
        Path("/home/staff/.local/share/reformbot")
    # The XDG spec: a relative XDG_DATA_HOME is invalid and ignored (it would depend on the cwd again).
    assert default_data_dir({"XDG_DATA_HOME": "xdg", "HOME": "/home/staff"}, package_root=site_packages) == \
        Path("/home/staff/.local/share/reformbot")


def test_a_read_only_checkout_uses_the_xdg_data_dir(tmp_path):
    from bot.settings import default_data_dir

    (tmp_path / "pyproject.toml").write_text("")
    assert default_data_dir({"XDG_DATA_HOME": "/srv/xdg"}, package_root=tmp_path,
                            writable=lambda p: False) == Path("/srv/xdg/reformbot")


def test_default_settings_name_one_absolute_place_whatever_the_cwd(tmp_path, monkeypatch):
    monkeypatch.delenv("REFORMBOT_DATA_DIR")
    monkeypatch.chdir(tmp_path)
    here = Settings.from_env().data_dir
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert Settings.from_env().data_dir == here == ROOT / "data"       # the tests run from a checkout



def test_config_shows_the_same_absolute_data_dir_from_any_directory(tmp_path, monkeypatch):
    """What a newcomer tripped over: run from another directory, every command looked for data/ there."""
    monkeypatch.delenv("REFORMBOT_DATA_DIR")
    seen = []
    for cwd in (ROOT, tmp_path):
        monkeypatch.chdir(cwd)
        r = runner.invoke(cli.app, ["config"])
        assert r.exit_code == 0, r.output
        seen.append(data_dir_line(r.stdout))
    assert seen == [str(ROOT / "data")] * 2


def test_a_relative_data_dir_is_taken_from_where_the_command_starts_once(tmp_path, monkeypatch):
    (tmp_path / "ops").mkdir()
    monkeypatch.chdir(tmp_path / "ops")
    monkeypatch.setenv("REFORMBOT_DATA_DIR", "reformbot-data")
    settings = Settings.from_env()
    monkeypatch.chdir(tmp_path)                          # later changes of directory change nothing
    assert settings.data_dir == tmp_path / "ops" / "reformbot-data"
    assert settings.database_path == tmp_path / "ops" / "reformbot-data" / "reformbot.db"

    monkeypatch.chdir(tmp_path / "ops")
    r = runner.invoke(cli.app, ["config"])
    assert data_dir_line(r.stdout) == str(tmp_path / "ops" / "reformbot-data")
    r = runner.invoke(cli.app, ["proposals", "list"])
    assert r.exit_code == 0
    assert f"{tmp_path / 'ops' / 'reformbot-data' / 'reformbot.db'} does not exist" in r.stdout


def test_home_in_a_data_dir_setting_is_expanded(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Settings.from_env({"REFORMBOT_DATA_DIR": "~/rb"}).data_dir == tmp_path / "rb"


def test_the_checkout_data_dir_stays_out_of_git():
    import subprocess

    paths = ["data/reformbot.db", "data/index/current"]
    r = subprocess.run(["git", "check-ignore", *paths], cwd=ROOT, capture_output=True, text=True)
    if r.returncode == 128:
        pytest.skip(f"not a git checkout: {r.stderr.strip()}")
    assert r.stdout.split() == paths, "data/ must stay in .gitignore"
