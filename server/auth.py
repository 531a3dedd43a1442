"""Guest authentication with JWTs (HS256, PyJWT)."""

from __future__ import annotations

import time
import uuid

import jwt

from .schemas import MAX_NAME_CHARS
from .wire import clean_line

TOKEN_TTL_S = 7 * 24 * 3600


def issue_guest_token(secret: str, display_name: str, ttl_s: int = TOKEN_TTL_S) -> tuple[str, str]:
    """Create a guest identity. Returns ``(token, user_id)``; the token expires after ``ttl_s`` seconds."""
    user_id = "u_" + uuid.uuid4().hex[:16]
    now = int(time.time())
    token = jwt.encode({"sub": user_id, "name": display_name, "iat": now, "exp": now + ttl_s, "kind": "guest"},
                       secret, algorithm="HS256")
    return token, user_id


def verify_token(secret: str, token: str | None) -> dict | None:
    """Return ``{"user_id", "display_name"}`` for a valid token, else None (missing, bad or expired).

    The display name is one line of at most 40 characters without control characters ("Guest" if empty).
    """
    if not token or not isinstance(token, str):
        return None
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"]})
    except jwt.PyJWTError:
        return None
    # Names are validated when issued, but older tokens may carry anything: clean them like a GuestAuthIn name.
    return {"user_id": claims["sub"], "display_name": clean_line(claims.get("name"), MAX_NAME_CHARS, "Guest")}
