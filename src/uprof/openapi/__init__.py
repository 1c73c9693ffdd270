"""The served OpenAPI 3.1 document (`GET /openapi.json?revision=…`), built from the same revision tables
the server validates with, so the document and the behaviour share one source."""
