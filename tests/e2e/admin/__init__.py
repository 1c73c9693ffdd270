"""The Admin API of docs/reference/provider.md §5 over raw HTTP against the real server (webhook deliveries: see
tests/e2e/webhooks/)."""
