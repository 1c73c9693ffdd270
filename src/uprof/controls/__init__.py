"""The test double's server side (`uprof serve --test-controls`, docs/testing.md): the control API under
`/_uprof/`, the shared virtual clock, the request journal and injected faults. Nothing here is
installed on a server started without the flag."""
