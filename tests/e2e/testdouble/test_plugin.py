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
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)
    examples = [block for block in blocks if "def test_" in block]
    assert len(examples) == 1, "docs/testing.md should hold one Python example of tests"
    return examples[0]


def run_user_suite(folder: Path, database_url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **{name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "UPROF_TEST_DATABASE_URL")},
        # The session's database holds webhook secrets sealed with the session's key, as a user's
        # shared test database would hold theirs: the user gives that key (docs/testing.md §2).
        **SECRET_KEY_ENVIRONMENT,
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "UPROF_TEST_DATABASE_URL": database_url,
    }
    command = [sys.executable, "-m", "pytest", "-p", "uprof", "-p", "no:cacheprovider", "-W", "error", "-q", *arguments]
    return subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True, timeout=300)


def test_a_user_suite_and_the_docs_example_pass_with_the_installed_plugin(database_url: str, tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    shutil.copytree(PROJECT, suite)
    (suite / "test_docs_example.py").write_text(docs_example())
    result = run_user_suite(suite, database_url, "-rA")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASSED test_docs_example.py::test_approval_reaches_the_platform" in result.stdout
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_the_plugin_loads_by_itself_and_can_be_turned_off(tmp_path: Path) -> None:
    (tmp_path / "test_off.py").write_text("def test_needs_uprof(uprof):\n    pass\n")
    pytest_command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    listed = subprocess.run([*pytest_command, "--fixtures"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "uprof_server [session scope]" in listed.stdout and "--uprof-database-url" not in listed.stderr
    off = [*pytest_command, "-p", "no:uprof", "test_off.py"]
    result = subprocess.run(off, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "fixture 'uprof' not found" in result.stdout
