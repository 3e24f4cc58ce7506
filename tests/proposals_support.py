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


def lookup_key(html: str) -> str:
    """The 照会キー a receipt page shows."""
    m = re.search(r'id="lookup-key"[^>]*>([^<]+)<', html)
    assert m, "no lookup key on the page"
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


def status_form(client, receipt: str | None = None, lang: str | None = None) -> dict:
    """GET the status page (sets the cookie on ``client``) and return its hidden fields."""
    query = "&".join(f"{k}={v}" for k, v in (("lang", lang), ("receipt", receipt)) if v)
    r = client.get("/proposals/status" + (f"?{query}" if query else ""))
    assert r.status_code == 200
    return {"csrf_token": hidden(r.text, "csrf_token"), "lang": hidden(r.text, "lang")}


def look_up(client, receipt: str, key: str, lang: str | None = None) -> httpx.Response:
    """POST a status lookup through a freshly fetched status page."""
    data = {**status_form(client, lang=lang), "receipt": receipt, "key": key}
    return client.post("/proposals/status" + (f"?lang={lang}" if lang else ""), data=data)


def without_token(html: str) -> str:
    """A page with its CSRF token taken out (it differs on every render)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', html)


def publish(store, ref, title: str | None = None, excerpt: str | None = None, actor: str = "cli:test"):
    """Publish a proposal with approved public text (by default the masked draft)."""
    from feedback.proposals.model import PublicText

    draft = store.public_draft(ref)
    return store.set_published(ref, True, actor, public=PublicText(title or draft.title, excerpt or draft.excerpt))


def insert_answer(store, pid: int, text: str, *, status: str = "done", published: bool = True,
                  author: str = "cli:test", at: str = "2026-12-01T01:00:00Z") -> bool:
    """Record the city's answer in ``proposal_answers`` (migration 0004_answers, from the answers
    branch) when this database has that table.

    Returns:
        False when the table does not exist here (the answers branch is not merged yet).
    """
    con = store.db.conn
    with store._lock:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'proposal_answers'").fetchone():
            return False
        con.execute("INSERT INTO proposal_answers (proposal_id, text, status, published, author, created_at)"
                    " VALUES (?,?,?,?,?,?)", (pid, text, status, int(published), author, at))
        con.commit()
    return True


class StandInAnswer:
    """The fields of ``ProposalAnswer`` (model.py on the answers branch), for stores that have no
    answers yet: ``text``, ``status``, ``published``, ``author``, ``created_at``."""

    def __init__(self, text: str, status: str = "done", published: bool = True, author: str = "cli:suzuki",
                 created_at: str = "2026-12-01T01:00:00Z"):
        self.text, self.status, self.published, self.author, self.created_at = (
            text, status, published, author, created_at)


def answering_store(path, answers: dict | None = None, **kwargs):
    """A real ProposalStore whose ``current_answer(pid)`` returns ``answers[pid]`` (the answers
    branch's method, stood in for until it is merged; the pages read it only through
    ``public.public_answer``)."""
    from feedback.proposals.store import ProposalStore

    class AnsweringStore(ProposalStore):
        def current_answer(self, pid: int):
            return self.answers.get(pid)

    store = AnsweringStore(path, **kwargs)
    store.answers = dict(answers or {})
    return store
