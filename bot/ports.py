"""Can the server listen where it is told to? Checked before start-up, so the answer is one clear line.

uvicorn reports a taken port as a bare ``[Errno 98] address already in use`` log line after the app
was built; ``reformbot serve`` asks first, binding the address the way uvicorn will.
"""
from __future__ import annotations

import errno
import socket


class PortUnavailable(OSError):
    "The server cannot listen on the configured address and port."

    def __init__(self, host: str, port: int, reason: str, *, host_problem: bool = False):
        super().__init__(f"{_address(host, port)} {reason}")
        self.host, self.port, self.reason = host, port, reason
        self.host_problem = host_problem      # the fix is another host, not another port


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def ensure_free(host: str, port: int) -> None:
    """Bind ``host:port`` as uvicorn does (IPv6 when the host has a colon, ``SO_REUSEADDR``), then let go.

    ``SO_REUSEADDR`` keeps a port whose last server just stopped (TIME_WAIT) usable, as it is for
    uvicorn; a port another program is listening on still fails.

    Raises:
        PortUnavailable: the port is taken, needs privileges, or the host is not this machine's.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except socket.gaierror as exc:
        raise PortUnavailable(host, port, f"cannot be used: the host name does not resolve ({exc.strerror})",
                              host_problem=True) from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortUnavailable(host, port, "is already in use (another reformbot, or another program, "
                                              "is listening there)") from None
        if exc.errno == errno.EACCES:
            raise PortUnavailable(host, port, "cannot be used: permission denied (ports below 1024 need "
                                              "administrator rights)") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise PortUnavailable(host, port, "cannot be used: that address is not one of this machine's",
                                  host_problem=True) from None
        raise PortUnavailable(host, port, f"cannot be used: {exc.strerror or exc}") from None
