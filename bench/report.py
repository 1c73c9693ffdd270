"""The results as one markdown document: the table, start-up, the targets, the profiles."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from load import Result
from profiling import Hotspots, Profile


@dataclass
class Report:
    header: list[str]
    results: list[Result] = field(default_factory=list)
    startup: dict[str, list[float]] = field(default_factory=dict)  # database label → seconds per start
    hotspots: list[Hotspots] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    small: str = ""  # the database label of the small suite
    large: str = ""  # and of the large one
    connections: int = 32  # wrk -c of every run

    def ceiling(self) -> Result | None:
        ceilings = [r for r in self.results if r.operation == "ceiling"]
        return max(ceilings, key=lambda r: r.rps) if ceilings else None

    def find(self, operation: str, database: str, server: str = "uprof") -> Result | None:
        """The first result of `operation` on a database whose label starts with `database`."""
        for result in self.results:
            if result.operation == operation and result.database.startswith(database) and result.server == server:
                return result
        return None


def ratio_text(result: Result, ceiling: Result | None) -> str:
    return f"{result.rps / ceiling.rps:.2f}" if ceiling and ceiling.rps else "-"


def table(report: Report) -> str:
    ceiling = report.ceiling()
    lines = [
        "| Operation | Database | Server | req/s | p50 ms | p99 ms | Errors | RSS MB | ÷ ceiling "
        "| server CPU | CPU ms/req |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report.results:
        lines.append(
            f"| {r.operation} | {r.database} | {r.server} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
            f"{r.errors} | {r.rss_mb:.0f} | {ratio_text(r, ceiling)} | {r.cpu_percent:.0f} % "
            f"| {r.cpu_ms_per_request:.2f} |"
        )
    return "\n".join(lines)


def startup_text(report: Report) -> list[str]:
    lines = []
    for database, timings in report.startup.items():
        runs = ", ".join(f"{t:.2f}" for t in timings)
        lines.append(f"- {database}: median **{statistics.median(timings):.2f} s** (runs: {runs} s)")
    return lines


@dataclass
class Target:
    name: str
    measured: str
    met: bool


# The targets, as shares of the ceiling measured in the same run (small database, default synchronous).
CEILING_SHARES = (("retrieve", 0.30), ("list first page", 0.15), ("create", 0.15), ("update (metadata merge)", 0.15))
# The p99 target covers these operations on SQLite with the default synchronous setting (it is set at 32 connections).
P99_OPERATIONS = ("retrieve", "list first page", "list page 50,000 deep", "create", "update (metadata merge)")
P99_MS = 5.0
PRISM_FACTOR = 10.0
POSTGRES_SHARE = 0.6


def targets(report: Report) -> list[Target]:
    found = _ceiling_targets(report)
    found += _peer_targets(report)
    found += _p99_target(report)
    found += _large_targets(report)
    for database, timings in report.startup.items():
        median = statistics.median(timings)
        found.append(Target(f"start-up ≤ 1.5 s ({database})", f"{median:.2f} s", median <= 1.5))
    return found


def _small(report: Report, operation: str) -> Result | None:
    result = report.find(operation, report.small) if report.small else None
    return result if result and result.database == report.small else None


def _ceiling_targets(report: Report) -> list[Target]:
    ceiling = report.ceiling()
    found = []
    for operation, minimum in CEILING_SHARES if ceiling else ():
        r = _small(report, operation)
        if r and ceiling:
            share = r.rps / ceiling.rps
            measured = f"{share:.2f} ({r.rps:,.0f} of {ceiling.rps:,.0f} req/s)"
            found.append(Target(f"{operation} ≥ {minimum:.2f} × ceiling", measured, share >= minimum))
    return found


def _peer_targets(report: Report) -> list[Target]:
    """uprof against Prism, and PostgreSQL against SQLite: both against the small suite's retrieve."""
    sqlite = _small(report, "retrieve")
    if sqlite is None:
        return []
    found = []
    prism = next((r for r in report.results if r.operation == "retrieve" and r.server.startswith("Prism")), None)
    if prism and prism.rps:
        factor = sqlite.rps / prism.rps
        measured = f"{factor:.1f}× ({sqlite.rps:,.0f} vs {prism.rps:,.0f} req/s; Prism errors {prism.errors})"
        met = factor >= PRISM_FACTOR and prism.errors == 0
        found.append(Target(f"retrieve ÷ {prism.server} ≥ {PRISM_FACTOR:.0f}× (same run)", measured, met))
    postgres = report.find("retrieve", "postgresql", "uprof")
    if postgres:
        share = postgres.rps / sqlite.rps
        measured = f"{share:.2f} ({postgres.rps:,.0f} vs {sqlite.rps:,.0f} req/s)"
        name = f"PostgreSQL retrieve, 1 worker ≥ {POSTGRES_SHARE} × SQLite retrieve"
        found.append(Target(name, measured, share >= POSTGRES_SHARE))
    return found


