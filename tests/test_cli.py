"""The command line, through typer's runner, on the real index."""
from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from bot import cli

cli._add_subcommands()
runner = CliRunner()


@pytest.fixture
def env_real(monkeypatch, real_settings):
    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(real_settings.data_dir))


def test_ask_json_prints_the_contract(env_real):
    r = runner.invoke(cli.app, ["ask", "PPPとは何の略？", "--json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert body["found"] is True
    assert "Public Private Partnership" in body["sources"][0]["text"] + body["sources"][0]["section"]


def test_ask_text_shows_breadcrumb_and_page(env_real):
    r = runner.invoke(cli.app, ["ask", "第1期実施計画の期間は？"])
    assert r.exit_code == 0, r.output
    assert "大綱P.5" in r.stdout
    assert "令和３年度から令和５年度まで" in r.stdout


def test_ask_out_of_scope_says_so(env_real):
    r = runner.invoke(cli.app, ["ask", "粗大ごみの出し方は？"])
    assert r.exit_code == 0
    assert "大綱には記載がありません" in r.stdout


def test_ask_without_index_tells_what_to_run():
    r = runner.invoke(cli.app, ["ask", "PFIとは"])
    assert r.exit_code == 1
    assert "reformbot index build" in r.output


def test_ask_empty_question_is_a_usage_error(env_real):
    r = runner.invoke(cli.app, ["ask", "  "])
    assert r.exit_code == 2


def test_eval_reports_metrics_on_the_dev_format(env_real, tmp_path):
    tsv = tmp_path / "qa.tsv"
    tsv.write_text(
        "# question\tanswer\n"
        "PFIの正式名称は？\tPrivate Finance Initiative\n"
        "大綱の計画期間は何年間？\t6年間\n"
        "児童手当の支給日はいつ？\t-\n",
        encoding="utf-8",
    )
    r = runner.invoke(cli.app, ["eval", str(tsv), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["hit_at_3"] == 1.0
    assert report["out_of_scope_refused"] == 1.0


def test_config_lists_every_variable_without_secrets(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value")
    r = runner.invoke(cli.app, ["config"])
    assert r.exit_code == 0
    assert "REFORMBOT_DATA_DIR=" in r.stdout
    assert "SLACK_BOT_TOKEN=(set)" in r.stdout
    assert "xoxb-secret-value" not in r.stdout


def test_help_starts_without_heavy_imports():
    code = "import sys; from bot import cli; cli._add_subcommands(); print(sorted(m for m in ('torch','sentence_transformers','faiss','numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_malformed_eval_file_is_one_line_naming_the_line(env_real, tmp_path):
    tsv = tmp_path / "bad.tsv"
    tsv.write_text("質問だけでタブがない\n", encoding="utf-8")
    r = runner.invoke(cli.app, ["eval", str(tsv)])
    assert r.exit_code == 2
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.output.strip().splitlines() == [f"error: {tsv}:1: expected 'question<TAB>answer text or -'"]


@pytest.mark.parametrize(
    "value, says",
    [("abc", "REFORMBOT_PORT='abc' is not a whole number: set it to e.g. REFORMBOT_PORT=8000 or unset it"),
     ("99999", "REFORMBOT_PORT must be a port number from 1 to 65535, not 99999"),
     ("0", "REFORMBOT_PORT must be a port number from 1 to 65535, not 0")],
)
def test_bad_port_setting_is_one_line_with_the_fix(monkeypatch, value, says):
    monkeypatch.setenv("REFORMBOT_PORT", value)
    for command in (["config"], ["serve"]):
        r = runner.invoke(cli.app, command)
        assert r.exit_code == 2, r.output
        assert r.output.strip().splitlines() == [f"error: {says}"]


def test_serve_port_option_out_of_range_is_a_usage_error():
    r = runner.invoke(cli.app, ["serve", "--port", "70000"])
    assert r.exit_code == 2
    assert "65535" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize(
    "args, says",
    [(["index", "build", "--source", "{missing}"], "Invalid value for '--source' / '-s': file '{missing}' does not exist."
                                                   " (see `reformbot index build --help`)"),
     (["proposals", "export", "--format", "xml"], "'xml' is not one of 'csv', 'json'."),
     (["ask", "--bogus", "x"], "error: No such option: --bogus (see `reformbot ask --help`)")],
)
def test_click_usage_errors_are_one_error_line_not_a_box(tmp_path, args, says):
    missing = str(tmp_path / "missing.txt")
    r = runner.invoke(cli.app, [a.format(missing=missing) for a in args], prog_name="reformbot")
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.output     # no Usage:/╭─ Error ─╮ box
    assert says.format(missing=missing) in lines[0]


def test_cli_log_shows_our_info_and_only_warnings_from_libraries():
    keep = cli._OwnInfoOnly().filter

    def rec(name, level):
        return logging.LogRecord(name, level, __file__, 1, "m", None, None)

    assert keep(rec("index.build", logging.INFO)) and keep(rec("bot.slack", logging.INFO))
    assert keep(rec("uvicorn.error", logging.INFO))
    assert not keep(rec("sentence_transformers.base.model", logging.INFO))   # "Loaded 2 prompts"
    assert not keep(rec("bm25s", logging.DEBUG))                            # bm25s forces DEBUG
    assert not keep(rec("index.store", logging.DEBUG))
    assert keep(rec("faiss", logging.WARNING)) and keep(rec("bm25s", logging.ERROR))


def test_ask_text_cites_the_quoted_answer_once(env_real):
    r = runner.invoke(cli.app, ["ask", "第７次大綱の計画期間は？"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    cite = next(i for i, line in enumerate(lines) if line.startswith("  — 出典: "))
    assert "計画期間" in lines[cite] and lines[cite].endswith("(大綱P.5)")
    assert "６年間（令和３年度から令和８年度まで）" in "\n".join(lines[:cite])
    assert r.stdout.count("６年間（令和３年度から令和８年度まで）") == 1


# --- serve: the port is checked before anything starts --------------------------------------------

@pytest.fixture
def held_port():
    """A port another program is listening on: a real socket, set up as uvicorn sets up its own."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.fixture
def no_server(monkeypatch):
    """Fail the test if `serve` goes on to build and run the server."""
    import bot.server

    def started(settings):
        raise AssertionError(f"the server was started on {settings.host}:{settings.port}")

    monkeypatch.setattr(bot.server, "serve", started)


@pytest.mark.parametrize("how", ["option", "environment"])
def test_serve_on_a_taken_port_is_one_line_naming_it_and_how_to_choose_another(held_port, no_server,
                                                                                monkeypatch, how):
    if how == "option":
        args = ["serve", "--port", str(held_port)]
    else:
        monkeypatch.setenv("REFORMBOT_PORT", str(held_port))
        args = ["serve"]
    r = runner.invoke(cli.app, args)
    assert r.exit_code == 1, r.output
    assert r.stdout == ""
    [line] = r.stderr.splitlines()
    nxt = held_port + 1
    assert line == (f"error: 127.0.0.1:{held_port} is already in use (another reformbot, or another program, "
                    f"is listening there): choose another port, e.g. `REFORMBOT_PORT={nxt} make run` "
                    f"or `reformbot serve --port {nxt}`")


def test_serve_on_an_address_not_of_this_machine_says_to_choose_another_host(no_server):
    r = runner.invoke(cli.app, ["serve", "--host", "192.0.2.1", "--port", "8000"])     # TEST-NET-1
    assert r.exit_code == 1, r.output
    [line] = r.stderr.splitlines()
    assert line.startswith("error: 192.0.2.1:8000 cannot be used: that address is not one of this machine's")
    assert "--host 127.0.0.1" in line


def test_port_check_lets_a_free_port_through_and_leaves_it_free(held_port):
    import socket

    from bot.ports import PortUnavailable, ensure_free

    with pytest.raises(PortUnavailable) as caught:
        ensure_free("127.0.0.1", held_port)
    assert (caught.value.host, caught.value.port, caught.value.host_problem) == ("127.0.0.1", held_port, False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    ensure_free("127.0.0.1", free)                   # no error
    ensure_free("127.0.0.1", free)                   # and the check did not keep it


def test_build_and_ask_read_the_admins_synonyms_file(env_real, monkeypatch, tmp_path):
    """`index build` says how many rules the synonyms file holds and which lines it skips;
    `ask` answers with them (no line for this word anywhere else)."""
    path = tmp_path / "synonyms.txt"
    path.write_text("ヨコモジ => 大綱\nひとこと\n", encoding="utf-8")
    monkeypatch.setenv("REFORMBOT_SYNONYMS_FILE", str(path))
    r = runner.invoke(cli.app, ["index", "build"])
    assert r.exit_code == 0, r.output
    assert f"synonyms: 1 rules from {path}" in r.stdout
    assert "line 2: equivalents need at least two words" in r.stderr
    asked = runner.invoke(cli.app, ["ask", "ヨコモジは何年間？", "--json"])
    assert asked.exit_code == 0, asked.output
    body = json.loads(asked.stdout)
    assert body["found"] is True and "6年間" in "".join(body["answer"].split()).replace("６", "6")
