"""PostgreSQL: accounts, refresh-token sessions, data export and account deletion (asyncpg).

Tables from ``migrations/0005_accounts.sql``. Passwords are Argon2id hashes (pwdlib); refresh tokens
are stored only as SHA-256 digests. Every function takes an ``asyncpg.Pool`` (``ResultStore.pool``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable

import asyncpg

from .user_matches import matches_of

REFRESH_TTL = dt.timedelta(days=30)
DELETED_NAME = "Deleted user"

#: Run inside the deletion transaction: ``hook(conn, user_id, pseudonym)``; other stores that keep rows
#: about a user (share links, résumés, boards) delete or re-key them here.
DeleteHook = Callable[[asyncpg.Connection, str, str], Awaitable[None]]


class AuthFailure(Exception):
    """A refused token operation; ``code`` is the API error code (``invalid_refresh_token``, …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class User:
    user_id: str
    email: str
    display_name: str
    role: str
    password_hash: str = ""


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _user(row) -> User | None:
    return None if row is None else User(row["user_id"], row["email"], row["display_name"], row["role"],
                                         row["password_hash"])


async def create_user(pool: asyncpg.Pool, user_id: str, email: str, password_hash: str, display_name: str,
                      role: str) -> User:
    """Insert an account. Raises ``AuthFailure('email_taken')`` for an email already registered (any case)
    and ``AuthFailure('already_registered')`` when ``user_id`` already is an account."""
    try:
        async with pool.acquire() as c:
            row = await c.fetchrow(
                """INSERT INTO users (user_id, email, password_hash, display_name, role) VALUES ($1,$2,$3,$4,$5)
                   RETURNING *""", user_id, email, password_hash, display_name, role)
    except asyncpg.UniqueViolationError as e:
        if e.constraint_name == "users_pkey":
            raise AuthFailure("already_registered", "this guest is already an account: log in instead") from None
        raise AuthFailure("email_taken", "an account with this email exists") from None
    return _user(row)


async def user_by_email(pool: asyncpg.Pool, email: str) -> User | None:
    async with pool.acquire() as c:
        return _user(await c.fetchrow("SELECT * FROM users WHERE lower(email)=lower($1)", email))


async def user_by_id(pool: asyncpg.Pool, user_id: str) -> User | None:
    async with pool.acquire() as c:
        return _user(await c.fetchrow("SELECT * FROM users WHERE user_id=$1", user_id))


async def start_session(pool: asyncpg.Pool, user_id: str) -> tuple[str, str]:
    """A new session (refresh-token family). Returns ``(refresh_token, family)``."""
    family = "s_" + secrets.token_hex(8)
    token = secrets.token_urlsafe(32)
    async with pool.acquire() as c:
        await c.execute("INSERT INTO refresh_tokens (token_hash, user_id, family, expires_at) VALUES ($1,$2,$3,$4)",
                        _digest(token), user_id, family, dt.datetime.now(dt.timezone.utc) + REFRESH_TTL)
    return token, family


async def rotate(pool: asyncpg.Pool, token: str) -> tuple[User, str, str]:
    """Use a refresh token once: it is revoked and its successor issued in the same family.

    Returns ``(user, new_refresh_token, family)``. Raises :class:`AuthFailure` with
    ``invalid_refresh_token`` (unknown), ``refresh_token_expired``, or ``refresh_token_reused`` (already
    used or logged out: the whole family is revoked, as a stolen token may be in play).
    """
    now = dt.datetime.now(dt.timezone.utc)
    async with pool.acquire() as c, c.transaction():
        row = await c.fetchrow("SELECT * FROM refresh_tokens WHERE token_hash=$1 FOR UPDATE", _digest(token))
        if row is None:
            raise AuthFailure("invalid_refresh_token", "unknown refresh token")
        if row["revoked_at"] is not None:
            await c.execute("UPDATE refresh_tokens SET revoked_at=$2 WHERE family=$1 AND revoked_at IS NULL",
                            row["family"], now)
            reused = True
        elif row["expires_at"] <= now:
            raise AuthFailure("refresh_token_expired", "the session expired: log in again")
        else:
            reused = False
            await c.execute("UPDATE refresh_tokens SET revoked_at=$2 WHERE token_hash=$1", row["token_hash"], now)
            new = secrets.token_urlsafe(32)
            await c.execute("INSERT INTO refresh_tokens (token_hash, user_id, family, expires_at) VALUES ($1,$2,$3,$4)",
                            _digest(new), row["user_id"], row["family"], now + REFRESH_TTL)
            user = _user(await c.fetchrow("SELECT * FROM users WHERE user_id=$1", row["user_id"]))
    if reused:   # outside the transaction block so the family revocation commits
        raise AuthFailure("refresh_token_reused", "this refresh token was already used; the session is revoked")
    return user, new, row["family"]


async def revoke(pool: asyncpg.Pool, token: str) -> str | None:
    """Log out: revoke the token's whole family. Returns the family, or None for an unknown token
    (a token already revoked is fine: logout is idempotent)."""
    async with pool.acquire() as c:
        family = await c.fetchval("SELECT family FROM refresh_tokens WHERE token_hash=$1", _digest(token))
        if family is not None:
            await c.execute("UPDATE refresh_tokens SET revoked_at=now() WHERE family=$1 AND revoked_at IS NULL", family)
    return family


async def session_active(pool: asyncpg.Pool, family: str) -> bool:
    """Whether the session ``family`` still has an unrevoked, unexpired refresh token (not logged out)."""
    async with pool.acquire() as c:
        return bool(await c.fetchval(
            "SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE family=$1 AND revoked_at IS NULL AND expires_at > now())",
            family))


def _iso(v) -> str | None:
    return v.isoformat() if v is not None else None


async def export(pool: asyncpg.Pool, user_id: str) -> dict:
    """Everything stored about ``user_id`` (see :class:`server.api.models.ExportOut`); no password hash,
    no token digests, no other person's answers."""
    async with pool.acquire() as c:
        u = await c.fetchrow("SELECT * FROM users WHERE user_id=$1", user_id)
        sessions = await c.fetch("""SELECT family, min(issued_at) AS started_at, max(expires_at) AS expires_at,
                                    bool_and(revoked_at IS NOT NULL) AS ended FROM refresh_tokens
                                    WHERE user_id=$1 GROUP BY family ORDER BY 2""", user_id)
        coached = await c.fetch("""SELECT c.cohort_id, c.name, c.invite_code, c.created_at,
                                   coalesce(json_agg(json_build_object('user_id', m.user_id, 'joined_at', m.joined_at))
                                            FILTER (WHERE m.user_id IS NOT NULL), '[]') AS members
                                   FROM cohorts c LEFT JOIN cohort_members m USING (cohort_id)
                                   WHERE c.coach_id=$1 GROUP BY c.cohort_id ORDER BY c.created_at""", user_id)
        joined = await c.fetch("""SELECT c.cohort_id, c.name, u.display_name AS coach_name, m.joined_at
                                  FROM cohort_members m JOIN cohorts c USING (cohort_id) JOIN users u ON u.user_id=c.coach_id
                                  WHERE m.user_id=$1 ORDER BY m.joined_at""", user_id)
        matches = (await matches_of(c, [user_id], notes=True)).get(user_id, [])
    return {
        "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "account": None if u is None else {"user_id": u["user_id"], "email": u["email"], "display_name": u["display_name"],
                                           "role": u["role"], "created_at": _iso(u["created_at"])},
        "sessions": [{"session_id": s["family"], "started_at": _iso(s["started_at"]), "expires_at": _iso(s["expires_at"]),
                      "ended": s["ended"]} for s in sessions],
        "cohorts_coached": [{"cohort_id": r["cohort_id"], "name": r["name"], "invite_code": r["invite_code"],
                             "created_at": _iso(r["created_at"]), "members": json.loads(r["members"])} for r in coached],
        "cohorts_joined": [{"cohort_id": r["cohort_id"], "name": r["name"], "coach_name": r["coach_name"],
                            "joined_at": _iso(r["joined_at"])} for r in joined],
        "matches": matches,
    }


