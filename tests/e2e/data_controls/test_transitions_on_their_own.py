"""What happens with no one acting, on a server whose regions are decided 1 s after they were set and
whose retired entries expire 2 s after retirement: pending → active (or failed, for a key the operator
made fail), the replaced key retired, and the retired entry gone once it expires."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.data_controls.conftest import DATA_CONTROLS_CLIENT, Organization
from tests.e2e.waiting import wait_until

DELAY = timedelta(seconds=1)
RETENTION = timedelta(seconds=2)


@pytest.mark.compat(client=DATA_CONTROLS_CLIENT, operation="retrieve")
def test_a_pending_key_becomes_active_then_its_replacement_retires_it_until_it_expires(quick_org: Organization) -> None:
    org = quick_org
    profile_id = org.profile()
    first, second = org.gcp_key(profile_id, "one"), org.gcp_key(profile_id, "two")
    data_controls = org.client.beta.user_profiles.providers.google.data_controls
    sent = data_controls.update(profile_id, cmek={"type": "enabled", "external_key_ids": {"us": first}})
    assert sent.cmek.status["us"].type == "pending"  # type: ignore[union-attr]
    active = wait_until(
        lambda: (c := data_controls.retrieve(profile_id)).cmek.status["us"].type == "active" and c,  # type: ignore[union-attr]
        "the region to become active",
    )
    us = active.cmek.status["us"]  # type: ignore[union-attr]
    assert us.validated_at == sent.updated_at + DELAY == active.updated_at  # decided when it was due, not when read

    replaced = data_controls.update(profile_id, cmek={"type": "enabled", "external_key_ids": {"us": second}})
    swapped = wait_until(
        lambda: (c := data_controls.retrieve(profile_id)).cmek.retired_keys and c, "the first key to be retired"
    )
    assert swapped.cmek.status["us"].effective_external_key_id == second  # type: ignore[union-attr]
    (retired,) = swapped.cmek.retired_keys
    assert (retired.external_key_id, retired.region) == (first, "us")
    assert retired.expires_at == replaced.updated_at + DELAY + RETENTION
    keys = org.admin.beta.organization.external_keys
    assert keys.retrieve(first).attachment.type == "attached"  # retired, so still to be kept usable
    wait_until(lambda: not data_controls.retrieve(profile_id).cmek.retired_keys, "the retired key to expire")
    after = data_controls.retrieve(profile_id)
    assert after.updated_at == swapped.updated_at  # the removal of a retired entry does not count
    assert keys.retrieve(first).attachment.type == "unattached"
    keys.delete(first)


@pytest.mark.compat(client=DATA_CONTROLS_CLIENT, operation="update")
def test_a_key_the_operator_made_fail_fails_after_the_delay(quick_org: Organization) -> None:
    org = quick_org
    profile_id = org.profile()
    key = org.gcp_key(profile_id)
    org.operate(f"/v1/admin/external_keys/{key}/validation", {"status": "failure", "error": "key is disabled"})
    data_controls = org.client.beta.user_profiles.providers.google.data_controls
    sent = data_controls.update(profile_id, cmek={"type": "enabled", "external_key_ids": {"eu": key}})
    assert sent.cmek.status["eu"].model_dump() == {  # type: ignore[union-attr]
        "type": "pending",
        "effective_external_key_id": None,
        "error": "key is disabled",
    }
    failed = wait_until(
        lambda: (c := data_controls.retrieve(profile_id)).cmek.status["eu"].type == "failed" and c,  # type: ignore[union-attr]
        "the region to fail",
    )
    assert failed.cmek.status["eu"].error == "key is disabled"  # type: ignore[union-attr]
    assert failed.updated_at == sent.updated_at + DELAY
    # Once the key works, sending it again starts a new check that passes.
    org.operate(f"/v1/admin/external_keys/{key}/validation", {"status": "success"})
    data_controls.update(profile_id, cmek={"type": "enabled", "external_key_ids": {"eu": key}})
    wait_until(
        lambda: data_controls.retrieve(profile_id).cmek.status["eu"].type == "active",  # type: ignore[union-attr]
        "the region to become active",
    )


@pytest.mark.compat(client=DATA_CONTROLS_CLIENT, operation="update")
def test_a_bucket_passes_on_its_own_and_a_removed_one_is_retired(quick_org: Organization) -> None:
    org = quick_org
    profile_id = org.profile()
    data_controls = org.client.beta.user_profiles.providers.google.data_controls
    bucket = {"project_number": "42", "bucket_name": "customer-sg"}
    data_controls.update(profile_id, storage={"type": "enabled", "buckets": {"sg": bucket}})
    wait_until(
        lambda: data_controls.retrieve(profile_id).storage.status["sg"].type == "active",  # type: ignore[union-attr]
        "the bucket to pass",
    )
    off = data_controls.update(profile_id, storage={"type": "disabled"})
    assert off.storage.type == "disabled"
    assert [item.model_dump() for item in off.storage.retired_buckets] == [
        {**bucket, "region": "sg", "expires_at": off.updated_at + RETENTION}
    ]