def _p99_target(report: Report) -> list[Target]:
    covered = [
        r
        for r in report.results
        if r.server == "uprof"
        and r.database.startswith("sqlite")
        and "synchronous=" not in r.database
        and r.operation in P99_OPERATIONS
    ]
    if not covered:
        return []
    worst = max(covered, key=lambda r: r.p99_ms)
    over = [r for r in covered if r.p99_ms > P99_MS]
    detail = f"worst {worst.p99_ms:.1f} ms ({worst.operation}, {worst.database}); {len(over)} of {len(covered)} over"
    name = (
        f"p99 ≤ {P99_MS:.0f} ms at {report.connections} connections: retrieve, list, create, update "
        "(SQLite, default synchronous)"
    )
    return [Target(name, detail, not over)]


def _large_targets(report: Report) -> list[Target]:
    label = report.large
    large = [r for r in report.results if label and r.database == label]
    if not large:
        return []
    found = []
    first, deep = report.find("list first page", label), report.find("list page 50,000 deep", label)
    if first and deep:
        slowdown = first.rps / deep.rps
        found.append(
            Target(f"{label}: deep page within 1.5 × first page", f"{slowdown:.2f}× slower (req/s)", slowdown <= 1.5)
        )
    small, big = report.find("retrieve", report.small), report.find("retrieve", label)
    if report.small and small and big:
        kept = big.rps / small.rps
        found.append(Target(f"{label}: retrieve within 20 % of the small database", f"{kept:.2f}×", kept >= 0.8))
    peak = max(r.rss_mb for r in large)
    found.append(Target(f"{label}: server RSS ≤ 150 MB", f"{peak:.0f} MB", peak <= 150))
    return found


def hotspot_text(spots: Hotspots) -> list[str]:
    every = spots.threads
    return [
        f"### {spots.operation} (flame graph: `{spots.svg.name}`)",
        "",
        f"{every.samples} samples over all threads: {every.idle:.0f} % are idle thread-pool threads and "
        f"{every.lock_wait:.0f} % wait for the in-process SQLite write lock; the table shares out the rest "
        "(a thread waiting to take the GIL back after a C call is counted in that call).",
        "",
        *profile_table(every),
        "",
    ]


def profile_table(profile: Profile, rows: int = 20) -> list[str]:
    """The largest functions by inclusive share, plus any with a large own share."""
    own, inclusive = dict(profile.own), dict(profile.inclusive)
    names = list(inclusive)[:rows] + [name for name, _ in profile.own[:8] if name not in list(inclusive)[:rows]]
    names.sort(key=lambda name: -max(inclusive.get(name, 0.0), own.get(name, 0.0)))
    lines = ["| Function | % inclusive | % own |", "|---|---:|---:|"]
    lines += [f"| `{name}` | {_share(inclusive.get(name))} | {_share(own.get(name))} |" for name in names]
    return lines


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def markdown(report: Report) -> str:
    lines = ["# uprof benchmark", "", *report.header, "", table(report), ""]
    if report.startup:
        lines += [
            "## Start-up (process start → first `/healthz` 200, migrations applied)",
            "",
            *startup_text(report),
            "",
        ]
    checks = targets(report)
    if checks:
        lines += ["## Targets", "", "| Target | Measured | Met |", "|---|---|---|"]
        lines += [f"| {t.name} | {t.measured} | {'yes' if t.met else '**no**'} |" for t in checks]
        lines.append("")
    if report.notes:
        lines += ["## Notes", "", *(f"- {note}" for note in report.notes), ""]
    if report.hotspots:
        lines += ["## Profiles (py-spy)", ""]
        for spots in report.hotspots:
            lines += hotspot_text(spots)
    return "\n".join(lines)
