"""Imports every table module so that `metadata` is complete (for Alembic and tests)."""

from uprof.accounts import models as accounts_models  # noqa: F401
from uprof.controls import models as controls_models  # noqa: F401
from uprof.db import server_secret  # noqa: F401
from uprof.db.base import metadata
from uprof.links import models as links_models  # noqa: F401
from uprof.pages import models as pages_models  # noqa: F401
from uprof.profiles import models as profiles_models  # noqa: F401
from uprof.provider import models as provider_models  # noqa: F401
from uprof.webhooks import models as webhooks_models  # noqa: F401

__all__ = ["metadata"]
