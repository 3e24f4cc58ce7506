"""Slack bot latency: server-side time from event receipt to chat.postMessage, on the emulator.

A real uvicorn serves the Slack routes (signed app_mention events over loopback HTTP); the Slack
Web API emulator from tests/ records chat.postMessage. An ASGI wrapper stamps each request when
it reaches the server, so "receipt → post" excludes the client; "ack" is the HTTP round trip as
Slack would see it. Everything runs in one process (perf_counter is comparable), which adds GIL
contention the real deployment does not have: the figures are an upper bound.

    .venv/bin/python benchmarks/bench_slack.py [-n 200] [--burst 50] [--qa fake|real] [--data-dir DIR]

``--qa real`` answers with the real index and default model (built into a temporary data dir
unless ``--data-dir`` holds one). Prints p50/p95 and writes benchmarks/results/bench_slack.json.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))          # the emulator and payload helpers live with the tests
os.environ.setdefault("HF_HUB_OFFLINE", "1")

QUESTIONS = [
    "第７次大綱の計画期間は？", "PFIとは何ですか", "３つの重点目標は？", "BCPって？", "What does BCP stand for?",
    "ごみの収集日は？", "市民協働の取組は？", "DXの推進について", "第１期実施計画の期間は？", "What is PPP?",
]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stamp:
    """ASGI wrapper: perf_counter at request arrival, keyed by the X-Bench-Id header."""

    def __init__(self, app):
        self.app = app
        self.arrived: dict[str, float] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            for k, v in scope["headers"]:
                if k == b"x-bench-id":
                    self.arrived[v.decode()] = time.perf_counter()
        await self.app(scope, receive, send)


def make_qa(kind: str, data_dir: str | None):
    if kind == "fake":
        from slack_helpers import FakeQA

        return FakeQA(unanswerable={"ごみの収集日は？"})
    from bot.service import QAService
    from bot.settings import Settings

    data = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="bench-slack-index-")) / "data"
    settings = Settings(data_dir=data)
    if not settings.index_dir.exists():
        from bot.indexing import build_from_settings

        print("building the real index …", file=sys.stderr)
        build_from_settings(settings)
    qa = QAService(settings)
    qa.ask("大綱")  # warm: model and index loaded
    return qa


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=200, help="sequential events (each waits for its reply)")
    ap.add_argument("--burst", type=int, default=50, help="events sent at once afterwards (0: skip)")
    ap.add_argument("--qa", choices=["fake", "real"], default="fake")
    ap.add_argument("--data-dir", default=None, help="data dir with a built index (for --qa real)")
    args = ap.parse_args()

    import logging

    import httpx
    import uvicorn
    from starlette.applications import Starlette

    from bot.slack import build_slack_app, slack_bot, slack_routes
    from slack_emulator import SlackEmulator
    from slack_helpers import event_callback, mention, sign, slack_settings

    logging.basicConfig(level=logging.WARNING)
    qa = make_qa(args.qa, args.data_dir)
    tmp = Path(tempfile.mkdtemp(prefix="bench-slack-"))
    with SlackEmulator() as emulator:
        settings = slack_settings(tmp / "data", emulator)
        bolt_app = build_slack_app(settings, qa)
        app = Stamp(Starlette(routes=slack_routes(bolt_app)))
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)   # benchmark start-up only; measurements below wait on the emulator

        client = httpx.Client(base_url=f"http://127.0.0.1:{port}")

        def send(i: int) -> tuple[str, float]:
            event = mention(QUESTIONS[i % len(QUESTIONS)], channel=f"C{i:06d}")
            raw = json.dumps(event_callback(event), ensure_ascii=False)
            headers = {"Content-Type": "application/json", "X-Bench-Id": event["ts"], **sign(raw)}
            t0 = time.perf_counter()
            r = client.post("/slack/events", content=raw.encode(), headers=headers)
            assert r.status_code == 200, r.text
            return event["ts"], time.perf_counter() - t0

        def reply_time(ts: str) -> float:
            [post] = emulator.wait_for("chat.postMessage", where=lambda c: c.body.get("thread_ts") == ts, timeout=60)
            return post.at - app.arrived[ts]

        for i in range(5):  # warm-up
            reply_time(send(i)[0])
        emulator.reset()

        acks, replies = [], []
        for i in range(args.n):
            ts, ack = send(i)
            acks.append(ack)
            replies.append(reply_time(ts))

        burst = []
        if args.burst:
            emulator.reset()
            sent = [send(10_000 + i)[0] for i in range(args.burst)]
            burst = [reply_time(ts) for ts in sent]

        slack_bot(bolt_app).close()
        server.should_exit = True
        thread.join(10)

    ms = lambda xs: round(1000 * xs, 2)  # noqa: E731
    result = {
        "qa": args.qa,
        "n": args.n,
        "receipt_to_post_ms": {"p50": ms(statistics.median(replies)), "p95": ms(percentile(replies, 95)),
                               "max": ms(max(replies))},
        "ack_ms": {"p50": ms(statistics.median(acks)), "p95": ms(percentile(acks, 95))},
        "burst": {"n": len(burst), "receipt_to_post_p50_ms": ms(statistics.median(burst)) if burst else None,
                  "receipt_to_post_p95_ms": ms(percentile(burst, 95)) if burst else None},
        "cpu_count": os.cpu_count(),
    }
    print(f"QA: {args.qa}; {args.n} sequential app_mention events over loopback HTTP")
    print(f"  receipt → chat.postMessage  p50 {result['receipt_to_post_ms']['p50']} ms   p95 {result['receipt_to_post_ms']['p95']} ms")
    print(f"  ack (HTTP round trip)       p50 {result['ack_ms']['p50']} ms   p95 {result['ack_ms']['p95']} ms")
    if burst:
        print(f"  burst of {len(burst)} at once: receipt → post p50 {result['burst']['receipt_to_post_p50_ms']} ms"
              f"   p95 {result['burst']['receipt_to_post_p95_ms']} ms")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"bench_slack_{args.qa}.json").write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
