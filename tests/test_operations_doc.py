"""docs/operations.md is run, not just read.

Every fenced block of the page is preceded by ``<!-- run: NAME -->`` (a test here runs it) or
``<!-- not run here: REASON -->`` (it needs systemd as PID 1, root on the target machine, a second
machine or the network). The runbook test plays the page like an operator would, on this machine:

* the service's own ``ExecStart=`` line, with the ``EnvironmentFile=`` from the page, starts a
  real server on the real index; the page's nginx config runs in front of it with TLS;
* through nginx, the per-client rate limit sees each client (``X-Forwarded-For``, a forged one
  included) and cookies are ``Secure`` (``X-Forwarded-Proto``); Prometheus' scrape config is
  followed to the letter; the metrics table lists exactly what ``/metrics`` serves;
* the shell blocks run with bash: index build, scrape, layout and permissions, the backup (with
  its rotation) while the server runs, restore, rebuild, health, and a move to a second "machine"
  (another directory tree).

What changes between the page and this machine is only where things live. :func:`localize` maps
the page's absolute paths under a temporary root, drops ``sudo -u reformbot`` (there is one user
here: the test's), runs ``reformbot`` from this checkout, and gives the server and nginx free
ports. Nothing else in a block is changed.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import ssl
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.settings import Settings, describe

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "operations.md"
PY = sys.executable
RUN = {"env-file", "systemd-unit", "index-build", "nginx", "scrape", "prometheus", "layout", "permissions",
       "backup", "restore", "rebuild", "health", "move-pack", "move-unpack"}
"""The blocks this module runs, by the name in their ``<!-- run: NAME -->`` comment."""
TOKEN = "4f1c0b9e8d7a6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b"
"""What an operator would paste into REFORMBOT_METRICS_TOKEN (the page: openssl rand -hex 32)."""


# --- reading the page -------------------------------------------------------------------------

@dataclass
class Block:
    lang: str
    body: str
    line: int
    run: str | None          # the name in <!-- run: NAME -->
    skip: str | None         # the reason in <!-- not run here: REASON -->


FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
MARK = re.compile(r"<!--\s*(run|not run here):\s*(.*?)\s*-->\s*$", re.S)


def doc_blocks() -> list[Block]:
    text = DOC.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = MARK.search(before)
        kind, value = (mark.group(1), mark.group(2)) if mark else (None, None)
        out.append(Block(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1,
                         value if kind == "run" else None, value if kind == "not run here" else None))
    return out


def block(name: str) -> Block:
    [found] = [b for b in doc_blocks() if b.run == name]
    return found


def localize(text: str, root: Path, *, port: int = 8000, transfer: Path | None = None) -> str:
    """The page's text for this machine: its paths under ``root``, one user, this checkout."""
    pairs = [
        ("sudo -u reformbot ", ""),                      # one user here: the test's
        ("sudo ", ""),
        (" -o reformbot -g reformbot", ""),
        ("/opt/reformbot/.venv/bin/reformbot", f"{PY} -m bot.cli"),   # this checkout's code
        ("/opt/reformbot/.venv/bin/python", PY),
        ("/opt/reformbot", str(ROOT)),
        ("/var/lib/reformbot", f"{root}/var/lib/reformbot"),
        ("/var/backups/reformbot", f"{root}/var/backups/reformbot"),
        ("/etc/reformbot", f"{root}/etc/reformbot"),
        ("/etc/prometheus", f"{root}/etc/prometheus"),
        ("/tmp/reformbot-move.tar.gz", str(transfer or root / "transfer.tar.gz")),
        ("tar -C / ", f"tar -C {root}/ "),
        ("127.0.0.1:8000", f"127.0.0.1:{port}"),
        ("REFORMBOT_PORT=8000", f"REFORMBOT_PORT={port}"),
    ]
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def env_file(text: str) -> dict[str, str]:
    """KEY=value lines as systemd's EnvironmentFile= reads them (comments and blanks skipped)."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def unit_values(text: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def base_env() -> dict[str, str]:
    """The environment of the commands: this checkout importable, no settings from the shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REFORMBOT_", "SLACK_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["HF_HUB_OFFLINE"] = env["TRANSFORMERS_OFFLINE"] = "1"
    return env


