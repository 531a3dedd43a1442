"""Rate limits (server/ratelimit.py) over real sockets: a flood is refused with ``rate_limited`` and not
broadcast, a normal client is never limited, and a flood from one client does not slow another's acks."""

from __future__ import annotations

import asyncio
import json
import statistics
import time

import aiohttp
import pytest

from tests.conftest import Player, running_server
from aiolimiter import AsyncLimiter

from server import metrics, ratelimit
from server.ratelimit import DEFAULT_BUDGETS, USER_FACTOR, Budget, RateLimiter

DRAFT = DEFAULT_BUDGETS["draft"]
COMMAND = DEFAULT_BUDGETS["command"]
STATE = DEFAULT_BUDGETS["state"]
AUDIO = DEFAULT_BUDGETS["audio"]
ROOM = {"title": "limits", "personas": [], "question_count": 1, "language": "en", "turn_mode": "round_robin",
        "answer_seconds": 300, "max_humans": 8, "private": False, "categories": ["behavioural"]}


def _code(ack: dict) -> str:
    return "ok" if ack.get("ok") else ack["error"]["code"]


async def _room(server, *others: str) -> tuple:
    """A host and other players in a lobby; the host's is the first turn (round robin, no AI)."""
    host = await server.player("Host")
    ack = await host.call("create_room", ROOM)
    assert ack["ok"], ack
    assert (await host.call("join_room", {"room_id": ack["room_id"]}))["ok"]
    players = [await server.player(n) for n in others]
    for p in players:
        assert (await p.call("join_room", {"room_id": ack["room_id"]}))["ok"]
        assert (await p.call("set_ready", {"ready": True}))["ok"]
    return host, players, ack["room_id"]


async def _host_turn(host, players) -> None:
    assert (await host.call("start_match"))["ok"]
    for p in (host, *players):
        await p.wait_for(lambda p=p: any(d["participant_id"] == host.user_id for d in p.of("turn_started")), 10)


async def _refusals(server, event: str) -> float:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.base}/metrics") as r:
            text = await r.text()
    prefix = f'arena_rate_limited_total{{event="{event}",scope="connection"}} '
    return sum(float(line[len(prefix):]) for line in text.splitlines() if line.startswith(prefix))


async def test_limiter_budgets_per_connection_per_user_and_forgets_at_disconnect():
    lim = RateLimiter({"command": Budget(3, 100.0), "draft": Budget(2, 100.0), "state": Budget(1, 100.0)})
    assert [await lim.check("set_ready", "s1", "u") for _ in range(3)] == [None] * 3
    refused = await lim.check("start_match", "s1", "u")
    assert refused["error"]["code"] == "rate_limited" and refused["error"]["retry_after_ms"] == 10
    assert await lim.check("answer_draft", "s1", "u") is None, "drafts have their own budget"
    assert await lim.check("request_state", "s1", "u") is None, "so have snapshots"
    assert (await lim.check("join_room", "s1", "u"))["error"]["code"] == "rate_limited"
    # a second socket of the same user has its own connection budget, but shares the user's (2 x 3)
    assert [await lim.check("list_rooms", "s2", "u") for _ in range(3)] == [None] * 3
    assert (await lim.check("list_rooms", "s3", "u"))["error"]["code"] == "rate_limited"
    assert await lim.check("list_rooms", "s4", "someone else") is None
    await asyncio.sleep(0.05)                                       # 100/s: refilled
    assert await lim.check("set_ready", "s1", "u") is None
    for sid in ("s1", "s2", "s3", "s4"):
        lim.forget(sid)
    assert lim.tracked() == (0, 2), "connections are dropped at once, users after draining"
    await asyncio.sleep(0.1)
    assert lim.tracked() == (0, 0)


