"""Every user-profile operation of anthropic 2.14.0 against the real server, under all four revisions.

`client.beta.user_profiles` is driven with its default betas (R2), with `betas=["user-profiles-2026-09-04"]`
(R3) and with `betas=["user-profiles-2026-03-24"]` (R1); `client.user_profiles` is GA. The returned SDK
models are checked field by field, including which keys the server sent at all (`model_fields_set`
plus `model_extra`). Program standing and enforcement are set through the provider service, as the
operator would (the Admin API does not exist yet). The cross-revision tests prove docs/reference/profiles.md §2.6:
one stored profile, four views, and a write under one revision never touches what it does not show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types import UserProfile
from anthropic.types.beta import BetaUserProfile, BetaUserProfileExternalUserDetailsParams
from anthropic.types.user_profile_enforcement_action_ban import UserProfileEnforcementActionBan
from anthropic.types.user_profile_enforcement_action_restriction import UserProfileEnforcementActionRestriction
from sqlalchemy import Connection

from tests.e2e.conftest import Server, Tenant
from uprof.db.unit_of_work import Database
from uprof.provider import service as provider

SDK = anthropic.__version__
R1_BETA, R3_BETA = "user-profiles-2026-03-24", "user-profiles-2026-09-04"
BETA_R2 = f"anthropic {SDK} beta (R2 default)"
BETA_R3 = f"anthropic {SDK} beta + {R3_BETA} (R3)"
BETA_R1 = f"anthropic {SDK} beta + {R1_BETA} (R1)"
GA = f"anthropic {SDK} GA"

# The keys of a profile per revision (docs/reference/profiles.md §2.1); test_revision_table.py checks their order.
COMMON_KEYS = {"id", "type", "name", "metadata", "created_at", "updated_at"}
R1_KEYS = COMMON_KEYS | {"external_id", "relationship", "trust_grants"}
R2_KEYS = COMMON_KEYS | {"external_id", "access_type", "external_user_onboarded_at", "trust_grants"}
R3_KEYS = COMMON_KEYS | {"access_type", "external_user_details", "trust_grants"}
GA_KEYS = COMMON_KEYS | {
    "access_type",
    "external_user_details",
    "programs",
    "enforcement_status",
    "enforcement_actions",
}
DETAIL_KEYS = {"account_status", "country", "email_hash", "entity_type", "name_hash", "onboarded_at", "reference_id"}
NO_DETAILS = dict.fromkeys(DETAIL_KEYS)
FULL_DETAILS: BetaUserProfileExternalUserDetailsParams = {
    "account_status": "suspended",
    "country": "DE",
    "email_hash": "9f2c41d0e3",
    "entity_type": "business",
    "name_hash": "77ab01",
    "onboarded_at": "2026-02-01T09:00:00+01:00",
    "reference_id": "cust_889",
}
FEB_1_8H = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
MISSING = "uprof_000000000000000000000000"


def compat(client: str, *operations: str) -> Callable[[Any], Any]:
    """`@pytest.mark.compat(client=client, operation=o)` for each operation the test proves."""

    def mark(test: Any) -> Any:
        for operation in operations:
            test = pytest.mark.compat(client=client, operation=operation)(test)
        return test

    return mark


def sent_keys(model: anthropic.BaseModel) -> set[str]:
    """The keys the server put in the JSON object the SDK parsed into `model`."""
    return set(model.model_fields_set) | set(model.model_extra or {})


def close_to_now(moment: datetime, slack: float = 5) -> bool:
    return abs((moment - datetime.now(UTC)).total_seconds()) < slack


class Operator:
    """What only the operator can change, set through the provider service."""

    def __init__(self, database: Database, organization_id: str) -> None:
        self.database = database
        self.organization_id = organization_id

    def _run(self, work: Callable[[Connection, datetime], Any]) -> Any:
        return self.database.run(lambda c: work(c, datetime.now(UTC)), write=True)

    def set_cyber(self, profile_id: str, *, tiers: dict[str, str] | None = None, **standing: Any) -> None:
        self._set(profile_id, "cyber", items=tiers, **standing)

    def set_efs(self, profile_id: str, *, features: dict[str, str] | None = None, **standing: Any) -> None:
        self._set(profile_id, "efs", items=features, **standing)

    def _set(self, profile_id: str, program: str, **standing: Any) -> None:
        self._run(
            lambda c, now: provider.set_program(c, self.organization_id, profile_id, program, now=now, **standing)
        )

    def clear_program(self, profile_id: str, program: str) -> None:
        self._run(lambda c, now: provider.clear_program(c, self.organization_id, profile_id, program, now))

    def open_action(self, profile_id: str, **action: Any) -> str:
        action = {"reason": "unsupported_region", **action}
        opened: str = self._run(
            lambda c, now: provider.open_enforcement_action(c, self.organization_id, profile_id, now=now, **action)
        )
        return opened

    def submit_identity_check(self, profile_id: str) -> None:
        fields = {"full_name": "Ada Example", "country": "DE", "document_type": "passport", "document_last4": "1234"}
        self._run(lambda c, now: provider.submit_identity_check(c, self.organization_id, profile_id, fields, now))

    def resolve(self, action_id: str) -> None:
        self._run(lambda c, now: provider.resolve_enforcement_action(c, self.organization_id, action_id, now))


@pytest.fixture
def operator(database: Database, tenant: Tenant) -> Operator:
    return Operator(database, tenant.organization_id)


@dataclass(frozen=True)
class Variant:
    """One way to call the profile API with this SDK: a resource, extra kwargs and the shape it gets."""

    id: str
    client: str
    keys: set[str]
    kwargs: dict[str, Any] = field(default_factory=dict)
    ga: bool = False

    def api(self, sdk: anthropic.Anthropic) -> Any:
        return sdk.user_profiles if self.ga else sdk.beta.user_profiles


V_R2 = Variant("r2", BETA_R2, R2_KEYS)
V_R3 = Variant("r3", BETA_R3, R3_KEYS, {"betas": [R3_BETA]})
V_R1 = Variant("r1", BETA_R1, R1_KEYS, {"betas": [R1_BETA]})
V_GA = Variant("ga", GA, GA_KEYS, ga=True)
BETA_VARIANTS = (V_R2, V_R3, V_R1)
ALL_VARIANTS = (*BETA_VARIANTS, V_GA)


def each(variants: tuple[Variant, ...], operation: str) -> pytest.MarkDecorator:
    """Parametrize over `variants`, each case marked as proving `operation` of its client."""
    return pytest.mark.parametrize(
        "variant",
        [pytest.param(v, id=v.id, marks=pytest.mark.compat(client=v.client, operation=operation)) for v in variants],
    )


def test_environment_runs_the_current_sdk() -> None:
    assert anthropic.__version__ == "2.14.0"


# --- beta, default betas (R2) ------------------------------------------------------------


@compat(BETA_R2, "create")
def test_r2_create_returns_the_r2_shape(client: anthropic.Anthropic) -> None:
    profile = client.beta.user_profiles.create(
        name="Northwind Labs",
        external_id="cust_889",
        access_type="passthrough",
        external_user_onboarded_at="2026-02-01T09:00:00+01:00",
        metadata={"tier": "enterprise"},
    )
    assert isinstance(profile, BetaUserProfile)
    assert sent_keys(profile) == R2_KEYS
    assert profile.id.startswith("uprof_") and len(profile.id) == 30
    assert profile.type == "user_profile"
    assert (profile.name, profile.external_id, profile.access_type) == ("Northwind Labs", "cust_889", "passthrough")
    assert profile.external_user_onboarded_at == FEB_1_8H
    assert profile.metadata == {"tier": "enterprise"}
    assert profile.trust_grants == {}
    assert profile.external_user_details is None
    assert profile.created_at == profile.updated_at and close_to_now(profile.created_at)


@compat(BETA_R2, "create")
def test_r2_create_defaults(client: anthropic.Anthropic) -> None:
    profile = client.beta.user_profiles.create()
    assert sent_keys(profile) == R2_KEYS
    assert (profile.name, profile.external_id, profile.access_type) == (None, None, "application")
    assert (profile.external_user_onboarded_at, profile.metadata, profile.trust_grants) == (None, {}, {})


@compat(BETA_R2, "create")
def test_r2_create_refuses_fields_of_other_revisions(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.beta.user_profiles.create(external_user_details={"country": "DE"})
    assert raised.value.status_code == 400
    assert raised.value.body["error"]["message"] == (  # type: ignore[index]
        "external_user_details: not accepted under user-profiles-2026-08-18; "
        "accepted under user-profiles-2026-09-04, or without a user-profiles beta header"
    )
    assert client.beta.user_profiles.list().data == []


@compat(BETA_R2, "retrieve")
def test_r2_retrieve_reports_trust_grants(client: anthropic.Anthropic, operator: Operator) -> None:
    created = client.beta.user_profiles.create(name="Ada", external_id="u1", external_user_onboarded_at=FEB_1_8H)
    assert client.beta.user_profiles.retrieve(created.id) == created
    operator.set_cyber(created.id, status="active", tiers={"a": "active"}, requirements={"human_review": False})
    operator.set_efs(created.id, status="pending")
    profile = client.beta.user_profiles.retrieve(created.id)
    assert sent_keys(profile) == R2_KEYS
    assert {name: grant.status for name, grant in profile.trust_grants.items()} == {"cyber": "active", "efs": "pending"}
    assert sent_keys(profile.trust_grants["cyber"]) == {"status"}
    assert (profile.name, profile.external_id, profile.external_user_onboarded_at) == ("Ada", "u1", FEB_1_8H)
    assert profile.updated_at > created.updated_at and profile.created_at == created.created_at
    with pytest.raises(anthropic.NotFoundError) as raised:
        client.beta.user_profiles.retrieve(MISSING)
    assert raised.value.body["error"] == {"type": "not_found_error", "message": "user profile not found"}  # type: ignore[index]


@compat(BETA_R2, "update")
def test_r2_update(client: anthropic.Anthropic) -> None:
    created = client.beta.user_profiles.create(name="Ada", metadata={"plan": "pro", "trial": "yes"})
    updated = client.beta.user_profiles.update(
        created.id,
        name="Ada Lovelace",
        external_id="u-9",
        access_type="passthrough",
        external_user_onboarded_at=datetime(2026, 3, 1, 12, 30, tzinfo=UTC),
        metadata={"plan": "team", "trial": "", "seats": "5"},
    )
    assert sent_keys(updated) == R2_KEYS
    assert (updated.name, updated.external_id, updated.access_type) == ("Ada Lovelace", "u-9", "passthrough")
    assert updated.external_user_onboarded_at == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    assert updated.metadata == {"plan": "team", "seats": "5"}
    assert updated.updated_at > created.updated_at and updated.created_at == created.created_at
    assert client.beta.user_profiles.retrieve(created.id) == updated
    # access_type null and an unchanged body leave everything, updated_at included, as it was.
    assert client.beta.user_profiles.update(created.id, access_type=None, name="Ada Lovelace") == updated
    cleared = client.beta.user_profiles.update(created.id, name=None, external_id=None)
    assert (cleared.name, cleared.external_id, cleared.external_user_onboarded_at) == (
        None,
        None,
        updated.external_user_onboarded_at,
    )
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.beta.user_profiles.update(created.id, extra_body={"external_user_onboarded_at": None})
    assert raised.value.body["error"]["message"] == (  # type: ignore[index]
        "external_user_onboarded_at: cannot be cleared once set; omit it to leave it unchanged"
    )
    with pytest.raises(anthropic.NotFoundError):
        client.beta.user_profiles.update(MISSING, name="x")


# --- beta with betas=["user-profiles-2026-09-04"] (R3) -----------------------------------


@compat(BETA_R3, "create")
def test_r3_create_returns_the_r3_shape(client: anthropic.Anthropic) -> None:
    profile = client.beta.user_profiles.create(
        name="Northwind Labs",
        access_type="passthrough",
        external_user_details=FULL_DETAILS,
        metadata={"tier": "enterprise"},
        betas=[R3_BETA],
    )
    assert sent_keys(profile) == R3_KEYS
    assert (profile.name, profile.access_type, profile.metadata) == (
        "Northwind Labs",
        "passthrough",
        {"tier": "enterprise"},
    )
    details = profile.external_user_details
    assert details is not None and sent_keys(details) == DETAIL_KEYS
    assert details.to_dict() == {**FULL_DETAILS, "onboarded_at": FEB_1_8H}
    assert (profile.external_id, profile.external_user_onboarded_at, profile.trust_grants) == (None, None, {})
    assert profile.created_at == profile.updated_at and close_to_now(profile.created_at)
    empty = client.beta.user_profiles.create(betas=[R3_BETA])
    assert empty.external_user_details is not None and empty.external_user_details.to_dict() == NO_DETAILS
    assert (empty.name, empty.access_type, empty.metadata) == (None, "application", {})
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.beta.user_profiles.create(external_id="x", betas=[R3_BETA])
    assert raised.value.body["error"]["message"] == (  # type: ignore[index]
        "external_id: not accepted under user-profiles-2026-09-04; "
        "accepted under user-profiles-2026-03-24, user-profiles-2026-08-18"
    )


@compat(BETA_R3, "retrieve")
def test_r3_retrieve_reports_details_and_trust_grants(client: anthropic.Anthropic, operator: Operator) -> None:
    created = client.beta.user_profiles.create(external_user_details={"country": "FR"}, betas=[R3_BETA])
    assert client.beta.user_profiles.retrieve(created.id, betas=[R3_BETA]) == created
    operator.set_cyber(created.id, status="pending")
    operator.open_action(created.id, type="ban")  # enforcement is not part of R3
    profile = client.beta.user_profiles.retrieve(created.id, betas=[R3_BETA])
    assert sent_keys(profile) == R3_KEYS
    assert profile.trust_grants["cyber"].status == "pending" and list(profile.trust_grants) == ["cyber"]
    assert profile.external_user_details is not None
    assert profile.external_user_details.to_dict() == {**NO_DETAILS, "country": "FR"}
    assert profile.updated_at > created.updated_at


@compat(BETA_R3, "update")
def test_r3_update_merges_details_key_by_key(client: anthropic.Anthropic) -> None:
    created = client.beta.user_profiles.create(
        name="Ada", external_user_details={"country": "DE", "reference_id": "r1"}, metadata={"a": "1"}, betas=[R3_BETA]
    )
    updated = client.beta.user_profiles.update(
        created.id,
        external_user_details={
            "account_status": "blocked",
            "reference_id": "r2",
            "onboarded_at": "2026-02-01T08:00:00Z",
        },
        access_type="passthrough",
        metadata={"b": "2"},
        betas=[R3_BETA],
    )
    assert sent_keys(updated) == R3_KEYS
    assert updated.external_user_details is not None
    assert updated.external_user_details.to_dict() == {
        **NO_DETAILS,
        "account_status": "blocked",
        "country": "DE",
        "onboarded_at": FEB_1_8H,
        "reference_id": "r2",
    }
    assert (updated.name, updated.access_type, updated.metadata) == ("Ada", "passthrough", {"a": "1", "b": "2"})
    assert updated.updated_at > created.updated_at
    assert (
        client.beta.user_profiles.update(created.id, external_user_details={"country": "DE"}, betas=[R3_BETA])
        == updated
    )
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.beta.user_profiles.update(created.id, external_user_details={"country": None}, betas=[R3_BETA])
    assert raised.value.body["error"]["message"] == (  # type: ignore[index]
        "external_user_details.country: cannot be cleared once set; omit it to leave it unchanged"
    )


# --- beta with betas=["user-profiles-2026-03-24"] (R1) -----------------------------------


@compat(BETA_R1, "create")
def test_r1_create_returns_the_r1_shape(client: anthropic.Anthropic) -> None:
    profile = client.beta.user_profiles.create(
        external_id="user_12345", name="Ada Example", metadata={"plan": "pro"}, betas=[R1_BETA]
    )
    assert sent_keys(profile) == R1_KEYS
    assert profile.model_extra == {"relationship": "external"}  # not a field of BetaUserProfile
    assert (profile.external_id, profile.name, profile.metadata) == ("user_12345", "Ada Example", {"plan": "pro"})
    assert (profile.access_type, profile.external_user_onboarded_at, profile.external_user_details) == (
        None,
        None,
        None,
    )
    assert profile.trust_grants == {}
    assert profile.created_at == profile.updated_at and close_to_now(profile.created_at)
    resold = client.beta.user_profiles.create(extra_body={"relationship": "resold"}, betas=[R1_BETA])
    assert resold.model_extra == {"relationship": "resold"}
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.beta.user_profiles.create(access_type="passthrough", betas=[R1_BETA])
    assert raised.value.body["error"]["message"] == (  # type: ignore[index]
        "access_type: not accepted under user-profiles-2026-03-24; accepted under user-profiles-2026-08-18, "
        "user-profiles-2026-09-04, or without a user-profiles beta header"
    )


@compat(BETA_R1, "retrieve")
def test_r1_retrieve_reports_trust_grants(client: anthropic.Anthropic, operator: Operator) -> None:
    created = client.beta.user_profiles.create(name="Ada", betas=[R1_BETA])
    assert client.beta.user_profiles.retrieve(created.id, betas=[R1_BETA]) == created
    operator.set_efs(created.id, status="active", features={"cmek": "active"})
    operator.set_cyber(created.id, status="rejected")
    profile = client.beta.user_profiles.retrieve(created.id, betas=[R1_BETA])
    assert sent_keys(profile) == R1_KEYS
    assert {name: grant.status for name, grant in profile.trust_grants.items()} == {
        "cyber": "rejected",
        "efs": "active",
    }
    operator.clear_program(created.id, "cyber")
    assert list(client.beta.user_profiles.retrieve(created.id, betas=[R1_BETA]).trust_grants) == ["efs"]


@compat(BETA_R1, "update")
def test_r1_update(client: anthropic.Anthropic) -> None:
    created = client.beta.user_profiles.create(name="Ada", metadata={"plan": "pro", "trial": "yes"}, betas=[R1_BETA])
    updated = client.beta.user_profiles.update(
        created.id,
        external_id="user_12345-b",
        metadata={"plan": "team", "seats": "5", "trial": ""},
        extra_body={"relationship": "resold"},
        betas=[R1_BETA],
    )
    assert sent_keys(updated) == R1_KEYS
    assert (updated.external_id, updated.name, updated.model_extra) == (
        "user_12345-b",
        "Ada",
        {"relationship": "resold"},
    )
    assert updated.metadata == {"plan": "team", "seats": "5"}
    assert updated.updated_at > created.updated_at
    assert client.beta.user_profiles.update(created.id, betas=[R1_BETA]) == updated
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.beta.user_profiles.update(created.id, extra_body={"relationship": "internal"}, betas=[R1_BETA])
    assert raised.value.body["error"]["message"] == "relationship: internal is not supported; use external or resold"  # type: ignore[index]


# --- GA: client.user_profiles ------------------------------------------------------------


@compat(GA, "create")
def test_ga_create_returns_the_ga_shape(client: anthropic.Anthropic) -> None:
    profile = client.user_profiles.create(
        name="Northwind Labs",
        access_type="passthrough",
        external_user_details=FULL_DETAILS,
        metadata={"tier": "enterprise"},
    )
    assert isinstance(profile, UserProfile)
    assert sent_keys(profile) == GA_KEYS
    assert profile.id.startswith("uprof_") and profile.type == "user_profile"
    assert (profile.name, profile.access_type, profile.metadata) == (
        "Northwind Labs",
        "passthrough",
        {"tier": "enterprise"},
    )
    assert sent_keys(profile.external_user_details) == DETAIL_KEYS
    assert profile.external_user_details.to_dict() == {**FULL_DETAILS, "onboarded_at": FEB_1_8H}
    assert sent_keys(profile.programs) == {"cyber", "efs"}
    assert (profile.programs.cyber, profile.programs.efs) == (None, None)
    assert (profile.enforcement_status, profile.enforcement_actions) == ("unrestricted", [])
    assert profile.created_at == profile.updated_at and close_to_now(profile.created_at)
    empty = client.user_profiles.create()
    assert (empty.name, empty.access_type, empty.metadata) == (None, "application", {})
    assert empty.external_user_details.to_dict() == NO_DETAILS
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.user_profiles.create(extra_body={"external_id": "x"})
    assert raised.value.body["error"]["message"] == (  # type: ignore[index]
        "external_id: not accepted without a user-profiles beta header; "
        "accepted under user-profiles-2026-03-24, user-profiles-2026-08-18"
    )


@compat(GA, "retrieve")
def test_ga_retrieve_reports_programs_completely(client: anthropic.Anthropic, operator: Operator) -> None:
    created = client.user_profiles.create(name="Ada Example")
    assert client.user_profiles.retrieve(created.id) == created
    operator.set_cyber(created.id, status="active", tiers={"a": "active"}, requirements={"human_review": False})
    operator.set_efs(created.id, status="active", features={"cmek": "active"})
    profile = client.user_profiles.retrieve(created.id)
    assert sent_keys(profile) == GA_KEYS
    cyber, efs = profile.programs.cyber, profile.programs.efs
    assert cyber is not None and efs is not None
    assert sent_keys(cyber) == {"status", "tiers", "requirements"} and cyber.status == "active"
    assert {tier: value.status for tier, value in cyber.tiers.items()} == {
        "a": "active",
        "b": "inactive",
        "c": "inactive",
    }
    assert cyber.requirements is not None
    assert (cyber.requirements.data_retention, cyber.requirements.human_review) == (True, False)
    assert sent_keys(efs) == {"status", "features"} and efs.status == "active"
    assert {feature: value.status for feature, value in efs.features.items()} == {
        "data_retention_exemption": "inactive",
        "cmek": "active",
        "storage": "inactive",
    }
    assert profile.updated_at > created.updated_at
    operator.set_cyber(created.id, status="pending")
    pending = client.user_profiles.retrieve(created.id).programs.cyber
    assert pending is not None and (pending.status, pending.requirements) == ("pending", None)
    assert {tier: value.status for tier, value in pending.tiers.items()} == dict.fromkeys("abc", "inactive")
    with pytest.raises(anthropic.NotFoundError):
        client.user_profiles.retrieve(MISSING)


@compat(GA, "retrieve")
def test_ga_retrieve_reports_open_enforcement_actions(client: anthropic.Anthropic, operator: Operator) -> None:
    created = client.user_profiles.create(name="Ada")
    restriction = operator.open_action(created.id, type="restriction", verifiable=True)
    profile = client.user_profiles.retrieve(created.id)
    assert profile.updated_at == created.updated_at  # enforcement never moves updated_at
    assert profile.enforcement_status == "restricted"
    [action] = profile.enforcement_actions
    assert isinstance(action, UserProfileEnforcementActionRestriction)
    assert sent_keys(action) == {"id", "type", "action", "expires_at", "opened_at", "reason"}
    assert (action.id, action.type, action.action, action.expires_at) == (restriction, "restriction", "verify", None)
    assert (action.reason, close_to_now(action.opened_at)) == ("unsupported_region", True)
    expiry = datetime.now(UTC) + timedelta(days=7)
    ban = operator.open_action(created.id, type="ban", reason="fraud_or_abuse", verifiable=True)  # bans: never "verify"
    operator.open_action(created.id, type="restriction", reason="high_harm", expires_at=expiry)
    operator.open_action(created.id, type="ban", expires_at=datetime.now(UTC) - timedelta(seconds=1))  # expired
    profile = client.user_profiles.retrieve(created.id)
    assert profile.enforcement_status == "banned"
    assert [(a.type, a.reason) for a in profile.enforcement_actions] == [
        ("restriction", "unsupported_region"),
        ("ban", "fraud_or_abuse"),
        ("restriction", "high_harm"),
    ]
    banned, limited = profile.enforcement_actions[1:]
    assert isinstance(banned, UserProfileEnforcementActionBan) and (banned.id, banned.action) == (ban, None)
    assert limited.action is None and limited.expires_at == expiry
    operator.resolve(ban)
    assert client.user_profiles.retrieve(created.id).enforcement_status == "restricted"
    operator.resolve(restriction)
    assert [a.reason for a in client.user_profiles.retrieve(created.id).enforcement_actions] == ["high_harm"]


@compat(GA, "retrieve")
@compat(GA, "list")
def test_ga_pending_while_an_identity_check_is_under_review(client: anthropic.Anthropic, operator: Operator) -> None:
    other = client.user_profiles.create(name="other")
    operator.open_action(other.id, type="restriction", verifiable=True)
    created = client.user_profiles.create(name="Ada")
    operator.open_action(created.id, type="restriction", verifiable=True)
    operator.submit_identity_check(created.id)
    profile = client.user_profiles.retrieve(created.id)
    assert profile.enforcement_status == "pending"
    assert [(a.type, a.action) for a in profile.enforcement_actions] == [("restriction", None)]  # under review
    assert [p.id for p in client.user_profiles.list(enforcement_status=["pending"])] == [created.id]
    assert [p.id for p in client.user_profiles.list(enforcement_status=["restricted"])] == [other.id]
    operator.open_action(created.id, type="restriction", reason="account_compromise")
    assert client.user_profiles.retrieve(created.id).enforcement_status == "restricted"


@compat(GA, "update")
def test_ga_update(client: anthropic.Anthropic) -> None:
    created = client.user_profiles.create(
        name="Northwind", external_user_details={"country": "DE", "entity_type": "business"}, metadata={"a": "1"}
    )
    updated = client.user_profiles.update(
        created.id,
        name=None,
        access_type="passthrough",
        external_user_details={"account_status": "suspended", "email_hash": "9f2c", "country": "AT"},
        metadata={"a": "", "b": "2"},
    )
    assert sent_keys(updated) == GA_KEYS
    assert (updated.name, updated.access_type, updated.metadata) == (None, "passthrough", {"b": "2"})
    assert updated.external_user_details.to_dict() == {
        **NO_DETAILS,
        "account_status": "suspended",
        "country": "AT",
        "email_hash": "9f2c",
        "entity_type": "business",
    }
    assert (updated.programs.cyber, updated.enforcement_status) == (None, "unrestricted")
    assert updated.updated_at > created.updated_at
    assert client.user_profiles.update(created.id, metadata={"b": "2", "gone": ""}) == updated
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.user_profiles.update(created.id, external_user_details={"country": "de"})
    assert raised.value.body["error"]["message"] == "external_user_details.country: must be two uppercase ASCII letters"  # type: ignore[index]
    with pytest.raises(anthropic.NotFoundError):
        client.user_profiles.update(MISSING, name="x")


@compat(GA, "list")
def test_ga_list_reports_programs_partially(client: anthropic.Anthropic, operator: Operator) -> None:
    profile = client.user_profiles.create(name="Ada")
    operator.set_cyber(profile.id, status="active", tiers={"b": "active"})
    operator.set_efs(profile.id, status="active")
    operator.open_action(profile.id, type="restriction", verifiable=True)
    [item] = client.user_profiles.list().data
    full = client.user_profiles.retrieve(profile.id)
    assert sent_keys(item) == GA_KEYS
    assert item.programs.cyber is not None and item.programs.efs is None
    assert (item.programs.cyber.status, item.programs.cyber.tiers, item.programs.cyber.requirements) == (
        "active",
        {},
        None,
    )
    assert (item.enforcement_status, item.enforcement_actions) == (full.enforcement_status, full.enforcement_actions)
    assert item.model_copy(update={"programs": full.programs}) == full


@compat(GA, "list")
def test_ga_list_filters_by_enforcement_status(client: anthropic.Anthropic, operator: Operator) -> None:
    ids = [client.user_profiles.create(name=f"p{i}").id for i in range(6)]
    clean, restricted, banned, both, expired, resolved = ids
    operator.open_action(restricted, type="restriction")
    operator.open_action(banned, type="ban")
    operator.open_action(both, type="restriction", verifiable=True)
    operator.open_action(both, type="ban")
    operator.open_action(expired, type="ban", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    operator.resolve(operator.open_action(resolved, type="restriction"))

    def listed(*statuses: str, **params: Any) -> list[str]:
        return [p.id for p in client.user_profiles.list(enforcement_status=list(statuses), **params)]  # type: ignore[arg-type]

    assert listed("restricted") == [restricted]
    assert listed("banned") == [both, banned]
    assert listed("restricted", "banned", limit=1, order="asc") == [restricted, banned, both]  # auto-pagination
    assert listed("unrestricted") == [resolved, expired, clean]
    assert listed("pending") == []
    statuses = {
        p.id: p.enforcement_status for p in client.user_profiles.list(enforcement_status=["banned", "restricted"])
    }
    assert statuses == {both: "banned", banned: "banned", restricted: "restricted"}
    page = client.user_profiles.list(enforcement_status=["banned"], limit=1)
    assert [p.id for p in page.data] == [both] and page.next_page is not None
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.beta.user_profiles.list(extra_query={"enforcement_status": "banned"})
    assert raised.value.body["error"]["message"] == (  # type: ignore[index]
        "enforcement_status: not accepted under user-profiles-2026-08-18; accepted without a user-profiles beta header"
    )


def test_ga_client_has_no_enrollment_url_method(client: anthropic.Anthropic) -> None:
    assert not hasattr(client.user_profiles, "create_enrollment_url")
    assert hasattr(client.beta.user_profiles, "create_enrollment_url")


# --- every client: list, delete, links ---------------------------------------------------


@each(ALL_VARIANTS, "list")
def test_list_pages_through_everything(client: anthropic.Anthropic, variant: Variant) -> None:
    api = variant.api(client)
    ids = [api.create(name=f"p{i}", **variant.kwargs).id for i in range(5)]
    first = api.list(limit=2, **variant.kwargs)
    assert [p.id for p in first.data] == ids[::-1][:2]
    assert first.next_page is not None and first.next_page.startswith("page_") and first.has_next_page()
    assert all(sent_keys(p) == variant.keys for p in first.data)
    assert [p.id for p in api.list(limit=2, **variant.kwargs)] == ids[::-1]  # auto-pagination
    assert [p.id for p in api.list(limit=2, order="asc", **variant.kwargs)] == ids
    assert [p.id for p in api.list(order="desc", order_by="created_at", **variant.kwargs)] == ids[::-1]
    last = api.list(limit=5, **variant.kwargs)
    assert len(last.data) == 5 and last.next_page is None and not last.has_next_page()
    assert api.list(limit=2, **variant.kwargs).get_next_page().data[0].id == ids[2]
    listed = {p.id: p for p in api.list(**variant.kwargs)}
    assert all(listed[i] == api.retrieve(i, **variant.kwargs) for i in ids)


@each(ALL_VARIANTS, "list")
def test_list_by_name(client: anthropic.Anthropic, variant: Variant) -> None:
    api = variant.api(client)
    names = ["bravo", "Zed", None, "_under", "Alpha", "charlie", None]
    created = [(api.create(name=name, **variant.kwargs).id, name) for name in names]
    named = sorted((p for p in created if p[1] is not None), key=lambda p: (p[1].lower(), p[0]))  # type: ignore[union-attr]
    unnamed = sorted(p for p in created if p[1] is None)
    assert [name for _, name in named] == ["_under", "Alpha", "bravo", "charlie", "Zed"]
    ascending = [p.id for p in api.list(order_by="name", order="asc", limit=2, **variant.kwargs)]
    assert ascending == [i for i, _ in named + unnamed]
    descending = [p.id for p in api.list(order_by="name", order="desc", limit=3, **variant.kwargs)]
    assert descending == [i for i, _ in named[::-1] + unnamed[::-1]]


@each(ALL_VARIANTS, "delete")
def test_delete(client: anthropic.Anthropic, variant: Variant) -> None:
    api = variant.api(client)
    kept = api.create(name="kept", **variant.kwargs)
    doomed = api.create(name="doomed", **variant.kwargs)
    deleted = api.delete(doomed.id, **variant.kwargs)
    assert sent_keys(deleted) == {"id", "type"}
    assert (deleted.id, deleted.type) == (doomed.id, "user_profile_deleted")
    for call in (api.retrieve, api.delete):
        with pytest.raises(anthropic.NotFoundError) as raised:
            call(doomed.id, **variant.kwargs)
        assert raised.value.body["error"]["message"] == "user profile not found"  # type: ignore[index]
    with pytest.raises(anthropic.NotFoundError):
        api.update(doomed.id, name="back", **variant.kwargs)
    with pytest.raises(anthropic.NotFoundError):
        api.action_urls.create(doomed.id, action={"type": "enroll_end_user"}, **variant.kwargs)
    assert [p.id for p in api.list(**variant.kwargs)] == [kept.id]


@each(ALL_VARIANTS, "action_urls.create")
def test_action_url(client: anthropic.Anthropic, variant: Variant, server: Server) -> None:
    api = variant.api(client)
    profile = api.create(name="Ada Example", **variant.kwargs)
    first = api.action_urls.create(profile.id, action={"type": "enroll_end_user"}, **variant.kwargs)
    second = api.action_urls.create(profile.id, action={"type": "enroll_end_user"}, **variant.kwargs)
    assert sent_keys(first) == {"type", "url", "expires_at"}
    assert first.type == "user_profile_action_url"
    assert first.url.startswith(f"{server.url}/portal/") and len(first.url.rsplit("/", 1)[1]) == 43
    assert first.url != second.url
    assert abs((first.expires_at - datetime.now(UTC) - timedelta(minutes=15)).total_seconds()) < 5
    assert api.retrieve(profile.id, **variant.kwargs) == profile  # links change nothing
    with pytest.raises(anthropic.BadRequestError) as raised:
        api.action_urls.create(profile.id, action={"type": "verify"}, **variant.kwargs)
    assert raised.value.body["error"]["message"] == "action.type: must be enroll_end_user"  # type: ignore[index]
    with pytest.raises(anthropic.NotFoundError):
        api.action_urls.create(MISSING, action={"type": "enroll_end_user"}, **variant.kwargs)


@each(BETA_VARIANTS, "create_enrollment_url")
def test_enrollment_url(client: anthropic.Anthropic, variant: Variant, server: Server) -> None:
    api = variant.api(client)
    profile = api.create(name="Ada Example", **variant.kwargs)
    link = api.create_enrollment_url(profile.id, **variant.kwargs)
    assert sent_keys(link) == {"type", "url", "expires_at"}
    assert link.type == "enrollment_url"
    assert link.url.startswith(f"{server.url}/enroll/") and len(link.url.rsplit("/", 1)[1]) == 43
    assert abs((link.expires_at - datetime.now(UTC) - timedelta(minutes=15)).total_seconds()) < 5
    assert api.create_enrollment_url(profile.id, **variant.kwargs).url != link.url
    page = httpx.get(link.url)
    assert page.status_code == 200 and "Ada Example" in page.text
    assert api.retrieve(profile.id, **variant.kwargs) == profile
    with pytest.raises(anthropic.NotFoundError):
        api.create_enrollment_url(MISSING, **variant.kwargs)


# --- one stored profile, four views (docs/reference/profiles.md §2.6) -----------------------------------


def views(client: anthropic.Anthropic, profile_id: str) -> dict[str, Any]:
    """The profile read under every revision."""
    return {
        "r1": client.beta.user_profiles.retrieve(profile_id, betas=[R1_BETA]),
        "r2": client.beta.user_profiles.retrieve(profile_id),
        "r3": client.beta.user_profiles.retrieve(profile_id, betas=[R3_BETA]),
        "ga": client.user_profiles.retrieve(profile_id),
    }


def assert_common(views_: dict[str, Any], created: Any) -> None:
    """What every revision shows identically: id, name, metadata, timestamps; and each its own keys."""
    for revision, keys in (("r1", R1_KEYS), ("r2", R2_KEYS), ("r3", R3_KEYS), ("ga", GA_KEYS)):
        view = views_[revision]
        assert sent_keys(view) == keys, revision
        assert (view.id, view.name, view.metadata) == (created.id, created.name, created.metadata), revision
        assert (view.created_at, view.updated_at) == (created.created_at, created.updated_at), revision


@compat(BETA_R1, "create")
@compat(BETA_R2, "retrieve")
@compat(BETA_R3, "retrieve")
@compat(GA, "retrieve")
def test_profile_created_under_r1_reads_back_everywhere(client: anthropic.Anthropic) -> None:
    created = client.beta.user_profiles.create(
        external_id="user_1", name="Ada", metadata={"k": "v"}, extra_body={"relationship": "resold"}, betas=[R1_BETA]
    )
    seen = views(client, created.id)
    assert_common(seen, created)
    assert seen["r1"] == created
    assert (seen["r2"].external_id, seen["r2"].access_type, seen["r2"].external_user_onboarded_at) == (
        "user_1",
        "passthrough",
        None,
    )
    for revision in ("r3", "ga"):
        assert seen[revision].access_type == "passthrough"
        assert seen[revision].external_user_details.to_dict() == {**NO_DETAILS, "reference_id": "user_1"}
    assert seen["r2"].trust_grants == seen["r3"].trust_grants == {}
    assert (seen["ga"].programs.cyber, seen["ga"].programs.efs, seen["ga"].enforcement_status) == (
        None,
        None,
        "unrestricted",
    )


@compat(BETA_R2, "create")
@compat(BETA_R1, "retrieve")
@compat(BETA_R3, "retrieve")
@compat(GA, "retrieve")
def test_profile_created_under_r2_reads_back_everywhere(client: anthropic.Anthropic) -> None:
    created = client.beta.user_profiles.create(
        external_id="cust_7", access_type="application", external_user_onboarded_at="2026-02-01T08:00:00.1234567Z"
    )
    onboarded = datetime(2026, 2, 1, 8, 0, 0, 123456, tzinfo=UTC)  # fractions beyond µs are truncated
    assert created.external_user_onboarded_at == onboarded
    seen = views(client, created.id)
    assert_common(seen, created)
    assert seen["r2"] == created
    assert (seen["r1"].external_id, seen["r1"].model_extra) == ("cust_7", {"relationship": "external"})
    for revision in ("r3", "ga"):
        details = seen[revision].external_user_details
        assert details.to_dict() == {**NO_DETAILS, "reference_id": "cust_7", "onboarded_at": onboarded}
        assert seen[revision].access_type == "application"


@compat(BETA_R3, "create")
@compat(BETA_R1, "retrieve")
@compat(BETA_R2, "retrieve")
@compat(GA, "retrieve")
def test_profile_created_under_r3_reads_back_everywhere(client: anthropic.Anthropic, operator: Operator) -> None:
    created = client.beta.user_profiles.create(
        name="Northwind",
        access_type="passthrough",
        external_user_details=FULL_DETAILS,
        betas=[R3_BETA],
    )
    operator.set_cyber(created.id, status="active")
    operator.set_efs(created.id, status="rejected")
    created = client.beta.user_profiles.retrieve(created.id, betas=[R3_BETA])
    seen = views(client, created.id)
    assert_common(seen, created)
    assert (seen["r1"].external_id, seen["r1"].model_extra) == ("cust_889", {"relationship": "resold"})
    assert (seen["r2"].external_id, seen["r2"].external_user_onboarded_at) == ("cust_889", FEB_1_8H)
    assert seen["ga"].external_user_details.to_dict() == created.external_user_details.to_dict()  # type: ignore[union-attr]
    grants = {"cyber": "active", "efs": "rejected"}
    for revision in ("r1", "r2", "r3"):
        assert {name: grant.status for name, grant in seen[revision].trust_grants.items()} == grants
    programs = seen["ga"].programs
    assert (programs.cyber.status, programs.cyber.requirements) == ("active", None)
    assert {tier: value.status for tier, value in programs.cyber.tiers.items()} == dict.fromkeys("abc", "inactive")
    assert programs.efs.status == "rejected" and set(programs.efs.features) == {
        "data_retention_exemption",
        "cmek",
        "storage",
    }


@compat(GA, "create")
@compat(BETA_R1, "retrieve")
@compat(BETA_R2, "retrieve")
@compat(BETA_R3, "retrieve")
def test_profile_created_under_ga_reads_back_everywhere(client: anthropic.Anthropic, operator: Operator) -> None:
    created = client.user_profiles.create(
        name="Ada", external_user_details={"reference_id": "ref-1", "onboarded_at": "2026-02-01T08:00:00Z"}
    )
    operator.open_action(created.id, type="ban")
    seen = views(client, created.id)
    assert_common(seen, created)
    assert (seen["r1"].external_id, seen["r1"].model_extra) == ("ref-1", {"relationship": "external"})
    assert (seen["r2"].external_id, seen["r2"].external_user_onboarded_at, seen["r2"].access_type) == (
        "ref-1",
        FEB_1_8H,
        "application",
    )
    assert seen["r3"].external_user_details.to_dict() == {
        **NO_DETAILS,
        "reference_id": "ref-1",
        "onboarded_at": FEB_1_8H,
    }
    assert seen["ga"].enforcement_status == "banned" and seen["r3"].trust_grants == {}


@compat(BETA_R1, "list")
@compat(BETA_R2, "list")
@compat(BETA_R3, "list")
@compat(GA, "list")
def test_list_items_match_retrieve_in_every_revision(client: anthropic.Anthropic, operator: Operator) -> None:
    first = client.beta.user_profiles.create(external_id="a", betas=[R1_BETA]).id
    second = client.user_profiles.create(external_user_details={"country": "NL", "reference_id": "b"}).id
    operator.set_cyber(second, status="active", tiers={"c": "active"})
    operator.set_efs(second, status="pending")
    for variant in BETA_VARIANTS:
        api = variant.api(client)
        items = api.list(**variant.kwargs).data
        assert [p.id for p in items] == [second, first]
        assert items == [api.retrieve(i, **variant.kwargs) for i in (second, first)], variant.id
    ga_items = client.user_profiles.list().data
    assert [p.external_user_details.reference_id for p in ga_items] == ["b", "a"]
    assert ga_items[0].programs.efs is None and ga_items[0].programs.cyber.tiers == {}  # type: ignore[union-attr]


@compat(BETA_R1, "update")
def test_r1_update_keeps_what_r1_does_not_show(client: anthropic.Anthropic, operator: Operator) -> None:
    created = client.user_profiles.create(name="Ada", access_type="passthrough", external_user_details=FULL_DETAILS)
    operator.set_cyber(created.id, status="active", tiers={"a": "active"})
    action = operator.open_action(created.id, type="restriction", verifiable=True)
    before = client.user_profiles.retrieve(created.id)
    client.beta.user_profiles.update(
        created.id, name="Ada L", external_id="cust_890", metadata={"m": "1"}, betas=[R1_BETA]
    )
    after = client.user_profiles.retrieve(created.id)
    assert (after.name, after.metadata, after.access_type) == ("Ada L", {"m": "1"}, "passthrough")
    assert after.external_user_details.to_dict() == {
        **FULL_DETAILS,
        "onboarded_at": FEB_1_8H,
        "reference_id": "cust_890",
    }
    assert (after.programs, after.enforcement_status) == (before.programs, "restricted")
    assert [a.id for a in after.enforcement_actions] == [action]


@compat(BETA_R2, "update")
def test_r2_update_keeps_what_r2_does_not_show(client: anthropic.Anthropic, operator: Operator) -> None:
    created = client.user_profiles.create(external_user_details=FULL_DETAILS)
    operator.set_efs(created.id, status="active", features={"storage": "active"})
    before = client.user_profiles.retrieve(created.id)
    client.beta.user_profiles.update(
        created.id, external_user_onboarded_at="2025-12-31T23:00:00-01:00", external_id=None, access_type="passthrough"
    )
    after = client.user_profiles.retrieve(created.id)
    assert after.external_user_details.to_dict() == {
        **FULL_DETAILS,
        "onboarded_at": datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
        "reference_id": None,
    }
    assert (after.access_type, after.programs) == ("passthrough", before.programs)


@compat(BETA_R3, "update")
def test_r3_update_keeps_enforcement_and_programs(client: anthropic.Anthropic, operator: Operator) -> None:
    created = client.user_profiles.create(name="Ada")
    operator.set_cyber(created.id, status="active", tiers={"a": "active", "b": "active"})
    ban = operator.open_action(created.id, type="ban", reason="high_harm")
    before = client.user_profiles.retrieve(created.id)
    client.beta.user_profiles.update(created.id, name="Ada2", external_user_details={"country": "US"}, betas=[R3_BETA])
    after = client.user_profiles.retrieve(created.id)
    assert (after.name, after.external_user_details.country) == ("Ada2", "US")
    assert after.programs == before.programs and after.programs.cyber is not None
    assert (after.enforcement_status, [a.id for a in after.enforcement_actions]) == ("banned", [ban])


@compat(BETA_R1, "update")
@compat(GA, "update")
def test_relationship_and_access_type_are_one_value(client: anthropic.Anthropic) -> None:
    created = client.user_profiles.create(access_type="passthrough")
    assert client.beta.user_profiles.retrieve(created.id, betas=[R1_BETA]).model_extra == {"relationship": "resold"}
    client.beta.user_profiles.update(created.id, extra_body={"relationship": "external"}, betas=[R1_BETA])
    assert client.user_profiles.retrieve(created.id).access_type == "application"
    client.user_profiles.update(created.id, access_type="passthrough")
    assert client.beta.user_profiles.retrieve(created.id, betas=[R1_BETA]).model_extra == {"relationship": "resold"}
    # R1 relationship null means "unchanged", like access_type null elsewhere
    same = client.beta.user_profiles.update(created.id, extra_body={"relationship": None}, betas=[R1_BETA])
    assert same.model_extra == {"relationship": "resold"}
