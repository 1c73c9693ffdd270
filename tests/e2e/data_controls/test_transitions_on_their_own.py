"""What happens with no one acting, on a server whose regions are decided 1 s after they were set and
whose retired entries expire 2 s after retirement: pending → active (or failed, for a key the operator
made fail), the replaced key retired, and the retired entry gone once it expires."""

from __future__ import annotations

from datetime import timedelta

import pytest
from anthropic.types.beta.user_profiles.providers.google import (
    BetaGoogleManagedBucketReferenceParam,
    BetaGoogleManagedCMEKRegionStatus,
    BetaGoogleManagedDataControls,
    BetaGoogleManagedStorageRegionStatus,
)

from tests.e2e.data_controls.conftest import DATA_CONTROLS_CLIENT, Organization
from tests.e2e.waiting import wait_until

DELAY = timedelta(seconds=1)
RETENTION = timedelta(seconds=2)


def cmek_region(controls: BetaGoogleManagedDataControls, region: str) -> BetaGoogleManagedCMEKRegionStatus:
    """The status of `region` of the `cmek` control, which these tests have turned on."""
    assert controls.cmek.type == "enabled"
    return controls.cmek.status[region]


def storage_region(controls: BetaGoogleManagedDataControls, region: str) -> BetaGoogleManagedStorageRegionStatus:
    """The status of `region` of the `storage` control, which these tests have turned on."""
    assert controls.storage.type == "enabled"
    return controls.storage.status[region]


@pytest.mark.compat(client=DATA_CONTROLS_CLIENT, operation="retrieve")
def test_a_pending_key_becomes_active_then_its_replacement_retires_it_until_it_expires(quick_org: Organization) -> None:
    org = quick_org
    profile_id = org.profile()
    first, second = org.gcp_key(profile_id, "one"), org.gcp_key(profile_id, "two")
    data_controls = org.client.beta.user_profiles.providers.google.data_controls
    sent = data_controls.update(profile_id, cmek={"type": "enabled", "external_key_ids": {"us": first}})
    assert cmek_region(sent, "us").type == "pending"
    active = wait_until(
        lambda: c if cmek_region(c := data_controls.retrieve(profile_id), "us").type == "active" else None,
        "the region to become active",
    )
    us = cmek_region(active, "us")
    assert us.type == "active"
    assert us.validated_at == sent.updated_at + DELAY == active.updated_at  # decided when it was due, not when read

    replaced = data_controls.update(profile_id, cmek={"type": "enabled", "external_key_ids": {"us": second}})
    swapped = wait_until(
        lambda: c if (c := data_controls.retrieve(profile_id)).cmek.retired_keys else None,
        "the first key to be retired",
    )
    assert cmek_region(swapped, "us").effective_external_key_id == second
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
    assert cmek_region(sent, "eu").model_dump() == {
        "type": "pending",
        "effective_external_key_id": None,
        "error": "key is disabled",
    }
    failed = wait_until(
        lambda: c if cmek_region(c := data_controls.retrieve(profile_id), "eu").type == "failed" else None,
        "the region to fail",
    )
    eu = cmek_region(failed, "eu")
    assert eu.type == "failed"
    assert eu.error == "key is disabled"
    assert failed.updated_at == sent.updated_at + DELAY
    # Once the key works, sending it again starts a new check that passes.
    org.operate(f"/v1/admin/external_keys/{key}/validation", {"status": "success"})
    data_controls.update(profile_id, cmek={"type": "enabled", "external_key_ids": {"eu": key}})
    wait_until(
        lambda: cmek_region(data_controls.retrieve(profile_id), "eu").type == "active",
        "the region to become active",
    )


@pytest.mark.compat(client=DATA_CONTROLS_CLIENT, operation="update")
def test_a_bucket_passes_on_its_own_and_a_removed_one_is_retired(quick_org: Organization) -> None:
    org = quick_org
    profile_id = org.profile()
    data_controls = org.client.beta.user_profiles.providers.google.data_controls
    bucket: BetaGoogleManagedBucketReferenceParam = {"project_number": "42", "bucket_name": "customer-sg"}
    data_controls.update(profile_id, storage={"type": "enabled", "buckets": {"sg": bucket}})
    wait_until(
        lambda: storage_region(data_controls.retrieve(profile_id), "sg").type == "active",
        "the bucket to pass",
    )
    off = data_controls.update(profile_id, storage={"type": "disabled"})
    assert off.storage.type == "disabled"
    assert [item.model_dump() for item in off.storage.retired_buckets] == [
        {**bucket, "region": "sg", "expires_at": off.updated_at + RETENTION}
    ]
