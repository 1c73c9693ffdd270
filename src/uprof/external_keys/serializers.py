"""The External Key as the API shows it (`BetaExternalKey` of anthropic 2.14.0)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uprof.timestamps import format_timestamp


def external_key_view(row: Mapping[Any, Any], attached: bool) -> dict[str, Any]:
    return {
        "type": "external_key",
        "id": row["id"],
        "display_name": row["display_name"],
        "geo": row["geo"],
        "provider_config": row["provider_config"],
        "user_profile_id": row["user_profile_id"],
        "attachment": {"type": "attached" if attached else "unattached"},
        "created_at": format_timestamp(row["created_at"]),
        "updated_at": format_timestamp(row["updated_at"]),
    }
