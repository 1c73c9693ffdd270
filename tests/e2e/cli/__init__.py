"""The `uprof` command (docs/reference/cli.md §1–§5), run as real subprocesses against real SQLite and PostgreSQL
databases.

A CLI start costs about a second, so independent invocations run side by side (`run_all`), and
checks that need a running server share one start wherever the story allows.
"""
