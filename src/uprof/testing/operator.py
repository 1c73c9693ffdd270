"""The Admin API as methods (docs/testing.md §2, docs/provider.md): what only the operator can do."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from uprof.testing.errors import json_or_raise


class Operator:
    """Each method returns the Admin API's JSON object; an error raises uprof.testing.ApiError."""

    def __init__(self, admin: httpx.Client) -> None:
        self._admin = admin

    def approve_enrollment(self, enrollment_id: str, **body: Any) -> dict[str, Any]:
        return self._post(f"enrollments/{_id(enrollment_id)}/approve", body)

    def reject_enrollment(self, enrollment_id: str, **body: Any) -> dict[str, Any]:
        return self._post(f"enrollments/{_id(enrollment_id)}/reject", body)

    def enrollments(self, **query: Any) -> list[dict[str, Any]]:
        return self._all("enrollments", query)

    def set_program(self, profile_id: str, program: str, **body: Any) -> dict[str, Any]:
        return self._post(f"user_profiles/{_id(profile_id)}/programs/{_id(program)}", body)

    def open_action(self, profile_id: str, **body: Any) -> dict[str, Any]:
        return self._post(f"user_profiles/{_id(profile_id)}/enforcement_actions", body)

    def resolve_action(self, action_id: str, **body: Any) -> dict[str, Any]:
        return self._post(f"enforcement_actions/{_id(action_id)}/resolve", body)

    def action(self, action_id: str) -> dict[str, Any]:
        return self._get(f"enforcement_actions/{_id(action_id)}", {})

    def identity_checks(self, **query: Any) -> list[dict[str, Any]]:
        return self._all("identity_checks", query)

    def approve_identity_check(self, check_id: str, **body: Any) -> dict[str, Any]:
        return self._post(f"identity_checks/{_id(check_id)}/approve", body)

    def reject_identity_check(self, check_id: str, **body: Any) -> dict[str, Any]:
        return self._post(f"identity_checks/{_id(check_id)}/reject", body)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = json_or_raise(self._admin.post(f"/v1/admin/{path}", json=body))
        return result

    def _get(self, path: str, query: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = json_or_raise(self._admin.get(f"/v1/admin/{path}", params=query))
        return result

    def _all(self, path: str, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Every page of a list, unless the caller asked for one page (`page` or `limit`)."""
        items: list[dict[str, Any]] = []
        params = dict(query)
        while True:
            page = self._get(path, params)
            items.extend(page["data"])
            if not page.get("next_page") or "page" in query or "limit" in query:
                return items
            params["page"] = page["next_page"]


def _id(value: str) -> str:
    return quote(value, safe="")
