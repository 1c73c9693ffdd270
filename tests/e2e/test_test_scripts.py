"""The scripts around the suite: `scripts/check-prerequisites` stops with one line per thing it cannot
provide, and `scripts/refresh-docs` keeps the generated docs out of the test run (scripts/test checks
them, never rewrites them)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "scripts" / "check-prerequisites"


def check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith(("UPROF_", "PREREQ_"))}
    return subprocess.run(["/bin/bash", str(CHECK)], env={**clean, **env}, capture_output=True, text=True, timeout=60)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("scripts/test: ")
    return line


@pytest.fixture
def held_lock(tmp_path: Path) -> Iterator[Path]:
    """A lock file held the way apt and dpkg hold /var/lib/dpkg/lock-frontend."""
    path = tmp_path / "lock-frontend"
    with path.open("w") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield path


def test_missing_node_is_named_with_what_to_install(tmp_path: Path) -> None:
    bin_folder = tmp_path / "bin"  # python3 alone: no node, no npm
    bin_folder.mkdir()
    # CPython's sys._base_executable (the interpreter behind a venv) is private, so typeshed omits it.
    (bin_folder / "python3").symlink_to(Path(sys._base_executable).resolve())  # type: ignore[attr-defined]
    line = one_line(check({"PATH": str(bin_folder)}))
    assert line == (
        "scripts/test: the TypeScript SDK tests need Node.js 20 or later and npm on PATH (apt-get install nodejs npm)"
    )


def test_an_unreachable_postgresql_is_named() -> None:
    line = one_line(check({"UPROF_TEST_POSTGRES": "postgresql://postgres@127.0.0.1:1/postgres"}))
    assert "UPROF_TEST_POSTGRES does not accept connections" in line


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("apt-get") is None, reason="installing needs root and apt")
def test_a_held_dpkg_lock_stops_before_apt_runs(tmp_path: Path, held_lock: Path) -> None:
    result = check({"PREREQ_CHROMIUM": str(tmp_path / "no-chromium"), "PREREQ_DPKG_LOCK": str(held_lock)})
    line = one_line(result)
    assert line.startswith("scripts/test: cannot install Chromium now: another apt or dpkg")
    assert "let it finish and run scripts/test again" in line
    assert "Could not get lock" not in result.stderr and "installing Chromium" not in result.stderr


def test_this_machine_has_everything() -> None:
    assert check({}).returncode == 0


# --- scripts/refresh-docs --------------------------------------------------------------------------


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The scripts and the two documents in a folder of their own, with no recorded results yet."""
    for name in ("compat-matrix", "reliability-report", "refresh-docs"):
        (tmp_path / "scripts").mkdir(exist_ok=True)
        shutil.copy(ROOT / "scripts" / name, tmp_path / "scripts" / name)
    (tmp_path / "docs").mkdir()
    for name in ("compatibility.md", "reliability.md"):
        shutil.copy(ROOT / "docs" / name, tmp_path / "docs" / name)
    return tmp_path


def record(folder: Path, outcome: str) -> None:
    results = folder / "artifacts" / "compat"
    results.mkdir(parents=True, exist_ok=True)
    row = {"client": "anthropic 9.9.9 GA", "operation": "create", "backend": "SQLite", "outcome": outcome}
    document = {"environment": "anthropic-9.9.9", "generated_at": "2026-12-06T10:00:00+00:00", "sdks": {}}
    (results / "anthropic-9.9.9.json").write_text(json.dumps({**document, "results": [row]}))


def refresh(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = folder / "scripts" / "refresh-docs"
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=60)


def test_refresh_docs_checks_without_writing_and_writes_when_asked(copy: Path) -> None:
    committed = {path.name: path.read_text() for path in (copy / "docs").iterdir()}
    record(copy, "failed")
    stale = refresh(copy, "--check")
    assert stale.returncode == 1
    assert "docs/compatibility.md does not show what this run proved" in stale.stderr
    assert "+| anthropic 9.9.9 GA | SQLite | ✗ |" in stale.stderr
    assert "the run recorded no figures for part of docs/reliability.md" in stale.stderr  # none recorded
    assert {path.name: path.read_text() for path in (copy / "docs").iterdir()} == committed  # docs untouched
    assert (copy / "artifacts" / "docs" / "compatibility.md").exists()

    written = refresh(copy)
    assert written.returncode == 0, written.stderr
    assert "| anthropic 9.9.9 GA | SQLite | ✗ |" in (copy / "docs" / "compatibility.md").read_text()
    again = refresh(copy, "--check")
    assert "docs/compatibility.md" not in again.stderr  # only the reliability figures are still missing
    assert "docs/reliability.md" in again.stderr


def test_ci_builds_installs_and_serves_the_wheel() -> None:
    """CI (.ci/run) is scripts/test, which runs scripts/package-smoke before the suite."""
    assert "exec scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    steps = [line for line in (ROOT / "scripts" / "test").read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
    assert steps.index("scripts/package-smoke") < next(i for i, step in enumerate(steps) if "pytest" in step)
    smoke = (ROOT / "scripts" / "package-smoke").read_text(encoding="utf-8")
    for step in ("-m build --sdist --wheel", '"$wheel[sdk]"', '"$bin/uprof" --version', "user_profiles.create"):
        assert step in smoke
