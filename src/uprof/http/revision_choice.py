"""Which profile API revision a request asks for, from its `anthropic-beta` headers (docs/reference/http.md §5).

This is the one list of revisions; profiles/revisions.py holds what each one looks like. Everything else
that names revisions (the OpenAPI document's `?revision=` values, the console's labels) derives from this
enum, so a new revision is a member here plus its transform and table entries there.
"""

from __future__ import annotations

import enum
import functools

from uprof.http.errors import InvalidRequest, quote

# Every revision value starts with this; an unknown value that does is refused, not ignored (docs/reference/http.md §5).
PROFILES_BETA_PREFIX = "user-profiles-"


class Revision(enum.Enum):
    """A profile API revision, oldest first; GA is selected by the absence of a revision value."""

    R1 = "user-profiles-2026-03-24"
    R2 = "user-profiles-2026-08-18"
    R3 = "user-profiles-2026-09-04"
    GA = ""

    @property
    def described(self) -> str:
        """How messages name this revision: `under <value>`, or `without a user-profiles beta header`."""
        return f"under {self.value}" if self.value else "without a user-profiles beta header"

    @property
    def date(self) -> str:
        """The date that names a beta revision (`2026-03-24` for R1); empty for GA."""
        return self.value.removeprefix(PROFILES_BETA_PREFIX)


BETA_REVISIONS = {revision.value: revision for revision in Revision if revision.value}
# Recognised `user-profiles-*` values that select no revision.
IGNORED_PROFILE_BETAS = frozenset({"user-profiles-billing-2026-10-01"})
WEBHOOKS_BETA = "webhooks-2026-10-07"
# Required on the data controls routes (docs/data_controls.md §1); like any other value, ignored elsewhere.
DATA_CONTROLS_BETA = "google-managed-data-controls-2026-09-01"


# Clients send the same few header values over and over: both steps remember their answers (a
# value a client makes up only pushes older ones out).
@functools.lru_cache(maxsize=1024)
def merge_beta_headers(lines: tuple[str, ...]) -> tuple[str, ...]:
    """All `anthropic-beta` lines in order received, split on commas, trimmed, lower-cased, empties dropped."""
    values = []
    for line in lines:
        for item in line.split(","):
            item = item.strip(" \t").lower()
            if item:
                values.append(item)
    return tuple(values)


@functools.lru_cache(maxsize=1024)
def resolve_revision(betas: tuple[str, ...]) -> Revision:
    """The first revision value wins; none means GA; an unknown `user-profiles-*` value is a 400."""
    chosen: Revision | None = None
    for value in betas:
        revision = BETA_REVISIONS.get(value)
        if revision is not None:
            chosen = chosen or revision
        elif value.startswith(PROFILES_BETA_PREFIX) and value not in IGNORED_PROFILE_BETAS:
            raise InvalidRequest(f"anthropic-beta: unsupported beta header value '{quote(value)}'")
    return chosen or Revision.GA