class _RefillsBetweenReads(AsyncLimiter):
    """A bucket that leaks half a unit on every read, as a real one does when time passes between two
    ``has_capacity()`` calls of one check (the race behind a refusal counted under the wrong scope)."""

    def has_capacity(self, amount: float = 1) -> bool:
        if self._level:
            self._level = max(self._level - 0.5, 0)
        return super().has_capacity(amount)


async def test_a_refusal_is_counted_under_the_bucket_that_refused_it(monkeypatch):
    """Bug: the scope of a refusal was read from the connection bucket a second time, after the refusal;
    a bucket that had refilled in between was counted as a ``user`` refusal, so
    ``arena_rate_limited_total{scope="connection"}`` came out one below the ``rate_limited`` acks."""
    monkeypatch.setattr(ratelimit, "AsyncLimiter", _RefillsBetweenReads)
    lim = RateLimiter({"draft": Budget(1, 1.0)})
    counter = metrics.RATE_LIMITED.labels("answer_draft", "connection")
    before = counter._value.get()
    assert await lim.check("answer_draft", "s1", "u") is None
    assert (await lim.check("answer_draft", "s1", "u"))["error"]["code"] == "rate_limited"
    assert counter._value.get() - before == 1


def test_budgets_come_from_the_environment(monkeypatch):
    from server.config import Config

    assert Config.from_env().rate_limits and Config.from_env().rate_budgets == {}
    monkeypatch.setenv("ARENA_RATE_DRAFT", "3, 1.5")
    monkeypatch.setenv("ARENA_RATE_LIMITS", "0")
    c = Config.from_env()
    assert not c.rate_limits and c.rate_budgets == {"draft": Budget(3, 1.5)}
    monkeypatch.setenv("ARENA_RATE_DRAFT", "0,1")
    with pytest.raises(ValueError):
        Config.from_env()


async def test_a_draft_flood_is_refused_and_not_broadcast(server):
    """2,000 answer_draft at ~500/s during the flooder's own turn: all but the budget get rate_limited,
    and the other players see at most the budgeted number of answer_stream."""
    host, (other, third), _ = await _room(server, "Other", "Third")
    await _host_turn(host, [other, third])
    before = await _refusals(server, "answer_draft")
    acks: list[dict] = []
    t0 = time.monotonic()
    for i in range(2000):
        await host.sio.emit("answer_draft", {"text": f"draft number {i}"}, callback=acks.append)
        if i % 5 == 4:
            await asyncio.sleep(0.01)
    await host.wait_for(lambda: len(acks) == 2000 or None, 30)
    elapsed = time.monotonic() - t0
    await asyncio.sleep(0.2)                                       # a pending stream would flush on a tick
    codes = [_code(a) for a in acks]
    budget = DRAFT.burst + DRAFT.per_second * elapsed
    assert set(codes) == {"ok", "rate_limited"}, set(codes)
    assert codes.count("ok") <= budget + 1, (codes.count("ok"), budget)
    assert codes.count("rate_limited") >= 2000 - budget - 1
    assert all(a["error"]["retry_after_ms"] > 0 for a in acks if not a["ok"])
    for p in (other, third):
        streams = [d for d in p.of("answer_stream") if d["participant_id"] == host.user_id]
        assert 0 < len(streams) <= codes.count("ok"), (len(streams), codes.count("ok"))
    assert await _refusals(server, "answer_draft") - before == codes.count("rate_limited")
    # the turn still works: after the flood, within budget again
    await asyncio.sleep(1.2)
    assert (await host.call("submit_answer", {"text": "my real answer"}))["ok"]


