"""Finding the API key in a request (docs/reference/http.md §3) and checking the workspace header (§7)."""

from __future__ import annotations

from uprof.accounts.service import Principal
from uprof.http.errors import AuthenticationFailed, NotFound, PermissionDenied, quote
from uprof.http.headers import RequestHeaders


def presented_key(headers: RequestHeaders) -> str:
    """The key from `x-api-key`, else from `Authorization: Bearer`; an empty header counts as absent."""
    key = headers.get("x-api-key", "").strip()
    if key:
        return key
    authorization = headers.get("authorization", "").strip()
    if not authorization:
        raise AuthenticationFailed("missing API key: send x-api-key or Authorization: Bearer")
    credential = bearer_credential(authorization)
    if credential is None:
        raise AuthenticationFailed("Authorization header must use the Bearer scheme")
    if not credential:
        raise AuthenticationFailed("invalid API key")
    return credential


def bearer_credential(authorization: str) -> str | None:
    """The credential of an `Authorization` header with the Bearer scheme (its name in any case), or
    None for another scheme; surrounding spaces are not part of it."""
    scheme, _, credential = authorization.strip().partition(" ")
    return credential.strip() if scheme.lower() == "bearer" else None


def invalid_key() -> AuthenticationFailed:
    return AuthenticationFailed("invalid API key")


def acting_workspace(principal: Principal, requested: str | None, requested_exists: bool) -> str | None:
    """The workspace the request acts in, or raise 403/404 per the rules of docs/reference/http.md §7."""
    if principal.workspace_id is not None:
        if requested is None or requested == principal.workspace_id:
            return principal.workspace_id
        raise PermissionDenied(
            f"anthropic-workspace-id: this API key belongs to workspace {principal.workspace_id} "
            f"and cannot act on {quote(requested)}"
        )
    if requested is None:
        return None
    if not requested_exists:
        raise NotFound(f"anthropic-workspace-id: workspace {quote(requested)} not found")
    return requested
