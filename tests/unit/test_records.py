"""Each typed record declares exactly the columns of its table: a column added by a migration must be
added to the record too (Profile.of refuses a row with a column it does not declare)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Table

from uprof.profiles.models import user_profile
from uprof.profiles.records import Profile
from uprof.provider.models import enrollment
from uprof.provider.records import Enrollment
from uprof.standing.models import enforcement_action, identity_check
from uprof.standing.records import EnforcementAction, IdentityCheck
from uprof.webhooks.models import webhook_delivery, webhook_endpoint
from uprof.webhooks.records import WebhookDelivery, WebhookEndpoint

# What a record declares beyond its table's columns: values a query reads alongside the row.
RECORDS: list[tuple[Any, Table, set[str]]] = [
    (Profile, user_profile, {"has_unresolved_action"}),
    (EnforcementAction, enforcement_action, set()),
    (IdentityCheck, identity_check, set()),
    (Enrollment, enrollment, set()),
    (WebhookEndpoint, webhook_endpoint, set()),
    (WebhookDelivery, webhook_delivery, {"endpoint_url"}),
]


@pytest.mark.parametrize(("record", "table", "read_alongside"), RECORDS, ids=[r[1].name for r in RECORDS])
def test_a_record_declares_its_tables_columns_in_order(record: Any, table: Table, read_alongside: set[str]) -> None:
    declared = [name for name in record._fields if name not in read_alongside]
    assert declared == [column.key for column in table.columns]


def test_a_record_is_immutable() -> None:
    now = datetime(2026, 12, 6, tzinfo=UTC)
    action = EnforcementAction("enac_1", "org", "uprof_1", "ban", "unspecified", False, None, now, None, None, None)
    with pytest.raises(AttributeError):
        action.type = "restriction"  # type: ignore[misc]


def test_a_profile_row_with_an_undeclared_column_is_refused() -> None:
    now = datetime(2026, 12, 6, tzinfo=UTC)
    row = {column.key: None for column in user_profile.columns} | {"metadata": {}, "created_at": now}
    assert Profile.of(row).has_unresolved_action is None
    with pytest.raises(TypeError):
        Profile.of({**row, "added_later": 1})


def test_with_program_changes_one_program_and_updated_at() -> None:
    now, later = datetime(2026, 12, 6, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC)
    row = {column.key: None for column in user_profile.columns} | {"created_at": now, "updated_at": now}
    profile = Profile.of(row)
    changed = profile.with_program("efs", {"status": "active"}, later)
    assert (changed.efs, changed.cyber, changed.updated_at) == ({"status": "active"}, None, later)
    assert (profile.efs, profile.updated_at) == (None, now)
    with pytest.raises(KeyError):
        profile.with_program("other", None, later)
