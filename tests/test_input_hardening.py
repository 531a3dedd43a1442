"""Input hardening (issue 10, findings 4-8), each reproduced over a real socket against the real
Redis and PostgreSQL: no input gives a 500, control characters are refused, a match whose text was
accepted is stored, reserved event names do nothing, malformed packets never wedge a socket, and
every event with an ack id gets an ack with a code."""

from __future__ import annotations

import asyncio
import json
import uuid

import aiohttp
import jwt
import pytest
import socketio
from yarl import URL

from server.store.results import ResultStore
from tests.conftest import DATABASE_URL
from tests.rawsio import RawSocket, guest_token

ROOM = {"title": "hardening", "personas": [], "question_count": 1, "language": "en",
        "turn_mode": "round_robin", "answer_seconds": 30, "max_humans": 3, "private": False}


def code_of(ack) -> str:
    """The error code of an ack (a dict, or a raw ack's argument list)."""
    if isinstance(ack, list):
        assert len(ack) == 1, ack
        ack = ack[0]
    assert ack["ok"] is False, ack
    assert ack["error"]["message"], ack
    return ack["error"]["code"]


async def json_error(r: aiohttp.ClientResponse) -> str:
    assert r.content_type == "application/json", (r.status, r.content_type, await r.text())
    return (await r.json())["error"]["code"]


# ------------------------------------------------------------------ finding 4: HTTP 500s
async def test_http_hostile_input_gets_clean_4xx_json(server):
    b = server.base
    async with aiohttp.ClientSession() as http:
        for deep in ("[" * 30_000 + "]" * 30_000, '{"display_name": ' + "[" * 5000 + "]" * 5000 + "}"):
            async with http.post(f"{b}/api/v1/auth/guest", data=deep,
                                 headers={"Content-Type": "application/json"}) as r:
                assert r.status == 400 and await json_error(r) == "bad_request"
        async with http.post(f"{b}/api/v1/auth/guest", data=b"{" + b" " * (2 * 1024 * 1024) + b"}") as r:
            assert r.status == 413 and await json_error(r) == "payload_too_large"
        for path in ("%00", "%00abc", "..%2F..", "x" * 300, "%FF", "abc%20def"):
            async with http.get(URL(f"{b}/api/v1/rooms/{path}/report", encoded=True)) as r:
                assert r.status == 404 and await json_error(r) == "room_not_found", path
        async with http.get(f"{b}/api/v1/no-such-route") as r:
            assert r.status == 404 and await json_error(r) == "not_found"
        async with http.delete(f"{b}/api/v1/config") as r:
            assert r.status == 405 and await json_error(r) == "method_not_allowed"


# ------------------------------------------------- finding 5: control characters, lost match
async def test_control_characters_are_bad_request(server):
    async with aiohttp.ClientSession() as http:
        for name in ("a\x00b", "bell\x07", "esc\x1b[31m", "tab\tname", "line\nbreak", "del\x7f", "lone \ud800"):
            async with http.post(f"{server.base}/api/v1/auth/guest", json={"display_name": name}) as r:
                assert r.status == 400 and await json_error(r) == "bad_request", name
    p = await server.player("Ari")
    assert code_of(await p.call("create_room", {**ROOM, "title": "nul\x00title"})) == "bad_request"
    assert code_of(await p.call("create_room", {**ROOM, "title": "new\nline"})) == "bad_request"
    assert code_of(await p.call("join_room", {"join_code": "AB\x00CD"})) == "bad_request"
    assert code_of(await p.call("join_room", {"room_id": "\x00"})) == "bad_request"
    for text in ("an answer with \x00 inside", "\x1b[2J", "form\x0cfeed", "\ud83d half an emoji"):
        assert code_of(await p.call("submit_answer", {"text": text})) == "bad_request", text
        assert code_of(await p.call("answer_draft", {"text": text})) == "bad_request", text
    # ordinary whitespace in answer text passes validation (and then fails for not being in a room)
    assert code_of(await p.call("submit_answer", {"text": "first line\nsecond\tcolumn\r\n"})) == "not_in_room"
    assert code_of(await p.call("kick_player", {"participant_id": "u\x00"})) == "bad_request"
    assert code_of(await p.call("evaluation_request", {"answer_id": "a\x01"})) == "bad_request"


async def test_a_display_name_from_an_old_token_is_cleaned(server):
    token = jwt.encode({"sub": "u_" + uuid.uuid4().hex[:16], "name": "Evil\x00Name\x1b" + "x" * 100,
                        "exp": 4_000_000_000}, "test-secret", algorithm="HS256")
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(server.base, auth={"token": token}, transports=["websocket"], wait_timeout=5)
    try:
        ack = await sio.call("create_room", ROOM, timeout=10)
        state = (await sio.call("join_room", {"room_id": ack["room_id"]}, timeout=10))["state"]
        name = state["participants"][0]["display_name"]
        assert name.startswith("EvilName") and len(name) <= 40 and name.isprintable(), name
    finally:
        await sio.disconnect()


