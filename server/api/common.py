"""Shared pieces of the HTTP API modules: JSON errors, body parsing, and who is calling.

Handlers raise :class:`ApiError`; handlers registered through ``ApiRegistry.add`` turn it into the JSON
error body ``{"ok": false, "error": {code, message, …}}`` with its status.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from .. import schemas, wire
from ..auth import verify_token
from ..store import accounts

M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    """An HTTP error answer: ``status``, stable ``code``, ``message`` and extra error fields."""

    def __init__(self, status: int, code: str, message: str, **extra) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def response(self) -> web.Response:
        headers = {"Retry-After": str(max(1, round(self.extra["retry_after"])))} if "retry_after" in self.extra else None
        return web.json_response(schemas.error_ack(self.code, self.message, **self.extra), status=self.status,
                                 headers=headers)


def catching(handler):
    """Wrap a handler so an :class:`ApiError` becomes its JSON response."""
    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as e:
            return e.response()
    return wrapped


async def parse(request: web.Request, model: type[M]) -> M:
    """The request's JSON body validated by ``model``. Raises ``ApiError(400, 'bad_request')`` (not JSON,
    too deep, or a field fails; the message names the field)."""
    try:
        return model.model_validate(wire.loads(await request.read()))
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err.get("loc", ())) or "body"
        raise ApiError(400, "bad_request", f"{loc}: {err['msg']}") from None
    except ValueError as e:           # not JSON, not UTF-8, or too deep
        raise ApiError(400, "bad_request", (str(e).splitlines() or ["not JSON"])[0][:200]) from None


@dataclass
class Principal:
    """The caller: ``kind`` guest | account, ``role`` candidate | coach, ``sid`` the session (accounts)."""
    user_id: str
    display_name: str
    kind: str
    role: str
    sid: str | None = None


def bearer(request: web.Request) -> str | None:
    h = request.headers.get("Authorization", "")
    return h[7:].strip() if h[:7].lower() == "bearer " else None


async def principal(request: web.Request, *, required: bool = True) -> Principal | None:
    """Who sent ``Authorization: Bearer <token>``. An account token counts only while its session is
    live (not logged out) and the account exists; a guest token only while that guest has not become an
    account. Raises ``ApiError(401, 'unauthorized')`` for a bad,
    expired or revoked token, or (with ``required``) none; returns None for none otherwise."""
    token = bearer(request)
    if token is None:
        if required:
            raise ApiError(401, "unauthorized", "sign in: Authorization: Bearer <token> is required")
        return None
    claims = verify_token(request.app["cfg"].jwt_secret, token)
    if claims is None:
        raise ApiError(401, "unauthorized", "the token is invalid or expired")
    if claims["kind"] == "account" and not (claims["sid"] and await accounts.session_active(pool(request), claims["sid"])):
        raise ApiError(401, "unauthorized", "this session has ended (logged out or account deleted)")
    if claims["kind"] == "guest" and await accounts.user_by_id(pool(request), claims["user_id"]) is not None:
        # The guest upgraded: its old token must not act for the account (export, delete) any more.
        raise ApiError(401, "unauthorized", "this guest is now an account: sign in with its email and password")
    return Principal(claims["user_id"], claims["display_name"], claims["kind"], claims["role"], claims["sid"])


async def account(request: web.Request) -> Principal:
    """As :func:`principal`, but a guest gets ``ApiError(403, 'account_required')``."""
    p = await principal(request)
    if p.kind != "account":
        raise ApiError(403, "account_required", "register an account first (a guest can upgrade and keep its history)")
    return p


def pool(request: web.Request):
    return request.app["results"].pool


def err(status: int, code: str, message: str) -> web.Response:
    """A JSON error body ``{"ok": false, "error": {code, message}}`` with ``status``."""
    return web.json_response(schemas.error_ack(code, message), status=status)


def unauthorized() -> web.Response:
    return err(401, "unauthorized", "send Authorization: Bearer <token>")


async def user_id(request: web.Request) -> str | None:
    """The ``user_id`` of the caller's live token (as :func:`principal`), else None: missing, bad, expired,
    logged out, or a guest token of a guest that has since become an account."""
    try:
        p = await principal(request, required=False)
    except ApiError:
        return None
    return p.user_id if p else None


def int_query(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    """An integer query parameter clamped to ``lo..hi``. Raises ``ValueError`` if not an integer."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    return max(lo, min(hi, int(raw)))
