"""The end user's form rules (docs/reference/provider.md §3–4): every field's limit and the exact message shown."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from uprof.pages import forms
from uprof.pages.forms import Application, IdentityDetails
from uprof.pages.texts import action_sentence
from uprof.standing import programs
from uprof.standing.records import EnforcementAction


class Fields:
    def __init__(self, **values: str | list[str]) -> None:
        self.values = {name: value if isinstance(value, list) else [value] for name, value in values.items()}

    def getlist(self, key: str) -> Sequence[object]:
        return self.values.get(key, [])


VALID_CYBER: dict[str, str | list[str]] = {
    "requested_tiers": ["c", "a"],
    "use_case": "Red-team exercises",
    "accept": "yes",
}
VALID_IDENTITY: dict[str, str | list[str]] = {
    "full_name": "Ada Example",
    "country": "gb",
    "document_type": "passport",
    "document_last4": "48X1",
    "accept": "yes",
}


def test_item_names_follow_the_stored_items() -> None:
    assert tuple(forms.TIER_NAMES) == programs.ITEMS["cyber"]
    assert tuple(forms.FEATURE_NAMES) == programs.ITEMS["efs"]


def test_a_valid_cyber_application_keeps_the_page_order_of_tiers() -> None:
    result = forms.application(Fields(**VALID_CYBER, organization=" Example Ltd ", contact_email="a@b"), "cyber")
    assert result == Application("cyber", ["a", "c"], "Red-team exercises", "Example Ltd", "a@b")


def test_optional_fields_left_empty_are_stored_as_null() -> None:
    result = forms.application(Fields(**VALID_CYBER, organization="  ", contact_email=""), "cyber")
    assert isinstance(result, Application)
    assert (result.organization, result.contact_email) == (None, None)


def test_an_empty_form_names_every_required_field_in_page_order() -> None:
    assert forms.application(Fields(), "cyber") == {
        "requested_tiers": "Choose at least one tier.",
        "use_case": "Describe how you will use the program.",
        "accept": "Confirm that the information is accurate.",
    }
    assert forms.application(Fields(), "efs") == {
        "requested_features": "Choose at least one feature.",
        "use_case": "Describe how you will use the program.",
        "accept": "Confirm that the information is accurate.",
    }


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"requested_tiers": ["z"]}, "requested_tiers", "Choose at least one tier."),
        ({"requested_tiers": []}, "requested_tiers", "Choose at least one tier."),
        ({"use_case": "   \r\n "}, "use_case", "Describe how you will use the program."),
        ({"use_case": "x" * 2001}, "use_case", "Describe how you will use the program."),
        ({"organization": "o" * 256}, "organization", "Use at most 255 characters."),
        ({"contact_email": "ada.example.com"}, "contact_email", "Enter a valid email address."),
        ({"contact_email": "a@" + "b" * 253}, "contact_email", "Enter a valid email address."),
        ({"accept": ""}, "accept", "Confirm that the information is accurate."),
    ],
)
def test_each_cyber_rule_has_its_message(change: dict[str, str | list[str]], field: str, message: str) -> None:
    assert forms.application(Fields(**{**VALID_CYBER, **change}), "cyber") == {field: message}


def test_limits_are_inclusive_and_crlf_counts_as_one_character() -> None:
    text = "y" * 999 + "\r\n" + "y" * 1000  # 2,000 characters once the line end is LF
    result = forms.application(
        Fields(**{**VALID_CYBER, "use_case": text, "organization": "o" * 255, "contact_email": "a@" + "b" * 252}),
        "cyber",
    )
    assert isinstance(result, Application)
    assert len(result.use_case) == 2000
    assert len(result.contact_email or "") == 254


def test_efs_takes_features_not_tiers() -> None:
    fields = Fields(requested_features=["storage", "cmek", "nope"], requested_tiers=["a"], use_case="u", accept="1")
    assert forms.application(fields, "efs") == Application("efs", ["cmek", "storage"], "u", None, None)


def test_a_valid_identity_is_upper_cased() -> None:
    assert forms.identity(Fields(**VALID_IDENTITY)) == IdentityDetails("Ada Example", "GB", "passport", "48X1")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"full_name": " "}, "full_name"),
        ({"full_name": "n" * 256}, "full_name"),
        ({"country": "G"}, "country"),
        ({"country": "G1"}, "country"),
        ({"country": "ÄB"}, "country"),
        ({"document_type": "visa"}, "document_type"),
        ({"document_last4": "123"}, "document_last4"),
        ({"document_last4": "12-4"}, "document_last4"),
        ({"document_last4": "١٢٣٤"}, "document_last4"),  # digits, but not ASCII ones
        ({"accept": ""}, "accept"),
    ],
)
def test_each_identity_rule(change: dict[str, str], field: str) -> None:
    result = forms.identity(Fields(**{**VALID_IDENTITY, **change}))
    assert isinstance(result, dict)
    assert list(result) == [field]


def open_action(type: str, reason: str) -> EnforcementAction:
    opened_at = datetime(2026, 11, 26, tzinfo=UTC)
    return EnforcementAction("enac_1", "org", "uprof_1", type, reason, True, None, opened_at, None, None, None)


@pytest.mark.parametrize(
    ("action", "next_step", "sentence"),
    [
        (
            open_action("restriction", "unsupported_region"),
            "verify",
            "Your account is restricted because it appears to be used from a region we do not support. "
            "You can lift it by confirming your identity below.",
        ),
        (open_action("ban", "unspecified"), None, "Your account is banned."),
    ],
)
def test_actions_read_as_sentences(action: EnforcementAction, next_step: str | None, sentence: str) -> None:
    assert action_sentence(action, next_step) == sentence
