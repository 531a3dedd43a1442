"""Fuzz the Socket.IO gateway over real websockets while a real match runs in another room.

Hypothesis generates batches of packets (well-formed events with random names, payloads and
argument counts; field-aware payloads for every client event; malformed JSON; bogus binary
packets; packets that must end the session). Raw sockets (``tests/rawsio.py``) send them with ack
ids. Asserted: every packet with an ack id gets an ack with a code (never ``internal_error``), no
exception escapes into the event loop, the process stays up, and the concurrent match (two
``Player`` bots and an AI persona) finishes with a gapless ``seq`` and a board equal to its scores.
The generated batches are sent at least once, and over again until that match is over.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict

import aiohttp
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from server.schemas import CLIENT_EVENTS
from server.socketio_server import RESERVED_EVENTS
from tests.rawsio import RawSocket, guest_token
from tests.test_e2e_match import bot

EVENTS_WANTED = 10_000
SOCKETS = 4
BATCH = (20, 40)                     # items per hypothesis example (one batch on one socket)

# ------------------------------------------------------------------ strategies
ODD_STRINGS = st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "\udfff x", "\x1b[31m", "\n", "\t",
                               "가" * 50, "x" * 300, "$ROOM", "$ROOM\x00", "null", "__proto__", "ko", "en",
                               "player", "spectator", "offer", "round_robin", "simultaneous", "naver", "toss"])
TEXT = st.text(max_size=30) | ODD_STRINGS
SCALAR = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.integers(-3, 200)
          | st.floats(allow_nan=False, allow_infinity=False) | TEXT)
JSON = st.recursive(SCALAR, lambda c: st.lists(c, max_size=4) | st.dictionaries(TEXT, c, max_size=4), max_leaves=10)
NAMES = st.sampled_from(sorted(CLIENT_EVENTS)) | st.sampled_from(sorted(RESERVED_EVENTS)) | st.text(max_size=12)


def _model_payload(name: str):
    """Dicts with (some of) the event's own field names and plausible or hostile values."""
    fields = list(CLIENT_EVENTS[name].model_fields)
    return st.fixed_dictionaries({}, optional={f: SCALAR | JSON for f in fields} | {"extra": SCALAR})


VALID = {"list_rooms": {}, "create_room": {"title": "fuzz room"}, "join_room": {"room_id": "$ROOM", "role": "spectator"},
         "leave_room": {}, "set_ready": {"ready": True}, "start_match": {}, "answer_draft": {"text": "a draft"},
         "submit_answer": {"text": "an answer"}, "speaker_note": {"text": "a note"}, "evaluation_request": {},
         "session_end": {}, "request_state": {}, "kick_player": {"participant_id": "u_nobody"},
         "audio_chunk": {"seq": 0, "sample_rate": 16000, "pcm": "AAA="}, "media_offer": {"sdp": "v=0\r\n", "type": "offer"}}
assert set(VALID) == set(CLIENT_EVENTS)
#: a valid payload, with at most one field replaced by something hostile
NEAR_VALID = st.sampled_from(sorted(VALID)).flatmap(lambda n: st.tuples(
    st.just("event"), st.just(n), st.fixed_dictionaries({}, optional={f: SCALAR for f in CLIENT_EVENTS[n].model_fields})
    .map(lambda d, n=n: [{**VALID[n], **dict(list(d.items())[:1])}])))
MODEL_EVENT = st.sampled_from(sorted(CLIENT_EVENTS)).flatmap(
    lambda n: st.tuples(st.just("event"), st.just(n), st.lists(_model_payload(n), min_size=0, max_size=1)
                        | st.lists(_model_payload(n), min_size=2, max_size=3)))
ANY_EVENT = st.tuples(st.just("event"), NAMES, st.lists(JSON, max_size=3))
JUNK = st.tuples(st.just("junk"), st.sampled_from(["[", "{", '"', ",", "x", "[\"", "]", "nul"]), st.text(max_size=30))
DEEP = st.tuples(st.just("deep"), st.sampled_from(sorted(CLIENT_EVENTS)), st.integers(10, 3000))
BINARY = st.tuples(st.just("binary"), st.integers(0, 6), st.sampled_from(["audio_chunk", "submit_answer", "x"]),
                   st.integers(-1, 5), st.integers(0, 3))
