"""What the app builds once at start-up and every request shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from uprof.accounts.principals import PrincipalCache
from uprof.config import Settings
from uprof.db.threads import DatabaseThreads
from uprof.db.unit_of_work import Database
from uprof.http.pagination import CursorCodec
from uprof.webhooks.egress import EgressPolicy
from uprof.webhooks.secret_box import SecretBox


@dataclass(frozen=True)
class Services:
    settings: Settings
    database: Database
    cursors: CursorCodec
    secret_box: SecretBox  # seals and opens webhook signing secrets
    principals: PrincipalCache = field(init=False)
    # None on SQLite, whose units of work run on the event loop (http/endpoint.py).
    database_threads: DatabaseThreads | None = field(init=False)
    egress: EgressPolicy = field(init=False)  # where webhook endpoints may point

    def __post_init__(self) -> None:
        object.__setattr__(self, "principals", PrincipalCache(self.database))
        threads = None if self.database.is_in_process else DatabaseThreads(self.database)
        object.__setattr__(self, "database_threads", threads)
        object.__setattr__(self, "egress", EgressPolicy.from_settings(self.settings))
