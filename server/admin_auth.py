"""The admin credential: who may use the Socket.IO Admin UI and the admin API (``docs/operators.md``).

Configured by environment only:

| variable | meaning |
|---|---|
| ``ARENA_ADMIN_USER`` | the admin's user name (default ``admin``) |
| ``ARENA_ADMIN_PASSWORD`` | the admin's password: HTTP Basic, and the Admin UI's login |
| ``ARENA_ADMIN_TOKEN`` | a token: ``Authorization: Bearer <token>``; also accepted as the password |

With neither a password nor a token the admin tools are off: :func:`admin_credential` returns None,
their routes answer 404 and the Socket.IO server is not instrumented at all. Comparisons are
constant-time (``hmac.compare_digest``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

#: ``WWW-Authenticate`` of a 401, so a browser asks for the user name and password.
CHALLENGE = 'Basic realm="Interview Arena admin", charset="UTF-8"'


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class AdminCredential:
    """One admin login. ``password`` and ``token`` may each be empty, not both."""

    user: str = "admin"
    password: str = ""
    token: str = ""

    def _secret_ok(self, given: str) -> bool:
        # each is compared, so the time taken says nothing about which one matched
        ok = [_same(given, s) for s in (self.password, self.token) if s]
        return any(ok)

    def check_login(self, user: object, password: object) -> bool:
        """True if ``user``/``password`` (strings) are the admin's (the token works as the password)."""
        if not isinstance(user, str) or not isinstance(password, str):
            return False
        return _same(user, self.user) & self._secret_ok(password)

    def check_header(self, authorization: str | None) -> bool:
        """True if an HTTP ``Authorization`` header carries the credential: ``Basic`` user:password,
        or ``Bearer <token>`` when a token is configured. A malformed header is simply False."""
        scheme, _, value = (authorization or "").strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer":
            return bool(self.token) and _same(value, self.token)
        if scheme.lower() == "basic":
            try:
                user, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, ValueError):
                return False
            return bool(sep) and self.check_login(user, password)
        return False

    def check_socket_auth(self, auth: object) -> bool:
        """The Admin UI's Socket.IO ``auth`` payload: ``{"username": ..., "password": ...}``."""
        if not isinstance(auth, Mapping):
            return False
        return self.check_login(auth.get("username"), auth.get("password"))


def unauthorized():
    """The ``401 unauthorized`` JSON answer, with the Basic challenge (an aiohttp ``Response``)."""
    from aiohttp import web

    from . import schemas

    return web.json_response(schemas.error_ack("unauthorized", "the admin credential is required"), status=401,
                             headers={"WWW-Authenticate": CHALLENGE})


def admin_credential(env: Mapping[str, str] | None = None) -> AdminCredential | None:
    """The configured credential, or None when the admin tools are off (no password, no token)."""
    env = os.environ if env is None else env
    password, token = env.get("ARENA_ADMIN_PASSWORD", ""), env.get("ARENA_ADMIN_TOKEN", "")
    if not password and not token:
        return None
    return AdminCredential(user=env.get("ARENA_ADMIN_USER", "") or "admin", password=password, token=token)
