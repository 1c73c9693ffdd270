"""Program standing and applications, called as services inside a real unit of work on SQLite and
PostgreSQL: each change (application submitted, approved, rejected; standing set or cleared) and each
refused one, what the profile then shows under GA and R3, how `updated_at` moves, and the one
`program_status_updated` event each real change records for every subscribed, enabled endpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection

from tests.integration.service_support import Tenant, apply, new_tenant
from uprof.db.unit_of_work import Database
from uprof.http.errors import Conflict, InvalidRequest, NotFound
from uprof.http.revision_choice import Revision
from uprof.provider import repository
from uprof.provider import service as provider
from uprof.timestamps import format_timestamp
from uprof.webhooks.outbox import PROGRAM_STATUS_UPDATED

SECOND = timedelta(seconds=1)
TIERS = ("a", "b", "c")
FEATURES = ("data_retention_exemption", "cmek", "storage")


def cyber(status: str, active: Sequence[str] = (), requirements: dict[str, bool] | None = None) -> dict[str, Any]:
    """`programs.cyber` as a complete GA read shows it; requirements only while a tier is active."""
    if active and requirements is None:
        requirements = {"data_retention": True, "human_review": True}
    tiers = {name: {"status": "active" if name in active else "inactive"} for name in TIERS}
    return {"status": status, "tiers": tiers, "requirements": requirements if active else None}


def efs(status: str, active: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "status": status,
        "features": {name: {"status": "active" if name in active else "inactive"} for name in FEATURES},
    }


def approve(
    tenant: Tenant,
    enrollment_id: str,
    now: datetime,
    items: list[str] | None = None,
    requirements: dict[str, bool] | None = None,
) -> None:
    tenant.run(
        lambda c, org: provider.approve_enrollment(
            c, org, enrollment_id, items=items, requirements=requirements, note="Verified employer", now=now
        )
    )


def reject(tenant: Tenant, enrollment_id: str, now: datetime) -> None:
    tenant.run(lambda c, org: provider.reject_enrollment(c, org, enrollment_id, note="Not eligible", now=now))


def set_program(tenant: Tenant, profile_id: str, now: datetime, program: str = "cyber", **change: Any) -> None:
    tenant.run(lambda c, org: provider.set_program(c, org, profile_id, program, now=now, **change))


def programs_and_updated_at(tenant: Tenant, profile_id: str) -> tuple[Any, Any, datetime]:
    stored = tenant.profile(profile_id).profile
    return stored.cyber, stored.efs, stored.updated_at


# --- applications ---


def test_an_application_makes_the_program_pending(tenant: Tenant, profile_id: str, now: datetime) -> None:
    later = now + SECOND
    enrollment_id = apply(tenant, profile_id, later, requested=["a", "c"])

    stored = tenant.enrollment(enrollment_id)
    assert (stored.status, stored.program, stored.source, stored.requested) == (
        "pending",
        "cyber",
        "enrollment_url",
        ["a", "c"],
    )
    assert (stored.user_profile_id, stored.submitted_at, stored.decided_at) == (profile_id, later, None)
    shown = tenant.rendered(profile_id)
    assert shown["programs"] == {"cyber": cyber("pending"), "efs": None}
    assert shown["updated_at"] == format_timestamp(later)
    assert tenant.rendered(profile_id, Revision.R3)["trust_grants"] == {"cyber": {"status": "pending"}}
    [event] = tenant.recorded()
    assert (event.type, event.profile_id, event.action_id, event.created_at) == (
        PROGRAM_STATUS_UPDATED,
        profile_id,
        None,
        later,
    )
    assert event.deliveries == {tenant.everything, tenant.programs_only}  # not the disabled endpoint


def test_an_efs_application_leaves_cyber_alone(tenant: Tenant, profile_id: str, now: datetime) -> None:
    apply(tenant, profile_id, now + SECOND, program="efs", requested=["cmek"])
    assert tenant.rendered(profile_id)["programs"] == {"cyber": None, "efs": efs("pending")}
    assert tenant.rendered(profile_id, Revision.R3)["trust_grants"] == {"efs": {"status": "pending"}}
    assert tenant.types_recorded() == [PROGRAM_STATUS_UPDATED]


@pytest.mark.parametrize("status", ["pending", "active"])
def test_an_application_is_refused_while_the_program_is_pending_or_active(
    tenant: Tenant, profile_id: str, now: datetime, status: str
) -> None:
    set_program(tenant, profile_id, now, status=status)
    tenant.recorded()
    before = programs_and_updated_at(tenant, profile_id)

    with pytest.raises(Conflict, match=f"^the profile's cyber status is {status}$"):
        apply(tenant, profile_id, now + SECOND)

    assert programs_and_updated_at(tenant, profile_id) == before
    assert tenant.run(lambda c, org: repository.enrollments_of_profile(c, profile_id, 10)) == []
    assert tenant.recorded() == []


def test_an_application_after_a_rejection_is_accepted(tenant: Tenant, profile_id: str, now: datetime) -> None:
    reject(tenant, apply(tenant, profile_id, now), now + SECOND)
    again = apply(tenant, profile_id, now + 2 * SECOND, requested=["b"])
    assert tenant.enrollment(again).status == "pending"
    assert tenant.rendered(profile_id)["programs"]["cyber"] == cyber("pending")
    assert tenant.types_recorded() == [PROGRAM_STATUS_UPDATED] * 3


# --- decisions on applications ---


def test_approving_activates_the_requested_tiers(tenant: Tenant, profile_id: str, now: datetime) -> None:
    enrollment_id = apply(tenant, profile_id, now, requested=["a", "c"])
    tenant.recorded()
    decided = now + SECOND

    approve(tenant, enrollment_id, decided, requirements={"human_review": False})

    stored = tenant.enrollment(enrollment_id)
    assert (stored.status, stored.decided_at, stored.decision_note) == ("approved", decided, "Verified employer")
    expected = cyber("active", ["a", "c"], {"data_retention": True, "human_review": False})
    assert tenant.rendered(profile_id)["programs"]["cyber"] == expected
    for revision in (Revision.R1, Revision.R2, Revision.R3):
        assert tenant.rendered(profile_id, revision)["trust_grants"] == {"cyber": {"status": "active"}}
    assert tenant.profile(profile_id).profile.updated_at == decided
    assert tenant.types_recorded() == [PROGRAM_STATUS_UPDATED]


def test_approving_grants_the_listed_items_instead(tenant: Tenant, profile_id: str, now: datetime) -> None:
    efs_enrollment = apply(tenant, profile_id, now, program="efs", requested=["cmek", "storage"])
    cyber_enrollment = apply(tenant, profile_id, now, requested=["a"])
    approve(tenant, efs_enrollment, now + SECOND, items=["data_retention_exemption"])
    approve(tenant, cyber_enrollment, now + SECOND, items=[])  # active, with no tier

    programs = tenant.rendered(profile_id)["programs"]
    assert programs == {"cyber": cyber("active"), "efs": efs("active", ["data_retention_exemption"])}


def test_approving_through_the_shared_body_checks_it_against_the_program(
    tenant: Tenant, profile_id: str, now: datetime
) -> None:
    enrollment_id = apply(tenant, profile_id, now, program="efs", requested=["cmek"])
    tenant.recorded()

    with pytest.raises(InvalidRequest, match="^tiers: not accepted for an efs enrollment$"):
        tenant.run(lambda c, org: provider.approve_enrollment_with(c, org, enrollment_id, {"tiers": ["a"]}, now))
    assert tenant.enrollment(enrollment_id).status == "pending"
    assert tenant.recorded() == []

    body = {"features": ["storage"], "note": "ok"}
    tenant.run(lambda c, org: provider.approve_enrollment_with(c, org, enrollment_id, body, now + SECOND))
    assert (tenant.enrollment(enrollment_id).status, tenant.enrollment(enrollment_id).decision_note) == (
        "approved",
        "ok",
    )
    assert tenant.rendered(profile_id)["programs"]["efs"] == efs("active", ["storage"])
    assert tenant.types_recorded() == [PROGRAM_STATUS_UPDATED]


def test_rejecting_makes_the_program_rejected(tenant: Tenant, profile_id: str, now: datetime) -> None:
    enrollment_id = apply(tenant, profile_id, now)
    tenant.recorded()

    reject(tenant, enrollment_id, now + SECOND)

    stored = tenant.enrollment(enrollment_id)
    assert (stored.status, stored.decided_at, stored.decision_note) == ("rejected", now + SECOND, "Not eligible")
    assert tenant.rendered(profile_id)["programs"]["cyber"] == cyber("rejected")
    assert tenant.rendered(profile_id, Revision.R3)["trust_grants"] == {"cyber": {"status": "rejected"}}
    assert tenant.profile(profile_id).profile.updated_at == now + SECOND
    assert tenant.types_recorded() == [PROGRAM_STATUS_UPDATED]


@pytest.mark.parametrize("first", ["approved", "rejected"])
@pytest.mark.parametrize("second", ["approve", "reject", "approve_with"])
def test_a_decided_enrollment_cannot_be_decided_again(
    tenant: Tenant, profile_id: str, now: datetime, first: str, second: str
) -> None:
    enrollment_id = apply(tenant, profile_id, now)
    (approve if first == "approved" else reject)(tenant, enrollment_id, now + SECOND)
    tenant.recorded()
    before = programs_and_updated_at(tenant, profile_id)

    def decide_again(connection: Connection, organization_id: str) -> None:
        later = now + 2 * SECOND
        if second == "approve":
            provider.approve_enrollment(
                connection, organization_id, enrollment_id, items=None, requirements=None, note=None, now=later
            )
        elif second == "reject":
            provider.reject_enrollment(connection, organization_id, enrollment_id, note=None, now=later)
        else:
            provider.approve_enrollment_with(connection, organization_id, enrollment_id, {}, later)

    with pytest.raises(Conflict, match=rf"^enrollment is not pending \(status: {first}\)$") as refused:
        tenant.run(decide_again)

    assert refused.value.headers == {"x-should-retry": "false"}
    assert (tenant.enrollment(enrollment_id).status, tenant.enrollment(enrollment_id).decided_at) == (
        first,
        now + SECOND,
    )
    assert programs_and_updated_at(tenant, profile_id) == before
    assert tenant.recorded() == []


def test_an_enrollment_of_another_organization_is_not_found(
    services_database: Database, tenant: Tenant, now: datetime
) -> None:
    other = new_tenant(services_database, now)
    enrollment_id = apply(other, other.new_profile(now), now)
    for decide in (
        lambda c, org: provider.approve_enrollment(
            c, org, enrollment_id, items=None, requirements=None, note=None, now=now
        ),
        lambda c, org: provider.approve_enrollment_with(c, org, enrollment_id, {}, now),
        lambda c, org: provider.reject_enrollment(c, org, enrollment_id, note=None, now=now),
        lambda c, org: provider.reject_enrollment(c, org, "enr_unknown", note=None, now=now),
    ):
        with pytest.raises(NotFound, match="^enrollment not found$"):
            tenant.run(decide)
    assert other.enrollment(enrollment_id).status == "pending"


# --- program standing set by the operator ---


def test_setting_a_tier_active_makes_the_program_active(tenant: Tenant, profile_id: str, now: datetime) -> None:
    set_program(tenant, profile_id, now + SECOND, items={"b": "active"}, requirements={"data_retention": False})
    assert tenant.rendered(profile_id)["programs"]["cyber"] == cyber(
        "active", ["b"], {"data_retention": False, "human_review": True}
    )
    assert tenant.profile(profile_id).profile.updated_at == now + SECOND
    assert tenant.types_recorded() == [PROGRAM_STATUS_UPDATED]

    set_program(tenant, profile_id, now + 2 * SECOND, items={"c": "active"})  # b keeps its state
    assert tenant.rendered(profile_id)["programs"]["cyber"]["tiers"] == cyber("active", ["b", "c"])["tiers"]

    set_program(tenant, profile_id, now + 3 * SECOND, status="rejected")  # every tier inactive
    assert tenant.rendered(profile_id)["programs"]["cyber"] == cyber("rejected")
    assert tenant.rendered(profile_id, Revision.R3)["trust_grants"] == {"cyber": {"status": "rejected"}}
    assert tenant.types_recorded() == [PROGRAM_STATUS_UPDATED] * 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"items": {"a": "inactive"}}, "^status: required while the profile has no status in this program$"),
        ({"status": "pending", "items": {"c": "active"}}, "^tiers.c: can be active only when status is active$"),
    ],
)
def test_a_standing_that_cannot_be_is_refused(
    tenant: Tenant, profile_id: str, now: datetime, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        set_program(tenant, profile_id, now + SECOND, **change)
    assert programs_and_updated_at(tenant, profile_id) == (None, None, now)
    assert tenant.recorded() == []


def test_a_change_that_changes_nothing_records_nothing(tenant: Tenant, profile_id: str, now: datetime) -> None:
    set_program(tenant, profile_id, now + SECOND, program="efs", status="active", items={"cmek": "active"})
    tenant.recorded()
    set_program(tenant, profile_id, now + 2 * SECOND, program="efs", status="active", items={"cmek": "active"})
    set_program(tenant, profile_id, now + 3 * SECOND, program="efs", items={"storage": "inactive"})
    assert tenant.profile(profile_id).profile.updated_at == now + SECOND
    assert tenant.recorded() == []


def test_updated_at_never_goes_back(tenant: Tenant, profile_id: str, now: datetime) -> None:
    set_program(tenant, profile_id, now + SECOND, status="pending")
    set_program(tenant, profile_id, now, status="rejected")  # read the clock before an earlier change committed
    assert tenant.profile(profile_id).profile.updated_at == now + SECOND + timedelta(microseconds=1)


def test_a_new_status_supersedes_the_pending_application(tenant: Tenant, profile_id: str, now: datetime) -> None:
    enrollment_id = apply(tenant, profile_id, now)
    set_program(tenant, profile_id, now + SECOND, requirements={"human_review": False})  # status stays pending
    assert tenant.enrollment(enrollment_id).status == "pending"
    set_program(tenant, profile_id, now + 2 * SECOND, status="active", items={"a": "active"})
    stored = tenant.enrollment(enrollment_id)
    assert (stored.status, stored.decided_at) == ("superseded", now + 2 * SECOND)
    with pytest.raises(Conflict, match=r"\(status: superseded\)$"):
        approve(tenant, enrollment_id, now + 3 * SECOND)
    expected = cyber("active", ["a"], {"data_retention": True, "human_review": False})
    assert tenant.rendered(profile_id)["programs"]["cyber"] == expected
    assert tenant.types_recorded() == [PROGRAM_STATUS_UPDATED] * 3


def test_the_program_editor_body_is_checked_before_anything_changes(
    tenant: Tenant, profile_id: str, now: datetime
) -> None:
    def change(body: dict[str, Any], program: str = "cyber") -> None:
        tenant.run(lambda c, org: provider.change_program(c, org, profile_id, program, body, now + SECOND))

    with pytest.raises(InvalidRequest, match="^body: must set at least one of status, features$"):
        change({}, "efs")
    with pytest.raises(InvalidRequest, match="^tiers.d: unknown field$"):
        change({"tiers": {"d": "active"}})
    assert tenant.recorded() == []
    change({"status": "active", "features": {"cmek": "active"}}, "efs")
    assert tenant.rendered(profile_id)["programs"]["efs"] == efs("active", ["cmek"])
    assert tenant.types_recorded() == [PROGRAM_STATUS_UPDATED]


def test_clearing_a_program_removes_its_standing(tenant: Tenant, profile_id: str, now: datetime) -> None:
    set_program(tenant, profile_id, now, status="active", items={"a": "active"}, requirements={"data_retention": False})
    set_program(tenant, profile_id, now, program="efs", status="rejected")
    tenant.recorded()

    tenant.run(lambda c, org: provider.clear_program(c, org, profile_id, "cyber", now + SECOND))

    assert tenant.rendered(profile_id)["programs"] == {"cyber": None, "efs": efs("rejected")}
    assert tenant.rendered(profile_id, Revision.R3)["trust_grants"] == {"efs": {"status": "rejected"}}
    assert tenant.profile(profile_id).profile.updated_at == now + SECOND
    assert tenant.types_recorded() == [PROGRAM_STATUS_UPDATED]
    # Clearing again changes nothing; set again, the requirements start from their defaults.
    tenant.run(lambda c, org: provider.clear_program(c, org, profile_id, "cyber", now + 2 * SECOND))
    assert tenant.profile(profile_id).profile.updated_at == now + SECOND
    assert tenant.recorded() == []
    set_program(tenant, profile_id, now + 3 * SECOND, items={"a": "active"})
    assert tenant.rendered(profile_id)["programs"]["cyber"] == cyber("active", ["a"])


def test_clearing_a_program_supersedes_its_pending_application(tenant: Tenant, profile_id: str, now: datetime) -> None:
    enrollment_id = apply(tenant, profile_id, now, program="efs", requested=["cmek"])
    tenant.run(lambda c, org: provider.clear_program(c, org, profile_id, "efs", now + SECOND))
    assert tenant.enrollment(enrollment_id).status == "superseded"
    assert tenant.rendered(profile_id)["programs"]["efs"] is None


def test_a_profile_of_another_organization_is_not_found(
    services_database: Database, tenant: Tenant, now: datetime
) -> None:
    other = new_tenant(services_database, now)
    foreign = other.new_profile(now)
    for change in (
        lambda c, org: provider.set_program(c, org, foreign, "cyber", status="active", now=now),
        lambda c, org: provider.clear_program(c, org, foreign, "efs", now),
        lambda c, org: provider.change_program(c, org, "uprof_unknown", "cyber", {"status": "active"}, now),
        lambda c, org: provider.submit_application(
            c,
            org,
            foreign,
            program="cyber",
            source="portal",
            requested=["a"],
            use_case="x",
            applicant_organization=None,
            contact_email=None,
            now=now,
        ),
    ):
        with pytest.raises(NotFound, match="^user profile not found$"):
            tenant.run(change)
    assert other.rendered(foreign)["programs"] == {"cyber": None, "efs": None}
    assert tenant.recorded() == [] and other.recorded() == []
