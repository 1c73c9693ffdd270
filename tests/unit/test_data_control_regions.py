"""The region state machine of data controls (uprof.data_controls.regions): pure transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from uprof.data_controls.regions import Region, Retired, Verdict, configure, decide, due, remove

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
DELAY, RETENTION = timedelta(seconds=10), timedelta(days=7)
ONE, TWO = {"external_key_id": "ekey_one"}, {"external_key_id": "ekey_two"}


def test_a_new_key_is_pending_and_due_after_the_delay() -> None:
    region = Region("cmek", "us")
    assert configure(region, ONE, T0)
    assert (region.status, region.configured, region.effective) == ("pending", ONE, None)
    assert due(region, T0 + DELAY - timedelta(microseconds=1), DELAY) is None
    assert due(region, T0 + DELAY * 3, DELAY) == T0 + DELAY  # dated when it was due


def test_passing_replaces_the_key_in_effect_and_retires_it_from_then() -> None:
    region = Region("cmek", "us")
    configure(region, ONE, T0)
    assert decide(region, Verdict("active"), T0 + DELAY, RETENTION) == []
    configure(region, TWO, T0 + DELAY * 2)
    assert (region.status, region.effective) == ("pending", ONE)
    retired = decide(region, Verdict("active"), T0 + DELAY * 3, RETENTION)
    assert retired == [Retired("cmek", "us", ONE, T0 + DELAY * 3 + RETENTION)]
    assert (region.status, region.effective, region.validated_at) == ("active", TWO, T0 + DELAY * 3)


def test_failing_keeps_the_previous_key_and_the_same_key_may_be_sent_again() -> None:
    region = Region("cmek", "eu")
    configure(region, ONE, T0)
    decide(region, Verdict("active"), T0, RETENTION)
    configure(region, TWO, T0 + DELAY)
    assert decide(region, Verdict("failed", error="denied"), T0 + DELAY * 2, RETENTION) == []
    assert (region.status, region.effective, region.error) == ("failed", ONE, "denied")
    assert configure(region, TWO, T0 + DELAY * 3) and region.status == "pending" and region.error is None
    assert not configure(region, TWO, T0 + DELAY * 4)  # already pending: nothing changes
    assert region.pending_since == T0 + DELAY * 3


def test_removing_retires_only_what_is_in_effect() -> None:
    region = Region("storage", "sg")
    bucket = {"project_number": "1", "bucket_name": "b-1"}
    configure(region, bucket, T0)
    assert remove(region, T0, RETENTION) == []  # never applied, so nothing to keep
    configure(region, bucket, T0)
    decide(region, Verdict("active"), T0 + DELAY, RETENTION)
    details = region.details  # not region.details: mypy would keep this narrowing past remove() below
    assert details == {"project_id": "project-1", "location": "ASIA-SOUTHEAST1", "kms_key_name": None}
    assert remove(region, T0 + DELAY * 2, RETENTION) == [Retired("storage", "sg", bucket, T0 + DELAY * 2 + RETENTION)]
    assert (region.status, region.configured, region.effective, region.details) == ("not_configured", None, None, None)
