"""uprof as users install it: a wheel built from a copy of the source, installed into a brand-new
virtual environment, then run from there.

The environment is created without pip and without the system's site-packages, and the project
environment's pip installs into it (`pip --python`): the wheel and every dependency it declares,
resolved from the package index (through pip's cache) exactly as `pip install uprof-….whl` would.
So the test proves that the pinned dependencies install together and that the wheel carries
everything it needs (migrations, templates, static files), with nothing borrowed from the
checkout or from the test environment. With a warm cache it takes about 15 seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import free_port
from uprof import __version__
from uprof.db import migrate

ROOT = Path(__file__).resolve().parents[2]


def run(*command: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run outside the checkout, with no UPROF_* or PYTHON* setting that could point back into it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UPROF_", "PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin/ folder of a new virtual environment with the uprof wheel installed."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"  # a copy, so that building leaves nothing behind in the checkout
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", work / "dist", source, cwd=work)
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("uprof-*.whl")
    assert wheel.name == f"uprof-{__version__}-py3-none-any.whl"

    venv = work / "venv"
    created = run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    pip = (sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-compile")
    installing = run(*pip, wheel, cwd=work)
    assert installing.returncode == 0, installing.stderr
    yield venv / "bin"


def test_the_installed_package_runs_from_its_own_environment(installed: Path, tmp_path: Path) -> None:
    where = run(installed / "python", "-c", "import uprof, sys; print(uprof.__file__); print(sys.path)", cwd=tmp_path)
    module_file = Path(where.stdout.splitlines()[0])
    assert module_file.is_relative_to(installed.parent), where.stdout
    assert str(ROOT) not in where.stdout  # nothing of the checkout on the path

    version = run(installed / "python", "-m", "uprof", "--version", cwd=tmp_path)
    assert (version.returncode, version.stdout) == (0, f"uprof, version {__version__}\n")
    helped = run(installed / "uprof", "--help", cwd=tmp_path)
    assert helped.returncode == 0 and helped.stdout.startswith("Usage: uprof [OPTIONS] COMMAND [ARGS]...")
    for command in ("serve", "keys", "db", "export", "import", "webhooks"):
        assert f"\n  {command} " in helped.stdout, command


def test_the_wheel_carries_its_migrations_templates_and_static_files(installed: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'uprof.db'}"
    upgraded = run(installed / "uprof", "db", "upgrade", "--database-url", url, cwd=tmp_path)
    assert (upgraded.returncode, upgraded.stdout) == (0, f"database is at revision {migrate.head_revision()}\n")

    port = free_port()
    with (tmp_path / "serve.log").open("w") as log:
        server = subprocess.Popen(
            [installed / "uprof", "serve", "--port", str(port), "--database-url", url],
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the installed server did not start"
                time.sleep(0.1)
        css = httpx.get(f"{base}/static/uprof.css", timeout=5)
        assert css.status_code == 200 and css.text == (ROOT / "src/uprof/pages/static/uprof.css").read_text()
        link = httpx.get(f"{base}/enroll/unknown-token", timeout=5)  # pages/templates
        assert link.status_code == 404 and "This link is not valid" in link.text
        login = httpx.get(f"{base}/console/login", timeout=5)  # console/templates
        assert login.status_code == 200 and 'name="api_key"' in login.text
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert server.returncode == 0
