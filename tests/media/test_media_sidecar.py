"""The media sidecar end to end: real Redis on 127.0.0.1, run_sidecar in-process, real aiortc peers."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from media_helpers import REDIS_URL, SENTENCES, need, need_modules, wer

from server.media.audio import MAX_CHUNK_BYTES, read_wav


class Harness:
    """Talks to a running sidecar the way the game server does."""

    def __init__(self, redis, in_channel: str, room_id: str):
        self.redis = redis
        self.in_channel = in_channel
        self.room_id = room_id
        self.pubsub = None

    async def start(self):
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        await self.pubsub.subscribe(f"media:out:{self.room_id}")

    async def send(self, msg: dict | str) -> None:
        await self.redis.publish(self.in_channel, msg if isinstance(msg, str) else json.dumps(msg))

    async def recv(self, pred=lambda m: True, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = await self.pubsub.get_message(timeout=min(1.0, max(0.01, deadline - time.monotonic())))
            if m and m["type"] == "message":
                d = json.loads(m["data"])
                if pred(d):
                    return d
        raise AssertionError("timed out waiting for a sidecar message")

    async def collect_until(self, pred, timeout: float = 30.0) -> list[dict]:
        out = []
        deadline = time.monotonic() + timeout
        while True:
            d = await self.recv(timeout=max(0.1, deadline - time.monotonic()))
            out.append(d)
            if pred(d):
                return out


@pytest.fixture
async def sidecar(transcriber, analyzer, tmp_path, monkeypatch):
    need_modules("redis", "aiortc", "av")
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    try:
        await asyncio.wait_for(client.ping(), 3)
    except Exception as e:  # noqa: BLE001
        await client.aclose()
        need(False, f"Redis not reachable at {REDIS_URL}: {e}")
    monkeypatch.setenv("ARENA_ICE_HOSTS", "127.0.0.1")  # ICE on loopback only
    monkeypatch.delenv("ARENA_ICE_SERVERS", raising=False)
    from server.media.sidecar import run_sidecar

    in_channel = f"media:in:test:{uuid.uuid4().hex[:8]}"
    ready = asyncio.Event()
    task = asyncio.create_task(run_sidecar(REDIS_URL, ready=ready, transcriber=transcriber, analyzer=analyzer,
                                           in_channel=in_channel, recordings=tmp_path / "rec"))
    await asyncio.wait_for(ready.wait(), 60)
    h = Harness(client, in_channel, f"room-{uuid.uuid4().hex[:8]}")
    await h.start()
    h.recordings = tmp_path / "rec"
    yield h
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    await h.pubsub.aclose()
    await client.aclose()


def chunks_of(path: Path, chunk_bytes: int = 6400):
    a, sr = read_wav(path)
    pcm = (np.clip(a, -1, 1) * 32767).astype("<i2").tobytes()
    return sr, [pcm[i:i + chunk_bytes] for i in range(0, len(pcm), chunk_bytes)]


async def test_audio_chunks_give_partials_final_and_turn_summary(sidecar, speech):
    h = sidecar
    sr, chunks = chunks_of(speech["padded"])
    await h.send({"type": "turn_start", "room_id": h.room_id, "participant_id": "p1", "turn_id": "q1"})
    for i, c in enumerate(chunks):
        await h.send({"type": "audio_chunk", "session_id": "s1", "room_id": h.room_id, "participant_id": "p1",
                      "seq": i + 1, "sample_rate": sr, "pcm": base64.b64encode(c).decode()})
        await asyncio.sleep(0.05)  # ~4x real time: lets the stream produce partials
    await h.send({"type": "turn_end", "room_id": h.room_id, "participant_id": "p1", "turn_id": "q1"})
    msgs = await h.collect_until(lambda m: m["type"] == "turn_summary", timeout=60)
    partials = [m for m in msgs if m["type"] == "partial"]
    finals = [m for m in msgs if m["type"] == "final"]
    assert partials and all(not m["is_final"] and m["transcript"] for m in partials)
    assert len(finals) == 1
    f = finals[0]
    assert f["is_final"] and f["participant_id"] == "p1" and f["session_id"] == "s1" and f["turn_id"] == "q1"
    assert wer(SENTENCES["strength"], f["transcript"]) <= 0.15, f["transcript"]
    assert f["words"] and {"word", "start", "end"} <= set(f["words"][0])
    assert 120 < f["delivery"]["wpm"] < 220
    rec, rsr = read_wav(f["recording"])
    assert rsr == 16000 and 6.0 < rec.size / 16000 < 8.5
    assert Path(f["recording"]).is_relative_to(h.recordings)
    seqs = [m["seq"] for m in msgs if m["type"] in ("partial", "final", "turn_summary")]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    s = msgs[-1]
    assert s["turn_id"] == "q1" and s["transcript"] == f["transcript"]
    assert Path(s["recording"]).exists() and s["duration"] == pytest.approx(len(b"".join(chunks)) / 2 / sr, abs=0.05)
    # after turn_end the participant's audio is ignored until the next turn_start
    await h.send({"type": "audio_chunk", "room_id": h.room_id, "participant_id": "p1", "seq": 10_000,
                  "sample_rate": sr, "pcm": base64.b64encode(chunks[20]).decode()})
    with pytest.raises(AssertionError):
        await h.recv(lambda m: m["type"] in ("partial", "final"), timeout=1.5)


async def test_bad_input_gives_error_codes_and_sidecar_survives(sidecar):
    h = sidecar
    base = {"room_id": h.room_id, "participant_id": "p2", "session_id": "s2"}
    await h.send("this is not json")
    await h.send({**base, "type": "audio_chunk", "seq": 1, "sample_rate": 11025,
                  "pcm": base64.b64encode(b"\0" * 640).decode()})
    assert (await h.recv(lambda m: m["type"] == "error"))["code"] == "bad_sample_rate"
    await h.send({**base, "type": "audio_chunk", "seq": 2, "sample_rate": 16000,
                  "pcm": base64.b64encode(b"\0" * (MAX_CHUNK_BYTES + 2)).decode()})
    err = await h.recv(lambda m: m["type"] == "error")
    assert err["code"] == "chunk_too_large" and err["seq"] == 2
    await h.send({**base, "type": "audio_chunk", "seq": 3, "sample_rate": 16000,
                  "pcm": base64.b64encode(b"\0" * 641).decode()})
    assert (await h.recv(lambda m: m["type"] == "error"))["code"] == "bad_audio"
    for sdp in ["garbage", "v=0\r\nnonsense\r\n", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n", 42]:
        await h.send({**base, "type": "offer", "sdp": sdp, "sdp_type": "offer"})
        err = await h.recv(lambda m: m["type"] in ("error", "answer"))
        assert err["type"] == "error" and err["code"] == "bad_sdp" and err["session_id"] == "s2", err
    await h.send({**base, "type": "warp_drive"})
    assert (await h.recv(lambda m: m["type"] == "error"))["code"] == "bad_message"
    await h.send({**base, "type": "turn_start", "turn_id": "q9", "language": "fr"})
    err = await h.recv(lambda m: m["type"] == "error")
    assert err["code"] == "bad_message" and "language" in err["message"], err
    await h.send({"type": "audio_chunk", "room_id": h.room_id, "sample_rate": 16000, "pcm": ""})
    assert (await h.recv(lambda m: m["type"] == "error"))["code"] == "bad_message"
    # still alive: silence is accepted and produces no transcript
    silence = base64.b64encode(b"\0" * 32000).decode()
    for i in range(4):
        await h.send({**base, "type": "audio_chunk", "seq": 10 + i, "sample_rate": 16000, "pcm": silence})
    await h.send({**base, "type": "turn_end"})
    summary = await h.recv(lambda m: m["type"] in ("turn_summary", "final", "partial", "error"))
    assert summary["type"] == "turn_summary" and summary["transcript"] == ""


async def test_silent_turn_gives_silence_once_and_noise_gives_no_speech(sidecar):
    """A muted microphone (digital zeros) in a real turn -> one ``silence`` error after 3 s, no
    ``no_speech`` on top; sound without words (a -20 dBFS hum) -> no ``silence``, and ``no_speech``
    after the turn's summary. Silence outside a turn and before 3 s is not an error."""
    h = sidecar
    base = {"room_id": h.room_id, "participant_id": "mute"}
    zeros = base64.b64encode(b"\0" * 16000).decode()          # 0.5 s at 16 kHz

    async def send_chunks(pcm: str, n: int, seq0: int) -> None:
        for i in range(n):
            await h.send({**base, "type": "audio_chunk", "seq": seq0 + i, "sample_rate": 16000, "pcm": pcm})

    await h.send({**base, "type": "turn_start", "turn_id": "q1"})
    await send_chunks(zeros, 5, 1)                                  # 2.5 s: not yet
    with pytest.raises(AssertionError):
        await h.recv(lambda m: m["type"] == "error", timeout=1.5)
    await send_chunks(zeros, 6, 6)                                  # 5.5 s in all
    err = await h.recv(lambda m: m["type"] == "error")
    assert err["code"] == "silence" and err["turn_id"] == "q1" and err["participant_id"] == "mute", err
    assert "session_id" not in err or err["session_id"] is None
    await h.send({**base, "type": "turn_end", "turn_id": "q1"})
    out = await h.collect_until(lambda m: m["type"] == "turn_summary")
    assert [m for m in out if m["type"] == "error"] == [], "silence is reported once per turn"
    with pytest.raises(AssertionError):
        await h.recv(lambda m: m["type"] == "error", timeout=1.5)   # no no_speech after silence

    t = np.arange(16000 * 4) / 16000
    hum = (0.1 * np.sin(2 * np.pi * 120 * t) * 32767).astype("<i2").tobytes()   # 4 s, -23 dBFS
    await h.send({**base, "type": "turn_start", "turn_id": "q2"})
    for i in range(0, len(hum), 16000):
        await h.send({**base, "type": "audio_chunk", "seq": 100 + i, "sample_rate": 16000,
                      "pcm": base64.b64encode(hum[i:i + 16000]).decode()})
    await h.send({**base, "type": "turn_end", "turn_id": "q2"})
    out = await h.collect_until(lambda m: m["type"] == "error" and m["code"] == "no_speech")
    summary = next(m for m in out if m["type"] == "turn_summary")
    assert summary["transcript"] == "" and summary["duration"] == pytest.approx(4.0, abs=0.05)
    assert [m["code"] for m in out if m["type"] == "error"] == ["no_speech"]
    assert out[-1]["turn_id"] == "q2"


