"""What an end user submits through the pages (docs/reference/provider.md §3–4): the limits and choices that every
reader of a submission shares — the pages' forms, the Admin API's schema and import validation."""

from uprof.http.fields import Text

DOCUMENT_TYPES = ("passport", "national_id", "driving_licence")
DOCUMENT_LAST4 = Text(pattern="[A-Za-z0-9]{4}", described="4 ASCII letters or digits")

MAX_USE_CASE = 2000
MAX_ORGANIZATION = 255
MAX_EMAIL = 254
MAX_FULL_NAME = 255
