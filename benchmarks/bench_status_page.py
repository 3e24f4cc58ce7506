"""Status-page lookups under load (受付番号 + 照会キー), and whether a wrong number and a wrong key
take the same time.

The server runs in its own process (``--serve``), as ``reformbot serve`` would, over a SQLite file
with N proposals (their keys handed to the client through a file: benchmark only). The client
fetches the status form once (cookie + CSRF token), then POSTs lookups with C in flight, mixing
three kinds in random order: the right pair, a known number with a wrong key, and an unknown
number (of the same days as the real ones). Printed:
requests/s, p50/p95 per kind over HTTP; then, in this process without HTTP, the store's own lookup
(``ProposalStore.status_lookup``) timed for the three kinds, to compare a wrong key with an
unknown number without the noise of a network stack.

    .venv/bin/python benchmarks/bench_status_page.py [-n 3000] [-c 32] [--proposals 2000]

Writes JSON to benchmarks/results/bench_status_page.json.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

KINDS = ("right", "wrong_key", "unknown_number")


def seed(data_dir: Path, n: int) -> list[tuple[str, str]]:
    """``n`` proposals in a fresh store; their (受付番号, 照会キー), as the receipts showed them."""
    from feedback.proposals.model import ProposalInput
    from feedback.proposals.store import ProposalStore

    store = ProposalStore(data_dir / "reformbot.db")
    pairs = []
    for i in range(n):
        p, _ = store.add(ProposalInput(title=f"提案 {i}", body="本文です。", goal="unknown", submission_token=f"b{i}"))
        pairs.append((p.receipt_no, p.lookup_key))
    store.close()
    return pairs


def serve(fd: int, data_dir: str) -> None:
    """Server process: the proposals routes on uvicorn (one worker), lookups not rate limited, on
    the listening socket the parent passed down."""
    import logging

    import uvicorn
    from starlette.applications import Starlette

    from bot.settings import Settings
    from feedback.proposals.linking import ProposalPipeline
    from feedback.proposals.store import ProposalStore
    from feedback.proposals.web import proposal_routes

    logging.basicConfig(level=logging.ERROR)   # "no match" lookups are logged at INFO
    settings = Settings(data_dir=Path(data_dir), proposals_rate_limit="0")
    store = ProposalStore(settings.database_path)
    app = Starlette(routes=proposal_routes(settings, store, pipeline=ProposalPipeline(store)))
    print("READY", flush=True)
    # A socket object of the right family: uvicorn's own fd= wraps it as AF_UNIX, and asyncio then
    # leaves Nagle on for the TCP connections, which stalls each response ~40 ms (delayed ACK).
    sock = socket.socket(fileno=fd)
    uvicorn.Server(uvicorn.Config(app, log_level="error", backlog=4096)).run(sockets=[sock])


def lookups(pairs: list[tuple[str, str]], n: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """``n`` lookups (kind, number, key), a third of each kind, shuffled. Unknown numbers are of the
    same days as the real ones (what someone guessing would try), so they fall all over the index
    as real numbers do, not into one hot corner of it."""
    issued = {no for no, _ in pairs}
    days = sorted({no.split("-")[0] for no in issued})
    out = []
    for i in range(n):
        kind = KINDS[i % 3]
        at = rng.randrange(len(pairs))
        no, key = pairs[at]
        if kind == "wrong_key":      # another proposal's key
            key = pairs[(at + rng.randrange(1, len(pairs))) % len(pairs)][1]
        elif kind == "unknown_number":
            while no in issued:
                no = f"{rng.choice(days)}-{rng.randrange(100000):05d}"
        out.append((kind, no, key))
    rng.shuffle(out)       # in random order: no kind always follows another (caches, GC)
    return out


async def client(port: int, todo: list[tuple[str, str, str]], concurrency: int) -> dict:
    from bench_proposals import Conn

    conns = [Conn(port) for _ in range(concurrency)]
    _, headers, text = await conns[0].request("GET", "/proposals/status")
    cookie = headers["set-cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]*)"', text).group(1)   # one per browser cookie
    latencies: dict[str, list[float]] = {k: [] for k in KINDS}
    statuses: dict[str, set] = {k: set() for k in KINDS}

    async def run(conn, items):
        for kind, no, key in items:
            body = urlencode({"csrf_token": token, "lang": "ja", "receipt": no, "key": key}).encode()
            s = time.perf_counter()
            status, _, _ = await conn.request("POST", "/proposals/status", body, cookie=cookie)
            latencies[kind].append(time.perf_counter() - s)
            statuses[kind].add(status)

    t0 = time.perf_counter()
    await asyncio.gather(*[run(c, todo[i::concurrency]) for i, c in enumerate(conns)])
    elapsed = time.perf_counter() - t0
    for c in conns:
        if c.writer is not None:
            c.writer.close()
    return {"elapsed": elapsed, "latencies": latencies, "statuses": {k: sorted(v) for k, v in statuses.items()}}


def in_process(data_dir: Path, pairs: list[tuple[str, str]], rounds: int, rng: random.Random) -> dict:
    """The store's lookup alone, the three kinds shuffled, microseconds."""
    from feedback.proposals.store import ProposalStore

    store = ProposalStore(data_dir / "reformbot.db")
    todo = lookups(pairs, rounds * 3, rng)
    times: dict[str, list[float]] = {k: [] for k in KINDS}
    for kind, no, key in todo[:300]:          # warm the page cache
        store.status_lookup(no, key)
    for kind, no, key in todo:
        s = time.perf_counter()
        found = store.status_lookup(no, key)
        times[kind].append((time.perf_counter() - s) * 1e6)
        assert (found is not None) == (kind == "right"), kind
    store.close()
    return times


