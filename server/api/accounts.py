"""Account routes: register (and guest upgrade), login, refresh, logout, ``/me``, data export, deletion.

Tokens: ``server/auth.py``; sessions and deletion: ``server/store/accounts.py``; docs: ``docs/accounts.md``.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from ..auth import ACCESS_TTL_S, issue_access_token, new_user_id, verify_token
from ..logs import log
from ..store import accounts as store
from .common import ApiError, bearer, parse, pool, principal
from .login_limits import LoginLimiter
from .models import (DeleteOut, ExportOut, LoginIn, MeOut, OkOut, RefreshIn, RegisterIn, TokensOut)
from .registry import registry_of

#: Argon2id with OWASP's first recommended parameters (19 MiB, 2 passes, 1 lane): ~0.1 s on one core
#: (``benchmarks/passwords.py``, docs/performance.md). Hashes with other parameters still verify.
ARGON2 = {"memory_cost": 19_456, "time_cost": 2, "parallelism": 1}
HASHER = PasswordHash((Argon2Hasher(**ARGON2),))
#: One hash at a time, on its own thread: sign-in bursts never take more than one core from the rooms.
_HASH_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="arena-argon2")
#: Verified against when the email is unknown, so a login takes as long either way.
_DUMMY_HASH = HASHER.hash("not-a-password-of-anyone")


async def _in_thread(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(_HASH_POOL, fn, *args)


def _ip(request: web.Request) -> str:
    return request.remote or "unknown"


async def _tokens(request: web.Request, user: store.User, refresh: str, sid: str) -> web.Response:
    token = issue_access_token(request.app["cfg"].jwt_secret, user.user_id, user.display_name, user.role, sid)
    return web.json_response(TokensOut(token=token, refresh_token=refresh, user_id=user.user_id, role=user.role,
                                       display_name=user.display_name, expires_in=ACCESS_TTL_S).model_dump())


def setup(app: web.Application) -> None:
    """Register the account routes on ``app`` (needs ``app["results"]`` and ``app["cfg"]``)."""
    api = registry_of(app)
    app["login_limiter"] = LoginLimiter()
    #: Extra deletion steps for other stores (``store.accounts.DeleteHook``).
    app.setdefault("account_delete_hooks", [])

    async def register(request: web.Request) -> web.Response:
        limiter: LoginLimiter = request.app["login_limiter"]
        body = await parse(request, RegisterIn)
        await limiter.attempt(_ip(request))
        user_id, upgraded = new_user_id(), False
        if (tok := bearer(request)) is not None:          # a guest upgrading keeps its user_id
            claims = verify_token(request.app["cfg"].jwt_secret, tok)
            if claims is None:
                raise ApiError(401, "unauthorized", "the guest token is invalid or expired: register without it")
            if claims["kind"] == "guest":
                user_id, upgraded = claims["user_id"], True
        hashed = await _in_thread(HASHER.hash, body.password)
        try:
            user = await store.create_user(pool(request), user_id, body.email, hashed, body.display_name, body.role)
        except store.AuthFailure as e:
            raise ApiError(409, e.code, str(e)) from None
        refresh, sid = await store.start_session(pool(request), user.user_id)
        log.info("account_registered", user=user.user_id, role=user.role, upgraded=upgraded)
        return await _tokens(request, user, refresh, sid)

    async def login(request: web.Request) -> web.Response:
        limiter: LoginLimiter = request.app["login_limiter"]
        body = await parse(request, LoginIn)
        await limiter.attempt(_ip(request), body.email)
        user = await store.user_by_email(pool(request), body.email)
        ok = await _in_thread(HASHER.verify, body.password, user.password_hash if user else _DUMMY_HASH)
        if not ok or user is None:
            await limiter.failed(body.email)
            raise ApiError(401, "invalid_credentials", "wrong email or password")
        refresh, sid = await store.start_session(pool(request), user.user_id)
        return await _tokens(request, user, refresh, sid)

    async def refresh(request: web.Request) -> web.Response:
        body = await parse(request, RefreshIn)
        await request.app["login_limiter"].attempt(_ip(request))
        try:
            user, new, sid = await store.rotate(pool(request), body.refresh_token)
        except store.AuthFailure as e:
            raise ApiError(401, e.code, str(e)) from None
        return await _tokens(request, user, new, sid)

    async def logout(request: web.Request) -> web.Response:
        body = await parse(request, RefreshIn)
        if await store.revoke(pool(request), body.refresh_token) is None:
            raise ApiError(401, "invalid_refresh_token", "unknown refresh token")
        return web.json_response(OkOut().model_dump())

    async def me(request: web.Request) -> web.Response:
        p = await principal(request)
        if p.kind == "guest":
            return web.json_response(MeOut(user_id=p.user_id, email=None, display_name=p.display_name,
                                           role="candidate", kind="guest").model_dump())
        user = await store.user_by_id(pool(request), p.user_id)
        if user is None:
            raise ApiError(401, "unauthorized", "this account was deleted")
        return web.json_response(MeOut(user_id=user.user_id, email=user.email, display_name=user.display_name,
                                       role=user.role, kind="account").model_dump())

    async def export(request: web.Request) -> web.Response:
        p = await principal(request)
        data = await store.export(pool(request), p.user_id)
        return web.json_response(data, headers={
            "Content-Disposition": f'attachment; filename="interview-arena-{p.user_id}.json"'})

    async def delete(request: web.Request) -> web.Response:
        p = await principal(request)
        pseudonym, n, recordings = await store.delete_user(pool(request), p.user_id,
                                                           request.app["account_delete_hooks"])
        gone = await asyncio.get_running_loop().run_in_executor(None, store.remove_recordings, recordings)
        try:      # room boards name players by id in Redis: drop this one's name (the boards across
            r = request.app["redis"]        # matches are computed from PostgreSQL, where they are now anonymous)
            await r.r.hdel(f"{r.prefix}names", p.user_id)
        except Exception as e:      # the PostgreSQL part is done; a board entry is not worth a 500
            log.warning("account_delete_redis_failed", error=str(e)[:200])
        log.info("account_deleted", user=p.user_id, kind=p.kind, matches=n, recordings=gone)
        return web.json_response(DeleteOut(deleted_user_id=p.user_id, matches_anonymised=n).model_dump())

    tags = ["accounts"]
    api.add("POST", "/api/v1/auth/register", register, "Register an account (a guest's token upgrades that guest)",
            tags=tags, request=RegisterIn, response=TokensOut,
            errors={401: "unauthorized (a bad guest token)", 409: "email_taken, already_registered",
                    429: "rate_limited"})
    api.add("POST", "/api/v1/auth/login", login, "Log in with email and password", tags=tags, request=LoginIn,
            response=TokensOut, errors={401: "invalid_credentials", 429: "rate_limited"})
    api.add("POST", "/api/v1/auth/refresh", refresh, "Rotate a refresh token: a new access and refresh token",
            tags=tags, request=RefreshIn, response=TokensOut,
            errors={401: "invalid_refresh_token, refresh_token_expired, refresh_token_reused", 429: "rate_limited"})
    api.add("POST", "/api/v1/auth/logout", logout, "Log out: revoke the session of this refresh token",
            tags=tags, request=RefreshIn, response=OkOut, errors={401: "invalid_refresh_token"})
    api.add("GET", "/api/v1/me", me, "Who you are", tags=tags, response=MeOut, auth=True)
    api.add("GET", "/api/v1/me/export", export, "Export everything stored about you (JSON)", tags=["data rights"],
            response=ExportOut, auth=True)
    api.add("DELETE", "/api/v1/me", delete, "Delete your account; your answers stay in others' reports, anonymised",
            tags=["data rights"], response=DeleteOut, auth=True)
