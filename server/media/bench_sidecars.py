"""Capacity with more sidecar processes: concurrent speech streams transcribed in real time by 1, 2, ... processes.

Run: ``.venv/bin/python -m server.media.bench --sidecars 1,2`` (or ``python -m server.media.bench_sidecars``).

Unlike the one-core figure of :mod:`server.media.bench` (a simulated clock advanced by CPU time),
this one runs on the **wall clock**, because the question is what several processes get out of the
machine together. Each of P processes is one sidecar's STT worker: a
:class:`~server.media.stt.StreamingTranscriber` (VAD, partials every 0.6 s, beam-5 finals) per
speaker on one Whisper model with ``cpu_threads=1``, fed K speakers of
:func:`server.media.bench.make_talk` speech in 100 ms chunks, all processes starting together.

* **throughput** (default): the chunks are fed as fast as the process goes. Real-time streams =
  seconds of speech transcribed (all processes) / wall seconds (the slowest process): how many
  speakers the P processes keep up with together. Trials alternate P (1, 2, 1, 2, ...) so load
  from other jobs on a shared machine hits both alike; compare the medians of one run (the ratio).
* Each process calls ``setsid()``: with the kernel's autogroup scheduling (on by default), CPU is
  shared per *session*, so on a busy machine processes of one session split one share however many
  there are; separately started sidecars (systemd units, containers, hosts) each get their own.
* ``--paced``: chunks are fed at real-time pace, and a speaker count keeps up with the one-core
  bench's rule (no chunk more than 2 s late, 95% of finals within 2.5 s of the end of speech);
  capacity(P) = P x the largest K that keeps up. Needs a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import tempfile
import time

import numpy as np

from .bench import MAX_FINAL_P95_MS, MAX_LAG_S, SR, make_talk


def _process(job: tuple) -> dict:
    """One sidecar process: K speakers at real-time pace from ``start_at`` (epoch s). Runs in a child."""
    talk_path, speakers, language, partial_interval_s, seed, start_at, paced = job
    try:  # its own session, as a separately started sidecar: the kernel's autogroup scheduler (on by
        os.setsid()  # default) shares CPU per session, so children of one session would split one share
    except OSError:
        pass
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from .models import model_dir_for
    from .stt import StreamingTranscriber, Transcriber

    tr = Transcriber(model_dir_for(language), cpu_threads=1, language=language)
    talk = np.load(talk_path)
    tr.transcribe(talk[: 5 * SR])                                    # first-call allocations
    rng = np.random.default_rng(seed)
    audios = [np.roll(talk, int(rng.uniform(0, talk.size))) for _ in range(speakers)]
    streams = [StreamingTranscriber(tr, partial_interval_s=partial_interval_s) for _ in audios]
    chunk = SR // 10
    while time.time() < start_at:
        time.sleep(0.01)
    t0 = time.monotonic()
    cpu0 = time.process_time()
    max_lag, final_lat = 0.0, []
    for off in range(0, talk.size, chunk):
        arrival = (off + chunk) / SR
        wait = arrival - (time.monotonic() - t0)
        if paced and wait > 0:
            time.sleep(wait)
        max_lag = max(max_lag, time.monotonic() - t0 - arrival)
        for st, a in zip(streams, audios):
            for e in st.feed(a[off:off + chunk]):
                if e.kind == "final":
                    final_lat.append((time.monotonic() - t0 - (e.end - st.post_roll / SR)) * 1000)
    wall = time.monotonic() - t0
    p95 = float(np.percentile(final_lat, 95)) if final_lat else None
    return {"speakers": speakers, "audio_s": round(talk.size / SR * speakers, 1), "max_lag_s": round(max_lag, 2), "finals": len(final_lat),
            "final_latency_ms_p50": round(float(np.percentile(final_lat, 50))) if final_lat else None,
            "final_latency_ms_p95": round(p95) if p95 is not None else None,
            "cpu_s": round(time.process_time() - cpu0, 1), "wall_s": round(wall, 1),
            "kept_up": max_lag < MAX_LAG_S and (p95 or 0.0) < MAX_FINAL_P95_MS}


def trial(processes: int, speakers: int, talk_path: str, language: str = "en",
          partial_interval_s: float = 0.6, paced: bool = True) -> dict:
    """P processes x K speakers each, started together; ``kept_up`` when every process kept up (paced),
    ``realtime_streams`` = speech s / wall s of the slowest process (throughput)."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(processes) as pool:
        start_at = time.time() + 15.0                                # after every child loaded its model
        runs = pool.map(_process, [(talk_path, speakers, language, partial_interval_s, 3 + k, start_at, paced)
                                   for k in range(processes)])
    wall = max(r["wall_s"] for r in runs)
    return {"processes": processes, "speakers_per_process": speakers, "total_speakers": processes * speakers,
            "kept_up": all(r["kept_up"] for r in runs),
            "realtime_streams": round(sum(r["audio_s"] for r in runs) / wall, 2) if wall > 0 else None,
            # what the processes would carry with a free core each: speech s per CPU s, summed
            "cpu_bound_streams": round(sum(r["audio_s"] / r["cpu_s"] for r in runs if r["cpu_s"] > 0), 2),
            "runs": runs, "loadavg": round(os.getloadavg()[0], 2)}


