"""Start and stop the servers under test: uprof as users run it, and the two ceiling servers.

Every server is a separate process tree; its memory is read from /proc (VmRSS, summed over the
tree so that multi-worker servers count every worker).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
BENCH_DIR = ROOT / "bench"


class ServerFailed(RuntimeError):
    """A server exited or did not answer in time."""


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def tree(self) -> list[int]:
        """The server's process and all its descendants."""
        return [self.pid, *descendants(self.pid)]

    def rss_mb(self) -> float:
        """Resident memory of the whole process tree, in MB (10^6 bytes)."""
        return sum(rss_kb(pid) for pid in self.tree()) * 1024 / 1e6

    def cpu_seconds(self) -> float:
        """User plus system CPU time used so far by the live processes of the tree."""
        return sum(cpu_ticks(pid) for pid in self.tree()) / CLOCK_TICKS

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kb(pid: int) -> int:
    """VmRSS of one process in kB, 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def http_status(port: int, path: str, timeout: float = 1.0) -> int | None:
    """The status of one plain GET, or None if nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            head = sock.recv(64)
    except OSError:
        return None
    parts = head.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def wait_until_serving(
    server: Server, path: str, timeout: float = 60.0, poll: float = 0.005, expect: int | None = 200
) -> float:
    """Block until `path` answers `expect` (any status if None); return the seconds waited."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if server.process.poll() is not None:
            raise ServerFailed(f"{server.name} exited with {server.process.returncode}:\n{tail(server.log)}")
        status = http_status(server.port, path)
        if status is not None and (expect is None or status == expect):
            return time.perf_counter() - start
        time.sleep(poll)
    server.stop()
    raise ServerFailed(f"{server.name} did not serve {path} within {timeout:.0f} s:\n{tail(server.log)}")


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


def launch(name: str, command: list[str], port: int, log_dir: Path, env: dict[str, str] | None = None) -> Server:
    log = log_dir / f"{name.replace(' ', '_').replace('/', '_')}-{port}.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=log_dir,
        )
    return Server(name, process, port, log)


def uprof_command(database_url: str, port: int, *extra: str) -> list[str]:
    """`uprof serve` exactly as a user starts it."""
    return [str(VENV_BIN / "uprof"), "serve", "--port", str(port), "--database-url", database_url, *extra]


def start_uprof(database_url: str, log_dir: Path, *extra: str) -> Server:
    port = free_port()
    server = launch("uprof", uprof_command(database_url, port, *extra), port, log_dir)
    wait_until_serving(server, "/healthz")
    return server


def start_uvicorn_ceiling(log_dir: Path) -> Server:
    port = free_port()
    command = [
        str(VENV_BIN / "uvicorn"),
        "ceiling_app:app",
        "--app-dir", str(BENCH_DIR),
        "--port", str(port),
        "--loop", "uvloop",
        "--http", "httptools",
        "--workers", "1",
        "--no-access-log",
        "--log-level", "warning",
    ]  # fmt: skip
    server = launch("ceiling uvicorn", command, port, log_dir)
    wait_until_serving(server, "/")
    return server


def start_granian_ceiling(log_dir: Path) -> Server:
    port = free_port()
    command = [
        str(VENV_BIN / "granian"),
        "--interface", "asgi",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", "1",
        "--no-access-log",
        "--log-level", "warning",
        "--working-dir", str(BENCH_DIR),
        "ceiling_app:app",
    ]  # fmt: skip
    server = launch("ceiling granian", command, port, log_dir)
    wait_until_serving(server, "/")
    return server


def startup_seconds(database_url: str, log_dir: Path, repeats: int) -> list[float]:
    """Process start to the first 200 from /healthz, `repeats` times (migrations already applied)."""
    timings = []
    for _ in range(repeats):
        port = free_port()
        start = time.perf_counter()
        server = launch("uprof startup", uprof_command(database_url, port), port, log_dir)
        try:
            wait_until_serving(server, "/healthz", poll=0.002)
            timings.append(time.perf_counter() - start)
        finally:
            server.stop()
    return timings
