"""Load held: a flood of the longest allowed questions from many clients, while the citizen form
and Slack are timed.

The real server (bot.server.create_app, real index, default model, Slack against the local Web
API emulator) runs under uvicorn with ``reformbot serve``'s options, trusting loopback as a proxy
so each flooding thread can claim its own client address (X-Forwarded-For). For ``--seconds``,
``--clients`` threads send 200-character questions back to back; meanwhile one probe fetches
``GET /proposals/new`` and posts a signed Slack event every 0.25 s. Prints the medians and p95 of
the probes, answers per second, and how the excess was refused (429 per client, 503 when the
pool is full). Writes benchmarks/results/flood.json.

    .venv/bin/python benchmarks/bench_flood.py [--clients 40] [--seconds 20]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))          # the emulator and payload helpers live with the tests
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "2")

from bench_serve import pct  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rate-limit", default="30/60", help="REFORMBOT_ASK_RATE_LIMIT for the run")
    args = ap.parse_args()

    import logging

    import httpx
    import uvicorn

    from bot.indexing import build_from_settings
    from bot.server import create_app, uvicorn_options
    from bot.service import MAX_QUESTION_CHARS, QAService
    from bot.settings import Settings
    from slack_emulator import SlackEmulator
    from slack_helpers import event_callback, mention, sign, slack_settings

    logging.basicConfig(level=logging.ERROR)
    tmp = Path(tempfile.mkdtemp(prefix="bench-flood-"))
    build_from_settings(Settings(data_dir=tmp / "data"))
    long_q = ("第７次行政改革大綱の計画期間と重点目標、市民協働の推進、デジタル化の取組について教えてください。" * 20)
    with SlackEmulator() as emulator:
        settings = replace(slack_settings(tmp / "data", emulator), ask_rate_limit=args.rate_limit,
                           forwarded_allow_ips="127.0.0.1")
        qa = QAService(settings)
        app = create_app(settings, qa=qa)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(2048)
        opts = {**uvicorn_options(settings), "log_level": "error", "backlog": 2048}
        opts.pop("host"), opts.pop("port")
        server = uvicorn.Server(uvicorn.Config(app, **opts))
        threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
        while not server.started:
            time.sleep(0.01)    # start-up only; nothing below is timed by sleeping
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"

        stop = threading.Event()
        codes: Counter = Counter()
        answer_ms: list[float] = []
        lock = threading.Lock()

        def flood(n: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as c:
                i = 0
                while not stop.is_set():
                    i += 1
                    t0 = time.perf_counter()
                    r = c.get("/api/ask", params={"q": f"{i}{long_q}"[:MAX_QUESTION_CHARS]},
                              headers={"X-Forwarded-For": f"10.2.{n // 250}.{n % 250 + 1}"})
                    with lock:
                        codes[r.status_code] += 1
                        if r.status_code == 200:
                            answer_ms.append((time.perf_counter() - t0) * 1000)

        threads = [threading.Thread(target=flood, args=(n,), daemon=True) for n in range(args.clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        form_ms, slack_ms = [], []
        with httpx.Client(base_url=url, timeout=60) as c:
            i = 0
            while time.perf_counter() - started < args.seconds:
                i += 1
                t0 = time.perf_counter()
                assert c.get("/proposals/new").status_code == 200
                form_ms.append((time.perf_counter() - t0) * 1000)
                body = json.dumps(event_callback(mention(f"計画期間は？{i}", channel="C0BENCH")))
                t0 = time.perf_counter()
                r = c.post("/slack/events", content=body, headers={"Content-Type": "application/json", **sign(body)})
                slack_ms.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, r.status_code
                stop.wait(0.25)      # probe pacing, not a measurement
        elapsed = time.perf_counter() - started
        stop.set()
        for t in threads:
            t.join(60)
        server.should_exit = True

    result = {
        "clients": args.clients, "seconds": round(elapsed, 1), "question_chars": MAX_QUESTION_CHARS,
        "workers": settings.ask_workers, "queue": settings.ask_queue, "rate_limit": args.rate_limit,
        "responses": dict(sorted(codes.items())), "answered_per_s": round(codes[200] / elapsed, 1),
        "answer_ms": {"p50": statistics.median(answer_ms), "p95": pct(answer_ms, 95)} if answer_ms else {},
        "form_ms": {"p50": statistics.median(form_ms), "p95": pct(form_ms, 95), "max": max(form_ms)},
        "slack_ack_ms": {"p50": statistics.median(slack_ms), "p95": pct(slack_ms, 95), "max": max(slack_ms)},
    }
    print(json.dumps(result, indent=1))
    out = ROOT / "benchmarks" / "results" / "flood.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