def throughput(process_counts: list[int], seconds: float = 30.0, language: str = "en", speakers: int = 2,
               repeats: int = 2, partial_interval_s: float = 0.6, wav: str | None = None) -> dict:
    """Real-time streams of each process count, trials alternating (1, 2, 1, 2, ...).

    Returns:
        ``{"realtime_streams": {P: median}, "ratio": max P / min P, "trials": [...], ...}``.
    """
    out: dict = {"mode": "throughput", "language": language, "seconds": seconds, "speakers_per_process": speakers,
                 "cpu_count": os.cpu_count(), "loadavg_start": round(os.getloadavg()[0], 2), "trials": []}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "talk.npy")
        np.save(path, make_talk(seconds, wav, language))
        for _ in range(repeats):
            for p in process_counts:
                t = trial(p, speakers, path, language, partial_interval_s, paced=False)
                out["trials"].append(t)
                print(json.dumps({k: v for k, v in t.items() if k != "runs"}), flush=True)
    med = {p: float(np.median([t["realtime_streams"] for t in out["trials"] if t["processes"] == p]))
           for p in process_counts}
    out["realtime_streams"] = med
    out["cpu_bound_streams"] = {p: float(np.median([t["cpu_bound_streams"] for t in out["trials"]
                                                    if t["processes"] == p])) for p in process_counts}
    lo, hi = min(process_counts), max(process_counts)
    out["ratio"] = round(med[hi] / med[lo], 2) if med[lo] else None
    out["loadavg_end"] = round(os.getloadavg()[0], 2)
    return out


def capacity(process_counts: list[int], seconds: float = 30.0, language: str = "en", start: int = 2,
             max_speakers: int = 8, partial_interval_s: float = 0.6, wav: str | None = None) -> dict:
    """For each P: raise K from ``start`` until a trial fails; capacity = P x the last K that kept up.

    Returns:
        ``{"capacity": {P: speakers}, "ratio": capacity(max P) / capacity(min P), "trials": [...], ...}``.
    """
    out: dict = {"mode": "paced", "language": language, "seconds": seconds, "cpu_count": os.cpu_count(),
                 "loadavg_start": round(os.getloadavg()[0], 2), "partial_interval_s": partial_interval_s,
                 "trials": [], "capacity": {}}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "talk.npy")
        np.save(path, make_talk(seconds, wav, language))
        for p in process_counts:
            best, k = 0, start
            while k <= max_speakers:
                t = trial(p, k, path, language, partial_interval_s, paced=True)
                out["trials"].append(t)
                print(json.dumps({k_: v for k_, v in t.items() if k_ != "runs"}), flush=True)
                if not t["kept_up"]:
                    if k == start and start > 1:                     # even the first count failed: go down
                        start, k = start - 1, start - 1
                        continue
                    break
                best, k = k, k + 1
            out["capacity"][p] = p * best
    lo, hi = min(process_counts), max(process_counts)
    out["ratio"] = round(out["capacity"][hi] / out["capacity"][lo], 2) if out["capacity"][lo] else None
    out["loadavg_end"] = round(os.getloadavg()[0], 2)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m server.media.bench_sidecars", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sidecars", default="1,2", help="process counts to compare, comma-separated")
    ap.add_argument("--seconds", type=float, default=30.0, help="talk length per speaker (s)")
    ap.add_argument("--language", choices=["en", "ko"], default="en")
    ap.add_argument("--start-speakers", type=int, default=2)
    ap.add_argument("--max-speakers", type=int, default=8)
    ap.add_argument("--partial-interval", type=float, default=0.6)
    ap.add_argument("--wav", default=None)
    ap.add_argument("--paced", action="store_true", help="real-time pace and the keeps-up rule (quiet machine)")
    ap.add_argument("--speakers", type=int, default=2, help="throughput: speakers per process")
    ap.add_argument("--repeats", type=int, default=2, help="throughput: trials per process count")
    a = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    counts = [int(x) for x in a.sidecars.split(",")]
    if a.paced:
        res = capacity(counts, a.seconds, a.language, a.start_speakers, a.max_speakers, a.partial_interval, a.wav)
    else:
        res = throughput(counts, a.seconds, a.language, a.speakers, a.repeats, a.partial_interval, a.wav)
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