async def delete_user(pool: asyncpg.Pool, user_id: str, hooks: list[DeleteHook] = ()) -> tuple[str, int, list[str]]:
    """Delete the account (sessions, cohorts it coaches, memberships) and anonymise its matches, in one
    transaction: in every stored match its participant id becomes a fresh pseudonym (``x_…``), its display
    name :data:`DELETED_NAME`, its speaker notes are dropped, and its answers keep their text and scores
    (other players' reports still compare against them) but lose their recording and expression data.

    Returns ``(pseudonym, matches_anonymised, recording_paths)``; the caller removes the WAV files.
    A guest (no account row) is anonymised the same way.
    """
    pseudonym = "x_" + secrets.token_hex(8)
    async with pool.acquire() as c, c.transaction():
        recs = await c.fetch("SELECT recording FROM answers WHERE participant_id=$1 AND recording IS NOT NULL", user_id)
        n = await c.fetchval(
            """WITH u AS (UPDATE match_participants SET participant_id=$2, display_name=$3, notes='[]'::jsonb
                          WHERE participant_id=$1 AND kind='human' RETURNING match_id) SELECT count(*) FROM u""",
            user_id, pseudonym, DELETED_NAME)
        await c.execute("""UPDATE answers SET participant_id=$2, recording=NULL, expression=NULL
                           WHERE participant_id=$1""", user_id, pseudonym)
        for hook in hooks:
            await hook(c, user_id, pseudonym)
        await c.execute("DELETE FROM users WHERE user_id=$1", user_id)
    return pseudonym, n, [r["recording"] for r in recs]


def remove_recordings(paths: list[str]) -> int:
    """Unlink the WAV files of deleted answers (other paths are left alone). Returns how many went."""
    gone = 0
    for p in paths:
        path = Path(p)
        if path.suffix.lower() == ".wav" and path.is_file():
            try:
                path.unlink()
                gone += 1
            except OSError:
                pass
    return gone
