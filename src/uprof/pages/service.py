"""The end user's use cases behind a link (docs/reference/provider.md §2–4): open it, apply, submit an identity check.

Each submission consumes the link in the same unit of work as the change it causes, so a
rolled-back submission leaves the link usable and a committed one always uses it up.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row

from uprof.crypto import server_keys
from uprof.http.errors import Conflict, NotFound
from uprof.links import service as links
from uprof.links.service import LinkState
from uprof.pages.forms import Application, IdentityDetails
from uprof.profiles import service as profiles
from uprof.provider import service as provider
from uprof.standing.enforcement import next_step
from uprof.standing.programs import ITEM_FIELD, ITEMS
from uprof.standing.records import EnforcementAction

CSRF_SECRET = "page_csrf_key"
OPEN_TO_APPLY = (None, "rejected")


class LinkUnavailable(Exception):
    """The link is unknown, expired or used (raised inside a unit of work, so nothing is kept)."""

    def __init__(self, state: LinkState) -> None:
        super().__init__(state.value)
        self.state = state


class PreconditionFailed(Exception):
    """The profile is no longer in a state that allows the submission (docs/reference/provider.md §4: 409)."""


@dataclass(frozen=True)
class OpenAction:
    """An open enforcement action as the portal shows it, with what the end user can do about it."""

    action: EnforcementAction
    next_step: str | None


@dataclass(frozen=True)
class LinkView:
    """What a page shows about the link's profile; never IDs, metadata or external user details."""

    token_sha256: str
    name: str | None
    cyber: dict[str, Any] | None
    efs: dict[str, Any] | None
    open_actions: list[OpenAction]
    check_submitted: bool
    can_verify: bool

    def status(self, program: str) -> str | None:
        standing = self.cyber if program == "cyber" else self.efs
        return None if standing is None else str(standing["status"])

    def may_apply(self, program: str) -> bool:
        return self.status(program) in OPEN_TO_APPLY

    def active_items(self, program: str) -> list[str]:
        """The active tiers (cyber) or features (efs), in their usual order."""
        standing = self.cyber if program == "cyber" else self.efs
        if standing is None:
            return []
        items: dict[str, str] = standing[ITEM_FIELD[program]]
        return [name for name in ITEMS[program] if items.get(name) == "active"]


def load_csrf_key(connection: Connection) -> bytes:
    """The server secret link-page CSRF tokens are derived from (call in a write unit of work)."""
    return server_keys.load_or_create(connection, CSRF_SECRET)


def csrf_token(key: bytes, token_sha256: str) -> str:
    """The CSRF token of every form served through one link: an HMAC of the link's hash."""
    return hmac.new(key, b"link-form:" + token_sha256.encode(), hashlib.sha256).hexdigest()


def csrf_matches(key: bytes, token_sha256: str, presented: str) -> bool:
    # Bytes: compare_digest refuses str with non-ASCII characters, which a forged form may carry.
    return hmac.compare_digest(csrf_token(key, token_sha256).encode(), presented.encode("utf-8", "surrogatepass"))


def open_link(connection: Connection, token: str, kind: str, now: datetime) -> LinkView:
    """The view of a valid link's profile. Raises LinkUnavailable."""
    state, link = links.resolve(connection, token, kind, now)
    if state is not LinkState.VALID or link is None:
        raise LinkUnavailable(state)
    try:
        read = profiles.retrieve(connection, link.organization_id, link.user_profile_id)
    except NotFound:
        raise LinkUnavailable(LinkState.UNKNOWN) from None
    submitted = read.identity_check_submitted
    actions = [OpenAction(action, next_step(action, submitted, read.read_at)) for action in read.enforcement_actions]
    return LinkView(
        token_sha256=link.token_sha256,
        name=read.profile.name,
        cyber=read.profile.cyber,
        efs=read.profile.efs,
        open_actions=actions,
        check_submitted=submitted,
        can_verify=any(action.next_step == "verify" for action in actions),
    )


def apply(connection: Connection, token: str, kind: str, application: Application, source: str, now: datetime) -> None:
    """Consume the link and submit the application. Raises LinkUnavailable or PreconditionFailed."""
    link = _consume(connection, token, kind, now)
    try:
        provider.submit_application(
            connection,
            link.organization_id,
            link.user_profile_id,
            program=application.program,
            source=source,
            requested=application.requested,
            use_case=application.use_case,
            applicant_organization=application.organization,
            contact_email=application.contact_email,
            now=now,
        )
    except Conflict as conflict:
        raise PreconditionFailed(conflict.message) from None


def verify(connection: Connection, token: str, details: IdentityDetails, now: datetime) -> None:
    """Consume a portal link and submit an identity check. Raises LinkUnavailable or PreconditionFailed."""
    link = _consume(connection, token, links.PORTAL, now)
    try:
        provider.submit_identity_check(connection, link.organization_id, link.user_profile_id, details.as_fields(), now)
    except Conflict as conflict:
        raise PreconditionFailed(conflict.message) from None


def _consume(connection: Connection, token: str, kind: str, now: datetime) -> Row[Any]:
    state, link = links.consume(connection, token, kind, now)
    if state is not LinkState.VALID or link is None:
        raise LinkUnavailable(state)
    return link
