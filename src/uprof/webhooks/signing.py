"""Standard Webhooks signing (docs/reference/webhooks.md §5.2): secrets and the three signature headers.

Pure functions: the caller supplies the time and the secrets, so the output is a known answer.
The HMAC itself is the `standardwebhooks` reference implementation, the same code the SDKs'
`unwrap` verifies with.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook

from uprof.crypto.sealing import SECRET_BYTES, SECRET_PREFIX


def new_secret() -> str:
    """A fresh signing secret: `whsec_` + standard base64 (with padding) of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def signature_headers(event_id: str, body: str, timestamp: int, signing_secrets: Sequence[str]) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` and `webhook-signature` for one attempt.

    `signing_secrets` lists the secrets in effect, newest first; each contributes one `v1,` entry
    in that order, separated by a space.
    """
    if not signing_secrets:
        raise ValueError("at least one signing secret is needed")
    moment = datetime.fromtimestamp(timestamp, UTC)
    signatures = " ".join(Webhook(secret).sign(event_id, moment, body) for secret in signing_secrets)
    return {"webhook-id": event_id, "webhook-timestamp": str(timestamp), "webhook-signature": signatures}
