"""Tokens (HS256 JWTs, PyJWT) for guests and accounts, and the signing secret.

Every token carries ``sub`` = the user id (``u_…``, the participant id in rooms and stored matches),
``name`` (display name), ``kind`` (``guest`` | ``account``) and ``role`` (``candidate`` | ``coach``).
Guest tokens live 7 days and have no refresh token; account access tokens live
:data:`ACCESS_TTL_S` (15 min) and carry ``sid``, the refresh-token family (``server/store/accounts.py``).
"""

from __future__ import annotations

import os
import secrets
import time
import uuid
from pathlib import Path

import jwt

from .schemas import MAX_NAME_CHARS
from .wire import clean_line

TOKEN_TTL_S = 7 * 24 * 3600
ACCESS_TTL_S = 15 * 60
ROLES = ("candidate", "coach")
SECRET_FILE = "jwt_secret"


def new_user_id() -> str:
    """A fresh opaque user id: ``u_`` + 16 hex digits."""
    return "u_" + uuid.uuid4().hex[:16]


def issue_guest_token(secret: str, display_name: str, ttl_s: int = TOKEN_TTL_S) -> tuple[str, str]:
    """Create a guest identity. Returns ``(token, user_id)``; the token expires after ``ttl_s`` seconds."""
    user_id = new_user_id()
    now = int(time.time())
    token = jwt.encode({"sub": user_id, "name": display_name, "iat": now, "exp": now + ttl_s, "kind": "guest",
                        "role": "candidate"}, secret, algorithm="HS256")
    return token, user_id


def issue_access_token(secret: str, user_id: str, display_name: str, role: str, sid: str,
                       ttl_s: int = ACCESS_TTL_S) -> str:
    """An account's access token (expires after ``ttl_s`` seconds); ``sid`` names its refresh-token family."""
    now = int(time.time())
    return jwt.encode({"sub": user_id, "name": display_name, "iat": now, "exp": now + ttl_s, "kind": "account",
                       "role": role, "sid": sid}, secret, algorithm="HS256")


def verify_token(secret: str, token: str | None) -> dict | None:
    """Return ``{"user_id", "display_name", "kind", "role", "sid"}`` for a valid token, else None (missing,
    bad or expired). Guest and account tokens are both accepted (Socket.IO takes either).

    The display name is one line of at most 40 characters without control characters ("Guest" if empty);
    tokens from before accounts have ``kind`` guest and ``role`` candidate.
    """
    if not token or not isinstance(token, str):
        return None
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"]})
    except jwt.PyJWTError:
        return None
    if not isinstance(claims.get("sub"), str):
        return None
    role = claims.get("role") if claims.get("role") in ROLES else "candidate"
    kind = "account" if claims.get("kind") == "account" else "guest"
    # Names are validated when issued, but older tokens may carry anything: clean them like a GuestAuthIn name.
    return {"user_id": claims["sub"], "display_name": clean_line(claims.get("name"), MAX_NAME_CHARS, "Guest"),
            "kind": kind, "role": role, "sid": claims.get("sid") if kind == "account" else None}


def load_or_create_secret(data_dir: Path) -> str:
    """The HS256 signing secret kept in ``data_dir/jwt_secret`` (created once, mode 0600, 64 hex digits).

    Two processes starting at once agree: the file is created with ``O_EXCL`` and the loser reads the
    winner's. Raises ``OSError`` if the directory cannot be created or read.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SECRET_FILE
    for _ in range(50):
        try:
            value = path.read_text().strip()
            if len(value) >= 32:
                return value
        except FileNotFoundError:
            pass
        tmp = data_dir / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)            # atomic, and fails if another process made it first
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        time.sleep(0.01)
    raise OSError(f"cannot read a JWT secret from {path}")
