"""What the topic route modules share: the caller's identity and JSON errors."""

from __future__ import annotations

from aiohttp import web

from .. import schemas
from ..auth import verify_token


def err(status: int, code: str, message: str) -> web.Response:
    """A JSON error body ``{"ok": false, "error": {code, message}}`` with ``status``."""
    return web.json_response(schemas.error_ack(code, message), status=status)


def bearer(request: web.Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``, or None."""
    h = request.headers.get("Authorization", "")
    scheme, _, tok = h.partition(" ")
    return tok.strip() or None if scheme.lower() == "bearer" else None


def user_id(request: web.Request) -> str | None:
    """The ``user_id`` (``sub``) of a valid bearer token, else None (missing, bad or expired).

    ``app["verify_token"]`` (``(secret, token) -> {"user_id", …} | None``) replaces the guest
    verifier when set (accounts with access tokens)."""
    verify = request.app.get("verify_token") or verify_token
    claims = verify(request.app["cfg"].jwt_secret, bearer(request))
    return claims["user_id"] if claims else None


def unauthorized() -> web.Response:
    return err(401, "unauthorized", "send Authorization: Bearer <token>")


def int_query(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    """An integer query parameter clamped to ``lo..hi``. Raises ``ValueError`` if not an integer."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    return max(lo, min(hi, int(raw)))
