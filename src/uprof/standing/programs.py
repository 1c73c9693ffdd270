"""Program standing as stored, and how it reads under GA (docs/reference/profiles.md §2.4,
docs/reference/provider.md §5.7).

Stored form (JSON on the profile row), or NULL when the profile has no status in the program:
  cyber: {"status": s, "tiers": {"a": st, "b": st, "c": st}, "requirements": {"data_retention": b, "human_review": b}}
  efs:   {"status": s, "features": {"data_retention_exemption": st, "cmek": st, "storage": st}}
with st one of "active" / "inactive". Pure functions only.
"""

from __future__ import annotations

from typing import Any

PROGRAMS = ("cyber", "efs")
ITEMS = {"cyber": ("a", "b", "c"), "efs": ("data_retention_exemption", "cmek", "storage")}
ITEM_FIELD = {"cyber": "tiers", "efs": "features"}
STATUSES = ("active", "pending", "rejected")
DEFAULT_REQUIREMENTS = {"data_retention": True, "human_review": True}


def empty(program: str) -> dict[str, Any]:
    """The standing a profile without status in `program` is edited from (status None)."""
    standing: dict[str, Any] = {"status": None, ITEM_FIELD[program]: dict.fromkeys(ITEMS[program], "inactive")}
    if program == "cyber":
        standing["requirements"] = dict(DEFAULT_REQUIREMENTS)
    return standing


def current(stored: dict[str, Any] | None, program: str) -> dict[str, Any]:
    return empty(program) if stored is None else stored


def requirements(stored_cyber: dict[str, Any] | None) -> dict[str, bool]:
    """Stored cyber requirements, shown to the operator even while no tier is active."""
    return dict(current(stored_cyber, "cyber")["requirements"])


def with_status(stored: dict[str, Any] | None, program: str, status: str) -> dict[str, Any]:
    """Standing with a new status; anything but `active` makes every tier or feature inactive."""
    standing = {**current(stored, program), "status": status}
    if status != "active":
        standing[ITEM_FIELD[program]] = dict.fromkeys(ITEMS[program], "inactive")
    return standing


def activate(
    stored: dict[str, Any] | None, program: str, items: list[str], requirements_patch: dict[str, bool] | None
) -> dict[str, Any]:
    """Status `active`; the listed items become active, others keep their state; requirements merged."""
    standing = {**current(stored, program), "status": "active"}
    field = ITEM_FIELD[program]
    standing[field] = {**standing[field], **dict.fromkeys(items, "active")}
    if program == "cyber" and requirements_patch:
        standing["requirements"] = {**standing["requirements"], **requirements_patch}
    return standing


def ga_view(stored: dict[str, Any] | None, program: str, *, complete: bool) -> dict[str, Any] | None:
    """The GA `programs.<program>` object; lists (`complete=False`) show cyber without tiers, efs as null."""
    if stored is None:
        return None
    if program == "efs":
        if not complete:
            return None
        return {
            "status": stored["status"],
            "features": {name: {"status": stored["features"][name]} for name in ITEMS["efs"]},
        }
    if not complete:
        return {"status": stored["status"], "tiers": {}, "requirements": None}
    # A complete read reports every tier, active or not ({} would say "not reported", not "inactive");
    # requirements belong to active tiers, so they are null while none is.
    tiers = stored["tiers"]
    any_active = any(state == "active" for state in tiers.values())
    return {
        "status": stored["status"],
        "tiers": {name: {"status": tiers[name]} for name in ITEMS["cyber"]},
        "requirements": dict(stored["requirements"]) if any_active else None,
    }
