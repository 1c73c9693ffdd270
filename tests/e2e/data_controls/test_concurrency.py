"""Concurrent writes to one profile's data controls, and a key deleted while it is being put to use:
no acknowledged change is lost, no request fails with a 5xx, and a deleted key is never left in use."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import anthropic
from anthropic.types.beta.user_profiles.providers.google import BetaGoogleManagedBucketReferenceParam

from tests.e2e.data_controls.conftest import Organization

REGIONS = ("us", "eu", "sg", "global")


def test_concurrent_updates_of_different_regions_all_land(org: Organization) -> None:
    profile_id = org.profile()
    data_controls = org.client.beta.user_profiles.providers.google.data_controls

    def send(region: str) -> None:
        bucket: BetaGoogleManagedBucketReferenceParam = {"project_number": "7", "bucket_name": f"bucket-{region}"}
        data_controls.update(profile_id, storage={"type": "enabled", "buckets": {region: bucket}})
        data_controls.retrieve(profile_id)

    with ThreadPoolExecutor(len(REGIONS)) as pool:
        list(pool.map(send, REGIONS * 3))
    buckets = data_controls.retrieve(profile_id).storage.buckets  # type: ignore[union-attr]
    assert {region: bucket.bucket_name for region, bucket in buckets.items()} == {
        region: f"bucket-{region}" for region in REGIONS
    }


def _attach(org: Organization, profile_id: str, key: str) -> bool:
    try:
        org.client.beta.user_profiles.providers.google.data_controls.update(
            profile_id, cmek={"type": "enabled", "external_key_ids": {"us": key}}
        )
    except anthropic.BadRequestError as refused:
        assert refused.error_code == "external_key_not_found"
        return False
    return True


def _delete(org: Organization, key: str) -> bool:
    try:
        org.admin.beta.organization.external_keys.delete(key)
    except anthropic.ConflictError:
        return False
    return True


def test_a_key_is_either_deleted_or_put_to_use_never_both(org: Organization) -> None:
    keys = org.admin.beta.organization.external_keys
    data_controls = org.client.beta.user_profiles.providers.google.data_controls
    for round_ in range(6):
        profile_id = org.profile()
        key = org.gcp_key(profile_id, f"race{round_}")
        with ThreadPoolExecutor(2) as pool:
            attached, deleted = pool.submit(_attach, org, profile_id, key), pool.submit(_delete, org, key)
            outcome = (attached.result(), deleted.result())
        assert outcome in ((True, False), (False, True)), outcome
        controls = data_controls.retrieve(profile_id)
        if outcome[0]:
            assert controls.cmek.external_key_ids == {"us": key}  # type: ignore[union-attr]
            assert keys.retrieve(key).attachment.type == "attached"
        else:
            assert controls.cmek.type == "disabled"
