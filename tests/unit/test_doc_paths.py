"""Paths the docs and pyproject.toml name exist in the repository: a reader who follows
`src/uprof/webhooks/secret_box.py` or `docs/operations.md` finds it (stale paths creep in when code moves)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [ROOT / "pyproject.toml", ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PACKAGE_PATH = re.compile(r"\b(?:src/)?(uprof/[A-Za-z0-9_/]+\.py)\b")
DOC_PATH = re.compile(r"\bdocs/([a-z_-]+\.md)\b")


def test_every_named_module_and_doc_exists() -> None:
    named = []
    for text_path in TEXTS:
        text = text_path.read_text(encoding="utf-8")
        named += [(text_path.name, f"src/{path}") for path in PACKAGE_PATH.findall(text)]
        named += [(text_path.name, f"docs/{name}") for name in DOC_PATH.findall(text)]
    assert [(where, path) for where, path in named if not (ROOT / path).exists()] == []


def test_the_check_sees_a_stale_path() -> None:
    assert PACKAGE_PATH.findall("Fernet (uprof/secret_box.py)") == ["uprof/secret_box.py"]
    assert not (ROOT / "src/uprof/secret_box.py").exists()