async def test_webrtc_peer_connection_transcribes(sidecar, speech):
    """A real aiortc client sends the espeak WAV as an Opus audio track through the sidecar's signalling."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.contrib.media import MediaPlayer

    h = sidecar
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    player = MediaPlayer(str(speech["padded"]))
    pc.addTrack(player.audio)
    try:
        await pc.setLocalDescription(await pc.createOffer())
        await h.send({"type": "offer", "session_id": "rtc1", "room_id": h.room_id, "participant_id": "p3",
                      "sdp": pc.localDescription.sdp, "sdp_type": pc.localDescription.type})
        answer = await h.recv(lambda m: m["type"] in ("answer", "error"), timeout=20)
        assert answer["type"] == "answer", answer
        assert answer["session_id"] == "rtc1" and answer["sdp_type"] == "answer"
        assert "127.0.0.1" in answer["sdp"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["sdp_type"]))
        msgs = await h.collect_until(lambda m: m["type"] in ("final", "error"), timeout=45)
        assert pc.connectionState == "connected"
        final = msgs[-1]
        assert final["type"] == "final", final
        assert final["participant_id"] == "p3" and final["session_id"] == "rtc1"
        assert wer(SENTENCES["strength"], final["transcript"]) <= 0.15, final["transcript"]
        assert any(m["type"] == "partial" for m in msgs)
        assert Path(final["recording"]).exists()
    finally:
        await pc.close()
        if player.audio:
            player.audio.stop()
    await h.send({"type": "close", "session_id": "rtc1"})


async def test_webrtc_video_gives_expression(sidecar):
    """A video track showing a smiling face yields ``expression`` messages (sampled at ~2 fps)."""
    need_modules("skimage")
    import av
    import skimage.data
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack

    face = np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])  # BGR 512x512

    class StillTrack(VideoStreamTrack):
        async def recv(self):
            pts, time_base = await self.next_timestamp()
            frame = av.VideoFrame.from_ndarray(face, format="bgr24")
            frame.pts, frame.time_base = pts, time_base
            return frame

    h = sidecar
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(StillTrack())
    try:
        await pc.setLocalDescription(await pc.createOffer())
        await h.send({"type": "offer", "session_id": "rtc2", "room_id": h.room_id, "participant_id": "p4",
                      "sdp": pc.localDescription.sdp, "sdp_type": "offer"})
        answer = await h.recv(lambda m: m["type"] in ("answer", "error"), timeout=20)
        assert answer["type"] == "answer", answer
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        # the first frames of a new WebRTC stream are blurry (the encoder ramps its bitrate up)
        msgs = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < 4.0:
            m = await h.recv(lambda m: m["type"] in ("expression", "error"), timeout=20)
            assert m["type"] == "expression", m
            msgs.append(m)
        assert all(m["participant_id"] == "p4" and m["session_id"] == "rtc2" for m in msgs)
        happy = [m for m in msgs if m["dominant"] == "happy" and m["emotions"]["happy"] > 0.9]
        assert len(happy) >= 3, [m["emotions"] for m in msgs]
        assert len(msgs) <= 4.0 * 2 + 3  # sampled at ~2 fps, not at the 30 fps frame rate
    finally:
        await pc.close()


async def test_backlog_is_bounded(transcriber):
    """Audio beyond MAX_BACKLOG_S waiting for the STT worker is refused, not buffered forever."""
    from server.media.sidecar import MAX_BACKLOG_S, MediaSidecar

    sc = MediaSidecar(redis=None, transcriber=transcriber, analyzer=None, stream_options={})
    try:
        p = sc.participant("room-x", "p1")
        second = np.zeros(16000, np.float32)
        accepted = [sc.enqueue(p, second) for _ in range(int(MAX_BACKLOG_S) + 5)]  # no await: worker can't run
        assert accepted.count(True) == int(MAX_BACKLOG_S) and accepted[-1] is False
        assert sc.stats["dropped_samples"] == 5 * 16000
    finally:
        await sc.close()


async def test_korean_model_is_preloaded_and_a_bad_language_is_only_logged(transcriber, ko_transcriber, monkeypatch):
    """``ARENA_STT_PRELOAD`` (default ``ko``) loads the Korean rooms' model at start; an unknown
    language there does not stop the sidecar."""
    from server.media.sidecar import MediaSidecar

    class NoExpression:
        def analyse(self, img):
            return {"faces": []}

    for env, expected in ((None, {"ko"}), ("", set()), ("fr,ko", {"ko"})):
        if env is None:
            monkeypatch.delenv("ARENA_STT_PRELOAD", raising=False)
        else:
            monkeypatch.setenv("ARENA_STT_PRELOAD", env)
        sc = MediaSidecar(redis=None, transcriber=transcriber, analyzer=NoExpression(), stream_options={})
        try:
            await sc.load()
            assert set(sc.transcribers) == expected
            if expected:
                assert sc.transcribers["ko"] is ko_transcriber
        finally:
            await sc.close()


def test_recordings_past_retention_are_deleted(tmp_path, monkeypatch):
    import os

    import pytest

    from server.media.sidecar import MediaSidecar, retention_from_env, sweep_recordings

    old = tmp_path / "room" / "p1" / "old.wav"
    new = tmp_path / "room" / "p2" / "new.wav"
    note = tmp_path / "room" / "p1" / "notes.txt"
    for f in (old, new, note):
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"RIFF")
    now = 1_900_000_000.0
    os.utime(old, (now - 8 * 86400, now - 8 * 86400))
    os.utime(new, (now - 6 * 86400, now - 6 * 86400))
    os.utime(note, (now - 30 * 86400, now - 30 * 86400))
    assert sweep_recordings(tmp_path, 7 * 86400, now=now) == 1
    assert not old.exists() and new.exists() and note.exists()
    os.utime(new, (now - 8 * 86400, now - 8 * 86400))
    assert sweep_recordings(tmp_path, 7 * 86400, now=now) == 1
    assert not (tmp_path / "room" / "p2").exists() and (tmp_path / "room" / "p1").exists()  # empty dir gone
    assert sweep_recordings(tmp_path / "missing", 1.0) == 0

    monkeypatch.delenv("ARENA_RECORDINGS_RETENTION_DAYS", raising=False)
    assert retention_from_env() is None
    monkeypatch.setenv("ARENA_RECORDINGS_RETENTION_DAYS", "0.5")
    assert retention_from_env() == 43200.0
    for bad in ("0", "-1", "soon"):
        monkeypatch.setenv("ARENA_RECORDINGS_RETENTION_DAYS", bad)
        with pytest.raises(ValueError):
            MediaSidecar(redis=None, transcriber=None, analyzer=None, stream_options={})


async def test_a_korean_room_without_a_korean_model_says_so_and_stays_typed(transcriber, speech, tmp_path,
                                                                            monkeypatch):
    """No Korean model installed: ``turn_start`` with ``language: "ko"`` gets ``model_unavailable``
    with a message saying so (in English and Korean) and that answers are typed; the turn's audio
    is then ignored (no English-model guesses at Korean speech reach the draft), and the sidecar
    carries on."""
    need_modules("redis")
    import redis.asyncio as aioredis

    from server.media import models, stt
    from server.media.sidecar import run_sidecar

    class NoExpression:
        def analyse(self, img):
            return {"faces": []}

    monkeypatch.setenv("ARENA_STT_PRELOAD", "")
    for var in ("ARENA_STT_MODEL_DIR_KO", "ARENA_STT_MODEL_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(models, "packaged_base_dir", lambda: None)
    monkeypatch.setattr(stt, "_shared", {None: transcriber})
    client = aioredis.from_url(REDIS_URL)
    in_channel = f"media:in:test:{uuid.uuid4().hex[:8]}"
    ready = asyncio.Event()
    task = asyncio.create_task(run_sidecar(REDIS_URL, ready=ready, transcriber=transcriber, analyzer=NoExpression(),
                                           in_channel=in_channel, recordings=tmp_path / "rec"))
    try:
        await asyncio.wait_for(ready.wait(), 60)
        h = Harness(client, in_channel, f"room-{uuid.uuid4().hex[:8]}")
        await h.start()
        await h.send({"type": "turn_start", "room_id": h.room_id, "participant_id": "p1", "turn_id": "q1",
                      "language": "ko", "prompt": "자기소개를 해 주세요."})
        err = await h.recv(lambda m: m["type"] == "error", timeout=30)
        assert err["code"] == "model_unavailable" and err["turn_id"] == "q1"
        assert "Korean" in err["message"] and "type your answer" in err["message"] and "한국어" in err["message"]
        sr, chunks = chunks_of(speech["padded"])
        for i, c in enumerate(chunks):
            await h.send({"type": "audio_chunk", "room_id": h.room_id, "participant_id": "p1", "seq": i + 1,
                          "sample_rate": sr, "pcm": base64.b64encode(c).decode()})
        await h.send({"type": "turn_end", "room_id": h.room_id, "participant_id": "p1", "turn_id": "q1"})
        msgs = await h.collect_until(lambda m: m["type"] == "turn_summary", timeout=60)
        assert not [m for m in msgs if m["type"] in ("partial", "final")], msgs
        assert msgs[-1]["transcript"] == ""
        # an English turn afterwards is transcribed as usual: the sidecar carried on
        await h.send({"type": "turn_start", "room_id": h.room_id, "participant_id": "p1", "turn_id": "q2",
                      "language": "en"})
        for i, c in enumerate(chunks):
            await h.send({"type": "audio_chunk", "room_id": h.room_id, "participant_id": "p1",
                          "seq": 1000 + i, "sample_rate": sr, "pcm": base64.b64encode(c).decode()})
        f = await h.recv(lambda m: m["type"] == "final", timeout=60)
        assert wer(SENTENCES["strength"], f["transcript"]) <= 0.15, f["transcript"]
        await h.pubsub.aclose()
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        await client.aclose()
