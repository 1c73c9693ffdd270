"""A user's test suite: the plugin as an installed package gives it (`pytest -p uprof`), nothing
imported from uprof's source tree. Every control of docs/testing.md, through the plugin."""

from datetime import timedelta

import anthropic
import httpx
import pytest

from uprof.testing import ApiError, Org, PageError, TestServer


def test_approval_reaches_the_platform(uprof: Org) -> None:
    client = uprof.client()
    profile = client.beta.user_profiles.create(name="Ada")
    url = client.beta.user_profiles.create_enrollment_url(profile.id).url
    uprof.webhooks.subscribe()
    enrollment = uprof.end_user.enroll(url, tiers=["a", "c"])
    uprof.operator.approve_enrollment(enrollment["id"])
    assert client.beta.user_profiles.retrieve(profile.id).trust_grants["cyber"].status == "active"
    assert uprof.webhooks.wait_for("user_profile.program_status_updated")["data"]["id"] == profile.id


def test_each_test_has_its_own_organization(uprof: Org, uprof_server: TestServer) -> None:
    assert isinstance(uprof, Org)
    other = uprof_server.new_organization()
    assert other["organization_id"] != uprof.organization_id
    uprof.client().beta.user_profiles.create(name="Mine")
    theirs = anthropic.Anthropic(base_url=uprof.base_url, api_key=other["api_key"])
    assert list(theirs.beta.user_profiles.list()) == []


def test_a_link_expires_when_the_clock_passes_its_lifetime(uprof: Org) -> None:
    client = uprof.client()
    profile = client.beta.user_profiles.create(name="Late")
    url = client.beta.user_profiles.create_enrollment_url(profile.id).url
    assert httpx.get(url).status_code == 200
    before = uprof.clock.now()
    after = uprof.clock.advance(901)
    assert after - before >= timedelta(seconds=901)
    assert httpx.get(url).status_code == 410
    with pytest.raises(PageError) as refused:
        uprof.end_user.enroll(url)
    assert refused.value.status == 410


def test_an_action_expires_and_its_event_arrives_verified(uprof: Org) -> None:
    client = uprof.client()
    profile = client.beta.user_profiles.create(name="Suspended")
    uprof.webhooks.subscribe(events=["user_profile.enforcement_action_resolved"])
    ends = uprof.clock.now() + timedelta(hours=2)
    action = uprof.operator.open_action(
        profile.id, type="restriction", reason="fraud_or_abuse", expires_at=ends.isoformat().replace("+00:00", "Z")
    )
    assert action["resolved_at"] is None
    uprof.clock.advance(hours=2, seconds=1)
    event = uprof.webhooks.wait_for("user_profile.enforcement_action_resolved", timeout=10)
    assert event["data"]["id"] == profile.id
    resolved = uprof.operator.action(action["id"])
    assert resolved["resolution"] == "expired"


def test_the_sdk_retries_injected_529s_and_makes_one_profile(uprof: Org) -> None:
    uprof.faults.inject(method="POST", path="/v1/user_profiles", status=529, times=2, retry_after=0)
    client = uprof.client(max_retries=2)
    profile = client.beta.user_profiles.create(name="Persistent")
    tries = uprof.requests.all(method="POST", path="/v1/user_profiles")
    assert [t.status for t in tries] == [200, 529, 529]
    assert tries[1].response_body["error"] == {"type": "overloaded_error", "message": "injected fault"}
    assert [p.id for p in client.beta.user_profiles.list()] == [profile.id]
    assert uprof.faults.all() == []


def test_a_fault_on_a_route_template_and_its_delay(uprof: Org) -> None:
    client = uprof.client(max_retries=0)
    profile = client.beta.user_profiles.create(name="Target")
    uprof.faults.inject(method="GET", path="/v1/user_profiles/{user_profile_id}", status=429, retry_after=7)
    with pytest.raises(anthropic.RateLimitError) as limited:
        client.beta.user_profiles.retrieve(profile.id)
    assert limited.value.response.headers["retry-after"] == "7"
    assert client.beta.user_profiles.retrieve(profile.id).id == profile.id
    uprof.faults.inject(delay_ms=300)
    uprof.faults.clear()
    assert uprof.faults.all() == []


def test_the_journal_records_what_the_code_sent(uprof: Org) -> None:
    client = uprof.client()
    profile = client.beta.user_profiles.create(name="Journaled", metadata={"plan": "pro"})
    client.beta.user_profiles.retrieve(profile.id)
    with pytest.raises(anthropic.NotFoundError):
        client.beta.user_profiles.retrieve("uprof_doesnotexist")
    last = uprof.requests.last()
    assert (last.method, last.status) == ("GET", 404)
    created = uprof.requests.all(method="POST")[0]
    assert created.json == {"name": "Journaled", "metadata": {"plan": "pro"}}
    # This SDK sends its key as `Authorization: Bearer …`; the journal keeps its last four characters.
    assert created.headers["authorization"] == uprof.api_key[-4:]
    assert created.response_body["id"] == profile.id
    assert len(uprof.requests.all(path="/v1/user_profiles/{user_profile_id}")) == 2
    assert len(uprof.requests.all(path=f"/v1/user_profiles/{profile.id}")) == 1
    uprof.requests.clear()
    assert uprof.requests.all() == []


