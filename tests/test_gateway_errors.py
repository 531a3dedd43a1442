"""Bad input over a real socket: every case gets an error ack with a stable code, and the
connection and the room keep working with nothing recorded lost."""

from __future__ import annotations

import aiohttp
import pytest
import socketio


def code(ack: dict) -> str:
    assert ack["ok"] is False, ack
    assert set(ack["error"]) >= {"code", "message"} and ack["error"]["message"]
    return ack["error"]["code"]


ROOM = {"title": "errors", "personas": [{"id": "naver", "skill": 2}], "question_count": 1, "language": "en",
        "turn_mode": "round_robin", "answer_seconds": 30, "max_humans": 2, "private": False}


async def test_unauthorized_connect_is_refused(server):
    sio = socketio.AsyncClient(reconnection=False)
    errors = []
    sio.on("connect_error", lambda data: errors.append(data))
    for auth in ({"token": "not-a-jwt"}, None):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await sio.connect(server.base, auth=auth, transports=["websocket"], wait_timeout=5)
    # the Socket.IO CONNECT_ERROR packet: the JS client exposes `data` as err.data
    assert len(errors) == 2 and all(e["data"] == {"code": "unauthorized"} for e in errors)


async def test_http_bad_input(server):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.base}/api/v1/auth/guest", json={"display_name": ""}) as r:
            assert r.status == 400 and (await r.json())["error"]["code"] == "bad_request"
        async with http.post(f"{server.base}/api/v1/auth/guest", data=b"\xff\xfe") as r:
            assert r.status == 400
        async with http.get(f"{server.base}/api/v1/rooms/nope/report") as r:
            assert r.status == 404 and (await r.json())["error"]["code"] == "room_not_found"
        async with http.get(f"{server.base}/readyz") as r:
            assert r.status == 200 and (await r.json()) == {"ok": True, "redis": True, "postgres": True}
        async with http.get(f"{server.base}/api/v1/config") as r:
            assert (await r.json()) == {"protocol_version": 1, "serializer": "json", "tick_hz": 10.0}


