"""anthropic-beta merging and revision choice (docs/reference/http.md §5), including every row of its table."""

import pytest

from uprof.http.errors import InvalidRequest
from uprof.http.revision_choice import Revision, merge_beta_headers, resolve_revision


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([], Revision.GA),
        (["user-profiles-2026-03-24"], Revision.R1),
        (["user-profiles-2026-08-18"], Revision.R2),
        (["user-profiles-2026-09-04,user-profiles-2026-08-18"], Revision.R3),
        (["user-profiles-2026-03-24,user-profiles-2026-08-18"], Revision.R1),
        (["user-profiles-2026-03-24", "user-profiles-2026-09-04"], Revision.R1),
        (["prompt-caching-2024-07-31, User-Profiles-2026-08-18"], Revision.R2),
        (["user-profiles-billing-2026-10-01"], Revision.GA),
        (["webhooks-2026-10-07"], Revision.GA),
        (["\tuser-profiles-2026-09-04 ,, "], Revision.R3),
    ],
)
def test_revision_table(lines: list[str], expected: Revision) -> None:
    assert resolve_revision(merge_beta_headers(tuple(lines))) is expected


def test_unknown_profile_beta_is_rejected_by_name() -> None:
    with pytest.raises(InvalidRequest) as raised:
        resolve_revision(merge_beta_headers(("user-profiles-2027-01-01",)))
    assert raised.value.message == "anthropic-beta: unsupported beta header value 'user-profiles-2027-01-01'"


def test_unknown_profile_beta_is_rejected_even_after_a_valid_one() -> None:
    with pytest.raises(InvalidRequest):
        resolve_revision(merge_beta_headers(("user-profiles-2026-03-24, user-profiles-nope",)))


def test_merge_keeps_order_and_lowercases() -> None:
    assert merge_beta_headers(("B, a", " C ")) == ("b", "a", "c")


def test_a_remembered_refusal_is_refused_again() -> None:
    """The answers are cached; an error is not an answer, so the same bad value fails every time."""
    for _ in range(2):
        with pytest.raises(InvalidRequest):
            resolve_revision(merge_beta_headers(("user-profiles-2027-01-01",)))