async def test_a_normal_client_is_never_limited(server):
    """The fastest client we support: a draft every 100 ms for 3 s, with the commands of a real session
    (join, ready, start, request_state after a gap, submit) at the same time, from two tabs."""
    host, (other,), room_id = await _room(server, "Other")
    tab2 = Player(server.base, "Host")                              # the host's second tab: same token
    server.players.append(tab2)
    await tab2.sio.connect(server.base, auth={"token": host.token}, transports=["websocket"],
                           socketio_path="socket.io", wait_timeout=5)
    assert (await tab2.call("join_room", {"room_id": room_id}))["ok"]
    await _host_turn(host, [other])
    codes = []
    for i in range(30):
        codes.append(_code(await host.call("answer_draft", {"text": "I would start " + "by measuring " * i})))
        if i % 5 == 0:
            codes.append(_code(await tab2.call("request_state")))
            codes.append(_code(await other.call("request_state")))
        await asyncio.sleep(0.1)
    codes.append(_code(await host.call("submit_answer", {"text": "I would start by measuring."})))
    assert codes.count("ok") == len(codes), [c for c in codes if c != "ok"]
    limits = server.app["gateway"].limits
    conns = limits.tracked()[0]
    await tab2.sio.disconnect()
    for _ in range(50):                                              # the sid's buckets are gone
        if limits.tracked()[0] == conns - 1:
            break
        await asyncio.sleep(0.05)
    assert limits.tracked()[0] == conns - 1


class RawFlooder:
    """An attacker's Socket.IO client: pre-encoded EIO4 frames on a raw websocket, acks counted not parsed,
    so the flood costs the test process little besides what the server spends on it."""

    def __init__(self, base: str, token: str) -> None:
        self.url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.token = token
        self.acks: dict[str, int] = {}
        self.next_id = 100

    async def connect(self, http: aiohttp.ClientSession, room_id: str) -> None:
        self.ws = await http.ws_connect(self.url)
        assert (await self.ws.receive_str()).startswith("0")          # EIO open
        await self.ws.send_str("40" + json.dumps({"token": self.token}))
        while not (await self.ws.receive_str()).startswith("40"):
            pass
        await self.ws.send_str('421["join_room",' + json.dumps({"room_id": room_id}) + "]")
        while not (msg := await self.ws.receive_str()).startswith("431["):
            pass
        assert '"ok":true' in msg.replace(" ", ""), msg[:200]
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            data = msg.data
            if data == "2":
                await self.ws.send_str("3")
            elif data.startswith("43"):
                key = "rate_limited" if '"rate_limited"' in data[:200] else "other"
                self.acks[key] = self.acks.get(key, 0) + 1

    async def send(self, frames: list[str]) -> None:
        for f in frames:
            self.next_id += 1
            await self.ws.send_str(f"42{self.next_id}{f}")

    async def close(self) -> None:
        self.reader.cancel()
        await self.ws.close()


