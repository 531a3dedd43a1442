"""Helpers for the media tests: real speech from espeak-ng + sox, WER, prerequisite checks.

Missing system tools or Python packages skip these tests with a reason; set
``ARENA_REQUIRE_MEDIA=1`` (CI should) to turn every such skip into a failure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REQUIRE = os.environ.get("ARENA_REQUIRE_MEDIA") == "1"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

#: Sentences spoken by espeak-ng for the WER tests (interview-like answers).
SENTENCES = {
    # tiny.en on espeak-ng speech is fragile on some phrases ("I led a team of four" comes out
    # as "I land a team of foreign" or "I land a demon for"), and int8 CTranslate2 results can
    # differ slightly between processes. Single-sentence checks use "strength" (WER 0.00-0.05
    # at every VAD cut we tried); "team" (0.10-0.20) only counts in the corpus WER.
    "team": "I led a team of five engineers that moved our payment service to Kubernetes, "
            "which cut deployment time in half.",
    "cache": "First I measured the latency, then I added a cache and the median response time "
             "dropped from 200 to 40 milliseconds.",
    "strength": "My biggest strength is that I stay calm under pressure and keep the whole team "
                "focused on the customer.",
}


#: Korean phrases espeak-ng's ``ko`` voice says clearly enough at 170 wpm for Whisper base
#: (longer sentences come out garbled even to a human listener: espeak-ng Korean is a rough
#: formant voice, so these test the Korean route, not accuracy on real speech).
KO_SENTENCES = ["안녕하세요. 감사합니다.", "네, 좋습니다.", "데이터 베이스"]


def need(ok: bool, reason: str) -> None:
    """Skip (or fail under ARENA_REQUIRE_MEDIA=1) when a prerequisite is missing."""
    if ok:
        return
    if REQUIRE:
        pytest.fail(f"media prerequisite missing: {reason}")
    pytest.skip(reason)


def need_modules(*names: str) -> None:
    missing = [n for n in names if importlib.util.find_spec(n) is None]
    need(not missing, f"python packages missing: {', '.join(missing)} (pip install -r requirements/media.txt)")


def speak(text: str, out: Path, *, speed: int = 160, pad_before: float = 0.0, pad_after: float = 0.0,
          rate: int = 16000, voice: str = "en-us") -> Path:
    """espeak-ng (``voice``, ``speed`` wpm) -> sox: ``rate`` Hz mono 16-bit WAV, with optional
    silence padding (s)."""
    need(shutil.which("espeak-ng") is not None and shutil.which("sox") is not None,
         "espeak-ng and sox are required (apt-get install -y espeak-ng sox)")
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    cmd = ["sox", "-R", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(out)]
    if pad_before or pad_after:
        cmd += ["pad", str(pad_before), str(pad_after)]
    subprocess.run(cmd, check=True)
    raw.unlink()
    return out


def _report(kind: str, value: float) -> float:
    """With ``ARENA_SPEECH_METRICS=1``, print ``SPEECH_METRIC <test file>:<line> <kind>=<value>`` for
    every WER/CER a test computes (the caller's line), so a loop over the suite (``pytest -s``) can
    take the spread of each (docs/media.md, "Ten runs in a row")."""
    if os.environ.get("ARENA_SPEECH_METRICS") == "1":
        import inspect

        f = inspect.stack()[2]
        print(f"SPEECH_METRIC {Path(f.filename).name}:{f.lineno} {kind}={value:.3f}", flush=True)
    return value


def wer(reference: str | list[str], hypothesis: str | list[str]) -> float:
    """Word error rate after lower-casing and stripping punctuation (jiwer); lists give corpus WER."""
    need_modules("jiwer")
    import re

    import jiwer

    def norm(s: str) -> str:
        s = s.lower().replace("-", " ")
        s = re.sub(r"[^a-z0-9' ]+", " ", s)
        return " ".join(s.split())

    if isinstance(reference, list):
        return _report("wer", jiwer.wer([norm(r) for r in reference], [norm(h) for h in hypothesis]))
    return _report("wer", jiwer.wer(norm(reference), norm(hypothesis)))


def cer(reference: str | list[str], hypothesis: str | list[str]) -> float:
    """Character error rate ignoring spaces and punctuation (Korean word spacing varies); lists give
    corpus CER."""
    need_modules("jiwer")
    import re

    import jiwer

    def norm(s: str) -> str:
        return re.sub(r"[\W_]+", "", s.lower())

    if isinstance(reference, list):
        return _report("cer", jiwer.cer([norm(r) for r in reference], [norm(h) for h in hypothesis]))
    return _report("cer", jiwer.cer(norm(reference), norm(hypothesis)))