async def test_every_bad_message_gets_a_stable_error_code(server):
    host = await server.player("Host")
    other = await server.player("Other")
    third = await server.player("Third")

    # malformed payloads, unknown events, invalid settings, unknown persona
    assert code(await host.call("create_room", {"title": "x", "question_count": "many"})) == "invalid_settings"
    assert code(await host.call("create_room", {**ROOM, "answer_seconds": 1})) == "invalid_settings"
    assert code(await host.call("create_room", {**ROOM, "categories": ["astrology"]})) == "invalid_settings"
    assert code(await host.call("create_room", {**ROOM, "personas": [{"id": "nexon"}]})) == "unknown_persona"
    assert code(await host.call("create_room", ["not", "an", "object"])) in ("invalid_settings", "bad_request")
    assert code(await host.call("set_ready", {"ready": "yes please"})) == "bad_request"
    assert code(await host.call("set_ready", {"ready": True, "extra": 1})) == "bad_request"
    assert code(await host.call("no_such_event", {})) == "unknown_event"
    assert code(await host.call("submit_answer", {"text": "not in a room"})) == "not_in_room"
    assert code(await host.call("join_room", {"room_id": "does-not-exist"})) == "room_not_found"
    assert code(await host.call("join_room", {"join_code": "ZZZZZZ"})) == "room_not_found"
    assert code(await host.call("join_room", {})) == "bad_request"

    ack = await host.call("create_room", ROOM)
    assert ack["ok"], ack
    room_id = ack["room_id"]
    assert (await host.call("join_room", {"room_id": room_id}))["ok"]
    assert (await other.call("join_room", {"room_id": room_id}))["ok"]
    # full room (max_humans 2)
    assert code(await third.call("join_room", {"room_id": room_id})) == "room_full"
    # a non-host starting; wrong phase
    assert code(await other.call("start_match")) == "not_host"
    assert code(await other.call("session_end")) == "not_host"
    assert code(await host.call("submit_answer", {"text": "too early"})) == "wrong_phase"
    assert code(await host.call("start_match")) == "not_ready"
    assert (await other.call("set_ready", {"ready": True}))["ok"]
    assert (await host.call("start_match"))["ok"]
    assert code(await host.call("start_match")) == "wrong_phase"

    await host.wait_for(lambda: host.of("turn_started"), timeout=20)
    first = host.of("turn_started")[0]["participant_id"]
    me, them = (host, other) if first == host.user_id else (other, host)
    # text over 8 KB (UTF-8 bytes: 3000 Hangul syllables are 9000 bytes)
    assert code(await me.call("answer_draft", {"text": "가" * 3000})) == "text_too_long"
    assert code(await me.call("submit_answer", {"text": "x" * 8193})) == "text_too_long"
    # out of turn
    assert code(await them.call("submit_answer", {"text": "my turn?"})) == "not_your_turn"
    ok = await me.call("submit_answer", {"text": "I measured p99 latency and added an index, cutting it by 40%."})
    assert ok["ok"] and ok["answer_id"]
    assert code(await me.call("submit_answer", {"text": "again"})) == "already_submitted"
    assert code(await third.call("join_room", {"room_id": room_id})) == "wrong_phase"
    spect = await third.call("join_room", {"room_id": room_id, "role": "spectator"})
    assert spect["ok"] and spect["state"]["you"]["role"] == "spectator"
    assert code(await third.call("submit_answer", {"text": "I am watching"})) == "spectator_read_only"
    assert code(await me.call("evaluation_request", {"answer_id": "nope"})) == "unknown_answer"
    assert code(await me.call("evaluation_request", {})) == "not_scored_yet"
    assert code(await me.call("audio_chunk", {"seq": 0, "sample_rate": 16000, "pcm": b"\x00" * (65 * 1024)})) == "bad_request"

    # the connection and the room still work; nothing recorded was lost
    state = (await me.call("request_state"))["state"]
    assert [a["text"] for a in state["answers"]] == ["I measured p99 latency and added an index, cutting it by 40%."]
    assert (await me.call("list_rooms"))["ok"]
    await them.wait_for(lambda: any(d["participant_id"] == them.user_id for d in them.of("turn_started")), timeout=20)
    assert (await them.call("submit_answer", {"text": "I would add a composite index and measure."}))["ok"]
    await host.wait_for(lambda: host.of("session_complete"), timeout=60)
    ev = await me.call("evaluation_request", {})
    assert ev["ok"] and 0 <= ev["evaluation"]["score"] <= 100


async def test_a_command_that_fails_on_redis_gets_an_internal_error_ack():
    """A flush that raises (here: Redis refuses every connection) is logged and acked ``internal_error``;
    it used to raise inside the log call (``event=`` clashes with structlog's own argument), so the
    client never got its ack."""
    import redis.asyncio as aioredis

    from tests.conftest import running_server

    async with running_server() as srv:
        host = await srv.player("host")
        ack = await host.call("create_room", {"title": "t", "personas": [{"id": "naver", "skill": 3}]})
        assert ack["ok"], ack
        store = srv.app["redis"]
        live = store.r
        store.r = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)   # nothing listens there
        try:
            ack = await host.call("set_ready", {"ready": True})
        finally:
            await store.r.aclose()
            store.r = live
        assert ack == {"ok": False, "error": {"code": "internal_error",
                                              "message": "the server hit an error; the room is unaffected"}}, ack


def test_no_log_call_passes_event_as_a_keyword():
    """structlog's first argument is named ``event``: ``log.warning("x", event=...)`` raises TypeError
    inside the log call itself (as it did in the gateway and, when its outbox was full, the media bridge)."""
    import ast
    from pathlib import Path

    bad = []
    for path in Path(__file__).resolve().parent.parent.joinpath("server").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "log"
                    and any(k.arg == "event" for k in node.keywords)):
                bad.append(f"{path.name}:{node.lineno}")
    assert bad == []
