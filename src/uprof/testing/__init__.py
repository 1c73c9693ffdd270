"""uprof as a test double for the test suites of its users (docs/testing.md).

The pytest plugin (registered as `uprof` through the `pytest11` entry point, module
`uprof.testing.plugin`) gives the `uprof_server` and `uprof` fixtures; `uprof` is an `Org`.
"""

from uprof.testing.errors import ApiError, PageError
from uprof.testing.journal import Recorded
from uprof.testing.org import Org
from uprof.testing.server import TestServer

__all__ = ["ApiError", "Org", "PageError", "Recorded", "TestServer"]