def _p(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


async def _latencies(flooder: RawFlooder, watchers: list, frames: list[str], pairs: int = 8) -> dict:
    """Ack latencies (ms) of the watchers' own events in ``pairs`` x (0.5 s without, 0.5 s with the flood:
    ``frames`` every 4 ms); each watcher stays at 80% of its budgets.

    Returns medians and pooled p99s ``(quiet, flood)`` and ``p99_rise``: the median over the pairs of
    (p99 with the flood - p99 of the quiet window before it), robust to a stall of the shared machine."""
    window, done = [0], asyncio.Event()
    windows: list[list[float]] = [[] for _ in range(2 * pairs)]
    own = (("request_state", {}, STATE), ("answer_draft", {"text": "hm"}, DRAFT),         # not their turn
           ("set_ready", {"ready": True}, COMMAND),                                        # wrong phase
           ("audio_chunk", {"seq": 1, "sample_rate": 16000, "pcm": bytes(3200)}, AUDIO))   # not their turn

    async def watch(p, event: str, data: dict, period: float, offset: float) -> None:
        await asyncio.sleep(offset)
        while not done.is_set():
            w, t0 = window[0], time.perf_counter()
            ack = await p.call(event, data)
            dt = time.perf_counter() - t0
            assert _code(ack) in ("ok", "not_your_turn", "wrong_phase"), ack
            if window[0] == w and not done.is_set():                   # not straddling a switch
                windows[w].append(dt * 1000)
            await asyncio.sleep(max(0.0, period - dt))

    tasks = [asyncio.create_task(watch(p, ev, data, 1 / (b.per_second * 0.8), i / (b.per_second * 0.8) / len(watchers)))
             for i, p in enumerate(watchers) for ev, data, b in own]
    sent, t_flood = 0, 0.0
    for k in range(pairs):
        window[0] = 2 * k
        await asyncio.sleep(0.5)
        window[0] = 2 * k + 1
        t0 = time.monotonic()
        while time.monotonic() - t0 < 0.5:
            await flooder.send(frames)
            sent += len(frames)
            await asyncio.sleep(0.004)
        t_flood += time.monotonic() - t0
    done.set()
    await asyncio.gather(*tasks)
    quiet = [x for w in windows[0::2] for x in w]
    flood = [x for w in windows[1::2] for x in w]
    assert len(quiet) > 500 and len(flood) > 500, (len(quiet), len(flood))
    rises = [_p(windows[2 * k + 1], 0.99) - _p(windows[2 * k], 0.99) for k in range(pairs)]
    return {"n": (len(quiet), len(flood)), "flood_per_s": round(sent / t_flood),
            "median": (round(statistics.median(quiet), 2), round(statistics.median(flood), 2)),
            "p99": (round(_p(quiet, 0.99), 2), round(_p(flood, 0.99), 2)),
            "p99_rise": round(statistics.median(rises), 2), "rises": [round(r, 1) for r in rises]}


def _within_bounds(f: dict) -> bool:
    return f["median"][1] - f["median"][0] < 0.75 and f["p99_rise"] < 5.0


@pytest.fixture
async def slow_server():
    """Time scale 0.1: the host's 300 s turn lasts 30 s, longer than two measurements."""
    async with running_server(time_scale=0.1) as srv:
        yield srv


async def test_a_flood_does_not_slow_other_clients(slow_server):
    """The host floods request_state and 8 KB answer_draft during their own turn from a second connection
    (~1,100 events/s, twice the probe's 500/s); five other players measure the ack latency of their own
    request_state, answer_draft, set_ready and audio_chunk (~900 samples per condition) in 8 pairs of 0.5 s
    windows, quiet then flood.

    Bounds: median +0.75 ms, p99 +5 ms (the median over the pairs of the window p99 rise, so one stall of
    the shared machine cannot decide it). Measured on the shared 2-core machine (load ~3): with the limiter,
    median +0.1-0.45 ms and p99 -0.0-+4.6 ms; with the limiter off (the flood processed in full) median
    +1.2-4.2 ms and p99 +2.4-8.4 ms in every measurement, so this test fails without it (by the median
    always). A failed measurement is repeated once. A refused event still costs the Socket.IO decoding and
    its ack (~150 us here), so the bound holds for floods of about this rate, not for any rate."""
    server = slow_server
    host, watchers, room_id = await _room(server, "W1", "W2", "W3", "W4", "W5")
    await _host_turn(host, watchers)
    big = json.dumps({"text": "x" * 8000})
    frames = ['["request_state",{}]', f'["answer_draft",{big}]'] * 3  # 6 frames every 4 ms
    async with aiohttp.ClientSession() as http:
        flooder = RawFlooder(server.base, host.token)                 # the host's second tab
        await flooder.connect(http, room_id)
        for _ in range(60):                                           # use up the flooder's bursts first
            await flooder.send(frames)
            await asyncio.sleep(0.004)
        tries = []
        for _ in range(2):
            f = await _latencies(flooder, watchers, frames)
            tries.append(f)
            if _within_bounds(f):
                break
        await asyncio.sleep(0.3)
        await flooder.close()
    print(tries, flooder.acks)
    assert flooder.acks.get("rate_limited", 0) > 0.9 * sum(flooder.acks.values()), flooder.acks
    assert _within_bounds(f), tries
