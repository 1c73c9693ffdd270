"""Helpers for the export/import tests: brand-new databases, the `uprof` command, and a seeded dataset
that holds every record kind with the awkward values (Unicode, nulls, limits, leases, rotated secrets)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, func, insert, select, update

from tests.databases import fresh_database, opened
from tests.secret_keys import SECRET_KEY_ENVIRONMENT, session_box
from uprof.accounts import service as accounts
from uprof.crypto import server_keys
from uprof.data_controls import service as data_controls
from uprof.data_controls.schemas import ControlChange, Decision
from uprof.external_keys import service as external_keys
from uprof.external_keys.schemas import NewExternalKey
from uprof.ids import new_id, new_link_token
from uprof.links.models import link
from uprof.portability.export import export
from uprof.profiles.models import user_profile
from uprof.profiles.service import name_key
from uprof.provider.models import enrollment
from uprof.standing.models import enforcement_action, identity_check
from uprof.tables import metadata
from uprof.webhooks import outbox
from uprof.webhooks.models import webhook_attempt, webhook_delivery, webhook_endpoint
from uprof.webhooks.signing import new_secret

T = TypeVar("T")

# --- databases ------------------------------------------------------------------------------


@contextmanager
def new_databases(folder: Path) -> Iterator[Any]:
    """Yield `make(backend, migrated=True) -> url`: brand-new databases, the PostgreSQL ones dropped afterwards."""
    with ExitStack() as stack:
        yield lambda backend, migrated=True: stack.enter_context(fresh_database(backend, folder, migrated=migrated))


def row_counts(url: str) -> dict[str, int]:
    """Rows per table, for every table uprof has."""
    with opened(url) as database, database.unit_of_work(write=False) as connection:
        return {
            table.name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
            for table in metadata.sorted_tables
        }


def stored_secrets(url: str) -> list[str]:
    """The signing secret columns of every endpoint as stored (current and previous, when set)."""
    query = select(webhook_endpoint.c.signing_secret, webhook_endpoint.c.previous_signing_secret)
    with opened(url) as database, database.unit_of_work(write=False) as connection:
        return [value for row in connection.execute(query) for value in row if value is not None]


# --- the command ----------------------------------------------------------------------------


def base_environment() -> dict[str, str]:
    """This process's environment without any UPROF_* setting that could leak into the command, and
    with the session's secret key (an empty UPROF_SECRET_KEY in a test's `env` counts as unset)."""
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("UPROF_")}
    return {**inherited, **SECRET_KEY_ENVIRONMENT}


def uprof(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "uprof", *args],
        input=stdin,
        capture_output=True,
        env={**base_environment(), **(env or {})},
        timeout=120,
    )


def run_all(*calls: Callable[[], T]) -> list[T]:
    """Run independent commands side by side (each costs about a second of start-up); results in order."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def export_of(url: str) -> bytes:
    """An export made in this process (where the command itself is not what a test is about)."""
    sink = io.BytesIO()
    with opened(url) as database:
        export(database, sink, session_box(), show_progress=False)
    return sink.getvalue()


def without_header(export: bytes) -> list[bytes]:
    """The lines of an export but the first (the header, whose `exported_at` differs between runs)."""
    lines = export.splitlines(keepends=True)
    assert lines[0].startswith(b'{"kind":"header","format":"uprof-export","version":1,"exported_at":"'), lines[0]
    return lines[1:]


# --- the seeded dataset ---------------------------------------------------------------------

T0 = datetime(2026, 11, 26, 9, 0, 0, 123456, tzinfo=UTC)
EFS_FEATURES = ("data_retention_exemption", "cmek", "storage")
FAR = datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


@dataclass
class Seeded:
    counts: dict[str, int]  # records per kind an export of it holds
    leased_delivery_id: str
    standard_key: str


def seed(url: str) -> Seeded:
    """Fill a new database with every record kind, through the services where they exist, else by insert."""
    with opened(url) as database:
        return database.run(_seed, write=True)


