"""The ceiling: a raw ASGI app that answers every request with one fixed, profile-sized JSON body.

No routing, no database, no validation: what a Python ASGI server can do on this machine at all.
bench/run serves it with uvicorn (uvloop, httptools) and with granian, and reports every uprof
figure as a ratio to the faster of the two.
"""

from __future__ import annotations

import json
from typing import Any

# A realistic R1 profile (docs/reference/profiles.md §4.2) with a few metadata keys: 364 bytes, a little more
# than uprof returns.
PROFILE = {
    "id": "uprof_4Xq8Lr2VnT7kPz9sWb3Hc6Dm",
    "type": "user_profile",
    "external_id": "user_12345",
    "name": "Ada Example",
    "relationship": "external",
    "metadata": {"plan": "pro", "region": "eu-west-1", "seats": "25", "team": "platform", "tier": "enterprise"},
    "trust_grants": {"cyber": {"status": "active"}},
    "created_at": "2026-11-26T10:15:30.123456Z",
    "updated_at": "2026-11-26T11:02:41.500000Z",
}
BODY = json.dumps(PROFILE, separators=(",", ":")).encode()
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
    (b"cache-control", b"no-store"),
]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