def summary(values: list[float], scale: float = 1.0) -> dict:
    values = sorted(v * scale for v in values)
    return {"n": len(values), "p50": statistics.median(values), "p95": values[int(0.95 * (len(values) - 1))]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=3000, help="lookups over HTTP")
    ap.add_argument("-c", type=int, default=32, help="requests in flight")
    ap.add_argument("--proposals", type=int, default=2000, help="proposals in the database")
    ap.add_argument("--serve", nargs=2, metavar=("FD", "DATA_DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1])
        return

    rng = random.Random(13)
    data_dir = Path(tempfile.mkdtemp(prefix="bench-status-"))
    t0 = time.perf_counter()
    pairs = seed(data_dir, args.proposals)
    seed_s = time.perf_counter() - t0
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    port = sock.getsockname()[1]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(sock.fileno()), str(data_dir)],
                              stdout=subprocess.PIPE, text=True, env=env, pass_fds=[sock.fileno()])
    try:
        assert server.stdout.readline().strip() == "READY", "server did not start"
        out = asyncio.run(client(port, lookups(pairs, args.n, rng), args.c))
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    direct = in_process(data_dir, pairs, 3000, rng)

    report = {
        "lookups": args.n, "concurrency": args.c, "proposals": args.proposals, "cores": os.cpu_count(),
        "seed_s": seed_s, "lookups_per_s": args.n / out["elapsed"],
        "http_ms": {k: summary(v, 1000) for k, v in out["latencies"].items()},
        "http_status": out["statuses"],
        "store_us": {k: summary(v) for k, v in direct.items()},
    }
    report["store_wrong_key_vs_unknown_number_p50_us"] = (
        report["store_us"]["wrong_key"]["p50"] - report["store_us"]["unknown_number"]["p50"])
    print(json.dumps(report, indent=2))
    res = ROOT / "benchmarks" / "results"
    res.mkdir(parents=True, exist_ok=True)
    (res / "bench_status_page.json").write_text(json.dumps(report, indent=2))
    if out["statuses"] != {"right": [200], "wrong_key": [404], "unknown_number": [404]}:
        sys.exit(f"FAIL: unexpected statuses {out['statuses']}")


if __name__ == "__main__":
    main()
