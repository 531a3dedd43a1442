"""Accounts over real HTTP against the real PostgreSQL: register, login, refresh rotation, logout, roles,
guest upgrade, rate limits, the persisted signing secret, and account tokens on Socket.IO."""

from __future__ import annotations

import uuid

import asyncpg
import socketio

from limits import parse
from tests.accounts_kit import Api, match_record
from tests.conftest import DATABASE_URL, running_server


async def count_users(email: str) -> int:
    c = await asyncpg.connect(DATABASE_URL)
    try:
        return await c.fetchval("SELECT count(*) FROM users WHERE lower(email)=lower($1)", email)
    finally:
        await c.close()


async def test_register_login_me_and_roles(server):
    api = Api(server.base)
    cand = await api.register(name="Mina")
    assert cand["user_id"].startswith("u_") and cand["role"] == "candidate" and cand["refresh_token"]
    st, me = await api.call("GET", "/api/v1/me", token=cand["token"])
    assert st == 200 and me == {"user_id": cand["user_id"], "email": cand["email"], "display_name": "Mina",
                                "role": "candidate", "kind": "account"}
    coach = await api.register(name="Coach Lee", role="coach")
    st, me = await api.call("GET", "/api/v1/me", token=coach["token"])
    assert me["role"] == "coach"
    # Login is case-insensitive on the email and gives a fresh session for the same user.
    st, body = await api.call("POST", "/api/v1/auth/login", {"email": cand["email"].upper(), "password": "correct horse battery"})
    assert st == 200 and body["user_id"] == cand["user_id"] and body["refresh_token"] != cand["refresh_token"]
    # No token, a bad token.
    assert (await api.call("GET", "/api/v1/me"))[0] == 401
    st, body = await api.call("GET", "/api/v1/me", token=cand["token"] + "x")
    assert st == 401 and body["error"]["code"] == "unauthorized"
    # A guest's /me says so.
    g = await api.guest("Guesty")
    st, me = await api.call("GET", "/api/v1/me", token=g["token"])
    assert me == {"user_id": g["user_id"], "email": None, "display_name": "Guesty", "role": "candidate", "kind": "guest"}


async def test_bad_input_wrong_password_and_duplicate_email_change_nothing(server):
    api = Api(server.base)
    acc = await api.register(name="Jun")
    st, body = await api.call("POST", "/api/v1/auth/login", {"email": acc["email"], "password": "wrong password!"})
    assert st == 401 and body["error"]["code"] == "invalid_credentials"
    st, body = await api.call("POST", "/api/v1/auth/login", {"email": "nobody-" + acc["email"], "password": "whatever1"})
    assert st == 401 and body["error"]["code"] == "invalid_credentials"
    # Duplicate email (any case): 409, and still exactly one account with it, the old password still works.
    st, body = await api.call("POST", "/api/v1/auth/register", {"email": acc["email"].upper(), "password": "another password",
                                                                "display_name": "Impostor"})
    assert st == 409 and body["error"]["code"] == "email_taken"
    assert await count_users(acc["email"]) == 1
    st, body = await api.call("POST", "/api/v1/auth/login", {"email": acc["email"], "password": "correct horse battery"})
    assert st == 200 and body["display_name"] == "Jun"
    # Malformed bodies.
    for bad in ({"email": "not-an-email", "password": "longenough", "display_name": "x"},
                {"email": "a@b.co", "password": "short", "display_name": "x"},
                {"email": "a@b.co", "password": "longenough", "display_name": "x", "role": "admin"},
                {"email": "a@b.co", "password": "longenough", "display_name": "x\u0000"}):
        st, body = await api.call("POST", "/api/v1/auth/register", bad)
        assert st == 400 and body["error"]["code"] == "bad_request", (bad, body)
    assert await count_users("a@b.co") == 0


async def test_refresh_rotates_and_reuse_revokes_the_session(server):
    api = Api(server.base)
    acc = await api.register()
    st, r1 = await api.call("POST", "/api/v1/auth/refresh", {"refresh_token": acc["refresh_token"]})
    assert st == 200 and r1["refresh_token"] != acc["refresh_token"] and r1["user_id"] == acc["user_id"]
    assert (await api.call("GET", "/api/v1/me", token=r1["token"]))[0] == 200
    # The old refresh token is spent; presenting it again revokes the whole family (theft suspected).
    st, body = await api.call("POST", "/api/v1/auth/refresh", {"refresh_token": acc["refresh_token"]})
    assert st == 401 and body["error"]["code"] == "refresh_token_reused"
    st, body = await api.call("POST", "/api/v1/auth/refresh", {"refresh_token": r1["refresh_token"]})
    assert st == 401 and body["error"]["code"] == "refresh_token_reused"
    assert (await api.call("GET", "/api/v1/me", token=r1["token"]))[0] == 401
    st, body = await api.call("POST", "/api/v1/auth/refresh", {"refresh_token": "x" * 43})
    assert st == 401 and body["error"]["code"] == "invalid_refresh_token"


