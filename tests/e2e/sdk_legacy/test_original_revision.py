"""Every operation of anthropic 0.121.0's `client.beta.user_profiles` against the real server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anthropic
import httpx
import pytest

from tests.e2e.conftest import Server, Tenant

CLIENT = f"anthropic {anthropic.__version__} beta (R1 default)"  # the compatibility matrix row


def test_sdk_sends_the_original_revision() -> None:
    assert anthropic.__version__ == "0.121.0"


@pytest.mark.compat(client=CLIENT, operation="create")
def test_create_returns_the_r1_shape(client: anthropic.Anthropic) -> None:
    before = datetime.now(UTC)
    profile = client.beta.user_profiles.create(
        external_id="user_12345", name="Ada Example", relationship="external", metadata={"plan": "pro"}
    )
    assert profile.id.startswith("uprof_") and len(profile.id) == 30
    assert profile.type == "user_profile"
    assert (profile.external_id, profile.name, profile.relationship) == ("user_12345", "Ada Example", "external")
    assert profile.metadata == {"plan": "pro"}
    assert profile.trust_grants == {}
    assert profile.created_at == profile.updated_at
    assert before - timedelta(seconds=1) <= profile.created_at <= datetime.now(UTC) + timedelta(seconds=1)


@pytest.mark.compat(client=CLIENT, operation="create")
def test_create_defaults(client: anthropic.Anthropic) -> None:
    profile = client.beta.user_profiles.create()
    assert (profile.external_id, profile.name, profile.relationship, profile.metadata) == (None, None, "external", {})


@pytest.mark.compat(client=CLIENT, operation="create")
@pytest.mark.compat(client=CLIENT, operation="retrieve")
def test_resold_maps_to_passthrough_and_back(client: anthropic.Anthropic) -> None:
    profile = client.beta.user_profiles.create(name="Northwind", relationship="resold")
    assert profile.relationship == "resold"
    assert client.beta.user_profiles.retrieve(profile.id).relationship == "resold"


@pytest.mark.compat(client=CLIENT, operation="retrieve")
def test_retrieve_returns_what_create_returned(client: anthropic.Anthropic) -> None:
    created = client.beta.user_profiles.create(name="Ada", metadata={"a": "1", "b": "2"})
    assert client.beta.user_profiles.retrieve(created.id) == created


@pytest.mark.compat(client=CLIENT, operation="retrieve")
def test_retrieve_unknown_is_not_found(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as raised:
        client.beta.user_profiles.retrieve("uprof_000000000000000000000000")
    assert raised.value.body["error"]["message"] == "user profile not found"  # type: ignore[index]


@pytest.mark.compat(client=CLIENT, operation="update")
def test_update_merges_metadata_and_moves_updated_at(client: anthropic.Anthropic) -> None:
    created = client.beta.user_profiles.create(name="Ada", metadata={"plan": "pro", "trial": "yes"})
    updated = client.beta.user_profiles.update(
        created.id, external_id="user_12345-b", metadata={"plan": "team", "seats": "5", "trial": ""}
    )
    assert updated.metadata == {"plan": "team", "seats": "5"}
    assert updated.external_id == "user_12345-b"
    assert updated.name == "Ada"
    assert updated.updated_at > created.updated_at
    assert updated.created_at == created.created_at
    assert client.beta.user_profiles.retrieve(created.id) == updated


@pytest.mark.compat(client=CLIENT, operation="update")
def test_update_that_changes_nothing_keeps_updated_at(client: anthropic.Anthropic) -> None:
    created = client.beta.user_profiles.create(name="Ada", metadata={"plan": "pro"})
    same = client.beta.user_profiles.update(created.id, name="Ada", metadata={"plan": "pro", "absent": ""})
    assert same == created
    assert client.beta.user_profiles.update(created.id) == created


@pytest.mark.compat(client=CLIENT, operation="update")
def test_update_null_clears_name_and_external_id(client: anthropic.Anthropic) -> None:
    created = client.beta.user_profiles.create(name="Ada", external_id="x")
    cleared = client.beta.user_profiles.update(created.id, name=None, external_id=None)
    assert (cleared.name, cleared.external_id) == (None, None)


@pytest.mark.compat(client=CLIENT, operation="update")
def test_update_relationship(client: anthropic.Anthropic) -> None:
    created = client.beta.user_profiles.create()
    assert client.beta.user_profiles.update(created.id, relationship="resold").relationship == "resold"


@pytest.mark.compat(client=CLIENT, operation="list")
def test_list_pages_through_everything_newest_first(client: anthropic.Anthropic) -> None:
    ids = [client.beta.user_profiles.create(name=f"p{i}").id for i in range(7)]
    first = client.beta.user_profiles.list(limit=3)
    assert [p.id for p in first.data] == ids[::-1][:3]
    assert first.next_page is not None and first.next_page.startswith("page_")
    assert [p.id for p in client.beta.user_profiles.list(limit=3)] == ids[::-1]  # auto-pagination
    assert [p.id for p in client.beta.user_profiles.list(limit=2, order="asc")] == ids


@pytest.mark.compat(client=CLIENT, operation="list")
def test_list_last_page_has_no_cursor(client: anthropic.Anthropic) -> None:
    for i in range(2):
        client.beta.user_profiles.create(name=f"p{i}")
    page = client.beta.user_profiles.list(limit=2)
    assert len(page.data) == 2 and page.next_page is None
    assert client.beta.user_profiles.list().next_page is None


@pytest.mark.compat(client=CLIENT, operation="list")
def test_list_of_empty_organization(client: anthropic.Anthropic) -> None:
    page = client.beta.user_profiles.list()
    assert page.data == [] and page.next_page is None


@pytest.mark.compat(client=CLIENT, operation="create_enrollment_url")
def test_enrollment_url_opens_a_page(client: anthropic.Anthropic, server: Server) -> None:
    profile = client.beta.user_profiles.create(name="Ada Example")
    before = datetime.now(UTC)
    link = client.beta.user_profiles.create_enrollment_url(profile.id)
    assert link.type == "enrollment_url"
    assert link.url.startswith(f"{server.url}/enroll/")
    assert len(link.url.rsplit("/", 1)[1]) == 43
    expected_expiry = before + timedelta(minutes=15)
    assert abs((link.expires_at - expected_expiry).total_seconds()) < 5
    page = httpx.get(link.url)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "Ada Example" in page.text and "Apply for the Cyber Verification Program" in page.text
    assert client.beta.user_profiles.retrieve(profile.id).updated_at == profile.updated_at


@pytest.mark.compat(client=CLIENT, operation="create_enrollment_url")
def test_each_enrollment_url_is_new(client: anthropic.Anthropic) -> None:
    profile = client.beta.user_profiles.create()
    first = client.beta.user_profiles.create_enrollment_url(profile.id)
    second = client.beta.user_profiles.create_enrollment_url(profile.id)
    assert first.url != second.url
    assert httpx.get(first.url).status_code == 200


@pytest.mark.compat(client=CLIENT, operation="create_enrollment_url")
def test_enrollment_url_for_unknown_profile(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError):
        client.beta.user_profiles.create_enrollment_url("uprof_000000000000000000000000")


def test_unknown_enrollment_token_is_a_404_page(server: Server) -> None:
    page = httpx.get(f"{server.url}/enroll/{'A' * 43}")
    assert page.status_code == 404
    assert "This link is not valid" in page.text


@pytest.mark.compat(client=CLIENT, operation="retrieve")
@pytest.mark.compat(client=CLIENT, operation="update")
@pytest.mark.compat(client=CLIENT, operation="list")
def test_organizations_do_not_see_each_other(client: anthropic.Anthropic, server: Server, tenant: Tenant) -> None:
    from uprof.accounts import service as accounts
    from uprof.db.engine import make_engine
    from uprof.db.unit_of_work import Database

    database = Database(make_engine(server.database_url))
    other_key = database.run(lambda c: accounts.create_key(c, organization_name="someone-else").key, write=True)
    database.engine.dispose()
    mine = client.beta.user_profiles.create(name="mine")
    with anthropic.Anthropic(api_key=other_key, base_url=server.url, max_retries=0) as other:
        with pytest.raises(anthropic.NotFoundError):
            other.beta.user_profiles.retrieve(mine.id)
        with pytest.raises(anthropic.NotFoundError):
            other.beta.user_profiles.update(mine.id, name="stolen")
        assert mine.id not in [p.id for p in other.beta.user_profiles.list()]
    assert client.beta.user_profiles.retrieve(mine.id).name == "mine"
