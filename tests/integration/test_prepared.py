"""Prepared statements against real SQLite and PostgreSQL: the same rows, conversions and errors as
`Connection.execute` gives for the same statement."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from uprof.db.engine import make_engine
from uprof.db.prepared import Prepared
from uprof.db.unit_of_work import Database, DatabaseBusy
from uprof.ids import new_id
from uprof.profiles.models import user_profile as t

T0 = datetime(2026, 11, 27, 4, 0, 0, 654321, tzinfo=UTC)
BY_ID = select(t).where(t.c.id == bindparam("b_id"))


def profile(organization_id: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {column.key: None for column in t.columns}
    row.update(id=new_id("uprof_"), organization_id=organization_id, access_type="application")
    row.update(metadata={"plan": "pro", "région": "é"}, cyber={"status": "active"}, created_at=T0, updated_at=T0)
    row.update(values)
    return row


def test_rows_match_what_sqlalchemy_reads(database: Database, organization_id: str) -> None:
    stored = profile(organization_id, name="Ada", onboarded_at=T0)
    database.run(lambda c: Prepared(insert(t)).run(c, stored), write=True)

    def read(connection: Any) -> tuple[Any, Any]:
        prepared = Prepared(BY_ID).first(connection, {"b_id": stored["id"]})
        expected = connection.execute(BY_ID, {"b_id": stored["id"]}).first()
        return prepared, dict(expected._mapping)

    prepared, expected = database.run(read, write=False)
    assert prepared == expected == stored
    assert isinstance(prepared["created_at"], datetime) and prepared["created_at"].tzinfo is not None


def test_first_of_nothing_is_none_and_rows_lists_all(database: Database, organization_id: str) -> None:
    first, second = profile(organization_id, name="a"), profile(organization_id, name="b")
    insert_row = Prepared(insert(t))
    database.run(lambda c: [insert_row.run(c, row) for row in (first, second)], write=True)
    by_organization = Prepared(select(t.c.id).where(t.c.organization_id == bindparam("o")).order_by(t.c.name))
    assert database.run(lambda c: by_organization.rows(c, {"o": organization_id}), write=False) == [
        {"id": first["id"]},
        {"id": second["id"]},
    ]
    assert database.run(lambda c: Prepared(BY_ID).first(c, {"b_id": "uprof_none"}), write=False) is None


def test_update_sets_only_its_columns_and_counts_rows(database: Database, organization_id: str) -> None:
    stored = profile(organization_id, name="before")
    database.run(lambda c: Prepared(insert(t)).run(c, stored), write=True)
    later = datetime(2027, 1, 1, tzinfo=UTC)
    change = Prepared(update(t).where(t.c.id == bindparam("b_id")), column_keys=("metadata", "updated_at"))
    changed = database.run(
        lambda c: change.run(c, {"b_id": stored["id"], "metadata": {"k": "v"}, "updated_at": later}), write=True
    )
    assert changed == 1
    row = database.run(lambda c: Prepared(BY_ID).first(c, {"b_id": stored["id"]}), write=False)
    assert row == {**stored, "metadata": {"k": "v"}, "updated_at": later}
    missing = {"b_id": "uprof_none", "metadata": {}, "updated_at": later}
    assert database.run(lambda c: change.run(c, missing), write=True) == 0


def test_driver_errors_arrive_wrapped_and_roll_back(database: Database, organization_id: str) -> None:
    stored = profile(organization_id)
    insert_row = Prepared(insert(t))
    database.run(lambda c: insert_row.run(c, stored), write=True)
    other = profile(organization_id)
    with pytest.raises(IntegrityError):
        database.run(lambda c: [insert_row.run(c, other), insert_row.run(c, stored)], write=True)
    assert database.run(lambda c: Prepared(BY_ID).first(c, {"b_id": other["id"]}), write=False) is None


def test_a_held_lock_is_database_busy(database: Database, organization_id: str) -> None:
    """Another connection holds the lock the prepared statement needs: the unit of work reports the
    database busy (the HTTP layer's 529), as it does for statements SQLAlchemy runs."""
    contender = Database(make_engine(str(database.engine.url)))
    insert_row = Prepared(insert(t))

    def write(connection: Any) -> None:
        if contender.is_sqlite:
            connection.exec_driver_sql("PRAGMA busy_timeout = 50")
        else:
            connection.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
        insert_row.run(connection, profile(organization_id))

    try:
        with database.engine.connect() as holder:
            if database.is_sqlite:
                holder.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                holder.begin()
                holder.exec_driver_sql("LOCK TABLE user_profile IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(DatabaseBusy):
                contender.run(write, write=False)
            holder.rollback()
    finally:
        contender.engine.dispose()