def test_reset_empties_the_organization_and_keeps_its_keys(uprof: Org) -> None:
    client = uprof.client()
    for name in ("one", "two"):
        client.beta.user_profiles.create(name=name)
    uprof.faults.inject(path="/v1/nothing", status=500)
    deleted = uprof.reset()["deleted"]
    assert deleted["user_profiles"] == 2 and deleted["faults"] == 1
    assert list(client.beta.user_profiles.list()) == []


def test_the_portal_identity_check_and_the_operator(uprof: Org) -> None:
    client = uprof.client()
    profile = client.beta.user_profiles.create(name="Checked")
    action = uprof.operator.open_action(profile.id, type="restriction", reason="unspecified", verifiable=True)
    portal = client.beta.user_profiles.action_urls.create(profile.id, action={"type": "enroll_end_user"}).url
    check = uprof.end_user.verify_identity(portal, full_name="Ada Lovelace")
    assert check["status"] == "submitted"
    assert [c["id"] for c in uprof.operator.identity_checks(status="submitted")] == [check["id"]]
    uprof.operator.approve_identity_check(check["id"])
    assert uprof.operator.action(action["id"])["resolution"] == "identity_check"


def test_the_portal_application_and_a_rejection(uprof: Org) -> None:
    client = uprof.client()
    profile = client.beta.user_profiles.create(name="Applicant")
    portal = client.beta.user_profiles.action_urls.create(profile.id, action={"type": "enroll_end_user"}).url
    enrollment = uprof.end_user.apply(portal, "efs", features=["storage"])
    assert enrollment["program"] == "efs"
    assert uprof.operator.reject_enrollment(enrollment["id"])["status"] == "rejected"
    with pytest.raises(ApiError) as refused:
        uprof.operator.approve_enrollment(enrollment["id"])
    assert refused.value.status == 409


def test_a_page_refuses_a_bad_form(uprof: Org) -> None:
    client = uprof.client()
    profile = client.beta.user_profiles.create(name="Careless")
    url = client.beta.user_profiles.create_enrollment_url(profile.id).url
    with pytest.raises(PageError) as refused:
        uprof.end_user.enroll(url, tiers=[])
    assert refused.value.status == 400 and refused.value.messages


def test_the_async_and_admin_clients(uprof: Org) -> None:
    import asyncio

    async def create() -> str:
        client: anthropic.AsyncAnthropic  # Org.async_client() is typed Any: the SDK is the user's to install
        async with uprof.async_client() as client:
            return (await client.beta.user_profiles.create(name="Async")).id

    profile_id = asyncio.run(create())
    uprof.operator.set_program(profile_id, "cyber", status="active", tiers={"a": "active"})
    admin = uprof.admin_client()
    assert admin.beta.user_profiles.retrieve(profile_id).trust_grants["cyber"].status == "active"


def test_created_at_follows_the_clock(uprof: Org) -> None:
    now = uprof.clock.advance(days=3)
    profile = uprof.client().beta.user_profiles.create(name="Later")
    assert abs(profile.created_at - now) < timedelta(minutes=1)


def test_the_operator_rejects_and_resolves_and_the_events_arrive(uprof: Org, uprof_server: TestServer) -> None:
    assert uprof.base_url == uprof_server.base_url
    client = uprof.client()
    profile = client.beta.user_profiles.create(name="Reviewed")
    uprof.webhooks.subscribe(
        events=["user_profile.enforcement_action_opened", "user_profile.enforcement_action_resolved"]
    )
    action = uprof.operator.open_action(profile.id, type="restriction", reason="unspecified", verifiable=True)
    portal = client.beta.user_profiles.action_urls.create(profile.id, action={"type": "enroll_end_user"}).url
    check = uprof.end_user.verify_identity(portal)
    assert uprof.operator.reject_identity_check(check["id"], allow_retry=False)["status"] == "rejected"
    assert uprof.operator.resolve_action(action["id"], note="cleared")["resolution"] == "operator"
    flushed = uprof.flush_webhooks()
    assert flushed["failed"] == 0
    opened = uprof.webhooks.wait_for("user_profile.enforcement_action_opened")
    closed = uprof.webhooks.wait_for("user_profile.enforcement_action_resolved")
    assert opened["data"]["enforcement_action_id"] == closed["data"]["enforcement_action_id"] == action["id"]
    assert {event["id"] for event in uprof.webhooks.received()} == {opened["id"], closed["id"]}
    assert uprof.operator.enrollments(user_profile_id=profile.id) == []
    deleted = uprof.reset()["deleted"]
    assert (deleted["enforcement_actions"], deleted["identity_checks"], deleted["webhook_endpoints"]) == (1, 1, 1)
    assert (deleted["webhook_events"], deleted["webhook_deliveries"], deleted["links"]) == (2, 2, 1)


def test_a_faulted_request_is_journaled_under_its_route_template(uprof: Org) -> None:
    client = uprof.client(max_retries=0)
    profile = client.beta.user_profiles.create(name="Template")
    uprof.faults.inject(method="GET", path=f"/v1/user_profiles/{profile.id}", status=500)
    with pytest.raises(anthropic.InternalServerError):
        client.beta.user_profiles.retrieve(profile.id)
    client.beta.user_profiles.retrieve(profile.id)
    statuses = [r.status for r in uprof.requests.all(path="/v1/user_profiles/{user_profile_id}")]
    assert statuses == [200, 500]
