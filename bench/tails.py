"""Where the write tails come from: the same update load on a SQLite file on tmpfs and on the disk.

    .venv/bin/python bench/tails.py                   # 3 rounds, 8 s each, synchronous normal and full
    .venv/bin/python bench/tails.py --rounds 5 --seconds 10 --operation create

Each run starts a fresh `uprof serve` with its database and request log in a new directory, under
/dev/shm (memory: no block device) or under the system's temporary directory (the disk), in turn,
and puts wrk's update load on it (32 connections, after a 2 s warm-up). Next to wrk's latency it
prints what the load generator cannot see: the longest time any request spent inside uprof (its
request log), how long uprof and wrk waited for a CPU while runnable (/proc/<pid>/task/*/schedstat)
and the share of CPU time the kernel spent in iowait. A tail that uprof's own times do not show was
spent outside the application: waiting for a CPU, or in the kernel's write path.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from load import Scenario, Settings, wrk
from servers import VENV_BIN, Server, start_uprof

BASES = {"tmpfs": Path("/dev/shm"), "disk": Path(tempfile.gettempdir())}
IN_APP_MS = re.compile(r" (\d+\.\d+)ms$", re.MULTILINE)


def run_queue_ms(pid: int) -> float:
    """Milliseconds the threads of `pid` have spent runnable but not running (threads alive now)."""
    waited = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            waited += int((task / "schedstat").read_text().split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return waited / 1e6


def cpu_times() -> list[int]:
    """user nice system idle iowait irq softirq steal, in ticks, for the whole machine."""
    return [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def prepare(directory: Path, sync: str) -> tuple[Server, str, Path]:
    url = f"sqlite:///{directory / 'tails.db'}"
    subprocess.run([str(VENV_BIN / "uprof"), "db", "upgrade", "--database-url", url], check=True, capture_output=True)
    created = subprocess.run(
        [str(VENV_BIN / "uprof"), "keys", "create", "--database-url", url, "--name", "tails"],
        check=True,
        capture_output=True,
        text=True,
    )
    key = created.stdout.strip().splitlines()[-1]
    server = start_uprof(url, directory, "--sqlite-synchronous", sync)
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", headers=headers) as client:
        ids = [client.post("/v1/user_profiles", json={"name": f"p{n}"}).json()["id"] for n in range(200)]
    ids_file = directory / "ids.txt"
    ids_file.write_text("\n".join(ids) + "\n")
    return server, key, ids_file


def one_run(where: str, sync: str, operation: str, seconds: int) -> dict[str, object]:
    directory = Path(tempfile.mkdtemp(prefix="uprof-tails-", dir=BASES[where]))
    server, key, ids_file = prepare(directory, sync)
    try:
        scenario = Scenario(operation, operation, key=key, ids_file=ids_file)
        wrk(server, scenario, 2, Settings(seconds=2, connections=32, threads=1, warmup=0))
        log_before = server.log.read_text(errors="replace")
        machine_before, uprof_before = cpu_times(), run_queue_ms(server.pid)
        load = subprocess.Popen(
            ["wrk", "-t1", "-c32", f"-d{seconds}s", "-s", str(Path(__file__).parent / "wrk" / f"{operation}.lua"),
             f"http://127.0.0.1:{server.port}"],
            stdout=subprocess.PIPE, text=True, env={**os.environ, **scenario.environment()},
        )  # fmt: skip
        time.sleep(0.2)  # wrk's load thread exists now
        wrk_before = wrk_waited = run_queue_ms(load.pid)
        while load.poll() is None:  # its threads' counters vanish with them: read them while they run
            wrk_waited = max(wrk_waited, run_queue_ms(load.pid))
            time.sleep(0.1)
        output = load.stdout.read() if load.stdout else ""
        machine = [after - before for before, after in zip(machine_before, cpu_times(), strict=True)]
        uprof_waited = run_queue_ms(server.pid) - uprof_before
    finally:
        server.stop()
    in_app = [float(ms) for ms in IN_APP_MS.findall(server.log.read_text(errors="replace")[len(log_before) :])]
    shutil.rmtree(directory, ignore_errors=True)
    requests = int(_field(output, "requests"))
    return {
        "where": where,
        "sync": sync,
        "rps": requests / (int(_field(output, "duration_us")) / 1e6),
        "p50": int(_field(output, "p50_us")) / 1000,
        "p99": int(_field(output, "p99_us")) / 1000,
        "max": int(_field(output, "max_us")) / 1000,
        "in_app_max": max(in_app, default=0.0),
        "uprof_waited": uprof_waited,
        "wrk_waited": wrk_waited - wrk_before,
        "iowait": 100 * machine[4] / (sum(machine) or 1),
    }


def _field(output: str, name: str) -> str:
    found = re.search(rf'"{name}": (\d+)', output)
    if found is None:
        raise RuntimeError(f"wrk printed no {name}:\n{output}")
    return found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--operation", choices=["update", "create"], default="update")
    parser.add_argument("--sync", default="normal,full", help="comma-separated SQLite synchronous settings")
    options = parser.parse_args()
    print("| Round | Database on | synchronous | req/s | p50 ms | p99 ms | max ms | longest in uprof ms "
          "| uprof waited for a CPU ms | wrk waited for a CPU ms | iowait % |")  # fmt: skip
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for round_number in range(1, options.rounds + 1):
        for sync in options.sync.split(","):
            for where in BASES:
                run = one_run(where, sync, options.operation, options.seconds)
                print(
                    f"| {round_number} | {where} | {sync} | {run['rps']:,.0f} | {run['p50']:.1f} | {run['p99']:.1f} "
                    f"| {run['max']:.1f} | {run['in_app_max']:.1f} | {run['uprof_waited']:,.0f} "
                    f"| {run['wrk_waited']:,.0f} | {run['iowait']:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    sys.exit(main())
