"""Webhook delivery end to end (docs/reference/webhooks.md §4–7): the real server, a local receiver, the official SDK.

The receiver is a threaded `http.server` on 127.0.0.1 (plain http is allowed for loopback) that
checks EVERY delivery with anthropic 2.14.0's `client.beta.webhooks.unwrap` and the secret its
endpoint's creation (or regeneration) returned. Events are caused through the Admin API, as an
operator would. The servers here run with the test-only `UPROF_WEBHOOK_RETRY_BASE_SECONDS=0.1`,
so the retry schedule is 0.1 s, 0.2 s, 0.4 s … instead of 30 s, 1 min, 2 min …, and with
`--webhook-max-attempts 3 --webhook-timeout 2 --webhook-allow-http`.

The package works on a database of its own: every other server of the test session runs a
dispatcher too, and must not take these deliveries.
"""