NO_ACK = st.tuples(st.just("noack"), st.sampled_from(['42["list_rooms"]', '43[1]', '4399["x"]', '40{"token":"t"}',
                                                      '42["disconnect"]', '42["*"]', '40/nope,', '3', '6']))
FATAL = st.tuples(st.just("fatal"), st.sampled_from(["x", "9", "4", "42{}", "42[5]", '42["x"', "45-[\"x\"]",
                                                     "42/nope,7[\"x\"]", "4" + "[" * 50, "bytes"]))
ITEM = st.one_of(NEAR_VALID, NEAR_VALID, MODEL_EVENT, ANY_EVENT, JUNK, DEEP, BINARY, NO_ACK)
BATCHES = st.tuples(st.lists(ITEM, min_size=BATCH[0], max_size=BATCH[1]), st.none() | st.none() | FATAL)


def generate_batches(n_events: int) -> list:
    """Deterministic (derandomised) hypothesis batches totalling at least ``n_events`` packets."""
    out: list = []
    examples = n_events // ((BATCH[0] + BATCH[1]) // 2) + 20

    @settings(max_examples=examples, derandomize=True, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(BATCHES)
    def collect(batch):
        if sum(len(b[0]) + 1 for b in out) < n_events:
            out.append(batch)

    collect()
    return out


# -------------------------------------------------------------------- packets
def _render(item: tuple, ack_id: int, room_id: str) -> tuple[list, bool]:
    """``(frames, expects_ack)`` for one generated item."""
    kind = item[0]
    if kind == "event":
        _, name, args = item
        return ["42%d" % ack_id + json.dumps([name, *args]).replace('"$ROOM', '"' + room_id)], True
    if kind == "junk":
        return ["42%d" % ack_id + item[1] + item[2]], True
    if kind == "deep":
        _, name, depth = item
        return ['42%d["%s",{"text":' % (ack_id, name) + "[" * depth + "]" * depth + "}]"], True
    if kind == "binary":
        _, declared, name, num, sent = item
        head = "45%d-%d" % (declared, ack_id) if declared else "45%d" % ack_id
        frames = [head + json.dumps([name, {"seq": 0, "sample_rate": 16000, "pcm": {"_placeholder": True, "num": num}}])]
        if 1 <= declared <= 4:
            frames += [b"\x00\x01" * (i + 1) for i in range(min(sent, declared))]
        return frames, True
    if kind == "noack":
        return [item[1]], False
    return [b"\x00" if item[1] == "bytes" else item[1]], False     # fatal: the session must end


def _check_ack(args: list) -> str:
    assert isinstance(args, list) and len(args) == 1 and isinstance(args[0], dict), args
    ack = args[0]
    if ack.get("ok") is True:
        return "ok"
    code = ack["error"]["code"]
    assert isinstance(code, str) and code and ack["error"]["message"], ack
    return code


async def fuzz_socket(http, base: str, token: str, batches: list, room_id: str, stats: dict,
                      until: asyncio.Event) -> None:
    """Send ``batches`` once, then again from the start until ``until`` is set (the match is over)."""
    raw = await RawSocket(http, base, token).connect()
    ack_id = 0
    try:
        for n, (items, fatal) in enumerate(itertools.cycle(batches)):
            if n >= len(batches) and until.is_set():
                break
            expected = []
            for item in items:
                ack_id += 1
                frames, wants = _render(item, ack_id, room_id)
                for f in frames:
                    await raw.send(f)
                stats["sent"] += 1
                if wants:
                    expected.append((ack_id, item))
            ack_id += 1                               # a sentinel ends any pending binary packet
            await raw.send("42%d" % ack_id + '["request_state"]')
            stats["sent"] += 1
            expected.append((ack_id, ("sentinel",)))
            try:
                await raw.wait(lambda: all(i in raw.acks for i, _ in expected), timeout=20)
            except asyncio.TimeoutError:
                missing = [(i, it) for i, it in expected if i not in raw.acks]
                raise AssertionError(f"no ack for {len(missing)} packets, e.g. {missing[:3]!r}") from None
            for i, _ in expected:
                stats["codes"][_check_ack(raw.acks.pop(i))] += 1
                stats["acks"] += 1
            if fatal is not None:
                frames, _ = _render(fatal, 0, room_id)
                await raw.send(frames[0])
                stats["sent"] += 1
                await asyncio.wait_for(raw.closed.wait(), 10)
                stats["disconnects"] += 1
                await raw.close()
                raw = await RawSocket(http, base, token).connect()
                ack_id = 0
    finally:
        await raw.close()


def _gapless(p, room_id: str, after: int) -> list[int]:
    seqs = [d["seq"] for e, d in p.events if isinstance(d, dict) and d.get("room_id") == room_id and "seq" in d]
    return [s for s in seqs if s > after]


@pytest.mark.timeout(240)
async def test_fuzzed_packets_all_get_acks_while_a_match_runs(server, record_property):
    loop = asyncio.get_running_loop()
    loop_errors: list = []
    loop.set_exception_handler(lambda _loop, ctx: loop_errors.append(ctx))
    t0 = time.monotonic()
    batches = generate_batches(EVENTS_WANTED)
    gen_s = time.monotonic() - t0

    # the concurrent match: two humans and an AI persona, round robin
    host = await server.player("Ari")
    p2 = await server.player("Bora")
    ack = await host.call("create_room", {"title": "fuzz-side match", "personas": [{"id": "toss", "skill": 3}],
                                           "question_count": 2, "language": "ko", "turn_mode": "round_robin",
                                           "answer_seconds": 20, "max_humans": 2})
    room_id = ack["room_id"]
    states = {p.name: (await p.call("join_room", {"room_id": room_id}))["state"] for p in (host, p2)}
    assert (await p2.call("set_ready", {"ready": True}))["ok"]
    stop = asyncio.Event()
    bots = [asyncio.create_task(bot(p, stop)) for p in (host, p2)]
    assert (await host.call("start_match"))["ok"]

    stats = {"sent": 0, "acks": 0, "disconnects": 0, "codes": defaultdict(int)}
    t1 = time.monotonic()
    match_over = asyncio.Event()

    async def watch_match() -> None:
        await host.wait_for(lambda: host.of("session_complete"), timeout=120)
        await p2.wait_for(lambda: p2.of("session_complete"), timeout=30)
        match_over.set()

    async with aiohttp.ClientSession() as http:
        tokens = [await guest_token(http, server.base, f"fuzz{i}") for i in range(SOCKETS)]
        await asyncio.gather(watch_match(), *(
            fuzz_socket(http, server.base, tokens[i], batches[i::SOCKETS], room_id, stats, match_over)
            for i in range(SOCKETS)))
        fuzz_s = time.monotonic() - t1
        stop.set()
        await asyncio.gather(*bots)
        # the process is up and serving
        async with http.get(f"{server.base}/healthz") as r:
            assert r.status == 200
        fresh = await server.player("After")
        assert (await fresh.call("list_rooms"))["ok"]

    figures = {"batches": len(batches), "fatal_batches": sum(b[1] is not None for b in batches),
               "match_seconds": round(fuzz_s, 1),
               "events_sent": stats["sent"], "acks_received": stats["acks"], "disconnects": stats["disconnects"],
               "generate_seconds": round(gen_s, 1), "codes": dict(stats["codes"])}
    print("\nfuzz figures:", json.dumps(figures))
    record_property("fuzz", figures)
    assert stats["sent"] >= EVENTS_WANTED
    assert stats["codes"].get("internal_error", 0) == 0, figures
    assert not loop_errors, loop_errors[:3]

    # the match: gapless seq after each player's join snapshot, and a board equal to its scores
    for p in (host, p2):
        after = states[p.name]["seq"]
        seqs = _gapless(p, room_id, after)
        assert seqs == list(range(after + 1, after + 1 + len(seqs))), p.name
    sums = defaultdict(int)
    for d in host.of("score_update"):
        sums[d["participant_id"]] += d["score"]
    assert len(sums) == 3 and len(host.of("score_update")) == 6
    final = host.of("leaderboard_update")[-1]["entries"]
    assert {e["participant_id"]: e["score"] for e in final} == dict(sums)
    r = server.app["redis"]
    zset = await r.r.zrevrange(r.room_key(room_id), 0, -1, withscores=True)
    assert {m: int(s) for m, s in zset} == dict(sums)
    assert host.of("session_complete")[0]["report_url"]