def bash(script: str, *, env: dict | None = None, timeout: float = 300) -> str:
    """Run a block with bash, stopping at the first failing command (pipes included)."""
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=ROOT, env=env or base_env(),
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"exit {done.returncode}\n--- script\n{script}\n--- stdout\n{done.stdout}\n" \
                                 f"--- stderr\n{done.stderr}"
    return done.stdout


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if found is None:
        pytest.fail("nginx is missing: apt-get install -y nginx (make test does this)")
    return found


# --- the page's shape --------------------------------------------------------------------------

def test_every_block_is_run_or_says_why_not():
    blocks = doc_blocks()
    unmarked = [f"line {b.line}" for b in blocks if not (b.run or b.skip)]
    assert unmarked == [], "each block needs <!-- run: NAME --> or <!-- not run here: REASON -->"
    names = [b.run for b in blocks if b.run]
    assert sorted(names) == sorted(RUN), "a block to run with no test here, or a test whose block is gone"
    skipped = [b for b in blocks if b.skip]
    assert all(len(b.skip) > 10 for b in skipped)
    # Only what truly needs the target machine is skipped: systemctl, journalctl, users, the network.
    for b in skipped:
        assert re.search(r"systemctl|journalctl|useradd|chown|git |make install|nginx -t", b.body), b.line


