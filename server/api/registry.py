"""A small route registry: each HTTP route declares its pydantic request/response models, and the
OpenAPI 3.1 document at ``/api/openapi.json`` is built from it.

Use::

    api = registry_of(app)                     # one per aiohttp app, created on first use
    api.add("POST", "/api/v1/cohorts", handler, summary="Create a cohort", tags=["cohorts"],
            request=CohortIn, response=CohortOut, auth=True, errors={403: "coach_only"})

``add`` registers the handler on the aiohttp router too; ``describe`` only documents a route that is
registered elsewhere (the older routes of ``server/http.py``). Components come from pydantic's
``models_json_schema`` (JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..config import PROTOCOL_VERSION
from .common import catching
from .models import ErrorOut

REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")


@dataclass
class RouteSpec:
    method: str
    path: str
    summary: str
    tags: list[str] = field(default_factory=list)
    request: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    #: None: JSON of ``response``; else a media type (``text/csv``, ``text/html``) answered as a string.
    media_type: str | None = None
    auth: bool = False            # Authorization: Bearer required
    errors: dict[int, str] = field(default_factory=dict)   # status -> codes it may carry (free text)
    query: dict[str, str] = field(default_factory=dict)    # query parameter -> description
    description: str = ""

    @property
    def openapi_path(self) -> str:
        return _PARAM.sub(lambda m: "{" + m.group(1) + "}", self.path)

    @property
    def path_params(self) -> list[str]:
        return _PARAM.findall(self.path)


class ApiRegistry:
    """The routes of one app, in registration order."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.routes: list[RouteSpec] = []

    def describe(self, method: str, path: str, summary: str, **kw: Any) -> RouteSpec:
        """Document a route (no handler registered). Keyword arguments: the :class:`RouteSpec` fields."""
        spec = RouteSpec(method.upper(), path, summary, **kw)
        self.routes.append(spec)
        return spec

    def add(self, method: str, path: str, handler: Callable, summary: str, **kw: Any) -> RouteSpec:
        """Register ``handler`` on the app's router and document it."""
        self.app.router.add_route(method.upper(), path, catching(handler))
        return self.describe(method, path, summary, **kw)

    def openapi(self) -> dict:
        """The OpenAPI 3.1 document (a JSON-ready dict)."""
        models: dict[type[BaseModel], None] = {ErrorOut: None}
        for r in self.routes:
            for m in (r.request, r.response):
                if m is not None:
                    models[m] = None
        keys = [(m, "validation" if any(r.request is m for r in self.routes) else "serialization") for m in models]
        _, top = models_json_schema(keys, ref_template=REF)
        components = dict(top.get("$defs", {}))
        paths: dict[str, dict] = {}
        for r in self.routes:
            op: dict[str, Any] = {"summary": r.summary, "operationId": _op_id(r), "tags": r.tags or ["misc"],
                                  "responses": {}}
            if r.description:
                op["description"] = r.description
            params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in r.path_params]
            params += [{"name": q, "in": "query", "required": False, "description": d, "schema": {"type": "string"}}
                       for q, d in r.query.items()]
            if params:
                op["parameters"] = params
            if r.request is not None:
                op["requestBody"] = {"required": True, "content": {
                    "application/json": {"schema": {"$ref": REF.format(model=r.request.__name__)}}}}
            ok: dict[str, Any] = {"description": "OK"}
            if r.media_type:
                ok["content"] = {r.media_type: {"schema": {"type": "string"}}}
            elif r.response is not None:
                ok["content"] = {"application/json": {"schema": {"$ref": REF.format(model=r.response.__name__)}}}
            op["responses"]["200"] = ok
            errors = dict(r.errors)
            if r.request is not None:
                errors.setdefault(400, "bad_request")
            if r.auth:
                errors.setdefault(401, "unauthorized")
                op["security"] = [{"bearer": []}]
            for status, codes in sorted(errors.items()):
                op["responses"][str(status)] = {"description": f"error code: {codes}", "content": {
                    "application/json": {"schema": {"$ref": REF.format(model="ErrorOut")}}}}
            paths.setdefault(r.openapi_path, {})[r.method.lower()] = op
        return {
            "openapi": "3.1.0",
            "info": {"title": "Interview Arena API", "version": f"{PROTOCOL_VERSION}",
                     "description": "REST routes of Interview Arena. Real-time play is Socket.IO (docs/protocol.md); "
                                    "accounts, tokens and cohorts: docs/accounts.md."},
            "paths": paths,
            "components": {"schemas": components,
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        }


def _op_id(r: RouteSpec) -> str:
    words = re.sub(r"[^A-Za-z0-9]+", "_", r.openapi_path.removeprefix("/api/v1")).strip("_")
    return f"{r.method.lower()}_{words or 'root'}"


def registry_of(app: web.Application) -> ApiRegistry:
    """The app's registry (``app["api"]``), created on first use."""
    if "api" not in app:
        app["api"] = ApiRegistry(app)
    return app["api"]
