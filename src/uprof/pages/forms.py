"""The end user's forms (docs/reference/provider.md §3–4): field rules and the exact messages shown next to fields.

Pure functions: each takes the submitted fields and returns either the clean values or a map of
field name → message, in the order the fields appear on the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from uprof.provider import submissions
from uprof.provider.submissions import MAX_EMAIL, MAX_FULL_NAME, MAX_ORGANIZATION, MAX_USE_CASE

TIER_NAMES = {"a": "Specialized Access", "b": "Red Team Access", "c": "Defense Access"}
FEATURE_NAMES = {
    "data_retention_exemption": "Data retention exemption",
    "cmek": "Customer-managed encryption keys",
    "storage": "Storage",
}
DOCUMENT_TYPES = dict(
    zip(submissions.DOCUMENT_TYPES, ("Passport", "National identity card", "Driving licence"), strict=True)
)

CHOOSE_TIER = "Choose at least one tier."
CHOOSE_FEATURE = "Choose at least one feature."
DESCRIBE_USE = "Describe how you will use the program."
TOO_LONG = "Use at most 255 characters."
BAD_EMAIL = "Enter a valid email address."
CONFIRM = "Confirm that the information is accurate."
FULL_NAME = "Enter your full name, as it appears on your document."
COUNTRY = "Enter the two-letter code of the country that issued the document, for example GB."
DOCUMENT_TYPE = "Choose the type of document."
DOCUMENT_LAST4 = "Enter the last 4 letters or digits of the document number."

Errors = dict[str, str]


class Fields(Protocol):
    """What a submitted form offers: Starlette's FormData, or a dict of lists in tests."""

    def getlist(self, key: str) -> Sequence[object]: ...


@dataclass(frozen=True)
class Application:
    program: str
    requested: list[str]
    use_case: str
    organization: str | None
    contact_email: str | None


@dataclass(frozen=True)
class IdentityDetails:
    full_name: str
    country: str
    document_type: str
    document_last4: str

    def as_fields(self) -> dict[str, str]:
        return {
            "full_name": self.full_name,
            "country": self.country,
            "document_type": self.document_type,
            "document_last4": self.document_last4,
        }


def text(fields: Fields, name: str) -> str:
    """The first value of a text field, "" when absent; browsers send CRLF line ends, stored as LF."""
    values = [value for value in fields.getlist(name) if isinstance(value, str)]
    return values[0].replace("\r\n", "\n") if values else ""


def chosen(fields: Fields, name: str, allowed: Mapping[str, str]) -> list[str]:
    """The checked boxes among `allowed`, in the page's order; unknown values are ignored."""
    values = {value for value in fields.getlist(name) if isinstance(value, str)}
    return [item for item in allowed if item in values]


def checked(fields: Fields, name: str) -> bool:
    return bool(text(fields, name))


def application(fields: Fields, program: str) -> Application | Errors:
    """The cyber form of docs/reference/provider.md §3 (`requested_tiers`) or the efs form of §4
    (`requested_features`)."""
    errors: Errors = {}
    if program == "cyber":
        requested = chosen(fields, "requested_tiers", TIER_NAMES)
        if not requested:
            errors["requested_tiers"] = CHOOSE_TIER
    else:
        requested = chosen(fields, "requested_features", FEATURE_NAMES)
        if not requested:
            errors["requested_features"] = CHOOSE_FEATURE
    use_case = text(fields, "use_case").strip()
    if not use_case or len(use_case) > MAX_USE_CASE:
        errors["use_case"] = DESCRIBE_USE
    organization = text(fields, "organization").strip()
    if len(organization) > MAX_ORGANIZATION:
        errors["organization"] = TOO_LONG
    email = text(fields, "contact_email").strip()
    if email and (len(email) > MAX_EMAIL or "@" not in email):
        errors["contact_email"] = BAD_EMAIL
    if not checked(fields, "accept"):
        errors["accept"] = CONFIRM
    if errors:
        return errors
    return Application(program, requested, use_case, organization or None, email or None)


def identity(fields: Fields) -> IdentityDetails | Errors:
    """The identity form of docs/reference/provider.md §4; the country is stored upper-cased."""
    errors: Errors = {}
    full_name = text(fields, "full_name").strip()
    if not full_name or len(full_name) > MAX_FULL_NAME:
        errors["full_name"] = FULL_NAME
    country = text(fields, "country").strip()
    if not (len(country) == 2 and country.isascii() and country.isalpha()):
        errors["country"] = COUNTRY
    document_type = text(fields, "document_type")
    if document_type not in DOCUMENT_TYPES:
        errors["document_type"] = DOCUMENT_TYPE
    last4 = text(fields, "document_last4").strip()
    if not (len(last4) == 4 and last4.isascii() and last4.isalnum()):
        errors["document_last4"] = DOCUMENT_LAST4
    if not checked(fields, "accept"):
        errors["accept"] = CONFIRM
    if errors:
        return errors
    return IdentityDetails(full_name, country.upper(), document_type, last4)