def _seed(c: Connection) -> Seeded:
    accounts.create_key(c, name="operator", admin=True)
    standard = accounts.create_key(c, name="billing service")
    accounts.create_key(c, name="scoped", workspace_id="wrkspc_Main1")
    revoked = accounts.create_key(c, name="old")
    accounts.revoke_key(c, revoked.id)
    accounts.record_use(c, standard.id, T0)
    second = "Zweite GmbH — 二番目"
    accounts.create_key(c, name='ünïcødé ✓ "quoted"', organization_name=second, workspace_id="wrkspc_0")
    org, org2 = accounts.organization_for(c, None), accounts.organization_for(c, second)

    full = _profile(
        c,
        org,
        name='Zoë Ñandú 名前 🚀 "q" \\ </script>',
        access_type="passthrough",
        account_status="suspended",
        country="DE",
        email_hash="9f2c41d0e3",
        entity_type="business",
        name_hash="ab" * 127 + "c",
        onboarded_at=datetime(1, 1, 1, tzinfo=UTC),
        reference_id="cust_889",
        metadata={**{f"k{i:02d}": "v" * 512 for i in range(14)}, "ключ": "значение ✓", 'q"\\': 'line\nbreak\t"'},
        cyber={
            "status": "active",
            "tiers": {"a": "active", "b": "inactive", "c": "active"},
            "requirements": {"data_retention": False, "human_review": True},
        },
        efs={
            "status": "pending",
            "features": dict.fromkeys(("data_retention_exemption", "cmek", "storage"), "inactive"),
        },
    )
    bare = _profile(c, org)
    checked = _profile(c, org, name="Checked")
    _profile(c, org2, name="x" * 255, reference_id="r" * 255, onboarded_at=FAR)
    c.execute(
        insert(enrollment),
        [
            _enrollment(org, full, "cyber", "approved", ["a", "c"], decided_at=T0, decision_note="Verified employer"),
            _enrollment(org, bare, "efs", "pending", ["cmek"], applicant_organization=None, contact_email=None),
        ],
    )
    c.execute(
        insert(enforcement_action),
        [
            _action(org, checked, "restriction", verifiable=True, expires_at=FAR, note="Blocked region"),
            _action(org, bare, "restriction", verifiable=True),  # shows action "verify"
            _action(org, full, "ban", reason="fraud_or_abuse"),
            _action(org, full, "restriction", resolved_at=T0, resolution="operator", note="n" * 1000),
        ],
    )
    c.execute(insert(identity_check).values(_check(org, checked)))
    c.execute(
        insert(link).values(
            token_sha256=accounts.hash_key(new_link_token()),
            kind="portal",
            organization_id=org,
            user_profile_id=full,
            created_at=T0,
            expires_at=FAR,
        )
    )
    _data_controls(c, org, full)
    leased = _webhooks(c, org, org2, full)
    server_keys.load_or_create(c, "cursor_signing_key")
    server_keys.load_or_create(c, "page_csrf_key")
    counts = {
        "organization": 2,
        "workspace": 2,
        "api_key": 5,
        "user_profile": 4,
        "enrollment": 2,
        "enforcement_action": 4,
        "identity_check": 1,
        "external_key": 2,
        "data_controls": 1,
        "webhook_endpoint": 2,
        "webhook_event": 4,
        "webhook_delivery": 3,
        "server_secret": 2,
    }
    return Seeded(counts, leased, standard.key)


def _data_controls(c: Connection, organization_id: str, profile_id: str) -> None:
    """Two keys of the profile, both controls on: a key replaced (so retired), a bucket pending."""
    config = {"type": "gcp", "key_name": "projects/p/locations/us/keyRings/r/cryptoKeys/{}"}
    keys = [
        external_keys.create(
            c,
            organization_id,
            NewExternalKey({**config, "key_name": config["key_name"].format(name)}, "Ünï ✓", "us", profile_id),
            T0,
        ).id
        for name in ("one", "two")
    ]
    timing = data_controls.Timing(timedelta(seconds=10), timedelta(days=36_500))  # retired until long after now
    bucket = {"project_number": "42", "bucket_name": "customer-eu"}
    for key, moment in ((keys[0], T0), (keys[1], T0 + timedelta(minutes=1))):
        changes = {"cmek": ControlChange(True, {"us": {"external_key_id": key}})}
        data_controls.update(c, organization_id, profile_id, changes, moment, timing)
        data_controls.decide(
            c, organization_id, profile_id, ("cmek", "us"), Decision("active", None, ()), moment, timing
        )
    changes = {"storage": ControlChange(True, {"eu": bucket})}
    data_controls.update(c, organization_id, profile_id, changes, T0 + timedelta(minutes=2), timing)


def _profile(c: Connection, organization_id: str, **values: Any) -> str:
    row: dict[str, Any] = {
        "id": new_id("uprof_"),
        "organization_id": organization_id,
        "name": None,
        "access_type": "application",
        **dict.fromkeys(("account_status", "country", "email_hash", "entity_type", "name_hash", "reference_id")),
        "onboarded_at": None,
        "metadata": {},
        "cyber": None,
        "efs": None,
        "created_at": T0,
        "updated_at": T0 + timedelta(microseconds=1),
        **values,
    }
    row["name_key"] = name_key(row["name"])
    c.execute(insert(user_profile).values(row))
    return str(row["id"])


