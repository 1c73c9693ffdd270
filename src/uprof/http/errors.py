"""One error tree for the API, rendered into one envelope (docs/reference/http.md §11–12)."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from starlette.types import Message


class ApiError(Exception):
    """An error the API reports to the client; subclasses fix the status and error type."""

    status = 500
    error_type = "api_error"

    def __init__(self, message: str, *, error_code: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.headers = headers or {}


class InvalidRequest(ApiError):
    status = 400
    error_type = "invalid_request_error"


class AuthenticationFailed(ApiError):
    status = 401
    error_type = "authentication_error"


class PermissionDenied(ApiError):
    status = 403
    error_type = "permission_error"


class NotFound(ApiError):
    status = 404
    error_type = "not_found_error"


class MethodNotAllowed(ApiError):
    status = 405
    error_type = "invalid_request_error"


class Conflict(ApiError):
    status = 409
    error_type = "conflict_error"


class RequestTooLarge(ApiError):
    status = 413
    error_type = "request_too_large"


class RateLimited(ApiError):
    status = 429
    error_type = "rate_limit_error"


class InternalError(ApiError):
    status = 500
    error_type = "api_error"

    def __init__(self) -> None:
        super().__init__("internal server error")


class Overloaded(ApiError):
    status = 529
    error_type = "overloaded_error"

    def __init__(self) -> None:
        super().__init__("server is temporarily overloaded; retry shortly")


class HttpLayerError(ApiError):
    """Any other 4xx the HTTP layer produces (docs/reference/http.md §12): invalid_request_error with that status."""

    error_type = "invalid_request_error"

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def not_found_route() -> NotFound:
    return NotFound("not found")


def error_body(error: ApiError, request_id: str) -> bytes:
    """The envelope: exactly `type`, `error` (`type`, `message`, optional `details`) and `request_id`."""
    inner: dict[str, object] = {"type": error.error_type, "message": error.message}
    if error.error_code is not None:
        inner["details"] = {"error_code": error.error_code}
    return orjson.dumps({"type": "error", "error": inner, "request_id": request_id})


def json_answer(status: int, body: bytes, headers: Sequence[tuple[bytes, bytes]] = ()) -> list[Message]:
    """The two ASGI messages of a JSON answer: its head (content type, length and `headers`) and its body."""
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    return [
        {"type": "http.response.start", "status": status, "headers": head},
        {"type": "http.response.body", "body": body},
    ]


def one_of(values: tuple[str, ...]) -> str:
    """The message for a value outside `values`."""
    return "must be one of " + ", ".join(values)


def quote(text: str) -> str:
    """Offending values in messages are cut to 64 characters followed by `...` (docs/reference/http.md §13)."""
    return text if len(text) <= 64 else text[:64] + "..."


def member_path(parent: str, key: str) -> str:
    """The path of `key` inside the object at `parent` ("" = the body), for messages: the key cut like a
    quoted value, and an empty key written `""` so the path still shows it (docs/reference/profiles.md §3.4)."""
    name = '""' if key == "" else quote(key)
    return f"{parent}.{name}" if parent else name
