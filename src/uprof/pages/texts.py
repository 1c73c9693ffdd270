"""Words the end-user pages show for stored values: program, tier and feature names, standing, reasons."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from uprof.pages.forms import DOCUMENT_TYPES, FEATURE_NAMES, TIER_NAMES
from uprof.pages.html import long_date
from uprof.standing.records import EnforcementAction

PROGRAMS = {"cyber": "Cyber Verification Program", "efs": "Enterprise Frontier Safeguards"}
PROGRAM_INTROS = {
    "cyber": "For vetted security professionals: relaxed safeguards for defensive and authorised offensive "
    "security work. Choose the tiers you need and tell us how you will use them.",
    "efs": "For organizations that need enterprise data controls. Choose the features you need and tell us "
    "how you will use them.",
}
STATUSES = {None: "Not applied", "pending": "Under review", "active": "Active", "rejected": "Not approved"}
TIER_HINTS = {
    "a": "Specialized security research, such as vulnerability analysis.",
    "b": "Offensive testing of systems you are authorised to test.",
    "c": "Detection, incident response and other defensive work.",
}
FEATURE_HINTS = {
    "data_retention_exemption": "Requests are not retained after they are answered.",
    "cmek": "Stored data is encrypted with keys you control.",
    "storage": "Files and data stored on your behalf.",
}
# Completes "Your account is restricted …" / "Your account is banned …".
REASONS = {
    "unsupported_region": "because it appears to be used from a region we do not support",
    "fraud_or_abuse": "because we found signs of fraud or abuse",
    "high_harm": "because of activity with a high potential for harm",
    "usage_policy_violation": "because of a violation of the usage policy",
    "account_compromise": "because the account may have been compromised",
    "unspecified": "",
}


def action_sentence(action: EnforcementAction, next_step: str | None) -> str:
    """An open enforcement action as one plain sentence (docs/reference/provider.md §4, account standing)."""
    kind = "banned" if action.type == "ban" else "restricted"
    reason = REASONS.get(action.reason, "")
    sentence = f"Your account is {kind}{' ' + reason if reason else ''}."
    if action.expires_at is not None:
        sentence += f" This restriction ends on {long_date(action.expires_at)}."
    if next_step == "verify":
        sentence += " You can lift it by confirming your identity below."
    return sentence


@dataclass(frozen=True)
class Texts:
    programs: Mapping[str, str]
    program_intros: Mapping[str, str]
    statuses: Mapping[str | None, str]
    tiers: Mapping[str, str]
    tier_hints: Mapping[str, str]
    features: Mapping[str, str]
    feature_hints: Mapping[str, str]
    documents: Mapping[str, str]
    action_sentence: Callable[[EnforcementAction, str | None], str]


TEXTS = Texts(
    PROGRAMS,
    PROGRAM_INTROS,
    STATUSES,
    TIER_NAMES,
    TIER_HINTS,
    FEATURE_NAMES,
    FEATURE_HINTS,
    DOCUMENT_TYPES,
    action_sentence,
)
