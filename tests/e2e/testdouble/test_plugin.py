"""The pytest plugin as a user meets it: `project/` is a user's test suite, copied out of the source
tree and run by a separate `pytest` that finds the plugin only through the installed package's
`pytest11` entry point (`-p uprof`, autoloading off), on each backend."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.secret_keys import SECRET_KEY_ENVIRONMENT

PROJECT = Path(__file__).parent / "project"
GUIDE = Path(__file__).parents[3] / "docs" / "testing.md"


def docs_example() -> str:
    """The Python example of docs/testing.md: its one ```python block that defines tests."""
    blocks: list[str] = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)
    examples = [block for block in blocks if "def test_" in block]
    assert len(examples) == 1, "docs/testing.md should hold one Python example of tests"
    return examples[0]


def run_user_suite(
    folder: Path, database_url: str | None, temporary: Path, *arguments: str
) -> subprocess.CompletedProcess[str]:
    """Run the suite in `folder` as its own pytest, the plugin found through its entry point only; on
    `database_url` (given as UPROF_TEST_DATABASE_URL), or else on the plugin's own temporary database."""
    skipped = ("PYTHONPATH", "UPROF_TEST_DATABASE_URL", "TMPDIR")
    environment = {
        **{name: value for name, value in os.environ.items() if name not in skipped},
        # The session's database holds webhook secrets sealed with the session's key, as a user's
        # shared test database would hold theirs: the user gives that key (docs/testing.md §2).
        **SECRET_KEY_ENVIRONMENT,
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "TMPDIR": str(temporary),
        **({"UPROF_TEST_DATABASE_URL": database_url} if database_url else {}),
    }
    command = [sys.executable, "-m", "pytest", "-p", "uprof", "-p", "no:cacheprovider", "-W", "error", "-q", *arguments]
    return subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True, timeout=300)


def test_a_user_suite_and_the_docs_example_pass_with_the_installed_plugin(database_url: str, tmp_path: Path) -> None:
    """On SQLite the plugin's own temporary database (whose folder is gone afterwards); on PostgreSQL
    the session's database, named by UPROF_TEST_DATABASE_URL."""
    suite, temporary = tmp_path / "suite", tmp_path / "tmp"
    shutil.copytree(PROJECT, suite)
    temporary.mkdir()
    (suite / "test_docs_example.py").write_text(docs_example())
    own_database = None if database_url.startswith("sqlite") else database_url
    result = run_user_suite(suite, own_database, temporary, "-rA")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not list(temporary.glob("uprof-test-*")), "the uprof_server fixture left its files behind"
    assert "PASSED test_docs_example.py::test_approval_reaches_the_platform" in result.stdout
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_the_plugin_loads_by_itself_and_can_be_turned_off(tmp_path: Path) -> None:
    (tmp_path / "test_off.py").write_text("def test_needs_uprof(uprof):\n    pass\n")
    pytest_command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    listing = [*pytest_command, "--fixtures", "--uprof-database-url", "sqlite:///unused.db"]
    listed = subprocess.run(listing, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and "uprof_server [session scope]" in listed.stdout, listed.stderr
    off = [*pytest_command, "-p", "no:uprof", "test_off.py"]
    result = subprocess.run(off, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "fixture 'uprof' not found" in result.stdout