async def test_logout_revokes_the_session_but_not_other_sessions(server):
    api = Api(server.base)
    acc = await api.register()
    st, other = await api.call("POST", "/api/v1/auth/login", {"email": acc["email"], "password": "correct horse battery"})
    st, body = await api.call("POST", "/api/v1/auth/logout", {"refresh_token": acc["refresh_token"]})
    assert st == 200 and body == {"ok": True}
    assert (await api.call("GET", "/api/v1/me", token=acc["token"]))[0] == 401
    st, body = await api.call("POST", "/api/v1/auth/refresh", {"refresh_token": acc["refresh_token"]})
    assert st == 401
    assert (await api.call("POST", "/api/v1/auth/logout", {"refresh_token": acc["refresh_token"]}))[0] == 200  # idempotent
    assert (await api.call("GET", "/api/v1/me", token=other["token"]))[0] == 200       # the other device stays in
    assert (await api.call("POST", "/api/v1/auth/logout", {"refresh_token": "y" * 43}))[0] == 401


async def test_guest_upgrade_keeps_user_id_and_history(server):
    api = Api(server.base)
    g = await api.guest("Soyeon")
    record, ranking = match_record([g["user_id"]], ["Soyeon"])
    await server.app["results"].save_match(record, ranking)
    acc = await api.register(name="Soyeon Park", token=g["token"])
    assert acc["user_id"] == g["user_id"]
    st, data = await api.call("GET", "/api/v1/me/export", token=acc["token"])
    assert st == 200 and [m["room_id"] for m in data["matches"]] == [record["room_id"]]
    assert data["account"]["email"] == acc["email"]
    # The old guest token no longer acts for the account on HTTP (it could otherwise export or delete it).
    for method, path in (("GET", "/api/v1/me"), ("GET", "/api/v1/me/export"), ("DELETE", "/api/v1/me")):
        st, body = await api.call(method, path, token=g["token"])
        assert st == 401 and body["error"]["code"] == "unauthorized", (method, path)
    assert (await api.call("GET", "/api/v1/me", token=acc["token"]))[0] == 200
    # The same guest cannot become a second account.
    st, body = await api.call("POST", "/api/v1/auth/register", {"email": "second-" + acc["email"], "password": "longenough1",
                                                                "display_name": "x"}, g["token"])
    assert st == 409 and body["error"]["code"] == "already_registered"
    assert await count_users("second-" + acc["email"]) == 0
    # An account token on register does not merge: it is a new account.
    other = await api.register(token=acc["token"])
    assert other["user_id"] != acc["user_id"]


async def test_login_is_rate_limited_per_email_and_per_ip(server):
    api = Api(server.base)
    acc = await api.register()
    for _ in range(5):
        st, _ = await api.call("POST", "/api/v1/auth/login", {"email": acc["email"], "password": "wrong password"})
        assert st == 401
    st, body = await api.call("POST", "/api/v1/auth/login", {"email": acc["email"], "password": "correct horse battery"})
    assert st == 429 and body["error"]["code"] == "rate_limited" and 0 < body["error"]["retry_after"] <= 300
    # Another email from the same address is still fine (per-IP budget not spent yet).
    other = await api.register()
    assert (await api.call("POST", "/api/v1/auth/login", {"email": other["email"], "password": "correct horse battery"}))[0] == 200
    server.app["login_limiter"].per_ip = parse("3/minute")
    for _ in range(3):
        assert (await api.call("POST", "/api/v1/auth/login", {"email": other["email"], "password": "correct horse battery"}))[0] == 200
    st, text, headers = await api.call("POST", "/api/v1/auth/login", {"email": other["email"], "password": "correct horse battery"},
                                       raw=True)
    assert st == 429 and 1 <= int(headers["Retry-After"]) <= 60


async def test_restart_keeps_sessions_with_the_secret_in_the_data_dir(tmp_path):
    async with running_server(jwt_secret=None, data_dir=tmp_path) as srv:
        api = Api(srv.base)
        acc = await api.register(name="Persisted")
        g = await api.guest("Persisted guest")
    secret = (tmp_path / "jwt_secret").read_text().strip()
    assert len(secret) == 64 and (tmp_path / "jwt_secret").stat().st_mode & 0o077 == 0
    async with running_server(jwt_secret=None, data_dir=tmp_path) as srv:
        api = Api(srv.base)
        assert (await api.call("GET", "/api/v1/me", token=acc["token"]))[0] == 200
        assert (await api.call("GET", "/api/v1/me", token=g["token"]))[0] == 200
        st, body = await api.call("POST", "/api/v1/auth/refresh", {"refresh_token": acc["refresh_token"]})
        assert st == 200
    # An explicit secret wins over the file: the old tokens no longer verify.
    async with running_server(jwt_secret="explicit-" + uuid.uuid4().hex, data_dir=tmp_path) as srv:
        assert (await Api(srv.base).call("GET", "/api/v1/me", token=acc["token"]))[0] == 401


async def test_socketio_accepts_account_tokens_like_guest_tokens(server):
    api = Api(server.base)
    acc = await api.register(name="Socket")
    sio = socketio.AsyncClient(reconnection=False)
    acks = []
    sio.on("connection_ack", lambda d: acks.append(d))
    await sio.connect(server.base, auth={"token": acc["token"]}, transports=["websocket"], wait_timeout=5)
    try:
        ack = await sio.call("create_room", {"title": "acct room", "personas": [{"id": "toss", "skill": 2}]}, timeout=10)
        assert ack["ok"] is True
        st = await sio.call("request_state", {}, timeout=10)
        me = st["state"]["you"]
        assert me["participant_id"] == acc["user_id"]
    finally:
        await sio.disconnect()
    assert acks and acks[0]["user_id"] == acc["user_id"]
