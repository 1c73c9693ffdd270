"""The headers the document declares: request headers per route family (docs/reference/http.md §4, §5, §7), taken
from the same `RouteRules` and value lists the request pipeline checks, and response headers (§8)."""

from __future__ import annotations

from typing import Any

from uprof.http.endpoint import SUPPORTED_VERSIONS, RouteRules
from uprof.http.revision_choice import DATA_CONTROLS_BETA, WEBHOOKS_BETA, Revision

VERSION = "AnthropicVersion"
OPTIONAL_VERSION = "AnthropicVersionOptional"
REVISION_BETA = "UserProfilesBeta"
WEBHOOKS = "WebhooksBeta"
DATA_CONTROLS = "DataControlsBeta"
WORKSPACE = "AnthropicWorkspaceId"


def _header(name: str, schema: dict[str, Any], description: str, *, required: bool) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": required, "schema": schema, "description": description}


def _fixed(value: str) -> dict[str, Any]:
    """A header with exactly one value to send: `enum` and `default`, so a generated client sends it."""
    return {"type": "string", "enum": [value], "default": value}


def _version(*, required: bool) -> dict[str, Any]:
    # An empty header counts as absent (docs/reference/http.md §4): where the header is optional, "" is accepted too.
    values = list(SUPPORTED_VERSIONS) if required else [*SUPPORTED_VERSIONS, ""]
    schema = {"type": "string", "enum": values, "default": SUPPORTED_VERSIONS[0]}
    where = "Required." if required else "Optional on the Admin API; checked only when sent (empty counts as absent)."
    return _header("anthropic-version", schema, f"API version; both values behave the same. {where}", required=required)


def components(revision: Revision) -> dict[str, Any]:
    """`components.parameters` of the document of `revision`."""
    parameters = {
        VERSION: _version(required=True),
        OPTIONAL_VERSION: _version(required=False),
        WORKSPACE: _header(
            "anthropic-workspace-id",
            {"type": "string"},
            "Act in this workspace (docs/reference/http.md §7): a workspace-scoped key may name only its own "
            "(else 403); an organization-wide key may name any known workspace of its organization (else 404).",
            required=False,
        ),
    }
    if revision is not Revision.GA:
        # Without this value the server answers in the shapes of another revision (GA when no
        # `user-profiles-*` value is sent), which this document does not describe: for a client of
        # this document the header is required.
        parameters[REVISION_BETA] = _header(
            "anthropic-beta",
            _fixed(revision.value),
            f"Selects revision {revision.value}, the one this document describes.",
            required=True,
        )
    parameters[WEBHOOKS] = _header(
        "anthropic-beta",
        _fixed(WEBHOOKS_BETA),
        f"Required on webhook management routes: without {WEBHOOKS_BETA} they answer 404.",
        required=True,
    )
    parameters[DATA_CONTROLS] = _header(
        "anthropic-beta",
        _fixed(DATA_CONTROLS_BETA),
        f"Required on the data controls routes: without {DATA_CONTROLS_BETA} they answer 404.",
        required=True,
    )
    return parameters


def parameters(revision: Revision, rules: RouteRules) -> list[dict[str, Any]]:
    """References to the headers a route of this family declares (check order of docs/reference/http.md §1)."""
    names = [VERSION if rules.version_required else OPTIONAL_VERSION]
    if rules.required_beta is not None:
        assert rules.required_beta in (WEBHOOKS_BETA, DATA_CONTROLS_BETA), "declare the new required beta value here"
        names.append(WEBHOOKS if rules.required_beta == WEBHOOKS_BETA else DATA_CONTROLS)
    elif rules.resolves_revision and revision is not Revision.GA:
        names.append(REVISION_BETA)
    names.append(WORKSPACE)
    return [{"$ref": f"#/components/parameters/{name}"} for name in names]


RESPONSE_HEADERS: dict[str, dict[str, Any]] = {
    "RequestId": {
        "description": "The request's ID; equals `request_id` in an error body.",
        "required": True,
        "schema": {"type": "string", "pattern": "^req_[0-9A-Za-z]{24}$"},
    },
    "OrganizationId": {
        "description": "The organization of the accepted key (absent when the answer came before the key check).",
        "schema": {"type": "string", "format": "uuid"},
    },
    "RetryAfter": {
        "description": "Whole seconds until a request will be admitted (at least 1).",
        "required": True,
        "schema": {"type": "string", "pattern": "^[1-9][0-9]*$"},
    },
    "RetryAfterMs": {
        "description": "Milliseconds until a request will be admitted.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "ShouldRetry": {
        "description": "A state conflict: retrying the same request will not help.",
        "required": True,
        "schema": {"const": "false"},
    },
}


# Wire name of each response header above.
_WIRE_NAMES = {
    "RequestId": "request-id",
    "OrganizationId": "anthropic-organization-id",
    "RetryAfter": "retry-after",
    "RetryAfterMs": "retry-after-ms",
    "ShouldRetry": "x-should-retry",
}


def _refs(*names: str) -> dict[str, Any]:
    return {_WIRE_NAMES[name]: {"$ref": f"#/components/headers/{name}"} for name in names}


def success(schema: dict[str, Any]) -> dict[str, Any]:
    """A 200 answer: an accepted key, so both ID headers are present."""
    organization = {**RESPONSE_HEADERS["OrganizationId"], "required": True}
    return {
        "description": "Success",
        "headers": {**_refs("RequestId"), "anthropic-organization-id": organization},
        "content": {"application/json": {"schema": schema}},
    }


def _error(description: str, *extra: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _refs("RequestId", "OrganizationId", *extra),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


ERROR_RESPONSES = {
    "Error": _error("An error in the envelope of docs/reference/http.md §11"),
    "Conflict": _error("The object is not in a state that allows the operation", "ShouldRetry"),
    "RateLimited": _error("Rate limit exceeded", "RetryAfter", "RetryAfterMs"),
}