def _enrollment(
    org: str, profile: str, program: str, status: str, requested: list[str], **values: Any
) -> dict[str, Any]:
    return {
        "id": new_id("enr_"),
        "organization_id": org,
        "user_profile_id": profile,
        "program": program,
        "status": status,
        "source": "enrollment_url" if program == "cyber" else "portal",
        "requested": requested,
        "use_case": "Red-team exercises\nfor our banking clients ✓",
        "applicant_organization": "Example Security Ltd",
        "contact_email": "ada@example.com",
        "submitted_at": T0,
        "decided_at": None,
        "decision_note": None,
        **values,
    }


def _action(org: str, profile: str, kind: str, **values: Any) -> dict[str, Any]:
    return {
        "id": new_id("enac_"),
        "organization_id": org,
        "user_profile_id": profile,
        "type": kind,
        "reason": "unsupported_region",
        "verifiable": False,
        "expires_at": None,
        "opened_at": T0,
        "resolved_at": None,
        "resolution": None,
        "note": None,
        **values,
    }


def _check(org: str, profile: str) -> dict[str, Any]:
    return {
        "id": new_id("idc_"),
        "organization_id": org,
        "user_profile_id": profile,
        "status": "submitted",
        "full_name": "Ada Lovelace-Byron",
        "country": "GB",
        "document_type": "passport",
        "document_last4": "48Z1",
        "submitted_at": T0,
        "decided_at": None,
        "decision_note": None,
    }


def _webhooks(c: Connection, org: str, org2: str, profile: str) -> str:
    """Two endpoints (one disabled), four events, three deliveries in three states; return the leased one."""
    common = {"organization_id": org, "created_at": T0, "updated_at": T0}
    live, dead = new_id("whep_"), new_id("whep_")
    box = session_box()
    c.execute(
        insert(webhook_endpoint),
        [
            {
                **common,
                "id": live,
                "name": "production",
                "description": "Nachrichten ✓",
                "url": "https://platform.example.com/hooks/uprof?x=1",
                "enabled_events": [outbox.PROGRAM_STATUS_UPDATED, outbox.ENFORCEMENT_ACTION_OPENED],
                "state": "enabled",
                "disabled_reason": "",
                "signing_secret": box.seal(new_secret()),
                "previous_signing_secret": box.seal(new_secret()),
                "previous_secret_expires_at": FAR,
                "consecutive_failures": 2,
            },
            {
                **common,
                "id": dead,
                "name": "",
                "description": "",
                "url": "http://10.1.2.3:8080/hook",
                "enabled_events": ["external_key.failed"],
                "state": "disabled",
                "disabled_reason": "consecutive_delivery_failures",
                # In plaintext, as stored before secrets were encrypted (until a server start seals it).
                "signing_secret": new_secret(),
                "previous_signing_secret": None,
                "previous_secret_expires_at": None,
                "consecutive_failures": 5,
            },
        ],
    )
    for event_type in (outbox.PROGRAM_STATUS_UPDATED, outbox.ENFORCEMENT_ACTION_OPENED, outbox.PROGRAM_STATUS_UPDATED):
        outbox.record(c, org, event_type, profile, T0, enforcement_action_id=None)
    outbox.record(c, org2, outbox.ENFORCEMENT_ACTION_RESOLVED, profile, T0, enforcement_action_id="enac_1")
    done, leased, waiting = c.scalars(select(webhook_delivery.c.id).order_by(webhook_delivery.c.id)).all()
    _attempts(c, done, [(200, None, "ok")])
    _attempts(c, leased, [(503, None, "upstream unavailable ✓"), (None, "timeout", None)])
    c.execute(update(webhook_delivery).where(webhook_delivery.c.id == done).values(status="succeeded", finished_at=T0))
    c.execute(
        update(webhook_delivery)
        .where(webhook_delivery.c.id == leased)
        .values(budget_start=1, next_attempt_at=FAR, lease_expires_at=FAR)
    )
    del waiting  # pending, never attempted
    return str(leased)


def _attempts(c: Connection, delivery_id: str, outcomes: list[tuple[int | None, str | None, str | None]]) -> None:
    rows = [
        {
            "delivery_id": delivery_id,
            "number": number,
            "started_at": T0 + timedelta(seconds=number),
            "duration_ms": 84 * number,
            "status_code": status,
            "error": error,
            "response_excerpt": excerpt,
        }
        for number, (status, error, excerpt) in enumerate(outcomes, 1)
    ]
    c.execute(insert(webhook_attempt), rows)
    c.execute(update(webhook_delivery).where(webhook_delivery.c.id == delivery_id).values(attempt_count=len(rows)))
