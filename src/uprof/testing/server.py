"""`uprof serve --test-controls` as a child process for a test session (docs/testing.md §2)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from uprof.testing.errors import json_or_raise

START_TIMEOUT = 30.0


class TestServer:
    """A running `uprof serve --test-controls` on 127.0.0.1 and a free port; `stop` ends it and
    removes its files. `admin_key` is an admin key of an organization of its own, which makes the
    organizations the tests get."""

    __test__ = False  # not a test class, whatever pytest's name rules say

    def __init__(self, process: subprocess.Popen[bytes], base_url: str, folder: Path, admin_key: str) -> None:
        self.process = process
        self.base_url = base_url
        self.folder = folder
        self.admin_key = admin_key
        self._control = httpx.Client(base_url=base_url, headers={"x-api-key": admin_key}, timeout=30)

    @classmethod
    def start(cls, database_url: str | None = None, *options: str) -> TestServer:
        """Start a server on `database_url`, or on a fresh SQLite file in a temporary folder."""
        folder = Path(tempfile.mkdtemp(prefix="uprof-test-"))
        url = database_url or f"sqlite:///{folder / 'uprof.db'}"
        port = _free_port()
        command = [sys.executable, "-m", "uprof", "serve", "--test-controls", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--database-url", url, "--secret-key-file", str(folder / "uprof.key")]
        # Links must point at this server whatever UPROF_PUBLIC_BASE_URL the environment holds.
        command += ["--public-base-url", f"http://127.0.0.1:{port}"]
        environment = {**os.environ, "UPROF_LOG_LEVEL": os.environ.get("UPROF_LOG_LEVEL", "warning")}
        with (folder / "stdout").open("wb") as out, (folder / "stderr").open("wb") as err:
            process = subprocess.Popen([*command, *options], stdout=out, stderr=err, cwd=folder, env=environment)
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(process, base_url, folder)
            admin_key = _first_key(folder) or _new_admin_key(url)
        except BaseException:
            _end(process)
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return cls(process, base_url, folder, admin_key)

    def new_organization(self, name: str | None = None) -> dict[str, str]:
        """`POST /_uprof/organizations`: `organization_id`, `admin_key` and `api_key` of a fresh organization."""
        body = {} if name is None else {"name": name}
        result: dict[str, str] = json_or_raise(self._control.post("/_uprof/organizations", json=body))
        return result

    def output(self) -> str:
        return "".join((self.folder / name).read_text(errors="replace") for name in ("stdout", "stderr"))

    def stop(self) -> None:
        self._control.close()
        _end(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, folder: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(base_url=base_url, timeout=1) as probe:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = (folder / "stderr").read_text(errors="replace")
                raise RuntimeError(f"uprof serve --test-controls exited ({process.returncode}):\n{output}")
            with contextlib.suppress(httpx.TransportError):
                if probe.get("/healthz").status_code == 200:
                    return
            time.sleep(0.01)
    raise RuntimeError(f"uprof serve --test-controls did not answer within {START_TIMEOUT:.0f} s")


def _first_key(folder: Path) -> str | None:
    """The admin key a first start prints on stdout (a database that had none)."""
    for line in (folder / "stdout").read_text().splitlines():
        if line.startswith("sk-uprof-admin-"):
            return line.strip()
    return None


def _new_admin_key(database_url: str) -> str:
    """An admin key of a new organization, made in the database the server uses (one that had keys
    already, so the server printed none)."""
    from uprof.accounts import service as accounts
    from uprof.db.engine import make_engine
    from uprof.db.unit_of_work import Database

    database = Database(make_engine(database_url))
    try:
        name = f"uprof-testing-{uuid.uuid4()}"
        created = database.run(
            lambda c: accounts.create_key(c, name="uprof.testing", admin=True, organization_name=name), write=True
        )
    finally:
        database.engine.dispose()
    return created.key


def _end(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