def test_the_env_file_holds_settings_the_code_reads(tmp_path):
    text = block("env-file").body
    values = env_file(text)
    known = {var for var, _, _ in describe()}
    named = set(re.findall(r"\b(?:REFORMBOT|SLACK)_[A-Z0-9_]*[A-Z0-9]\b", text))
    assert named - known == set(), "the env file names a variable no setting reads"
    settings = Settings.from_env(values)
    assert settings.data_dir == Path("/var/lib/reformbot") and settings.host == "127.0.0.1"
    assert settings.port == 8000 and settings.forwarded_allow_ips == "127.0.0.1"
    assert settings.metrics_token == ""                 # empty as shipped: /metrics for this machine only
    # `reformbot config` reads the same file the way the service does
    env = {**base_env(), **env_file(localize(text, tmp_path))}
    out = subprocess.run([PY, "-m", "bot.cli", "config"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"REFORMBOT_DATA_DIR={tmp_path}/var/lib/reformbot" in out.stdout
    assert "REFORMBOT_METRICS_TOKEN=(not set)" in out.stdout


def test_the_systemd_unit_verifies(tmp_path):
    text = block("systemd-unit").body
    values = unit_values(text)
    for key, expected in [("User", "reformbot"), ("EnvironmentFile", "/etc/reformbot/reformbot.env"),
                          ("StateDirectory", "reformbot"), ("StateDirectoryMode", "0700"), ("UMask", "0077"),
                          ("Restart", "on-failure"), ("ProtectSystem", "strict"),
                          ("ReadWritePaths", "/var/lib/reformbot"), ("NoNewPrivileges", "yes")]:
        assert values.get(key) == [expected], key
    [exec_start] = values["ExecStart"]
    assert shlex.split(exec_start)[1:] == ["serve", "--forwarded-allow-ips", "127.0.0.1"]
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    script = Path(PY).with_name("reformbot")             # the console script `make install` puts in .venv/bin
    assert script.exists(), script
    unit = tmp_path / "reformbot.service"
    unit.write_text(text.replace("/opt/reformbot/.venv/bin/reformbot", str(script)), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    # verify exits 0 on unknown keys and bad values and only says so: any output is a finding
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_nginx_config_passes_nginx_t(tmp_path):
    site = Nginx(tmp_path, backend_port=free_port())
    site.check()


# --- nginx around the page's server block -------------------------------------------------------

class Nginx:
    """The page's server blocks in a minimal nginx.conf of our own, on free loopback ports."""

    def __init__(self, where: Path, backend_port: int):
        self.dir = where / "nginx"
        self.dir.mkdir()
        self.http_port, self.https_port = free_port(), free_port()
        self.cert, self.key = self.dir / "cert.pem", self.dir / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-keyout",
                        str(self.key), "-out", str(self.cert), "-subj", "/CN=reformbot.example.jp", "-addext",
                        "subjectAltName=DNS:reformbot.example.jp,IP:127.0.0.1"], check=True, capture_output=True)
        site = block("nginx").body
        for old, new in [("listen 80;", f"listen 127.0.0.1:{self.http_port};"), ("listen [::]:80;", ""),
                         ("listen 443 ssl;", f"listen 127.0.0.1:{self.https_port} ssl;"), ("listen [::]:443 ssl;", ""),
                         ("/etc/ssl/reformbot/fullchain.pem", str(self.cert)),
                         ("/etc/ssl/reformbot/privkey.pem", str(self.key)),
                         ("http://127.0.0.1:8000", f"http://127.0.0.1:{backend_port}")]:
            assert old in site, f"the page's nginx config no longer has {old!r}"
            site = site.replace(old, new)
        (self.dir / "reformbot.conf").write_text(site, encoding="utf-8")
        temp = "\n".join(f"    {kind}_temp_path {self.dir}/{kind};" for kind in
                         ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (self.dir / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")          # workers may write our temp dirs
            + f"daemon off;\nworker_processes 1;\npid {self.dir}/nginx.pid;\nerror_log {self.dir}/error.log;\n"
            f"events {{ worker_connections 128; }}\n"
            f"http {{\n    access_log off;\n{temp}\n    include {self.dir}/reformbot.conf;\n}}\n", encoding="utf-8")
        self.argv = [nginx_binary(), "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
                     "-e", str(self.dir / "error.log")]
        self.process: subprocess.Popen | None = None

    def check(self) -> None:
        done = subprocess.run([*self.argv, "-t"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "test is successful" in done.stderr, done.stderr

    def __enter__(self) -> "Nginx":
        self.check()
        self.process = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:                                   # nginx says nothing when it is ready: connect
            assert self.process.poll() is None, (self.dir / "error.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return self
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start listening"
                threading.Event().wait(0.05)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(30)

    def client(self, source: str, **kw) -> httpx.Client:
        """A client connecting from ``source`` (any 127.x address is this machine) over TLS."""
        tls = ssl.create_default_context(cafile=str(self.cert))
        return httpx.Client(base_url=f"https://127.0.0.1:{self.https_port}", verify=tls, timeout=60,
                            transport=httpx.HTTPTransport(local_address=source, verify=tls), **kw)


# --- the service, started as the unit starts it ---------------------------------------------------

class Service:
    """``ExecStart=`` of the page's unit, with its ``EnvironmentFile=``, ``WorkingDirectory=`` and ``UMask=``."""

    def __init__(self, root: Path, port: int):
        unit = unit_values(localize(block("systemd-unit").body, root, port=port))
        [env_path] = unit["EnvironmentFile"]
        self.env = {**base_env(), **env_file(Path(env_path).read_text(encoding="utf-8"))}
        self.argv = shlex.split(unit["ExecStart"][0])
        self.cwd = unit["WorkingDirectory"][0]
        self.umask = int(unit["UMask"][0], 8)
        self.lines: list[str] = []
        self.ready = threading.Event()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)
            if "Uvicorn running on" in line:
                self.ready.set()

    def __enter__(self) -> "Service":
        self.process = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, umask=self.umask, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(180):               # the unit's TimeoutStartSec
            self.stop()
            pytest.fail("reformbot serve did not start:\n" + "".join(self.lines))
        return self

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()               # what systemctl stop sends
            self.process.wait(30)

    def __exit__(self, *exc) -> None:
        self.stop()


def metrics_table() -> set[str]:
    """Metric names in the page's table, as Prometheus' parser names their families."""
    text = DOC.read_text(encoding="utf-8").split("## Metrics", 1)[1].split("\n## ", 1)[0]
    names = re.findall(r"^\| `(reformbot_\w+)` \|", text, re.M)
    return {n.removesuffix("_total") for n in names}


def scraped(text: str) -> dict:
    from prometheus_client.parser import text_string_to_metric_families

    return {f.name: f for f in text_string_to_metric_families(text)}


def sample(families: dict, name: str, **labels) -> float | None:
    for family in families.values():
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return None


# --- the runbook -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_runbook_on_this_machine(tmp_path, real_settings):
    import yaml

    from proposals_support import VALID, fresh_form, receipt_no

    root, port = tmp_path / "machine", free_port()
    data = root / "var/lib/reformbot"
    data.mkdir(parents=True, mode=0o700)                  # StateDirectory=, StateDirectoryMode=0700
    shutil.copytree(real_settings.data_dir / "index", data / "index")   # built once per session
    version = json.loads((data / "index" / "current").read_text())["version"]
    etc = root / "etc/reformbot"
    etc.mkdir(parents=True, mode=0o750)
    # The env file as the page shows it, with a token pasted in as its comment says to.
    env_text = localize(block("env-file").body, root, port=port)
    assert "REFORMBOT_METRICS_TOKEN=\n" in env_text
    (etc / "reformbot.env").write_text(env_text.replace("REFORMBOT_METRICS_TOKEN=\n",
                                                        f"REFORMBOT_METRICS_TOKEN={TOKEN}\n"), encoding="utf-8")
    (etc / "reformbot.env").chmod(0o640)

    out = bash(localize(block("index-build").body, root))
    assert "nothing to do" in out and version in out

    with Service(root, port) as service:
        health = bash(localize(block("health").body, root, port=port))
        assert '"status":"ok"' in health.replace(" ", "")

        with Nginx(tmp_path, backend_port=port) as proxy:
            # Per-client rate limit through the proxy: 30 questions a minute per client (the default).
            # Each client comes from its own 127.x address; a forged X-Forwarded-For changes nothing.
            with proxy.client("127.0.0.2") as first:
                codes = [first.get("/api/ask", params={"q": "計画期間は？"},
                                   headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(31)]
            assert codes == [200] * 30 + [429]
            with proxy.client("127.0.0.3") as second:
                assert second.get("/api/ask", params={"q": "計画期間は？"}).status_code == 200

            # X-Forwarded-Proto https: the form's cookie is Secure, HSTS is on; the form works over TLS.
            with proxy.client("127.0.0.4") as citizen:
                form = citizen.get("/proposals/new")
                assert "secure" in form.headers["set-cookie"].lower().split("; ")
                assert "strict-transport-security" in form.headers
                page = citizen.post("/proposals", data={**fresh_form(citizen), **VALID})
                assert page.status_code == 200
                first_receipt = receipt_no(page.text)
            plain = httpx.get(f"http://127.0.0.1:{proxy.http_port}/proposals/new", follow_redirects=False)
            assert plain.status_code == 301 and plain.headers["location"].startswith("https://")

            # Prometheus on another machine, following the page's scrape config to the letter.
            [job] = yaml.safe_load(localize(block("prometheus").body, root))["scrape_configs"]
            credentials = Path(job["authorization"]["credentials_file"])
            credentials.parent.mkdir(parents=True)
            credentials.write_text(TOKEN + "\n")
            [target] = job["static_configs"][0]["targets"]
            assert job["scheme"] == "https" and target == "reformbot.example.jp"
            with proxy.client("127.0.0.5") as prometheus:
                refused = prometheus.get(job["metrics_path"])
                auth = f"{job['authorization']['type']} {credentials.read_text().strip()}"
                scrape = prometheus.get(job["metrics_path"], headers={"Authorization": auth})
            assert refused.status_code == 401
            assert scrape.status_code == 200
            families = scraped(scrape.text)
            assert sample(families, "reformbot_index_info", version=version, model=real_settings.embedding_model) == 1
            assert sample(families, "reformbot_answers_total", surface="api", result="found") == 31
            assert sample(families, "reformbot_proposals_received_total", source="citizen") == 1
            assert sample(families, "reformbot_http_requests_total", method="GET", route="/api/ask", status="429") == 1
            assert metrics_table() == {n for n in families if n.startswith("reformbot_") and not n.endswith("_created")}

        # The scrape on the machine itself, with the token read from the env file.
        out = bash(localize(block("scrape").body, root, port=port))
        assert f'reformbot_index_info{{model="{real_settings.embedding_model}",version="{version}"}} 1.0' in out
        assert re.search(r'^reformbot_answers_total\{result="found",surface="api"\} 31\.0$', out, re.M), out

        # The layout the page describes, with its modes.
        check_layout(root)
        out = bash(localize(block("permissions").body, root))
        assert out.split()[::2] == ["700", "600"], out

        # A backup while the service runs: owner-only, with the proposal and the index in it. A
        # backup older than 30 days goes (the block's rotation); a file named like one is left alone.
        backups = root / "var/backups/reformbot"
        backups.mkdir(parents=True)
        expired = backups / "2020-01-01"
        (expired / "index").mkdir(parents=True)
        os.utime(expired, (0, 0))
        (backups / "notes.txt").write_text("not a backup\n")
        os.utime(backups / "notes.txt", (0, 0))
        bash(localize(block("backup").body, root))
        assert mode(backups) == 0o700 and not expired.exists() and (backups / "notes.txt").exists()
        [taken] = [d for d in backups.iterdir() if d.is_dir()]
        assert mode(taken) == 0o700 and {mode(f) for f in taken.rglob("*") if f.is_file()} == {0o600}
        manifest = json.loads((taken / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["index_version"] == version and manifest["rows"]["proposals"] == 1
        assert receipts(taken / "reformbot.db") == [first_receipt]

        # Something new after the backup, then the service stops (systemctl stop: SIGTERM).
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            page = c.post("/proposals", data={**fresh_form(c), **VALID, "title": "バックアップの後の提案"})
            assert page.status_code == 200
        assert len(receipts(data / "reformbot.db")) == 2
    # uvicorn finishes in-flight work, then exits by the signal it got: systemd counts both a 0 and
    # SIGTERM as a clean stop (so Restart=on-failure does not restart it).
    assert service.process.returncode in (0, -signal.SIGTERM), "".join(service.lines[-20:])
    assert any("Application shutdown complete" in line for line in service.lines)

    # Restore the newest backup: the proposal made after it is gone, the database is whole.
    out = bash(localize(block("restore").body, root))
    assert out.startswith(f"restored {taken} (") and f"1 proposal, index version {version} is current" in out
    assert receipts(data / "reformbot.db") == [first_receipt]
    conn = sqlite3.connect(data / "reformbot.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert mode(data / "reformbot.db") == 0o600

    # Upgrade: the same model and text, so nothing to embed and no new version.
    out = bash(localize(block("rebuild").body, root))
    assert "nothing changed" in out
    assert json.loads((data / "index" / "current").read_text())["version"] == version

    # Move to another machine through one archive. The new machine has the same absolute paths
    # (the env file names them): the old tree is moved out of the way and an empty one unpacked into.
    transfer = tmp_path / "transfer" / "reformbot-move.tar.gz"
    transfer.parent.mkdir()
    bash(localize(block("move-pack").body, root, transfer=transfer))
    assert mode(transfer) == 0o600
    root.rename(tmp_path / "old-machine")
    root.mkdir()
    out = bash(localize(block("move-unpack").body, root, transfer=transfer))
    assert version in out and first_receipt in out
    assert mode(data) == 0o700 and mode(data / "reformbot.db") == 0o600
    assert mode(root / "etc/reformbot/reformbot.env") == 0o640


def receipts(db: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT receipt_no FROM proposals ORDER BY id")]
    finally:
        conn.close()


def check_layout(root: Path) -> None:
    """Every path in the page's layout block exists here, with the mode it shows."""
    checked = 0
    for line in block("layout").body.splitlines():
        if not line.strip():
            continue
        words = line.split()
        path = localize(words[0], root).replace("<ID>", "*")
        found = sorted(Path("/").glob(path.lstrip("/"))) if "*" in path else [Path(path)]
        assert found and all(p.exists() for p in found), f"the layout shows {words[0]}: not here"
        if re.fullmatch(r"0[0-7]{3}", words[1]):
            assert {oct(mode(p)) for p in found} == {"0o" + words[1][1:]}, line
        for name in re.findall(r"\b[\w-]+\.(?:jsonl|json|faiss)\b", line):
            if path.endswith("/") or "*" in path:
                assert all((p / name).exists() for p in found), f"{words[0]}{name}"
        checked += 1
    assert checked >= 5
