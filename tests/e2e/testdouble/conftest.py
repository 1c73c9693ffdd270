"""The test double's tests: the control API through raw HTTP against `uprof serve --test-controls`, and
`project/`, a user's test suite that uses the pytest plugin from the installed package (run by
test_plugin.py with a separate `pytest`, never collected here)."""

collect_ignore = ["project"]
