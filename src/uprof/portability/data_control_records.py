"""The `external_key` and `data_controls` records of an export file (docs/cli.md, Export files): how
stored rows become records, and how an import checks a record and turns it back into rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from uprof.data_controls.models import data_control_region, data_control_retired, data_controls, external_key
from uprof.data_controls.regions import CONTROLS, REGIONS, key_id
from uprof.data_controls.schemas import bucket_reference, failed_checks
from uprof.external_keys.schemas import GEOS, MAX_DISPLAY_NAME, VALIDATION_STATUSES, provider_config
from uprof.http.errors import InvalidRequest
from uprof.portability.fields import Fields, Invalid, check_object, check_text, check_time, one_of
from uprof.portability.references import Facts, Rows, Seen, organization_of, profile_of
from uprof.timestamps import format_timestamp

STATUSES = ("not_configured", "pending", "active", "failed")
REGION_FIELDS = (
    "control",
    "region",
    "configured",
    "effective",
    "status",
    "pending_since",
    "validated_at",
    "error",
    "failed_checks",
    "details",
)
KEY_FIELDS = ("organization_id", "id", "display_name", "geo", "provider_config", "user_profile_id")
KEY_STATE = ("validation_status", "validation_error", "validation_changed_at", "created_at", "updated_at")


def _time(value: Any) -> str | None:
    return None if value is None else format_timestamp(value)


# --- export ---


def external_key_record(row: Mapping[Any, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"kind": "external_key", **{name: row[name] for name in KEY_FIELDS}}
    record["validation_status"] = row["validation_status"]
    record["validation_error"] = row["validation_error"]
    for name in ("validation_changed_at", "created_at", "updated_at"):
        record[name] = format_timestamp(row[name])
    return record


def data_controls_records(
    connection: Connection, rows: Iterator[Mapping[Any, Any]], now: datetime
) -> Iterator[dict[str, Any]]:
    """One record per profile whose controls were ever changed, with its regions and the retired
    entries that have not expired by `now` (an expired one may name a key deleted since)."""
    for row in rows:
        profile_id = row["user_profile_id"]
        region, retired = data_control_region.c, data_control_retired.c
        regions = connection.execute(
            select(data_control_region)
            .where(region.user_profile_id == profile_id)
            .order_by(region.control, region.region)
        )
        entries = connection.execute(
            select(data_control_retired)
            .where(retired.user_profile_id == profile_id, retired.expires_at > now)
            .order_by(retired.control, retired.region, retired.expires_at, retired.id)
        )
        yield {
            "kind": "data_controls",
            "organization_id": row["organization_id"],
            "user_profile_id": profile_id,
            "cmek": {"enabled": row["cmek_enabled"], "suspended": row["cmek_suspended"]},
            "storage": {"enabled": row["storage_enabled"], "suspended": row["storage_suspended"]},
            "updated_at": format_timestamp(row["updated_at"]),
            "regions": [_region_record(item._mapping) for item in regions],
            "retired": [
                {
                    "control": item.control,
                    "region": item.region,
                    "reference": item.reference,
                    "expires_at": format_timestamp(item.expires_at),
                }
                for item in entries
            ],
        }


def _region_record(row: Mapping[Any, Any]) -> dict[str, Any]:
    record = {name: row[name] for name in REGION_FIELDS}
    for name in ("pending_since", "validated_at"):
        record[name] = _time(row[name])
    return record


# --- import ---


def parse_external_key(record: Mapping[str, Any], seen: Seen) -> Rows:
    fields = Fields(record, (*KEY_FIELDS, *KEY_STATE))
    organization_id = organization_of(fields, seen)
    identifier = fields.identifier("id", "ekey_", external_key)
    try:
        config = provider_config(fields.raw("provider_config"))
    except InvalidRequest as error:
        raise Invalid(error.message) from None
    if config != fields.raw("provider_config"):
        raise Invalid("provider_config: must list every field of its provider, null where none was set")
    profile_id = fields.raw("user_profile_id")
    if profile_id is not None:
        fields.identifier("user_profile_id", "uprof_", external_key, "user_profile_id")
    seen.claim(
        external_key, identifier, organization_id=organization_id, provider_config=config, user_profile_id=profile_id
    )
    status = fields.choice("validation_status", VALIDATION_STATUSES)
    problem = fields.optional_text("validation_error", 1, 1000)
    if (status == "failure") != (problem is not None):
        raise Invalid("validation_error: set for a failure, null for a success")
    row = {
        "id": identifier,
        "organization_id": organization_id,
        "user_profile_id": profile_id,
        "display_name": fields.optional_text("display_name", 0, MAX_DISPLAY_NAME),
        "geo": fields.choice("geo", GEOS),
        "provider_config": config,
        "validation_status": status,
        "validation_error": problem,
        **{name: fields.time(name) for name in ("validation_changed_at", "created_at", "updated_at")},
    }
    return [(external_key, row)]


def parse_data_controls(record: Mapping[str, Any], seen: Seen) -> Rows:
    names = ("organization_id", "user_profile_id", "cmek", "storage", "updated_at", "regions", "retired")
    fields = Fields(record, names)
    organization_id = organization_of(fields, seen)
    profile_id = profile_of(fields, seen, organization_id)
    # Noted under a name no written ID has: a second record in the same batch is refused here, one in
    # a later batch by the table's primary key (the import is then refused at that line all the same).
    seen.claim(data_controls, f"{profile_id}#data_controls", field="user_profile_id")
    switches = {control: check_object(fields.raw(control), control, ("enabled", "suspended")) for control in CONTROLS}
    for control, switch in switches.items():
        for name in ("enabled", "suspended"):
            if not isinstance(switch[name], bool):
                raise Invalid(f"{control}.{name}: must be a boolean")
    owner = {"user_profile_id": profile_id, "organization_id": organization_id}
    row = {
        **owner,
        **{f"{control}_{name}": switches[control][name] for control in CONTROLS for name in ("enabled", "suspended")},
        "updated_at": fields.time("updated_at"),
    }
    regions = _list(fields.raw("regions"), "regions")
    retired = _list(fields.raw("retired"), "retired")
    rows: Rows = [(data_controls, row)]
    places: set[tuple[str, str]] = set()
    for index, item in enumerate(regions):
        region = _region(item, f"regions[{index}]", seen, owner)
        if (region["control"], region["region"]) in places:
            raise Invalid(f"regions[{index}]: a second entry for region {region['region']} of {region['control']}")
        places.add((region["control"], region["region"]))
        rows.append((data_control_region, region))
    rows += [
        (data_control_retired, _retired(item, f"retired[{index}]", seen, owner)) for index, item in enumerate(retired)
    ]
    return rows


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list) or len(value) > 2 * len(REGIONS) * 64:
        raise Invalid(f"{path}: must be a list")
    return value


def _place(value: Mapping[str, Any], path: str) -> tuple[str, str]:
    control, region = value["control"], value["region"]
    if control not in CONTROLS:
        raise Invalid(f"{path}.control: {one_of(CONTROLS)}")
    if region not in REGIONS:
        raise Invalid(f"{path}.region: {one_of(REGIONS)}")
    return control, region


def _reference(value: Any, path: str, control: str, seen: Seen, owner: Mapping[str, str]) -> dict[str, Any]:
    if control == "storage":
        try:
            return bucket_reference(value, path)
        except InvalidRequest as error:
            raise Invalid(error.message) from None
    reference = check_object(value, path, ("external_key_id",))
    identifier = reference["external_key_id"]
    check_text(identifier, f"{path}.external_key_id", 1, 29)

    def problem(key: Facts | None) -> str | None:
        usable = (
            key is not None
            and key["organization_id"] == owner["organization_id"]
            and key["user_profile_id"] == owner["user_profile_id"]
            and key["provider_config"]["type"] == "gcp"
        )
        return (
            None if usable else f"{path}.external_key_id: no gcp External Key bound to this profile earlier in the file"
        )

    seen.refer(external_key, identifier, ("organization_id", "user_profile_id", "provider_config"), problem)
    return {"external_key_id": identifier}


def _region(value: Any, path: str, seen: Seen, owner: Mapping[str, str]) -> dict[str, Any]:
    item = check_object(value, path, REGION_FIELDS)
    control, code = _place(item, path)
    status = item["status"]
    if status not in STATUSES:
        raise Invalid(f"{path}.status: {one_of(STATUSES)}")
    configured, effective = (
        None if item[name] is None else _reference(item[name], f"{path}.{name}", control, seen, owner)
        for name in ("configured", "effective")
    )
    if (configured is None) != (status == "not_configured"):
        raise Invalid(f"{path}.configured: set unless the status is not_configured")
    times = {
        name: None if item[name] is None else check_time(item[name], f"{path}.{name}")
        for name in ("pending_since", "validated_at")
    }
    try:
        checks = list(failed_checks(item["failed_checks"]))
    except InvalidRequest as error:
        raise Invalid(f"{path}.{error.message}") from None
    message = item["error"]
    if message is not None:
        check_text(message, f"{path}.error", 1, 1000)
    details = item["details"]
    if details is not None:
        details = dict(check_object(details, f"{path}.details", ("project_id", "location", "kms_key_name")))
        for name, detail in details.items():
            if detail is not None:
                check_text(detail, f"{path}.details.{name}", 1, 1000)
    return {
        **owner,
        "control": control,
        "region": code,
        "configured": configured,
        "effective": effective,
        "configured_key_id": key_id(configured),
        "effective_key_id": key_id(effective),
        "status": status,
        **times,
        "error": message,
        "failed_checks": checks,
        "details": details,
    }


def _retired(value: Any, path: str, seen: Seen, owner: Mapping[str, str]) -> dict[str, Any]:
    item = check_object(value, path, ("control", "region", "reference", "expires_at"))
    control, code = _place(item, path)
    reference = _reference(item["reference"], f"{path}.reference", control, seen, owner)
    return {
        **owner,
        "control": control,
        "region": code,
        "reference": reference,
        "external_key_id": key_id(reference),
        "expires_at": check_time(item["expires_at"], f"{path}.expires_at"),
    }
