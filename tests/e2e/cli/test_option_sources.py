"""An invalid value names where the operator gave it: the flag, or the UPROF_* variable it came from."""

from __future__ import annotations

from tests.e2e.cli.support import Call, run_all


def test_an_invalid_value_names_the_environment_variable_it_came_from() -> None:
    cases = [
        (Call(["serve", "--port", "abc"]), "Invalid value for '--port': 'abc'"),
        (
            Call(["serve"], {"UPROF_PORT": "foo"}),
            "Invalid value for UPROF_PORT (the environment variable of --port): 'foo'",
        ),
        (
            Call(["serve"], {"UPROF_WORKERS": "0"}),
            "Invalid value for UPROF_WORKERS (the environment variable of --workers): 0 is not in the range",
        ),
        (
            Call(["serve"], {"UPROF_PUBLIC_BASE_URL": "ftp://example.com"}),
            "Invalid value for UPROF_PUBLIC_BASE_URL (the environment variable of --public-base-url): must be",
        ),
        (
            Call(["export"], {"UPROF_PROGRESS": "sometimes"}),
            "Invalid value for UPROF_PROGRESS (the environment variable of --no-progress): 'sometimes'",
        ),
        # The flag wins over the variable, and then the flag is what was wrong.
        (Call(["serve", "--port", "abc"], {"UPROF_PORT": "8080"}), "Invalid value for '--port': 'abc'"),
    ]
    for (call, said), result in zip(cases, run_all([call for call, _ in cases]), strict=True):
        assert result.returncode == 2, (call, result.stderr)
        assert said in result.stderr, (call, result.stderr)
        assert result.stdout == "" and "Traceback" not in result.stderr