async def test_a_match_with_nul_bytes_that_slipped_through_is_stored():
    """The store layer is the last line: NUL (rejected by PostgreSQL in text and jsonb) and lone
    surrogates (not UTF-8) are removed rather than losing the whole match."""
    store = ResultStore(DATABASE_URL)
    await store.open()
    try:
        rid = "n" + uuid.uuid4().hex[:9]
        record = {
            "room_id": rid, "title": "t\x00itle", "settings": {"title": "t\x00itle"}, "language": "en",
            "started_ms": 1_700_000_000_000, "finished_ms": 1_700_000_100_000, "end_reason": "completed",
            "participants": [{"participant_id": "u1", "kind": "human", "display_name": "A\x00ri\ud800",
                              "persona_id": None, "skill": None, "notes": [{"text": "n\x00ote"}]}],
            "questions": [{"index": 1, "question_id": "beh-001", "text": "Q?", "category": "behavioural",
                           "difficulty": 2}],
            "answers": [{"answer_id": rid + "-a1", "participant_id": "u1", "question_id": "beh-001",
                         "question_index": 1, "text": "my \x00answer", "auto_submitted": False, "skipped": False,
                         "score": 50, "dimensions": {"clar\x00ity": 50}, "feedback": "LLM said \x00",
                         "submitted_ms": 1_700_000_050_000}],
        }
        await store.save_match(record, [{"participant_id": "u1", "score": 50.0, "rank": 1}])
        rep = await store.report(rid)
        assert rep["title"] == "title" and rep["participants"][0]["display_name"] == "Ari\ufffd"
        a = rep["questions"][0]["answers"][0]
        assert a["text"] == "my answer" and a["dimensions"] == {"clarity": 50} and a["feedback"] == "LLM said "
    finally:
        await store.close()


# ----------------------------------------------------------- finding 6: a fake disconnect
RESERVED = ("connect", "disconnect", "connect_error", "disconnecting", "newListener", "removeListener",
            "error", "message", "*")


async def test_reserved_event_names_get_unknown_event_and_do_nothing(server):
    host = await server.player("Host")
    rid = (await host.call("create_room", ROOM))["room_id"]
    assert (await host.call("join_room", {"room_id": rid}))["ok"]
    async with aiohttp.ClientSession() as http:
        raw = await RawSocket(http, server.base, await guest_token(http, server.base, "Raw")).connect()
        try:
            state = (await raw.call(1, "join_room", {"room_id": rid}))[0]["state"]
            me = state["you"]["participant_id"]
            for i, name in enumerate(RESERVED, start=2):
                assert code_of(await raw.call(i, name, {})) == "unknown_event", name
                assert code_of(await raw.call(100 + i, name)) == "unknown_event", name
            await raw.send('42["disconnect"]')          # no ack id: nothing happens at all
            await asyncio.sleep(0.3)
            assert not raw.disconnected
            st = (await raw.call(50, "request_state"))[0]
            assert st["ok"], st
            presence = {x["participant_id"]: x["presence"] for x in st["state"]["participants"]}
            assert presence[me] == "online"
            assert not [d for d in host.of("presence_changed") if d["participant_id"] == me]
        finally:
            await raw.close()


# ------------------------------------------------------------- finding 7: a wedged socket
async def test_a_malformed_binary_packet_never_wedges_the_socket(server):
    async with aiohttp.ClientSession() as http:
        raw = await RawSocket(http, server.base, await guest_token(http, server.base)).connect()
        try:
            # a BINARY_EVENT that declares no attachments
            await raw.send('455["request_state",{}]')
            assert code_of(await raw.ack(5)) == "bad_request"
            assert code_of(await raw.call(6, "request_state")) == "not_in_room"
            # a text frame where the declared attachment should be: the pending packet is refused,
            # the text frame is handled as the packet it is
            await raw.send('451-7["audio_chunk",{"seq":0,"sample_rate":16000,"pcm":{"_placeholder":true,"num":0}}]')
            assert code_of(await raw.call(8, "request_state")) == "not_in_room"
            assert code_of(await raw.ack(7)) == "bad_request"
            # a placeholder pointing at an attachment that does not exist
            await raw.send('451-9["audio_chunk",{"seq":0,"sample_rate":16000,"pcm":{"_placeholder":true,"num":3}}]')
            await raw.send(b"\x00\x01")
            assert code_of(await raw.ack(9)) == "bad_request"
            # too many attachments declared
            await raw.send('4599-10["audio_chunk",{}]')
            assert code_of(await raw.ack(10)) == "bad_request"
            # the well-formed binary event still works
            await raw.send('451-11["audio_chunk",{"seq":0,"sample_rate":16000,"pcm":{"_placeholder":true,"num":0}}]')
            await raw.send(b"\x00\x01")
            assert code_of(await raw.ack(11)) == "not_in_room"
            assert code_of(await raw.call(12, "request_state")) == "not_in_room"
        finally:
            await raw.close()


