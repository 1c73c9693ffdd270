"""The catalogue of every table: importing each part's table module completes `metadata`.

It sits above every part, because it names them all; only the migrations (db/migrations/env.py) and
the tests that compare the models with the migrations import it.
"""

from uprof.accounts import models as accounts_models  # noqa: F401
from uprof.controls import models as controls_models  # noqa: F401
from uprof.crypto import server_keys  # noqa: F401
from uprof.data_controls import models as data_controls_models  # noqa: F401
from uprof.db.base import metadata
from uprof.links import models as links_models  # noqa: F401
from uprof.pages import models as pages_models  # noqa: F401
from uprof.profiles import models as profiles_models  # noqa: F401
from uprof.provider import models as provider_models  # noqa: F401
from uprof.standing import models as standing_models  # noqa: F401
from uprof.webhooks import models as webhooks_models  # noqa: F401

__all__ = ["metadata"]
