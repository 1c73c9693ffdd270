"""JSON Schemas of External Keys and Google-managed data controls (the shapes of anthropic 2.14.0's
`beta.organization.external_keys` and `beta.user_profiles.providers.google.data_controls`,
docs/data_controls.md), the operator's routes beside them, and the operations that use them."""

from __future__ import annotations

from typing import Any

from uprof.data_controls.regions import REGIONS
from uprof.data_controls.schemas import FAILED_CHECKS, MAX_CHECKS, MAX_ERROR, ROLES
from uprof.external_keys.schemas import GEOS, MAX_DISPLAY_NAME, VALIDATION_STATUSES
from uprof.openapi.schemas import NULLABLE_TEXT, TIMESTAMP, closed, enum, identifier, listing_parameters, page, ref

KEYS = "/v1/organizations/external_keys"
KEY = KEYS + "/{external_key_id}"
CONTROLS = "/v1/user_profiles/{user_profile_id}/providers/google/data_controls"
ADMIN_CONTROLS = "/v1/admin/user_profiles/{user_profile_id}/data_controls"

NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
EKEY = identifier("ekey_")
NULLABLE_EKEY = {"type": ["string", "null"], "pattern": "^ekey_[0-9A-Za-z]{1,24}$"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 512}
NULLABLE = {"type": ["string", "null"], "minLength": 1, "maxLength": 512}
UUID = {
    "type": "string",
    "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "examples": ["9f2c1a4e-1111-4c2d-9e3f-0123456789ab"],
}
GCP_KEY_NAME = {
    "type": "string",
    "pattern": "^projects/[a-z0-9-]+/locations/[a-z0-9-]+/keyRings/[A-Za-z0-9_-]+/cryptoKeys/[A-Za-z0-9_-]+$",
    "examples": ["projects/acme/locations/us/keyRings/ring/cryptoKeys/key"],
}
AWS_ARN = {
    "type": "string",
    "maxLength": 512,
    "pattern": "^arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:[0-9]{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$",
    "examples": ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
}
VAULT_URI = {
    "type": "string",
    "pattern": "^https://[A-Za-z0-9-]{3,24}\\.(vault|managedhsm)\\.azure\\.net/?$",
    "examples": ["https://acme-vault.vault.azure.net"],
}


def _configs(*, stored: bool) -> dict[str, Any]:
    """The three provider configurations: as echoed (every optional field present) or as sent."""
    aws = {"type": {"const": "aws"}, "kms_arn": AWS_ARN, "region": NULLABLE, "role_arn": NULLABLE}
    azure = {
        "type": {"const": "azure"},
        "key_name": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,127}$", "examples": ["customer-key"]},
        "tenant_id": UUID,
        "vault_uri": VAULT_URI,
        "client_id": {**UUID, "type": ["string", "null"]},
    }
    return {
        "anyOf": [
            closed({"type": {"const": "gcp"}, "key_name": GCP_KEY_NAME}),
            closed(aws, required=None if stored else ["type", "kms_arn"]),
            closed(azure, required=None if stored else ["type", "key_name", "tenant_id", "vault_uri"]),
        ]
    }


EXTERNAL_KEY = closed(
    {
        "type": {"const": "external_key"},
        "id": EKEY,
        "display_name": {"type": ["string", "null"], "maxLength": MAX_DISPLAY_NAME},
        "geo": enum(GEOS),
        "provider_config": _configs(stored=True),
        "user_profile_id": NULLABLE_TEXT,
        "attachment": closed({"type": enum(("attached", "unattached"))}),
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    }
)
DISPLAY_NAME = {"type": ["string", "null"], "maxLength": MAX_DISPLAY_NAME}
CREATE_BODY = closed(
    {
        "provider_config": _configs(stored=False),
        "display_name": DISPLAY_NAME,
        "geo": enum(GEOS),
        "user_profile_id": {"type": ["string", "null"], "minLength": 1},
    },
    required=["provider_config"],
)
UPDATE_BODY = closed(
    {
        "display_name": DISPLAY_NAME,
        "geo": enum(GEOS, nullable=True),
        "provider_config": {"anyOf": [*_configs(stored=False)["anyOf"], {"type": "null"}]},
    },
    required=[],
)
VALIDATION = closed(
    {"type": {"const": "external_key_validation"}, "status": enum(VALIDATION_STATUSES), "error": NULLABLE_TEXT}
)
ERROR_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_ERROR}