# --------------------------------------------------------------- finding 8: missing acks
async def test_every_event_with_an_ack_id_gets_an_ack(server):
    p = await server.player("Ari")
    assert code_of(await p.sio.call("request_state", ({}, {}), timeout=5)) == "bad_request"
    assert code_of(await p.sio.call("list_rooms", (1, 2, 3), timeout=5)) == "bad_request"
    assert code_of(await p.sio.call("no_such_event", ({}, {}), timeout=5)) == "unknown_event"
    assert (await p.call("list_rooms"))["ok"]
    async with aiohttp.ClientSession() as http:
        raw = await RawSocket(http, server.base, await guest_token(http, server.base)).connect()
        try:
            malformed = ['42{id}', '42{id}[]', '42{id}{{}}', '42{id}[5]', '42{id}[null]', '42{id}[["x"]]',
                         '42{id}["x"', '42{id}"just a string"', '42{id}[{{"a":1}}]', '42{id}nonsense',
                         '42{id}["request_state",' + "[" * 200 + "]" * 200 + "]",
                         '42{id}["request_state",' + "[" * 5000 + "]" * 5000 + "]",
                         '42{id}["create_room",{{"title":' + "1" * 5000 + "}}]",
                         '42{id}["*"]', '42{id}["' + "e" * 10_000 + '"]']
            for i, pkt in enumerate(malformed, start=1):
                await raw.send(pkt.format(id=i))
                assert code_of(await raw.ack(i)) in ("bad_request", "unknown_event"), pkt[:80]
            assert code_of(await raw.call(99, "request_state")) == "not_in_room"
            assert not raw.disconnected
        finally:
            await raw.close()


@pytest.mark.parametrize("pkt", ['42{}', '42[]', '42[5]', '42["x"', '4x', '45-["x"]', "x", "9", "4"])
async def test_a_malformed_packet_without_an_ack_id_disconnects_cleanly(server, pkt):
    async with aiohttp.ClientSession() as http:
        raw = await RawSocket(http, server.base, await guest_token(http, server.base)).connect()
        try:
            await raw.send(pkt)
            await raw.wait(lambda: raw.disconnected, timeout=5)
            await asyncio.wait_for(raw.closed.wait(), 5)
        finally:
            await raw.close()
        # the server forgot the session: a fresh connection works
        again = await RawSocket(http, server.base, await guest_token(http, server.base)).connect()
        try:
            assert code_of(await again.call(1, "request_state")) == "not_in_room"
        finally:
            await again.close()
    await asyncio.sleep(0.2)
    assert len(server.app["gateway"].sessions) == 0


async def test_an_oversized_socketio_packet_closes_the_socket(server):
    async with aiohttp.ClientSession() as http:
        raw = await RawSocket(http, server.base, await guest_token(http, server.base)).connect()
        try:
            await raw.send('421["submit_answer",{"text":"' + "x" * 600_000 + '"}]')
            await asyncio.wait_for(raw.closed.wait(), 5)
        finally:
            await raw.close()


async def test_a_malformed_packet_over_long_polling_ends_the_session_without_hanging(server):
    async with aiohttp.ClientSession() as http:
        token = await guest_token(http, server.base)
        async with http.get(f"{server.base}/socket.io/?EIO=4&transport=polling") as r:
            sid = json.loads((await r.text())[1:])["sid"]
        url = f"{server.base}/socket.io/?EIO=4&transport=polling&sid={sid}"
        async with http.post(url, data="40" + json.dumps({"token": token})) as r:
            assert r.status == 200
        async with http.get(url) as r:
            assert "connection_ack" in await r.text()
        async with http.post(url, data="42{}", timeout=aiohttp.ClientTimeout(total=5)) as r:
            assert r.status == 200
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=5)) as r:
            assert r.status == 400                      # the session is gone
    await asyncio.sleep(0.1)
    assert server.app["gateway"].sessions == {}


def _unguarded_strings(tp, where: str) -> list[str]:
    """Places in a type where a ``str`` lacks the control-character validator of schemas.Line/MultiLine."""
    import typing

    from pydantic import BaseModel

    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [x for name, f in tp.model_fields.items()
                for x in _unguarded_strings(typing.Annotated[(f.annotation, *f.metadata)] if f.metadata
                                            else f.annotation, f"{tp.__name__}.{name}")]
    if tp is str:
        return [where]
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(tp)
        if any(getattr(getattr(m, "func", None), "__qualname__", "").startswith("_no_control") for m in meta):
            return []
        return _unguarded_strings(base, where)
    if origin is typing.Literal:
        return []
    return [x for a in typing.get_args(tp) for x in _unguarded_strings(a, where)]


def test_every_string_on_the_wire_refuses_control_characters():
    """One rule for every field: each ``str`` in every client event and HTTP body model is a schemas.Line,
    MultiLine or Text (a new field typed plain ``str`` fails here)."""
    from server import schemas

    models = [*schemas.CLIENT_EVENTS.values(), schemas.GuestAuthIn]
    assert _unguarded_strings(str, "probe") == ["probe"]
    assert [x for m in models for x in _unguarded_strings(m, m.__name__)] == []
