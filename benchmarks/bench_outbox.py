"""Mail outbox throughput: answers queued in SQLite, sent by the outbox worker to a local SMTP server.

A real aiosmtpd server on loopback (tests/smtp_support.py) takes the mail; the worker runs its
real path (claim, hand-over record, one SMTP connection per message, mark sent) on a real SQLite
file. Each round queues ``-n`` answers to citizens who left an address, then drains the outbox in
the calling thread. Prints medians over the rounds and writes benchmarks/results/bench_outbox.json.

    .venv/bin/python benchmarks/bench_outbox.py [-n 200] [--rounds 5] [--starttls]

``--starttls`` makes the server offer STARTTLS with a self-signed certificate (openssl) and a login,
as a city mail server on port 587 would: TLS handshakes dominate then.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))          # the SMTP server helper lives with the tests


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="answers (mails) per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--starttls", action="store_true", help="STARTTLS and a login, like port 587")
    args = parser.parse_args()

    from feedback.mail import Mailer, parse_smtp_url
    from feedback.proposals.model import ProposalInput
    from feedback.proposals.outbox import OutboxWorker
    from feedback.proposals.store import ProposalStore
    from smtp_support import SmtpServer, make_certificate

    tmp = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    server_kwargs: dict = {}
    if args.starttls:
        server_kwargs = {"tls": "starttls", "cert": make_certificate(tmp), "users": {"reformbot": "bench-pw"}}
    rounds = []
    with SmtpServer(**server_kwargs) as server:
        url = server.url_with("reformbot", "bench-pw") if args.starttls else server.url
        context = server.client_context() if args.starttls else None
        store = ProposalStore(tmp / "reformbot.db")
        sends: list[float] = []

        class TimedMailer(Mailer):
            def send(self, msg, **kw):
                t = time.perf_counter()
                try:
                    super().send(msg, **kw)
                finally:
                    sends.append(time.perf_counter() - t)

        worker = OutboxWorker(store, TimedMailer(parse_smtp_url(url), ssl_context=context, timeout=10),
                              "厚木市 行政経営課 <gyokaku@example.jp>")
        for r in range(args.rounds):
            queue_ms = []
            for i in range(args.n):
                p, _ = store.add(ProposalInput(title=f"提案 {r}-{i}", body="公民館の予約をオンラインで。", goal="3",
                                               email=f"citizen{i}@example.jp"))
                t = time.perf_counter()
                store.answer(p.id, "ご提案ありがとうございます。令和９年度から始めます。", "done", published=False,
                             author="cli:bench")
                queue_ms.append((time.perf_counter() - t) * 1000)
            sends.clear()
            before = len(server.messages)
            t = time.perf_counter()
            while worker.send_due():
                pass
            elapsed = time.perf_counter() - t
            delivered = len(server.messages) - before
            assert delivered == args.n, f"round {r}: {delivered} of {args.n} delivered"
            rounds.append({"messages_per_s": args.n / elapsed, "drain_s": elapsed,
                           "send_ms_p50": statistics.median(sends) * 1000,
                           "send_ms_p95": percentile(sends, 95) * 1000,
                           "answer_with_outbox_ms_p50": statistics.median(queue_ms)})
            print(f"round {r + 1}: {args.n} mails in {elapsed:.2f} s = {args.n / elapsed:.0f}/s, "
                  f"send p50 {rounds[-1]['send_ms_p50']:.1f} ms", flush=True)
        counts = store.outbox_counts()
        store.close()
    assert counts["sent"] == args.n * args.rounds and counts["failed"] == 0, counts
    result = {
        "n": args.n, "rounds": args.rounds, "starttls": args.starttls,
        **{f"median_{k}": round(statistics.median(r[k] for r in rounds), 3) for k in rounds[0]},
        "duplicates": len(server.messages) - len({m.message["Message-ID"] for m in server.messages}),
    }
    print(f"median over {args.rounds} rounds: {result['median_messages_per_s']:.0f} messages/s, "
          f"send p50 {result['median_send_ms_p50']:.1f} ms / p95 {result['median_send_ms_p95']:.1f} ms, "
          f"store.answer with its outbox row p50 {result['median_answer_with_outbox_ms_p50']:.2f} ms, "
          f"{result['duplicates']} duplicate Message-IDs")
    out = ROOT / "benchmarks" / "results" / "bench_outbox.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