# --- data controls ---

BUCKET = closed(
    {
        "project_number": {"type": "string", "pattern": "^[1-9][0-9]{0,19}$"},
        "bucket_name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$"},
    }
)
FAILED_CHECK = closed(
    {"check": enum(FAILED_CHECKS), "message": ERROR_TEXT, "role": enum(ROLES, nullable=True)},
    required=["check", "message"],
)
CHECKS = {"type": "array", "items": FAILED_CHECK, "maxItems": MAX_CHECKS}


def _per_region(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "propertyNames": enum(REGIONS), "additionalProperties": schema}


def _key_status(kind: str, **fields: Any) -> dict[str, Any]:
    return closed({"type": {"const": kind}, "effective_external_key_id": NULLABLE_EKEY, **fields})


def _bucket_status(kind: str, **fields: Any) -> dict[str, Any]:
    return closed({"type": {"const": kind}, "effective_bucket": {"oneOf": [BUCKET, {"type": "null"}]}, **fields})


KEY_STATUS = {
    "oneOf": [
        _key_status("not_configured"),
        _key_status("pending", error=NULLABLE_TEXT),
        _key_status("active", error=NULLABLE_TEXT, last_checked_at=NULLABLE_TIMESTAMP, validated_at=TIMESTAMP),
        _key_status("failed", error={"type": "string"}),
        _key_status("suspended"),
    ]
}
BUCKET_STATUS = {
    "oneOf": [
        _bucket_status("not_configured"),
        _bucket_status("pending", failed_checks=CHECKS),
        _bucket_status("active", failed_checks=CHECKS, validated_at=TIMESTAMP),
        _bucket_status("failed", failed_checks=CHECKS),
        _bucket_status("suspended"),
    ]
}
RETIRED_KEYS = {
    "type": "array",
    "items": closed({"external_key_id": EKEY, "region": enum(REGIONS), "expires_at": TIMESTAMP}),
}
RETIRED_BUCKETS = {
    "type": "array",
    "items": closed({**BUCKET["properties"], "region": enum(REGIONS), "expires_at": TIMESTAMP}),
}
CONFIGURED_BUCKET = closed(
    {
        **BUCKET["properties"],
        "project_id": NULLABLE_TEXT,
        "location": NULLABLE_TEXT,
        "kms_key_name": NULLABLE_TEXT,
    }
)
DATA_CONTROLS = closed(
    {
        "type": {"const": "google_managed_data_controls"},
        "user_profile_id": identifier("uprof_"),
        "bucket_label_value": {"type": "string", "pattern": "^[a-z0-9_-]{1,63}$"},
        "cmek": {
            "oneOf": [
                closed({"type": {"const": "disabled"}, "retired_keys": RETIRED_KEYS}),
                closed(
                    {
                        "type": {"const": "enabled"},
                        "external_key_ids": _per_region(EKEY),
                        "status": _per_region(KEY_STATUS),
                        "retired_keys": RETIRED_KEYS,
                    }
                ),
            ]
        },
        "storage": {
            "oneOf": [
                closed({"type": {"const": "disabled"}, "retired_buckets": RETIRED_BUCKETS}),
                closed(
                    {
                        "type": {"const": "enabled"},
                        "buckets": _per_region(CONFIGURED_BUCKET),
                        "status": _per_region(BUCKET_STATUS),
                        "retired_buckets": RETIRED_BUCKETS,
                    }
                ),
            ]
        },
        "updated_at": TIMESTAMP,
    }
)
DISABLED = closed({"type": {"const": "disabled"}})
UPDATE_CONTROLS = {
    **closed(
        {
            "cmek": {
                "oneOf": [
                    DISABLED,
                    closed(
                        {
                            "type": {"const": "enabled"},
                            "external_key_ids": {
                                **_per_region({"type": ["string", "null"]}),
                                "type": ["object", "null"],
                            },
                        },
                        required=["type"],
                    ),
                ]
            },
            "storage": {
                "oneOf": [
                    DISABLED,
                    closed(
                        {
                            "type": {"const": "enabled"},
                            "buckets": {
                                **_per_region({"oneOf": [BUCKET, {"type": "null"}]}),
                                "type": ["object", "null"],
                            },
                        },
                        required=["type"],
                    ),
                ]
            },
        },
        required=[],
    ),
    "description": "Send cmek, storage, or both (one left out keeps what it has). While a control is on, at least"
    " one region must have a key or bucket.",
}

