"""Shared test set-up: an isolated environment, and the real index built once per session."""
from __future__ import annotations

import os

import pytest

# Before anything imports numpy/torch: no model hub, and no more threads than cores.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")


def pytest_addoption(parser):
    parser.addoption(
        "--clock-start", metavar="ISO_DATETIME", default=None,
        help="run the whole suite with the wall clock starting at this instant and ticking "
             "(e.g. 2026-11-27T23:59:58+09:00, just before midnight JST); the monotonic clock "
             "is left alone. Proves that no test depends on the date or the time of day.")


def pytest_configure(config):
    start = config.getoption("--clock-start", default=None)
    if start:
        from datetime import datetime

        import time_machine

        when = datetime.fromisoformat(start)
        if when.tzinfo is None:
            raise pytest.UsageError("--clock-start needs a UTC offset, e.g. 2026-11-27T23:59:58+09:00")
        config._reformbot_clock = time_machine.travel(when, tick=True)
        config._reformbot_clock.start()


def pytest_unconfigure(config):
    travel = getattr(config, "_reformbot_clock", None)
    if travel is not None:
        travel.stop()


def pytest_report_header(config):
    import time

    start = config.getoption("--clock-start", default=None)
    return f"reformbot: TZ={os.environ.get('TZ', '(unset)')} {time.strftime('%Z %z')}" + (
        f", wall clock started at {start}" if start else "")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """Strip Slack and reformbot settings so a developer's shell cannot leak into a test."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "REFORMBOT_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(tmp_path / "data"))
    yield


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory):
    """Settings whose data dir holds the real index: bundled outline, real default model."""
    from bot.settings import Settings
    from bot.indexing import build_from_settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("real-index") / "data")
    build_from_settings(settings)
    return settings


@pytest.fixture(scope="session")
def real_qa(real_settings):
    """A QAService over the real index (model loaded once per session)."""
    from bot.service import QAService

    qa = QAService(real_settings)
    qa.ask("大綱")  # warm
    return qa
