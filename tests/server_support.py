"""A real reformbot server for tests: uvicorn on a free loopback port, run as ``reformbot serve`` runs it."""
from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

from bot.server import uvicorn_options
from bot.settings import Settings


@contextmanager
def live(app, settings: Settings):
    """``app`` on a free loopback port, run with ``reformbot serve``'s uvicorn options.

    Yields ``(base URL, port)``.
    """
    import uvicorn

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    opts = {**uvicorn_options(settings), "log_level": "warning", "lifespan": "on", "backlog": 2048}
    opts.pop("host"), opts.pop("port")
    server = uvicorn.Server(uvicorn.Config(app, **opts))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
