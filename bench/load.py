"""Drive a server with wrk and read back one result line (bench/wrk/common.lua writes it)."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import orjson
from servers import BENCH_DIR, Server

WRK_DIR = BENCH_DIR / "wrk"


def beta_revision() -> str:
    """The user-profiles revision every scenario asks for: the date in the `anthropic-beta` header of common.lua."""
    found = re.search(r'"user-profiles-(\d{4}-\d{2}-\d{2})"', (WRK_DIR / "common.lua").read_text())
    if found is None:
        raise RuntimeError("bench/wrk/common.lua sends no user-profiles-YYYY-MM-DD beta value")
    return found.group(1)


@dataclass(frozen=True)
class Settings:
    seconds: int
    connections: int
    threads: int
    warmup: int


@dataclass
class Result:
    operation: str
    database: str
    server: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non200: int
    socket_errors: int
    sample: str
    rss_mb: float = 0.0
    cpu_seconds: float = 0.0  # used by the server during the measured run

    @property
    def cpu_percent(self) -> float:
        """Server CPU use during the run, 100 % = one core."""
        return 100 * self.cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_seconds / self.requests if self.requests else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.non200 + self.socket_errors


@dataclass
class Scenario:
    """One wrk script plus what it needs: the key, a file of IDs, a cursor."""

    operation: str
    script: str
    key: str = ""
    ids_file: Path | None = None
    page: str = ""

    def environment(self) -> dict[str, str]:
        env = {"BENCH_WRK_DIR": str(WRK_DIR), "BENCH_KEY": self.key, "BENCH_PAGE": self.page}
        if self.ids_file is not None:
            env["BENCH_IDS"] = str(self.ids_file)
        return env


def wrk(server: Server, scenario: Scenario, seconds: int, settings: Settings) -> dict[str, object]:
    """Run wrk once against `server` and return the fields of its BENCH_RESULT line."""
    command = [
        "wrk",
        f"-t{settings.threads}",
        f"-c{settings.connections}",
        f"-d{seconds}s",
        "--timeout", "5s",
        "-s", str(WRK_DIR / f"{scenario.script}.lua"),
        f"http://127.0.0.1:{server.port}",
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **scenario.environment()}, timeout=seconds + 60
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return dict(orjson.loads(line.removeprefix("BENCH_RESULT ")))
    raise RuntimeError(f"wrk printed no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def measure(server: Server, scenario: Scenario, settings: Settings, database: str) -> Result:
    """A warm-up run (discarded), the measured run, then the server's memory."""
    if settings.warmup > 0:
        wrk(server, scenario, settings.warmup, settings)
    cpu_before = server.cpu_seconds()
    fields = wrk(server, scenario, settings.seconds, settings)
    cpu = server.cpu_seconds() - cpu_before
    result = Result(
        operation=scenario.operation,
        database=database,
        server=server.name,
        requests=int(fields["requests"]),  # type: ignore[call-overload]
        seconds=int(fields["duration_us"]) / 1e6,  # type: ignore[call-overload]
        p50_ms=int(fields["p50_us"]) / 1000,  # type: ignore[call-overload]
        p99_ms=int(fields["p99_us"]) / 1000,  # type: ignore[call-overload]
        non200=int(fields["non200"]),  # type: ignore[call-overload]
        socket_errors=sum(int(fields[k]) for k in ("connect", "read", "write", "timeout")),  # type: ignore[call-overload]
        sample=str(fields["sample"]),
        rss_mb=server.rss_mb(),
        cpu_seconds=cpu,
    )
    print(_progress(result), flush=True)
    return result


def _progress(result: Result) -> str:
    line = (
        f"  {result.operation:<24} {result.database:<42} {result.rps:>7.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
        f"p99 {result.p99_ms:7.2f} ms  errors {result.errors}  RSS {result.rss_mb:.0f} MB  "
        f"CPU {result.cpu_percent:.0f} % ({result.cpu_ms_per_request:.2f} ms/req)"
    )
    if result.sample:
        line += f"\n    first non-200: {result.sample[:200]}"
    return line
