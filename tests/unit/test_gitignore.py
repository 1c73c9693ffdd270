"""What uprof writes into the folder it runs in stays out of git: the database, the secret key, export
files (which hold key hashes and signing secrets) and the test run's reports under artifacts/."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WRITTEN = [
    "uprof.db",
    "uprof.db-wal",
    "uprof.db-shm",
    "uprof.db-journal",
    "copy.db",
    "uprof.key",
    "uprof.jsonl",
    "backup-2026-12-06.jsonl",
    "artifacts/compat/sdk.json",
    "artifacts/reliability/crash.json",
]


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_files_uprof_and_its_tests_write_are_ignored() -> None:
    checked = subprocess.run(
        ["git", "-C", str(ROOT), "check-ignore", "--no-index", "--verbose", "--non-matching", *WRITTEN],
        capture_output=True,
        text=True,
        check=False,
    )
    not_ignored = [line.split("\t")[1] for line in checked.stdout.splitlines() if line.startswith("::")]
    assert not_ignored == []
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "*.jsonl", "*.db", "*.key"], capture_output=True)
    assert tracked.stdout == b""
