"""The docs generated from the code are current: docs/cli.md (from the CLI's own help) and the
configuration reference in docs/operations.md (from uprof.config.Settings and the CLI options).

Both are regenerated in memory by scripts/docs-cli; a difference means someone changed a command,
an option or a setting without running `scripts/docs-cli`.
"""

from __future__ import annotations

import dataclasses
import importlib.machinery
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import click
import pytest

from uprof.cli import main
from uprof.config import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def docs_cli() -> ModuleType:
    """scripts/docs-cli, loaded as a module (it has no .py suffix, being a command)."""
    loader = importlib.machinery.SourceFileLoader("docs_cli", str(ROOT / "scripts" / "docs-cli"))
    spec = importlib.util.spec_from_loader("docs_cli", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_docs_cli_md_is_the_cli_help_as_generated(docs_cli: ModuleType) -> None:
    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == docs_cli.render_cli(), "docs/cli.md is out of date: run scripts/docs-cli"


def test_the_configuration_reference_in_operations_md_is_as_generated(docs_cli: ModuleType) -> None:
    committed = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert committed.count(docs_cli.BEGIN) == 1 and committed.count(docs_cli.END) == 1
    assert committed == docs_cli.with_configuration(committed), (
        "docs/operations.md is out of date: run scripts/docs-cli"
    )


def test_every_command_every_variable_and_every_setting_is_documented() -> None:
    cli_md = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    operations_md = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    context = main.make_context("uprof", [], resilient_parsing=True)
    paths = ["uprof"]
    for name in main.list_commands(context):
        command = main.get_command(context, name)
        assert command is not None
        paths.append(f"uprof {name}")
        if isinstance(command, click.Group):
            paths += [f"uprof {name} {sub}" for sub in command.list_commands(context)]
    for path in paths:
        assert f"`{path}`\n\n```text\nUsage: {path} " in cli_md, path
    declared = "".join(path.read_text() for path in (ROOT / "src/uprof/cli").glob("*.py"))
    for variable in set(re.findall(r'envvar="(UPROF_[A-Z_]+)"', declared)):
        if variable != "UPROF_WEBHOOK_RETRY_BASE_SECONDS":  # hidden, for tests only
            assert f"| `{variable}` |" in cli_md, variable
    for setting in dataclasses.fields(Settings):
        assert f"`{setting.name}`" in operations_md, setting.name


def test_a_setting_without_an_option_stops_the_generator(docs_cli: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    @dataclasses.dataclass(frozen=True)
    class Extended(Settings):
        undocumented: int = 0

    monkeypatch.setattr(docs_cli, "Settings", Extended)
    with pytest.raises(SystemExit, match="Settings.undocumented has no `uprof serve` option"):
        docs_cli.render_configuration()


def test_every_picture_the_docs_show_is_in_the_repository() -> None:
    pictures = [
        (page.name, target)
        for page in (ROOT / "docs").glob("*.md")
        for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text())
    ]
    assert pictures, "docs/provider.md walks through the pages with screenshots"
    assert [(page, target) for page, target in pictures if not (ROOT / "docs" / target).is_file()] == []
