"""The uprof benchmark driver (run it through bench/run, which installs wrk, granian, py-spy and Prism first).

Suites, each on fresh data in a temporary directory:
  ceiling   a raw ASGI app on uvicorn and on granian: the best any Python server does here
  small     every profile operation on a SQLite file with 60,000 profiles (default)
  large     retrieve and list on --profiles N profiles, with memory and start-up time
  postgres  retrieve on PostgreSQL with 1 and 2 workers
  peers     Prism (the SDKs' mock server) on uprof's own OpenAPI document: retrieve, as uprof's small suite
The table goes to stdout and to artifacts/bench/<timestamp>.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dataset
import prism
import profiling
import report as reports
import servers
from load import Scenario, Settings, beta_revision, measure
from servers import ROOT, Server

SMALL_PROFILES = 60_000  # enough for a page 50,000 deep
DEEP = 50_000
POSTGRES_PROFILES = 20_000
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def main() -> None:
    options = parse_arguments()
    settings = Settings(options.seconds, options.connections, options.threads, options.warmup)
    out_dir = ROOT / "artifacts" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    report = reports.Report(header=describe(settings, options), connections=settings.connections)
    print("\n".join(report.header), flush=True)
    work = Path(tempfile.mkdtemp(prefix="uprof-bench-"))
    try:
        run_ceiling(report, settings, work)
        if options.small:
            retrieve = run_small(report, settings, work, out_dir, options)
            if options.peers:
                run_prism(report, settings, work, retrieve)
        if options.profiles:
            run_large(report, settings, work, options.profiles, options.startup_repeats)
        if options.postgres:
            run_postgres(report, settings, work)
    finally:
        if options.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report.header.append(f"- load average after the run: {load_average()}")
    document = reports.markdown(report)
    path = out_dir / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.md"
    path.write_text(document)
    print("\n" + document)
    print(f"written to {path.relative_to(ROOT)}")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--profiles", type=int, default=0, help=f"large mode: load this many profiles, over {DEEP:,} (e.g. 1000000)"
    )
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL mode: retrieve with 1 and 2 workers")
    parser.add_argument(
        "--peers", action="store_true", help="also Prism on uprof's OpenAPI document, retrieve (runs the small suite)"
    )
    parser.add_argument("--all", action="store_true", help="everything: small, --profiles 1000000, --postgres, --peers")
    parser.add_argument(
        "--small", action="store_true", help="the small-database suite (default unless a mode is given)"
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy recordings")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (databases, server logs)")
    env = os.environ.get
    parser.add_argument("--seconds", type=int, default=int(env("BENCH_SECONDS", "10")), help="per operation [10]")
    parser.add_argument("--connections", type=int, default=int(env("BENCH_CONNECTIONS", "32")), help="wrk -c [32]")
    parser.add_argument("--threads", type=int, default=int(env("BENCH_WRK_THREADS", "1")), help="wrk -t [1]")
    parser.add_argument("--warmup", type=int, default=int(env("BENCH_WARMUP", "2")), help="seconds, discarded [2]")
    parser.add_argument(
        "--profile-seconds", type=int, default=int(env("BENCH_PROFILE_SECONDS", "5")), help="per py-spy recording [5]"
    )
    parser.add_argument("--startup-repeats", type=int, default=5, help="start-up timings, median reported [5]")
    options = parser.parse_args()
    if options.profiles and options.profiles <= DEEP:
        # Found only after loading them, when the large suite asks for the deep page's cursor.
        parser.error(f"--profiles must be more than {DEEP:,}: the large suite lists a page {DEEP:,} rows deep")
    if options.all:
        options.small, options.postgres, options.peers = True, True, True
        options.profiles = options.profiles or 1_000_000
    elif options.peers or (not options.profiles and not options.postgres):
        options.small = True  # the peers are compared with the small suite's retrieve, on its document
    return options


def describe(settings: Settings, options: argparse.Namespace) -> list[str]:
    from uprof import __version__

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())  # fmt: skip
    return [
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; uprof {__version__}{git_revision()}",
        f"- machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {wrk_version()}",
        f"- load: wrk -t{settings.threads} -c{settings.connections}, {settings.seconds} s per operation "
        f"after a {settings.warmup} s warm-up; server and wrk share the machine",
        f"- load average before the run: {load_average()}",
        f"- command: bench/run {' '.join(sys.argv[1:])}".rstrip(),
    ]


def git_revision() -> str:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "src"],
                               capture_output=True, text=True)  # fmt: skip
        if done.returncode == 0:
            return f" at {done.stdout.strip()}" + (" with uncommitted changes in src/" if dirty.stdout.strip() else "")
    return ""


def wrk_version() -> str:
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return (done.stdout + done.stderr).split(" [")[0].strip() or "wrk"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()


def run_ceiling(report: reports.Report, settings: Settings, work: Path) -> None:
    print("ceiling", flush=True)
    scenario = Scenario("ceiling", "ceiling")
    for start in (servers.start_uvicorn_ceiling, servers.start_granian_ceiling):
        with running(start(work)) as server:
            report.results.append(measure(server, scenario, settings, "none"))


def prepare(database_url: str, count: int, sample: int, work: Path) -> tuple[str, str, Path, float]:
    """A key (through the CLI), `count` profiles, and a file of `sample` random profile IDs."""
    key = dataset.create_key(database_url)
    engine = dataset.open_engine(database_url)
    try:
        organization_id = dataset.organization_of(engine, key)
        seconds = dataset.load_profiles(engine, organization_id, count)
        ids_file = work / f"ids-{count}.txt"
        ids_file.write_text("\n".join(dataset.sample_ids(engine, organization_id, sample)) + "\n")
    finally:
        engine.dispose()
    print(f"  loaded {count:,} profiles in {seconds:.1f} s", flush=True)
    return key, organization_id, ids_file, seconds


def deep_scenario(server: Server, database_url: str, organization_id: str, key: str) -> Scenario:
    engine = dataset.open_engine(database_url)
    try:
        cursor, first = dataset.deep_cursor(engine, organization_id, DEEP)
    finally:
        engine.dispose()
    dataset.check_page(server.port, key, cursor, first)
    return Scenario("list page 50,000 deep", "list", key, page=cursor)


def run_small(
    report: reports.Report, settings: Settings, work: Path, out_dir: Path, options: argparse.Namespace
) -> Scenario:
    """Every operation on the small database; returns the retrieve scenario, which the peers replay."""
    label = f"sqlite, {SMALL_PROFILES:,} profiles"
    report.small = label
    print(label, flush=True)
    url = f"sqlite:///{work / 'small.db'}"
    key, organization_id, ids_file, _ = prepare(url, SMALL_PROFILES, 1000, work)
    retrieve = Scenario("retrieve", "retrieve", key, ids_file)
    update = Scenario("update (metadata merge)", "update", key, ids_file)
    with running(servers.start_uprof(url, work)) as server:
        # The document the peers mock: the one for the revision the scenarios ask for, as this server serves it.
        prism.save_document(server.port, beta_revision(), work / "openapi.json")
        scenarios = [
            retrieve,
            Scenario("list first page", "list", key),
            deep_scenario(server, url, organization_id, key),
            Scenario("create", "create", key),
            update,
            Scenario("create enrollment URL", "enrollment_url", key, ids_file),
        ]
        for scenario in scenarios:
            report.results.append(measure(server, scenario, settings, label))
        if not options.no_profile:
            for scenario in (retrieve, update):
                print(f"  profiling {scenario.operation} with py-spy", flush=True)
                report.hotspots.append(profiling.record(server, scenario, settings, out_dir, options.profile_seconds))
    full = f"{label}, synchronous=full"
    with running(servers.start_uprof(url, work, "--sqlite-synchronous", "full")) as server:
        for scenario in (Scenario("create", "create", key), update):
            report.results.append(measure(server, scenario, settings, full))
    report.startup[label] = startup(url, work, options.startup_repeats)
    return retrieve


def run_prism(report: reports.Report, settings: Settings, work: Path, retrieve: Scenario) -> None:
    """Prism mocking uprof's document, driven by uprof's retrieve scenario: the same script, IDs and headers."""
    version = prism.version()
    if version is None:
        print("Prism: skipped (not installed; bench/run installs it with npm, which needs Node.js and npm)", flush=True)
        report.notes.append("Prism was not measured: bench/run could not install it (is npm on the PATH?)")
        return
    document = work / "openapi.json"
    print(f"Prism {version}, mocking {document.name} (revision {beta_revision()})", flush=True)
    warm = dataclasses.replace(settings, warmup=max(settings.warmup, prism.WARMUP_SECONDS))
    with running(prism.start(document, work)) as server:
        report.results.append(measure(server, retrieve, warm, "none (mock)"))
    report.notes.append(
        f"Prism {version}: `prism mock openapi.json {' '.join(prism.OPTIONS)}` on uprof's document for revision "
        f"{beta_revision()} ({document.stat().st_size / 1000:.0f} kB, from `GET /openapi.json?revision="
        f"{beta_revision()}`), driven by uprof's retrieve script with the same key, IDs and headers, after a "
        f"{warm.warmup} s warm-up"
    )


def startup(url: str, work: Path, repeats: int) -> list[float]:
    timings = servers.startup_seconds(url, work, repeats)
    print(f"  start-up: median {statistics.median(timings):.2f} s of {repeats}", flush=True)
    return timings


def run_large(report: reports.Report, settings: Settings, work: Path, count: int, repeats: int) -> None:
    label = f"sqlite, {count:,} profiles"
    report.large = label
    print(label, flush=True)
    url = f"sqlite:///{work / 'large.db'}"
    key, organization_id, ids_file, seconds = prepare(url, count, 10_000, work)
    report.notes.append(
        f"{count:,} profiles loaded in {seconds:.0f} s (SQLAlchemy Core executemany, 100,000 a transaction)"
    )
    with running(servers.start_uprof(url, work)) as server:
        scenarios = [
            Scenario("retrieve", "retrieve", key, ids_file),
            Scenario("list first page", "list", key),
            deep_scenario(server, url, organization_id, key),
        ]
        for scenario in scenarios:
            report.results.append(measure(server, scenario, settings, label))
    report.startup[label] = startup(url, work, repeats)


def run_postgres(report: reports.Report, settings: Settings, work: Path) -> None:
    import psycopg

    name = f"uprof_bench_{os.getpid()}_{int(time.time())}"
    label = f"postgresql, {POSTGRES_PROFILES:,} profiles"
    print(label, flush=True)
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        key, _, ids_file, _ = prepare(url, POSTGRES_PROFILES, 1000, work)
        retrieve = Scenario("retrieve", "retrieve", key, ids_file)
        for workers in (1, 2):
            with running(servers.start_uprof(url, work, "--workers", str(workers))) as server:
                if workers > 1:
                    server.name = f"uprof --workers {workers}"
                report.results.append(measure(server, retrieve, settings, label))
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
