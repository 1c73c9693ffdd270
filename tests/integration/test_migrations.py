"""The Alembic migrations build exactly the schema the SQLAlchemy models describe, on SQLite and PostgreSQL.

`compare_metadata` checks tables, columns, types (a TypeDecorator by its implementation type),
nullability, indexes, unique constraints and foreign keys, but it does not compare collations, so
the `"C"` collation that makes PostgreSQL sort by code point is checked separately.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import BigInteger, Column, Connection, Integer, MetaData, String, inspect, text

from uprof.db import migrate
from uprof.db.unit_of_work import Database
from uprof.tables import metadata


def schema_drift(connection: Connection, target: MetaData) -> list[Any]:
    """Every difference Alembic autogenerate finds between the database and `target`."""
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
    return list(compare_metadata(context, target))


def collation_drift(connection: Connection, target: MetaData) -> list[tuple[str, str, str | None, str | None]]:
    """Columns whose collation in the database differs from the model's: (table, column, model, database)."""
    inspector = inspect(connection)
    drift = []
    for table in target.tables.values():
        stored = {column["name"]: column["type"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in stored:
                continue  # a missing column is schema_drift's to report
            expected = getattr(column.type.dialect_impl(connection.dialect), "collation", None)
            actual = getattr(stored[column.name], "collation", None)
            if expected != actual:
                drift.append((table.name, column.name, expected, actual))
    return drift


def table_names(database: Database) -> set[str]:
    with database.unit_of_work(write=False) as connection:
        return set(inspect(connection).get_table_names())


def test_models_and_migrations_agree(database: Database) -> None:
    with database.unit_of_work(write=False) as connection:
        assert schema_drift(connection, metadata) == []
        assert collation_drift(connection, metadata) == []


def test_code_point_columns_carry_the_c_collation_on_postgresql_only(database: Database) -> None:
    with database.unit_of_work(write=False) as connection:
        columns = {column["name"]: column["type"] for column in inspect(connection).get_columns("user_profile")}
        expected = "C" if connection.dialect.name == "postgresql" else None
        assert getattr(columns["name_key"], "collation", None) == expected
        assert getattr(columns["id"], "collation", None) == expected
        assert getattr(columns["name"], "collation", None) is None


def test_drift_checks_report_a_model_that_differs_from_the_database(database: Database) -> None:
    # Guards the two checks above against passing vacuously.
    drifted = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        table.to_metadata(drifted)
    profile = drifted.tables["user_profile"]
    profile.c.created_at.type = Integer()
    profile.c.name_key.type = String(255)
    profile.c.name.type = String(255).with_variant(String(255, collation="C"), "postgresql", "sqlite")
    profile.append_column(Column("added_in_model_only", BigInteger, nullable=True))
    with database.unit_of_work(write=False) as connection:
        differences = repr(schema_drift(connection, drifted))
        collations = collation_drift(connection, drifted)
        postgresql = connection.dialect.name == "postgresql"
    assert "added_in_model_only" in differences
    if postgresql:
        assert "created_at" in differences  # BIGINT in the database, INTEGER in the model
        assert ("user_profile", "name_key", None, "C") in collations
    assert ("user_profile", "name", "C", None) in collations


def test_upgrade_is_idempotent(database: Database) -> None:
    tables = table_names(database)
    assert migrate.upgrade(database) == migrate.head_revision()
    assert migrate.upgrade(database) == migrate.head_revision()
    assert table_names(database) == tables
    with database.unit_of_work(write=False) as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
            migrate.head_revision()
        ]
    assert migrate.is_current(database)


def test_upgrade_builds_every_table_on_an_empty_database(empty_database: Database) -> None:
    assert table_names(empty_database) == set()
    assert not migrate.is_current(empty_database)
    assert migrate.upgrade(empty_database) == migrate.head_revision()
    assert table_names(empty_database) == set(metadata.tables) | {"alembic_version"}
    assert migrate.is_current(empty_database)
    with empty_database.unit_of_work(write=False) as connection:
        assert schema_drift(connection, metadata) == []
        assert collation_drift(connection, metadata) == []
    assert migrate.upgrade(empty_database) == migrate.head_revision()


def test_a_database_from_a_newer_uprof_is_refused_and_left_alone(empty_database: Database) -> None:
    migrate.upgrade(empty_database)
    with empty_database.unit_of_work(write=True) as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '2099_12_31_9999'"))
    tables = table_names(empty_database)
    with pytest.raises(migrate.NewerDatabaseError, match="2099_12_31_9999"):
        migrate.upgrade(empty_database)
    assert not migrate.is_current(empty_database)
    assert table_names(empty_database) == tables
    with empty_database.unit_of_work(write=False) as connection:
        assert migrate.current_revision(connection) == "2099_12_31_9999"


def test_widening_the_secret_columns_keeps_every_endpoint_delivery_and_attempt(empty_database: Database) -> None:
    """0006 rebuilds `webhook_endpoint` on SQLite; with foreign keys on, dropping the old table would
    have deleted every delivery and attempt that refers to it (ON DELETE CASCADE)."""
    with empty_database.unit_of_work(write=True) as connection:
        command.upgrade(migrate.alembic_config(connection), "0005")
        for statement in (
            "INSERT INTO organization (id, name, is_default, created_at) VALUES ('org', 'o', true, 0)",
            "INSERT INTO webhook_endpoint (id, organization_id, name, description, url, enabled_events, state,"
            " disabled_reason, signing_secret, previous_signing_secret, consecutive_failures, created_at,"
            " updated_at) VALUES ('whep_1', 'org', '', '', 'https://example.com', '[]', 'enabled', '',"
            " 'whsec_plain', NULL, 0, 0, 0)",
            "INSERT INTO webhook_event (id, organization_id, type, body, created_at)"
            " VALUES ('ev', 'org', 't', '{}', 0)",
            "INSERT INTO webhook_delivery (id, organization_id, endpoint_id, event_id, event_type, status,"
            " attempt_count, created_at) VALUES ('del', 'org', 'whep_1', 'ev', 't', 'pending', 1, 0)",
            "INSERT INTO webhook_attempt (delivery_id, number, started_at, duration_ms) VALUES ('del', 1, 0, 5)",
        ):
            connection.execute(text(statement))
    assert migrate.upgrade(empty_database) == migrate.head_revision()
    sealed = "gAAAAA" + "x" * 200  # longer than the old String(64)
    with empty_database.unit_of_work(write=True) as connection:
        assert connection.execute(text("SELECT signing_secret FROM webhook_endpoint")).scalars().all() == [
            "whsec_plain"
        ]
        connection.execute(text("UPDATE webhook_endpoint SET previous_signing_secret = :value"), {"value": sealed})
        for table in ("webhook_delivery", "webhook_attempt"):
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1, table
        assert schema_drift(connection, metadata) == []


def test_the_search_text_is_filled_in_for_every_named_profile(empty_database: Database) -> None:
    """0007 adds `name_folded` and folds the names already stored, as the service folds new ones."""
    names = {"uprof_a": "Émile ZOË", "uprof_b": None, "uprof_c": "STRASSE Straße"} | {
        f"uprof_n{number:04}": f"Name {number}"
        for number in range(1500)  # more than one batch
    }
    with empty_database.unit_of_work(write=True) as connection:
        command.upgrade(migrate.alembic_config(connection), "0006")
        connection.execute(
            text("INSERT INTO organization (id, name, is_default, created_at) VALUES ('org', 'o', true, 0)")
        )
        connection.execute(
            text(
                "INSERT INTO user_profile (id, organization_id, name, name_key, access_type, metadata, created_at,"
                " updated_at) VALUES (:id, 'org', :name, :name, 'application', '{}', 0, 0)"
            ),
            [{"id": key, "name": name} for key, name in names.items()],
        )
    assert migrate.upgrade(empty_database) == migrate.head_revision()
    with empty_database.unit_of_work(write=False) as connection:
        folded: dict[str, str | None] = dict(connection.execute(text("SELECT id, name_folded FROM user_profile")).all())
    assert folded == {key: None if name is None else name.casefold() for key, name in names.items()}
    assert folded["uprof_a"] == "émile zoë" and folded["uprof_c"] == "strasse strasse"


def test_every_stored_event_is_given_its_profile(empty_database: Database) -> None:
    """0008 reads each event's profile from `data.id` of its body."""
    bodies = {
        f"event_{number:04}": json.dumps(
            {"type": "event", "id": f"event_{number:04}", "data": {"type": "t", "id": f"uprof_{number % 7}"}}
        )
        for number in range(1200)  # more than one batch
    }
    with empty_database.unit_of_work(write=True) as connection:
        command.upgrade(migrate.alembic_config(connection), "0007")
        connection.execute(
            text("INSERT INTO organization (id, name, is_default, created_at) VALUES ('org', 'o', true, 0)")
        )
        connection.execute(
            text(
                "INSERT INTO webhook_event (id, organization_id, type, body, created_at)"
                " VALUES (:id, 'org', 't', :b, 0)"
            ),
            [{"id": key, "b": body} for key, body in bodies.items()],
        )
    assert migrate.upgrade(empty_database) == migrate.head_revision()
    with empty_database.unit_of_work(write=False) as connection:
        found: dict[str, str] = dict(connection.execute(text("SELECT id, user_profile_id FROM webhook_event")).all())
    assert found == {key: json.loads(body)["data"]["id"] for key, body in bodies.items()}
