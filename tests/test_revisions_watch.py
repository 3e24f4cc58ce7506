"""`index build --watch`: a changed source file becomes a new version; a bad edit keeps the old one."""
from __future__ import annotations

import threading

import revision_support as R
from bot.indexing import build_version_from_settings
from bot.settings import Settings
from index.versions import current_version, list_versions
from index.watch import SourceWatcher, watch


def test_poll_reports_content_changes_only(tmp_path):
    src = R.write_original(tmp_path)
    w = SourceWatcher([src])
    assert w.poll() == []
    src.touch()                                   # same bytes, new mtime: not a change
    assert w.poll() == []
    src.write_text(R.revise(src.read_text(encoding="utf-8")), encoding="utf-8")
    assert w.poll() == [src]
    assert w.poll() == []


def test_watch_builds_on_change_and_survives_a_bad_edit(tmp_path):
    src = R.write_original(tmp_path)
    settings = Settings(data_dir=tmp_path / "data", embedding_model="fake", sources=(src,))
    events: list[tuple[str, object]] = []
    cond = threading.Condition()

    def report(kind, value):
        with cond:
            events.append((kind, value))
            cond.notify_all()

    def wait_for(n_built: int, n_failed: int = 0) -> None:
        with cond:
            assert cond.wait_for(lambda: sum(k == "built" for k, _ in events) >= n_built
                                 and sum(k == "failed" for k, _ in events) >= n_failed, timeout=60), events

    stop = threading.Event()
    t = threading.Thread(target=watch, args=([src], lambda: build_version_from_settings(settings), report),
                         kwargs={"interval": 0.01, "stop": stop, "build_first": True})
    t.start()
    try:
        wait_for(1)
        v1 = current_version(settings.index_dir)
        src.write_text(R.revise(src.read_text(encoding="utf-8")), encoding="utf-8")
        wait_for(2)
        v2 = current_version(settings.index_dir)
        assert v2 != v1
        built = [v for k, v in events if k == "built"][-1]
        assert built.previous == v1 and 3 <= built.embedded <= 5
        src.write_bytes(b"\x00\x01 not an outline")          # a broken save
        wait_for(2, n_failed=1)
        assert current_version(settings.index_dir) == v2
        assert len(list_versions(settings.index_dir)) == 2
    finally:
        stop.set()
        t.join(timeout=30)
    assert not t.is_alive()
