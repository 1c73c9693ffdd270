"""`GET /`, the first click after `listening on …`: a small HTML page that says what the server is and
links to the console, the OpenAPI documents and the docs; unknown `/v1/` paths keep their JSON 404."""

from __future__ import annotations

import re

from tests.e2e.conftest import Server
from tests.e2e.pages.support import assert_page, http_client, text_of
from uprof import __version__

LINK = re.compile(r'<a href="([^"]+)"')


def test_the_root_says_what_the_server_is_and_every_link_works(server: Server) -> None:
    with http_client(server) as client:
        home = client.get("/")
        assert_page(home, 200, f"uprof {__version__}", "User Profiles API", "Operator console", "OpenAPI document")
        assert f"point an SDK's base_url at {server.url}" in text_of(home)
        links = LINK.findall(home.text)
        assert {"/console", "/openapi.json?revision=ga", "/docs", "/healthz", "/metrics"} <= set(links), links
        for link in links:
            followed = client.get(link.replace("&amp;", "&"))
            expected = 303 if link == "/console" else 200  # the console sends a visitor to its sign-in page
            assert followed.status_code == expected, (link, followed.text)
        docs = client.get("/docs")
        assert docs.headers["content-type"] == "text/plain; charset=utf-8"
        assert docs.headers["x-content-type-options"] == "nosniff"
        assert docs.text.startswith("# uprof\n") and "## Quickstart" in docs.text
        assert client.head("/").status_code == 200


def test_unknown_api_paths_and_other_methods_keep_the_json_envelope(server: Server) -> None:
    with http_client(server) as client:
        for response, status in [(client.get("/v1/nothing-here"), 404), (client.post("/"), 405)]:
            assert response.status_code == status, response.text
            assert response.headers["content-type"] == "application/json"
            assert response.json()["type"] == "error"
