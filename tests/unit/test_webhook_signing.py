"""Known answers for webhook signing (docs/reference/webhooks.md §5.2), the retry schedule (§6) and error kinds."""

from __future__ import annotations

import base64
import json
import random
import re
import socket
import ssl
import time
from datetime import timedelta

import httpcore
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from uprof.webhooks.egress import AddressNotAllowed
from uprof.webhooks.schedule import retry_delay
from uprof.webhooks.sender import error_kind
from uprof.webhooks.signing import new_secret, signature_headers

# The reference vector published with the Standard Webhooks specification.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = '{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

# A uprof-shaped case: 32 key bytes 0x00…0x1f, an envelope as the outbox writes it. The expected
# signature was computed independently (HMAC-SHA256 over `id.timestamp.body`, standard base64).
KEY_SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
EVENT_ID = "event_8Jd3Mx6Qp2Vr9Lz4Tb1Kn7Wc"
EVENT_BODY = (
    '{"type":"event","id":"event_8Jd3Mx6Qp2Vr9Lz4Tb1Kn7Wc","created_at":"2026-11-26T11:30:00.000000Z",'
    '"data":{"type":"user_profile.program_status_updated","id":"uprof_4Xq8Lr2VnT7kPz9sWb3Hc6Dm",'
    '"organization_id":"6d1f6a0e-3c2b-4f1e-9a57-2b8c0d4e5f61"}}'
)
EVENT_TIMESTAMP = 1795779000
EVENT_SIGNATURE = "v1,Fqeh91xoTECrmOnmeZaI3t8zur4vzIQ9pqxXA4ycXSw="


def test_the_standard_webhooks_reference_vector() -> None:
    headers = signature_headers(SPEC_ID, SPEC_BODY, SPEC_TIMESTAMP, [SPEC_SECRET])
    assert headers == {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": "1614265330",
        "webhook-signature": SPEC_SIGNATURE,
    }


def test_a_uprof_envelope_signed_with_a_32_byte_key() -> None:
    headers = signature_headers(EVENT_ID, EVENT_BODY, EVENT_TIMESTAMP, [KEY_SECRET])
    assert headers["webhook-signature"] == EVENT_SIGNATURE


def test_during_rotation_the_new_secret_signs_first_and_each_secret_verifies() -> None:
    old, new = new_secret(), new_secret()
    now = int(time.time())
    headers = signature_headers(EVENT_ID, EVENT_BODY, now, [new, old])
    first, second = headers["webhook-signature"].split(" ")
    assert first == signature_headers(EVENT_ID, EVENT_BODY, now, [new])["webhook-signature"]
    assert second == signature_headers(EVENT_ID, EVENT_BODY, now, [old])["webhook-signature"]
    for secret in (new, old):
        assert Webhook(secret).verify(EVENT_BODY, headers) == json.loads(EVENT_BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(EVENT_BODY, headers)


def test_a_fresh_signature_verifies_and_a_changed_body_does_not() -> None:
    secret = new_secret()
    headers = signature_headers(EVENT_ID, EVENT_BODY, int(time.time()), [secret])
    Webhook(secret).verify(EVENT_BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(EVENT_BODY.replace("program_status_updated", "enforcement_action_opened"), headers)


def test_signing_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        signature_headers(EVENT_ID, EVENT_BODY, EVENT_TIMESTAMP, [])


def test_new_secrets_are_32_random_bytes_in_padded_standard_base64() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", secret)
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32


@pytest.mark.parametrize(
    ("failed", "seconds"),
    [(1, 30), (2, 60), (3, 120), (4, 240), (9, 7680), (10, 14400), (11, 14400), (49, 14400)],
)
def test_retry_delays_double_from_30_seconds_up_to_4_hours(failed: int, seconds: int) -> None:
    rng = random.Random(7)
    delays = [retry_delay(failed, 30.0, rng) for _ in range(200)]
    assert all(timedelta(seconds=seconds * 0.9) <= delay <= timedelta(seconds=seconds * 1.1) for delay in delays)
    assert max(delays) - min(delays) > timedelta(seconds=seconds * 0.1)  # the jitter is there


def test_the_retry_base_scales_the_schedule() -> None:
    delay = retry_delay(3, 0.5, random.Random(1))
    assert timedelta(seconds=1.8) <= delay <= timedelta(seconds=2.2)


def _chained(outer: Exception, cause: BaseException) -> Exception:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (httpcore.ReadTimeout("slow"), "timeout"),
        (httpcore.ConnectTimeout("slow"), "timeout"),
        (TimeoutError(), "timeout"),
        (_chained(httpcore.ConnectError("no"), socket.gaierror(-2, "Name or service not known")), "dns_error"),
        (_chained(httpcore.ConnectError("no"), ssl.SSLCertVerificationError("bad certificate")), "tls_error"),
        (_chained(httpcore.ConnectError("no"), ConnectionRefusedError(111, "refused")), "connection_error"),
        (httpcore.RemoteProtocolError("closed"), "connection_error"),
        (AddressNotAllowed("localhost resolves to no address webhook deliveries may go to"), "address_not_allowed"),
    ],
)
def test_failed_attempts_are_classified(failure: Exception, kind: str) -> None:
    assert error_kind(failure) == kind
