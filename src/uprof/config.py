"""Settings: every server option in one typed object, built once at the entry point (the `uprof` command, uprof.cli)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///./uprof.db"
# Like the default database, the default key file lives in the working directory.
DEFAULT_SECRET_KEY_FILE = "./uprof.key"

# Environment variable that carries serialised Settings from `uprof serve` to its worker processes.
WORKER_SETTINGS_VARIABLE = "UPROF__WORKER_SETTINGS"


@dataclass(frozen=True)
class Settings:
    """Configuration of one uprof server; see docs/cli.md for each option's flag and UPROF_* variable."""

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    public_base_url: str | None = None
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn's `forwarded_allow_ips`).
    forwarded_allow_ips: str = "127.0.0.1,::1"
    sqlite_synchronous: str = "normal"
    max_body_bytes: int = 1_048_576
    client_timeout: int = 30  # seconds a client has to send a whole request (http/protocol.py)
    link_ttl: int = 900
    rate_limit: int = 0  # requests per minute per API key; 0 = off
    rate_limit_burst: int | None = None  # bucket size; None = rate_limit
    metrics: bool = True  # serve Prometheus metrics at /metrics
    metrics_token: str | None = None  # when set, /metrics requires `Authorization: Bearer <token>`
    console: bool = True
    log_level: str = "info"
    log_format: str = "text"
    # Fernet key(s) that encrypt webhook signing secrets at rest, comma-separated: the first encrypts,
    # all decrypt. None: the key in `secret_key_file` (created on a first start).
    secret_key: str | None = dataclasses.field(default=None, repr=False)
    secret_key_file: str = DEFAULT_SECRET_KEY_FILE
    webhook_timeout: int = 10
    webhook_max_attempts: int = 15
    webhook_allow_http: bool = False
    webhook_retention_days: int = 30
    # CIDR ranges webhook deliveries may reach beyond public addresses (webhooks/egress.py).
    webhook_allow_cidrs: tuple[str, ...] = ()
    # Attempts one organization may have in flight at once in a dispatcher (webhooks/dispatcher.py).
    webhook_max_per_organization: int = 8
    # Test-only (hidden `UPROF_WEBHOOK_RETRY_BASE_SECONDS`): the first retry delay that the
    # min(base × 2^(n−1), 4 h) schedule doubles from; docs/reference/webhooks.md §6 fixes it at 30 s.
    webhook_retry_base_seconds: float = 30.0
    # What Google Cloud would take to decide a data control's key or bucket (docs/data_controls.md §4):
    # a pending region becomes active (or failed) this many seconds after it was set.
    data_controls_delay: float = 10.0
    # How long a retired key or bucket stays listed (and must stay usable), in seconds.
    data_controls_retention: int = 7 * 86_400
    # The test double (docs/testing.md): the control API under /_uprof/, the virtual clock, the request
    # journal and faults. Never on a production server.
    test_controls: bool = False

    @property
    def base_url(self) -> str:
        """The public base URL used in links: the configured one, or derived from host and port."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        values = json.loads(text)
        values["webhook_allow_cidrs"] = tuple(values.get("webhook_allow_cidrs", ()))  # JSON has no tuples
        return cls(**values)