COMPONENTS: dict[str, Any] = {
    "ExternalKey": EXTERNAL_KEY,
    "ExternalKeyList": page(ref("ExternalKey")),
    "ExternalKeyCreateBody": CREATE_BODY,
    "ExternalKeyUpdateBody": UPDATE_BODY,
    "DeletedExternalKey": closed({"id": {"type": "string"}, "type": {"const": "external_key_deleted"}}),
    "ExternalKeyValidation": VALIDATION,
    "GoogleManagedDataControls": DATA_CONTROLS,
    "GoogleManagedDataControlsUpdateBody": UPDATE_CONTROLS,
}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    (KEYS, "POST"): {
        "summary": "Create an External Key",
        "body": ref("ExternalKeyCreateBody"),
        "ok": ref("ExternalKey"),
    },
    (KEYS, "GET"): {
        "summary": "List External Keys, newest first",
        "ok": ref("ExternalKeyList"),
        "parameters": listing_parameters(None),
    },
    (KEY, "GET"): {"summary": "Retrieve an External Key", "ok": ref("ExternalKey")},
    (KEY, "POST"): {
        "summary": "Update an External Key",
        "body": ref("ExternalKeyUpdateBody"),
        "ok": ref("ExternalKey"),
    },
    (KEY, "DELETE"): {"summary": "Delete an unattached External Key", "ok": ref("DeletedExternalKey")},
    (KEY + "/validate", "POST"): {
        "summary": "Validate an External Key",
        "body": closed({}),
        "ok": ref("ExternalKeyValidation"),
    },
    ("/v1/admin/external_keys/{external_key_id}/validation", "POST"): {
        "summary": "Decide what validating an External Key answers",
        "body": closed({"status": enum(VALIDATION_STATUSES), "error": ERROR_TEXT}, required=["status"]),
        "ok": ref("ExternalKeyValidation"),
    },
    (CONTROLS, "GET"): {
        "summary": "Retrieve a profile's Google-managed data controls",
        "ok": ref("GoogleManagedDataControls"),
    },
    (CONTROLS, "POST"): {
        "summary": "Update a profile's Google-managed data controls",
        "body": ref("GoogleManagedDataControlsUpdateBody"),
        "ok": ref("GoogleManagedDataControls"),
    },
    (ADMIN_CONTROLS, "GET"): {
        "summary": "A profile's data controls, as the operator sees them",
        "ok": ref("GoogleManagedDataControls"),
    },
    (ADMIN_CONTROLS + "/{control}/suspension", "POST"): {
        "summary": "Suspend or restore a data control for a profile",
        "body": closed({"suspended": {"type": "boolean", "examples": [True]}}),
        "ok": ref("GoogleManagedDataControls"),
    },
    (ADMIN_CONTROLS + "/{control}/{region}", "POST"): {
        "summary": "Decide a pending region now (or report an active bucket's daily checks)",
        "body": closed(
            {"status": enum(("active", "failed")), "error": ERROR_TEXT, "failed_checks": CHECKS}, required=["status"]
        ),
        "ok": ref("GoogleManagedDataControls"),
    },
}

# The operations that answer 409 when the key or region is in a state that refuses them.
CONFLICTS = frozenset({(KEY, "POST"), (KEY, "DELETE"), (ADMIN_CONTROLS + "/{control}/{region}", "POST")})
