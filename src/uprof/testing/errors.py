"""What the test double's helpers raise when uprof refuses them."""

from __future__ import annotations

from typing import Any

import httpx


class ApiError(Exception):
    """An API call (control API or Admin API) answered with an error: `.status` and the envelope in `.body`."""

    def __init__(self, status: int, body: Any) -> None:
        message = body.get("error", {}).get("message") if isinstance(body, dict) else None
        super().__init__(f"{status}: {message or body!r}")
        self.status = status
        self.body = body


class PageError(Exception):
    """An end-user page refused a form: `.status` and the `.messages` the page showed."""

    def __init__(self, status: int, messages: list[str]) -> None:
        super().__init__(f"{status}: {'; '.join(messages)}")
        self.status = status
        self.messages = messages


def json_or_raise(response: httpx.Response) -> Any:
    """The JSON body of a successful answer; ApiError for any other."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    if response.is_error:
        raise ApiError(response.status_code, body)
    return body
