"""Serving benchmark: warm /api/ask latency, `reformbot ask` cold time, server peak RSS.

Builds the real index (bundled outline, default model) in a temporary data dir, starts
`reformbot serve` as a subprocess on a free loopback port, and sends a few hundred queries
one after another. Prints medians/p95 and writes benchmarks/results/serve.json.

    .venv/bin/python benchmarks/bench_serve.py [--queries 300] [--cold-runs 5]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEV = ROOT.parent / "shared" / "eval" / "dev_qa.tsv"
EXTRA = ["PFIとは何ですか", "第７次大綱の計画期間は？", "What does BCP stand for?", "ごみの収集日は？",
         "重点目標は？", "スマート自治体って？", "オープンデータは何件？", "市民協働の推進"]


def questions() -> list[str]:
    qs = list(EXTRA)
    if DEV.exists():
        for line in DEV.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                qs.append(line.split("\t")[0])
    return qs


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--cold-runs", type=int, default=5)
    args = ap.parse_args()

    data = Path(tempfile.mkdtemp(prefix="reformbot-bench-")) / "data"
    env = {**os.environ, "REFORMBOT_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1",
           "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}
    env = {k: v for k, v in env.items() if not k.startswith("SLACK_")}
    t = time.perf_counter()
    subprocess.run([BIN / "reformbot", "index", "build"], env=env, check=True, capture_output=True)
    build_s = time.perf_counter() - t

    cold = []
    for _ in range(args.cold_runs):
        t = time.perf_counter()
        subprocess.run([BIN / "reformbot", "ask", "PFIとは何ですか", "--json"], env=env, check=True,
                       capture_output=True)
        cold.append(time.perf_counter() - t)

    port = free_port()
    server = subprocess.Popen([BIN / "reformbot", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("server did not become healthy")
            time.sleep(0.2)
        qs = questions()
        lat = []
        with httpx.Client(base_url=base, timeout=30) as client:
            for q in qs[:10]:  # warm-up
                client.get("/api/ask", params={"q": q}).raise_for_status()
            for i in range(args.queries):
                q = qs[i % len(qs)]
                t = time.perf_counter()
                client.get("/api/ask", params={"q": q}).raise_for_status()
                lat.append((time.perf_counter() - t) * 1000)
        rss = peak_rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    result = {
        "index_build_s": round(build_s, 2),
        "ask_cold_s_median": round(statistics.median(cold), 2),
        "api_ask_warm_ms_p50": round(pct(lat, 50), 1),
        "api_ask_warm_ms_p95": round(pct(lat, 95), 1),
        "api_ask_warm_ms_max": round(max(lat), 1),
        "queries": len(lat),
        "server_peak_rss_mib": round(rss, 1),
        "targets": {"p50_ms": 25, "p95_ms": 60},
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "serve.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
