"""The periodic work the provider side hands the webhook dispatcher's maintenance pass (webhooks/attempts.py),
which runs it under the pass's lock: enforcement actions past their `expires_at` are resolved, and their
events recorded (docs/reference/provider.md §5.8)."""

from uprof.provider.service import expire_actions
from uprof.webhooks.attempts import Chore

DISPATCHER_CHORES: tuple[Chore, ...] = (expire_actions,)
