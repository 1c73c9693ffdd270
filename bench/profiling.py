"""Sample the server with py-spy while wrk drives one operation, and summarise where the time goes.

Two recordings of the same load, one after the other:
  <name>.svg  flame graph of every thread (py-spy's default view, to look at)
  <name>.txt  the same as raw collapsed stacks, summarised here with idle threads set apart
(py-spy's --gil view was tried and left out: on this Python it attributes nearly every sample to the
event-loop thread, even while worker threads run SQLAlchemy code.)
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from load import WRK_DIR, Scenario, Settings
from servers import VENV_BIN, Server

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")
# Frames every stack passes through on its way to the request code: left out of the inclusive tables.
WRAPPERS = ("click/", "threading.py", "uvicorn/main.py", "uvicorn/server.py", "uvicorn/_compat.py", "uprof/cli/",
            "<module>", "anyio/_backends/_asyncio.py", "uvicorn/middleware/", "starlette/middleware/",
            "starlette/_exception_handler.py", "starlette/applications.py", "contextlib.py")  # fmt: skip


@dataclass
class Profile:
    samples: int = 0
    own: list[tuple[str, float]] = field(default_factory=list)  # function, % where it is the innermost frame
    inclusive: list[tuple[str, float]] = field(default_factory=list)  # function, % where it is anywhere
    idle: float = 0.0  # % of samples in idle worker threads
    lock_wait: float = 0.0  # % of samples waiting for uprof's in-process SQLite write lock


@dataclass
class Hotspots:
    operation: str
    threads: Profile
    svg: Path


def record(server: Server, scenario: Scenario, settings: Settings, out_dir: Path, seconds: int) -> Hotspots:
    """Profile `server` under `scenario`: two py-spy recordings of `seconds` each."""
    name = scenario.operation.split()[0]
    svg, raw = out_dir / f"{name}.svg", out_dir / f"{name}.txt"
    command = [
        "wrk",
        f"-t{settings.threads}",
        f"-c{settings.connections}",
        f"-d{2 * seconds + 5}s",
        "-s", str(WRK_DIR / f"{scenario.script}.lua"),
        f"http://127.0.0.1:{server.port}",
    ]  # fmt: skip
    load = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **scenario.environment()}
    )
    try:
        time.sleep(1)
        _py_spy(server.pid, svg, seconds, "--format", "flamegraph")
        _py_spy(server.pid, raw, seconds, "--format", "raw")
    finally:
        load.wait(timeout=6 * seconds + 60)
    return Hotspots(scenario.operation, summarise(raw), svg)


def _py_spy(pid: int, output: Path, seconds: int, *options: str) -> None:
    command = [str(VENV_BIN / "py-spy"), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200"]
    command += options
    subprocess.run([*command, "-o", str(output)], check=True, capture_output=True, timeout=seconds + 60)


def summarise(raw: Path, top: int = 24) -> Profile:
    """Own and inclusive shares of the samples that were doing something (idle and lock waits set apart)."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = idle = lock_wait = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_label(frame) for frame in stack.split(";")]
        total += count
        if _waiting_for_work(frames):
            idle += count
            continue
        if frames[-1].startswith("Database.unit_of_work ("):
            lock_wait += count  # its only own time is `with lock:` (db/unit_of_work.py)
            continue
        own[frames[-1]] += count
        for label in set(frames):
            if not any(marker in label for marker in WRAPPERS):
                inclusive[label] += count
    working = total - idle - lock_wait
    share = 100 / working if working else 0.0
    return Profile(
        samples=total,
        own=[(label, n * share) for label, n in own.most_common(top)],
        inclusive=[(label, n * share) for label, n in inclusive.most_common(top)],
        idle=100 * idle / total if total else 0.0,
        lock_wait=100 * lock_wait / total if total else 0.0,
    )


def _waiting_for_work(frames: list[str]) -> bool:
    """An idle pool thread: anyio's waiting on its queue, or asyncio's default executor waiting in C."""
    leaf = frames[-1]
    if leaf.startswith("Condition.wait (") and any(frame.startswith("Queue.get (") for frame in frames):
        return True
    return leaf == "_worker (concurrent/futures/thread.py)"


def _label(frame: str) -> str:
    """`function (path/to/module.py:123)` → `function (package/module.py)`: lines merged, paths shortened."""
    match = FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['function']} ({path})"
