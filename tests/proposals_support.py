"""Helpers for the proposals tests: a real uvicorn on a loopback port, form fetch/submit."""
from __future__ import annotations

import re
import socket
import threading
from contextlib import contextmanager

import httpx

VALID = {
    "title": "公民館の予約をオンラインで",
    "body": "公民館の会議室の予約を、窓口に行かなくてもスマートフォンからできるようにしてほしいです。",
    "goal": "3",
    "residency": "resident",
    "age_group": "40s",
    "name": "あつぎ太郎",
    "email": "taro@example.jp",
    "consent": "yes",
    "action": "submit",
}


_BUNDLED: list = []


def bundled_document():
    """The bundled outline as a parsed :class:`corpus.Document` (read once per session): what the
    form offers as goals (its three 重点目標) and how it names the plan and the city."""
    if not _BUNDLED:
        from corpus import load_document

        _BUNDLED.append(load_document())
    return _BUNDLED[0]


def old_database(path, receipts: list[str], published: bool = False) -> None:
    """A database as the code before issue 9 left it: the first migration only, sequential 受付番号,
    and (``published``) proposals published without any approved public text."""
    from sqlite_utils import Database

    from feedback.proposals.store import migrations

    db = Database(path)
    migrations.apply(db, stop_before="0002_receipt_secret")
    for i, no in enumerate(receipts, start=1):
        db.execute("INSERT INTO proposals (id, receipt_no, source, title, body, goal, residency, lang, created_at,"
                   " status, status_at, published, link_state) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (i, no, "citizen", f"旧提案{i}", "本文です。", "unknown", "resident", "ja", "2026-11-28T01:00:00Z",
                    "received", "2026-11-28T01:00:00Z", int(published), "linked"))
    db.conn.commit()
    db.conn.close()


def hidden(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert m, f"no hidden field {name}"
    return m.group(1)


def receipt_no(html: str) -> str:
    m = re.search(r'id="receipt-no">([^<]+)<', html)
    assert m, "no receipt number on the page"
    return m.group(1)


def fresh_form(client, lang: str | None = None) -> dict:
    """GET the form (sets the cookie on ``client``) and return its hidden fields."""
    r = client.get("/proposals/new" + (f"?lang={lang}" if lang else ""))
    assert r.status_code == 200
    return {"csrf_token": hidden(r.text, "csrf_token"), "form_id": hidden(r.text, "form_id"),
            "lang": hidden(r.text, "lang")}


def submit(client, **overrides) -> httpx.Response:
    """A complete, valid submission through a freshly fetched form."""
    data = {**fresh_form(client), **VALID, **overrides}
    return client.post("/proposals", data={k: v for k, v in data.items() if v is not None})


class LiveServer:
    """uvicorn serving ``app`` in a background thread on a pre-bound loopback socket.

    The socket is listening before the thread starts, so clients may connect at once (the kernel
    queues them until the loop accepts): no waiting or polling is needed.
    """

    def __init__(self, app, backlog: int = 2048):
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on", backlog=backlog,
                                timeout_keep_alive=30, limit_concurrency=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


@contextmanager
def live_server(app):
    with LiveServer(app) as server:
        yield server


def submit_many(url: str, n: int, threads: int, tag: str) -> list[tuple[str, str]]:
    """Submit ``n`` distinct proposals to a live server: ``threads`` threads, each with its own
    event loop, fetch their forms first and then send all their POSTs at once (so all ``n`` are in
    flight together).

    Returns:
        ``(title, receipt_no)`` for every submission (raises if any did not get a receipt).
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def batch(part: list[int]) -> list[tuple[str, str]]:
        limits = httpx.Limits(max_connections=len(part), max_keepalive_connections=len(part))
        async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as c:
            first = await c.get("/proposals/new")            # sets this client's cookie
            assert first.status_code == 200
            forms = []
            for _ in part:
                r = await c.get("/proposals/new")
                forms.append({"csrf_token": hidden(r.text, "csrf_token"), "form_id": hidden(r.text, "form_id")})

            async def post(i: int, form: dict) -> tuple[str, str]:
                title = f"{tag}-{i:04d}"
                r = await c.post("/proposals", data={**form, **VALID, "title": title,
                                                     "body": f"並行送信テスト {tag} {i}"})
                assert r.status_code == 200, r.status_code
                return title, receipt_no(r.text)

            return list(await asyncio.gather(*[post(i, f) for i, f in zip(part, forms)]))

    parts = [list(range(n))[k::threads] for k in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        return [pair for chunk in pool.map(lambda p: asyncio.run(batch(p)), parts) for pair in chunk]


def add_many(db_path: str, n: int, tag: str) -> list[str]:
    """Store ``n`` proposals straight through a ProposalStore (another process's writer)."""
    from feedback.proposals.model import ProposalInput
    from feedback.proposals.store import ProposalStore

    store = ProposalStore(db_path)
    out = []
    for i in range(n):
        p, _ = store.add(ProposalInput(title=f"{tag}-{i}", body="本文", goal="unknown", residency="other",
                                       submission_token=f"{tag}-{i}"))
        out.append(p.receipt_no)
    store.close()
    return out
