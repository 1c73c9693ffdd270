"""Secrets of the deployment: the key file, sealing webhook signing secrets at rest, and the server-made
signing keys (cursors, CSRF) kept in the database."""
