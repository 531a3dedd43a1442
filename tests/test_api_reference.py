"""The API reference: /api/openapi.json is valid OpenAPI 3.1 and lists every /api/v1 route the app serves;
/api/docs is Swagger UI served from this server only (no CDN)."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from tests.accounts_kit import Api


def served_routes(app) -> set[tuple[str, str]]:
    out = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if path.startswith("/api/v1") and route.method not in ("HEAD", "OPTIONS"):
            out.add((route.method.lower(), re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", path)))
    return out


async def test_openapi_document_is_valid_31_and_covers_every_api_v1_route(server):
    st, doc = await Api(server.base).call("GET", "/api/openapi.json")
    assert st == 200 and doc["openapi"] == "3.1.0"
    validate(doc)                                  # raises on an invalid document
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    served = served_routes(server.app)
    assert len(served) >= 15
    assert served - documented == set(), "routes missing from /api/openapi.json"
    login = doc["paths"]["/api/v1/auth/login"]["post"]
    ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/LoginIn" and "email" in doc["components"]["schemas"]["LoginIn"]["properties"]
    assert {"200", "400", "401", "429"} <= set(login["responses"])
    dash = doc["paths"]["/api/v1/cohorts/{cohort_id}/dashboard"]["get"]
    assert dash["parameters"][0]["name"] == "cohort_id" and dash["security"] == [{"bearer": []}]


def test_the_validator_catches_a_broken_document():
    with pytest.raises(OpenAPIValidationError):
        validate({"openapi": "3.1.0", "info": {"title": "x"}, "paths": {"/a": {"get": {"responses": "nope"}}}})


async def test_swagger_ui_is_served_offline(server):
    api = Api(server.base)
    st, html, headers = await api.call("GET", "/api/docs", raw=True)
    assert st == 200 and headers["Content-Type"].startswith("text/html")
    assert not re.search(r"(src|href)=\"https?://", html), "no asset from another host"
    assert (await api.call("GET", "/api/docs/../../pyproject.toml", raw=True))[0] == 404
    if (server.app["cfg"].web_dist / "swagger" / "swagger-ui-bundle.js").is_file():
        assert "/api/docs/swagger-ui-bundle.js" in html
        st, js, headers = await api.call("GET", "/api/docs/swagger-ui-bundle.js", raw=True)
        assert st == 200 and "SwaggerUIBundle" in js
    else:
        pytest.skip("clients/web not built (make web): only the fallback page was checked")
