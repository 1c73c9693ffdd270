"""uprof.testing's parts that need no server: the missing SDK, and pages' messages."""

from __future__ import annotations

import sys

import pytest

from uprof.testing import Org
from uprof.testing.end_user import _messages


def test_a_client_without_the_sdk_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "anthropic", None)  # as if not installed
    org = Org("http://127.0.0.1:9", "org", "sk-uprof-x", "sk-uprof-admin-x")
    for make in (org.client, org.async_client, org.admin_client):
        with pytest.raises(RuntimeError, match=r"pip install 'anthropic\[webhooks\]'"):
            make()
    org.close()


def test_a_page_error_shows_the_field_messages_or_else_the_page_text() -> None:
    fields = '<p class="field-error" id="x"><span class="visually-hidden">Error: </span>Choose at least one tier.</p>'
    assert _messages(f"<main>{fields}</main>") == ["Choose at least one tier."]
    page = "<main id='main'><h1>This link has expired</h1>\n<p>Ask for a new one &amp; retry.</p></main>"
    assert _messages(page) == ["This link has expired Ask for a new one & retry."]
