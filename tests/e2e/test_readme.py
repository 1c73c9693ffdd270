"""The README as a newcomer follows it: the Quickstart is two commands, the SDK example runs against a
real server, and the commands of "Try it end to end" (metrics, export, import, serving the copy) work.

The README's placeholders are replaced textually: its key, `http://127.0.0.1:8080`, port 8081 and
`.venv/bin/` (this environment's bin folder); everything else runs as written.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.databases import fresh_database
from tests.e2e.cli.support import base_environment, uprof
from tests.e2e.conftest import Server, Tenant, free_port, start_server, stop_server

README = Path(__file__).resolve().parents[2] / "README.md"
KEY_PLACEHOLDER = '"sk-uprof-…"'
URL_PLACEHOLDER = "http://127.0.0.1:8080"
BIN = f"{Path(sys.executable).parent}/"
PRINTED = re.compile(r"uprof_[0-9A-Za-z]{24} unrestricted\n")


def section(title: str) -> str:
    """The README text under `## title`, up to the next `## ` heading."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def fenced(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.M | re.S)


def commands(block: str) -> list[str]:
    return [line.strip() for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def sdk_example(key: str, url: str) -> str:
    """The README's Python example with `key` and `url` in place of its placeholders."""
    [example] = fenced(section("Point the SDK at uprof"), "python")
    assert example.count(KEY_PLACEHOLDER) == 1 and example.count(URL_PLACEHOLDER) == 1, example
    return example.replace(KEY_PLACEHOLDER, repr(key)).replace(URL_PLACEHOLDER, url)


def run_example(example: str, folder: Path) -> str:
    script = folder / "example.py"
    script.write_text(example, encoding="utf-8")
    ran = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=folder)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout


def test_the_quickstart_is_two_commands_on_one_editable_install() -> None:
    [block] = fenced(section("Quickstart"), "sh")
    serve, test = commands(block)
    # Editable: `scripts/test` reinstalls uprof editable into the same .venv, which would delete the files
    # (templates, static) of a regular install while the server of the first command runs from them.
    assert serve == "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/uprof serve"
    assert test == "scripts/test"
    script = (README.parent / "scripts" / "test").read_text(encoding="utf-8")
    assert re.search(r'pip install .*-e "\.\[', script)
    # What the second command needs is listed, and checked before anything else runs.
    quickstart = section("Quickstart")
    for prerequisite in ("**PostgreSQL**", "**Debian's Chromium**", "**Node.js 20 or later and npm**"):
        assert prerequisite in quickstart
    steps = [line for line in script.splitlines() if line and not line.startswith("#")]
    assert steps[:3] == ["set -euo pipefail", 'cd "$(dirname "$0")/.."', "scripts/check-prerequisites"]


# A call of the command: `uprof` followed by one of its commands or options.
UPROF_CALL = re.compile(r"(\S*)\buprof (?:serve|keys|db|export|import|webhooks|--version|--help|-h)\b")


def test_the_cli_is_called_one_way_throughout() -> None:
    """Every command the README shows is `.venv/bin/uprof …`: a bare `uprof` is not on the PATH of a
    newcomer who has not activated the environment."""
    calls = UPROF_CALL.findall(README.read_text(encoding="utf-8"))
    assert len(calls) >= 6, calls
    assert {prefix.lstrip("`") for prefix in calls} == {".venv/bin/"}, calls


def test_the_sdk_example_runs_against_uprof(server: Server, tenant: Tenant, tmp_path: Path) -> None:
    printed = run_example(sdk_example(tenant.key, server.url), tmp_path)
    assert PRINTED.fullmatch(printed), printed
    headers = {"x-api-key": tenant.key, "anthropic-version": "2023-06-01"}
    profile = httpx.get(f"{server.url}/v1/user_profiles/{printed.split()[0]}", headers=headers).json()
    assert (profile["name"], profile["metadata"]) == ("Ada Example", {"plan": "pro"})


def test_try_it_end_to_end(tmp_path: Path) -> None:
    """On SQLite as the README runs it (test_portability.py covers the other backend), on a database of its
    own, so the export holds only what the README's steps made."""
    blocks = fenced(section("Try it end to end"), "sh")
    [metrics], [export, import_, serve_copy] = (commands(block) for block in blocks)
    with fresh_database("sqlite", tmp_path) as url:
        created = uprof("keys", "create", "--name", "dev", "--database-url", url)
        assert created.returncode == 0, created.stderr
        key = created.stdout.strip()
        running = start_server(url)
        try:
            profile_id = run_example(sdk_example(key, running.url), tmp_path).split()[0]
            scraped = shell(metrics.replace(URL_PLACEHOLDER, running.url), tmp_path, url)
            assert 'uprof_http_requests_total{method="POST",route="/v1/user_profiles",status="200"} 1.0' in scraped
            shell(export, tmp_path, url)  # while the server serves
        finally:
            stop_server(running)
        assert re.search(r"^uprof: req_\w+ POST /v1/user_profiles 200 ", running.output(), re.M), running.output()
    shell(import_, tmp_path)
    assert (tmp_path / "copy.db").exists()
    listed = serve_and_list(serve_copy, tmp_path, key)
    assert [profile["id"] for profile in listed] == [profile_id]


def shell(command: str, folder: Path, database_url: str | None = None) -> str:
    """Run a README command in `folder`, with the default database (no `--database-url`) at `database_url`."""
    env = base_environment() | ({"UPROF_DATABASE_URL": database_url} if database_url else {})
    ran = subprocess.run(
        command.replace(".venv/bin/", BIN), shell=True, capture_output=True, text=True, cwd=folder, env=env, timeout=120
    )
    assert ran.returncode == 0, (command, ran.stderr)
    return ran.stdout


def serve_and_list(command: str, folder: Path, key: str) -> list[dict[str, object]]:
    """Start the README's `uprof serve` line (on a free port instead of its own) and list the profiles."""
    port = free_port()
    assert "--port 8081" in command, command
    args = shlex.split(command.replace(".venv/bin/", BIN).replace("--port 8081", f"--port {port}"))
    log = folder / "copy.log"
    with log.open("wb") as sink:
        running = subprocess.Popen(args, cwd=folder, env=base_environment(), stdout=sink, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert running.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
            try:
                answer = httpx.get(
                    f"{url}/v1/user_profiles", headers={"x-api-key": key, "anthropic-version": "2023-06-01"}
                )
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert answer.status_code == 200, answer.text
        data: list[dict[str, object]] = answer.json()["data"]
        return data
    finally:
        running.terminate()
        running.wait(timeout=20)
