"""Media benchmark: real-time capacity of one core, end-of-speech -> final latency, memory.

Run: ``.venv/bin/python -m server.media.bench`` (needs espeak-ng + sox for the test
speech, or ``--wav FILE`` with a 16 kHz speech recording).

What it measures, all with ``cpu_threads=1`` (one core) unless ``--threads``:

* **speaker RTF**: CPU seconds spent by one :class:`StreamingTranscriber`
  (VAD + partials every 0.6 s + beam-5 finals with word timestamps) per second
  of talk. ``1 / RTF`` is the number of speakers one core keeps up with.
* **N speakers interleaved**: N streams fed 100 ms chunks round-robin on one
  thread with a simulated clock (a chunk cannot be processed before it was
  spoken; the clock advances by the *CPU time* each feed used, so other load on
  a shared machine does not count; nothing sleeps). The largest N whose lag
  stays under 2 s, with 95% of finals within 2.5 s of the end of speech, is the
  real-time capacity (one beam-5 final alone costs ~0.8 s of CPU, so a lag
  under 1 s is not reachable even for one speaker).
* **final latency**: end of speech (last voiced VAD window) -> final transcript
  on that clock = the 700 ms VAD hang-over + queueing + decode time (ms).
* **partial decode** and **first partial** after speech onset (ms).
* **memory**: RSS after loading the models and peak RSS (MiB).
* **expression**: ms per video frame (Haar + FER model) and **prosody** ms per
  audio second.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

SR = 16000
#: A speaker count "keeps up" when no chunk waits longer than this (s) ...
MAX_LAG_S = 2.0
#: ... and 95% of finals arrive within this long after the end of speech (ms).
MAX_FINAL_P95_MS = 2500.0
TALK = [
    "My biggest strength is that I stay calm under pressure and keep the whole team focused on the customer.",
    "First I measured the latency, then I added a cache and the median response time dropped from 200 to 40 "
    "milliseconds.",
    "I led a team of five engineers that moved our payment service to Kubernetes, which cut deployment time in "
    "half.",
    "When two teams disagreed about the design, I wrote down the trade-offs and we picked the simpler option.",
]
#: ``--language ko``: the same kind of answer in Korean (espeak-ng ``ko`` voice, 170 wpm).
TALK_KO = [
    "안녕하세요. 저는 결제 시스템의 장애를 줄이기 위해 모니터링을 개선했습니다.",
    "먼저 지연 시간을 측정하고 캐시를 추가해서 응답 시간을 절반으로 줄였습니다.",
    "두 팀의 의견이 달랐을 때 장단점을 정리해서 더 단순한 방법을 골랐습니다.",
]


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_talk(seconds: float, wav: str | None = None, language: str = "en") -> np.ndarray:
    """About ``seconds`` s of 16 kHz speech (:data:`TALK`, or :data:`TALK_KO` for ``"ko"``):
    sentences with 0.8-1.6 s gaps, float32 ``(n,)``."""
    from .audio import load_audio_16k

    rng = np.random.default_rng(7)
    if wav:
        clips = [load_audio_16k(wav)]
    else:
        if not (shutil.which("espeak-ng") and shutil.which("sox")):
            raise SystemExit("espeak-ng and sox are needed (apt-get install -y espeak-ng sox), or pass --wav")
        clips = []
        with tempfile.TemporaryDirectory() as d:
            voice, speed = ("ko", "170") if language == "ko" else ("en-us", "160")
            for i, s in enumerate(TALK_KO if language == "ko" else TALK):
                raw, out = Path(d) / f"{i}.raw.wav", Path(d) / f"{i}.wav"
                subprocess.run(["espeak-ng", "-v", voice, "-s", speed, "-w", str(raw), s], check=True)
                subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)], check=True)
                clips.append(load_audio_16k(out))
    parts, total, i = [np.zeros(int(0.5 * SR), np.float32)], 0.5, 0
    while total < seconds:
        c = clips[i % len(clips)]
        gap = np.zeros(int(rng.uniform(0.8, 1.6) * SR), np.float32)
        parts += [c, gap]
        total += (c.size + gap.size) / SR
        i += 1
    return np.concatenate(parts)


def run_streams(transcriber, audios: list[np.ndarray], chunk_s: float = 0.1, **stream_options) -> dict:
    """Feed N streams round-robin with a simulated clock; return lag, latencies and CPU time."""
    from .stt import StreamingTranscriber

    streams = [StreamingTranscriber(transcriber, **stream_options) for _ in audios]
    chunk = int(chunk_s * SR)
    n = max(a.size for a in audios)
    clock = cpu = 0.0
    max_lag = 0.0
    final_lat, partial_ms, first_partial = [], [], []
    onset_seen = [dict() for _ in audios]
    for off in range(0, n, chunk):
        arrival = min(off + chunk, n) / SR
        clock = max(clock, arrival)
        for k, (st, a) in enumerate(zip(streams, audios)):
            piece = a[off:off + chunk]
            if not piece.size:
                continue
            t0 = time.process_time()  # CPU time of the whole process (model threads included)
            events = st.feed(piece)
            dt = time.process_time() - t0
            clock += dt
            cpu += dt
            for e in events:
                if e.kind == "final":
                    # speech end = utterance end minus the post-roll kept after the last voiced window
                    speech_end = e.end - st.post_roll / SR
                    final_lat.append((clock - speech_end) * 1000)
                elif e.kind == "partial":
                    partial_ms.append(e.compute_ms)
                    if e.utterance not in onset_seen[k]:
                        onset_seen[k][e.utterance] = True
                        onset = e.start + st.pre_roll / SR
                        first_partial.append((clock - onset) * 1000)
        max_lag = max(max_lag, clock - arrival)
    audio_s = sum(a.size for a in audios) / SR
    pct = lambda xs, q: float(np.percentile(xs, q)) if xs else None  # noqa: E731
    return {
        "speakers": len(audios),
        "audio_s": round(audio_s, 1),
        "cpu_s": round(cpu, 2),
        "rtf": round(cpu / audio_s, 3),
        "max_lag_s": round(max_lag, 2),
        "final_latency_ms_p50": round(pct(final_lat, 50), 0) if final_lat else None,
        "final_latency_ms_p95": round(pct(final_lat, 95), 0) if final_lat else None,
        "first_partial_ms_p50": round(pct(first_partial, 50), 0) if first_partial else None,
        "partial_decode_wall_ms_p50": round(pct(partial_ms, 50), 0) if partial_ms else None,
        "partial_decode_wall_ms_p95": round(pct(partial_ms, 95), 0) if partial_ms else None,
        "finals": len(final_lat),
    }


def bench(seconds: float = 40.0, threads: int = 1, wav: str | None = None, max_speakers: int = 8,
          partial_interval_s: float = 0.6, language: str = "en") -> dict:
    from . import prosody
    from .models import model_dir_for
    from .stt import Transcriber

    out: dict = {"language": language, "cpu_threads": threads, "cpu_count": os.cpu_count(), "partial_interval_s": partial_interval_s,
                 "short_context_finals": os.environ.get("ARENA_STT_SHORT_CONTEXT") == "1",
                 "loadavg_start": round(os.getloadavg()[0], 2)}
    base = rss_mib()
    t0 = time.perf_counter()
    tr = Transcriber(model_dir_for(language), cpu_threads=threads, language=language)
    out["model_dir"] = tr.model_dir
    out["model_load_s"] = round(time.perf_counter() - t0, 2)
    warm = prosody.warmup()
    out["numba_warmup_s"] = round(warm, 2)
    talk = make_talk(seconds, wav, language)
    tr.transcribe(talk[: 5 * SR])  # first-call allocations
    out["rss_after_load_mib"] = round(rss_mib(), 0)
    out["rss_models_mib"] = round(rss_mib() - base, 0)

    single = run_streams(tr, [talk], partial_interval_s=partial_interval_s)
    out["one_speaker"] = single
    est = int(1.0 / single["rtf"]) if single["rtf"] > 0 else 1
    rng = np.random.default_rng(3)
    capacity, trials = 0, []
    for n in sorted({max(1, est - 1), max(1, est), est + 1}):
        if n > max_speakers:
            break
        audios = [np.roll(talk, int(rng.uniform(0, talk.size))) for _ in range(n)]  # speakers out of phase
        r = run_streams(tr, audios, partial_interval_s=partial_interval_s)
        trials.append(r)
        if r["max_lag_s"] < MAX_LAG_S and (r["final_latency_ms_p95"] or 0) < MAX_FINAL_P95_MS:
            capacity = max(capacity, n)
    out["interleaved"] = trials
    out["speakers_per_core_realtime"] = capacity

    t1 = time.process_time()
    prosody.analyse(talk[: 10 * SR])
    out["prosody_cpu_ms_per_audio_s"] = round((time.process_time() - t1) * 1000 / 10, 1)
    try:
        from .expression import ExpressionAnalyzer

        import cv2

        an = ExpressionAnalyzer(backend="fer")
        try:
            import skimage.data

            img = skimage.data.astronaut()[:, :, ::-1]
        except ImportError:
            img = np.zeros((480, 640, 3), np.uint8)
        img = cv2.resize(np.ascontiguousarray(img), (640, 640))[80:560]  # a 640x480 video frame
        an.analyse(img)
        t2 = time.process_time()
        for _ in range(20):
            res = an.analyse(img)
        out["expression_cpu_ms_per_frame"] = round((time.process_time() - t2) * 1000 / 20, 1)
        out["expression_faces"] = len(res["faces"])
    except Exception as e:  # noqa: BLE001 - expression is optional
        out["expression_error"] = str(e)
    out["peak_rss_mib"] = round(peak_rss_mib(), 0)
    out["loadavg_end"] = round(os.getloadavg()[0], 2)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m server.media.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=40.0, help="talk length per speaker (s)")
    ap.add_argument("--threads", type=int, default=1, help="CTranslate2 cpu_threads (1 = one core)")
    ap.add_argument("--wav", default=None, help="use this speech recording instead of espeak-ng")
    ap.add_argument("--max-speakers", type=int, default=8)
    ap.add_argument("--partial-interval", type=float, default=0.6, help="s of new speech between partials")
    ap.add_argument("--language", choices=["en", "ko"], default="en",
                    help="room language: en = tiny.en, ko = the Korean rooms' multilingual model")
    ap.add_argument("--sidecars", default=None,
                    help="e.g. 1,2: capacity of that many sidecar processes on the wall clock (bench_sidecars.py)")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.sidecars:
        from .bench_sidecars import main as sidecars_main

        return sidecars_main(["--sidecars", args.sidecars, "--seconds", str(args.seconds), "--language",
                              args.language, "--partial-interval", str(args.partial_interval)])
    res = bench(args.seconds, args.threads, args.wav, args.max_speakers, args.partial_interval, args.language)
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
