"""The benchmark's data: an API key made by the CLI, profiles loaded in bulk, IDs and a deep cursor.

Profiles are inserted through SQLAlchemy Core with uprof's own table and engine, so every column
is encoded exactly as `uprof.profiles.service.create` stores it (integer-microsecond timestamps,
JSON `metadata`, JSON `null` program columns, `name_key` and `name_folded` from the service's own folding), only in
large executemany batches instead of one request at a time.
"""

from __future__ import annotations

import random
import string
import subprocess
import time
import urllib.request
from typing import Any

import orjson
from servers import VENV_BIN
from sqlalchemy import Engine, func, insert, select

from uprof.accounts.models import api_key
from uprof.accounts.service import hash_key
from uprof.app import CURSOR_SECRET
from uprof.crypto.server_keys import server_secret
from uprof.db.engine import make_engine
from uprof.http.pagination import CursorCodec
from uprof.profiles.models import user_profile
from uprof.profiles.service import DETAIL_COLUMNS, name_columns
from uprof.timestamps import to_micros, utc_now

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
FIRST_NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tony", "Niklaus"]
LAST_NAMES = ["Example", "Lovelace", "Hopper", "Turing", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Hoare"]
PLANS = ["free", "pro", "team", "enterprise"]


def create_key(database_url: str) -> str:
    """`uprof db upgrade` (which creates the database), then `uprof keys create`; returns the key it prints."""
    subprocess.run([str(VENV_BIN / "uprof"), "db", "upgrade", "--database-url", database_url], check=True)
    command = [str(VENV_BIN / "uprof"), "keys", "create", "--name", "bench", "--database-url", database_url]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def organization_of(engine: Engine, key: str) -> str:
    with engine.connect() as connection:
        query = select(api_key.c.organization_id).where(api_key.c.key_sha256 == hash_key(key))
        organization_id = connection.scalar(query)
    if organization_id is None:
        raise RuntimeError("the benchmark key is not in the database")
    return str(organization_id)


def open_engine(database_url: str) -> Engine:
    return make_engine(database_url)


def load_profiles(engine: Engine, organization_id: str, count: int, batch: int = 100_000) -> float:
    """Insert `count` profiles, 1 ms apart in created_at and all in the past; return the seconds taken."""
    # The service draws IDs from a CSPRNG one character at a time; the same format from a fast
    # generator loads a million rows in seconds. 62^24 possibilities: collisions do not happen.
    generator = random.Random()
    first = to_micros(utc_now()) - (count + 1) * 1000
    start = time.perf_counter()
    for offset in range(0, count, batch):
        rows = [
            _row(generator, organization_id, n, first + n * 1000) for n in range(offset, min(count, offset + batch))
        ]
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA cache_size=-262144")
            connection.execute(insert(user_profile), rows)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - start


def _row(generator: random.Random, organization_id: str, n: int, created_micros: int) -> dict[str, Any]:
    """The row service.create writes for an R1 create with external_id, name, relationship, metadata."""
    name = f"{generator.choice(FIRST_NAMES)} {generator.choice(LAST_NAMES)} {n}"
    row: dict[str, Any] = {
        "id": "uprof_" + "".join(generator.choices(BASE62, k=24)),
        "organization_id": organization_id,
        "name": name,
        "access_type": "passthrough" if n % 10 == 0 else "application",
        **dict.fromkeys(DETAIL_COLUMNS),
        "metadata": {"plan": PLANS[n % 4]} if n % 3 else {},
        "cyber": None,
        "efs": None,
        "created_at": created_micros,  # the Timestamp column stores integer microseconds; it accepts them as is
        "updated_at": created_micros,
    }
    row["reference_id"] = f"user_{n}"
    row.update(name_columns(name))
    return row


def profile_count(engine: Engine, organization_id: str) -> int:
    with engine.connect() as connection:
        query = select(func.count()).select_from(user_profile).where(user_profile.c.organization_id == organization_id)
        return int(connection.scalar(query) or 0)


def sample_ids(engine: Engine, organization_id: str, count: int) -> list[str]:
    """`count` profile IDs drawn at random from the whole table."""
    query = (
        select(user_profile.c.id)
        .where(user_profile.c.organization_id == organization_id)
        .order_by(func.random())
        .limit(count)
    )
    with engine.connect() as connection:
        return [str(row[0]) for row in connection.execute(query)]


def deep_cursor(engine: Engine, organization_id: str, depth: int) -> tuple[str, str]:
    """A `page` cursor positioned after the `depth`-th profile of the default order (created_at desc).

    Made with the server's own codec and signing key, exactly as service._next_cursor makes one;
    returns the cursor and the ID of the first profile the page must start with.
    """
    t = user_profile
    query = (
        select(t.c.created_at, t.c.id)
        .where(t.c.organization_id == organization_id)
        .order_by(t.c.created_at.desc(), t.c.id.desc())
        .offset(depth - 1)
        .limit(2)
    )
    with engine.connect() as connection:
        secret = connection.scalar(select(server_secret.c.value).where(server_secret.c.name == CURSOR_SECRET))
        rows = list(connection.execute(query))
    if secret is None or len(rows) < 2:
        raise RuntimeError(f"cannot make a cursor {depth} deep: no signing key yet or too few profiles")
    last, following = rows
    fields = {"o": "desc", "b": "created_at", "k": to_micros(last.created_at), "i": last.id}
    return CursorCodec(bytes.fromhex(secret)).encode(fields), str(following.id)


def check_page(port: int, key: str, cursor: str, expected_first: str) -> None:
    """Ask the server for the deep page once and make sure it starts where the cursor says."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/user_profiles?beta=true&limit=20&page={cursor}",
        headers={"x-api-key": key, "anthropic-version": "2023-06-01", "anthropic-beta": "user-profiles-2026-03-24"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        page = orjson.loads(response.read())
    first = page["data"][0]["id"] if page["data"] else None
    if first != expected_first or len(page["data"]) != 20:
        raise RuntimeError(f"deep page starts at {first} with {len(page['data'])} items, expected {expected_first}")
