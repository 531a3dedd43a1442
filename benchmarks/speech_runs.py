"""Run the speech tests N times in a row and report the spread of every WER/CER they measure.

Usage (docs/media.md, "Ten runs in a row")::

    TEST_DATABASE_URL=... TEST_REDIS_URL=... taskset -c 1 \\
        .venv/bin/python -m benchmarks.speech_runs --runs 10 --out .arena/speech_runs.json

Each run is one ``pytest -q -s`` process over :data:`TESTS` with ``ARENA_SPEECH_METRICS=1``, so
``tests/media/media_helpers.wer``/``cer`` print ``SPEECH_METRIC <file>:<line> <wer|cer>=<value>``
for each figure a test computes (besides the named ``SPEECH_METRIC`` lines some tests print).
Each run's whole output is kept beside ``--out`` (``<stem>.run<N>.log``). Output (JSON, also printed as a table): per run its wall time (s), pass/fail/skip counts and the
failed test ids; per metric (``file:line kind`` or the test's own name) the values of every run,
min / median / max. A metric computed several times in one run (a loop in the test) keeps each value.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

TESTS = ["tests/media", "tests/test_media_e2e.py", "tests/test_media_sidecars.py",
         "tests/test_cli_and_docs.py::test_transcribe_and_expression_cli"]
_METRIC = re.compile(r"SPEECH_METRIC (.*)$")
_COUNTS = re.compile(r"(\d+) (passed|failed|skipped|error|errors)")
_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.M)


def parse(out: str) -> tuple[dict[str, list[float]], dict[str, int], list[str]]:
    """``(metrics, counts, failed ids)`` from one pytest run's output."""
    metrics: dict[str, list[float]] = {}
    for line in out.splitlines():
        m = _METRIC.search(line)
        if not m:
            continue
        rest = m.group(1)
        if "=" in rest.split()[0]:                 # named lines: "ko_e2e_cer=0.524 text=..."
            pairs = [p for p in rest.split() if re.fullmatch(r"\w+=[0-9.]+", p)]
            for p in pairs:
                k, v = p.split("=")
                metrics.setdefault(k, []).append(float(v))
        else:                                       # "file.py:123 wer=0.083"
            where, kv = rest.split()[:2]
            k, v = kv.split("=")
            metrics.setdefault(f"{where} {k}", []).append(float(v))
    tails = [ln for ln in out.splitlines() if re.search(r"\d+ (passed|failed)", ln) and " in " in ln]
    tail = tails[-1] if tails else ""
    counts = {"error" if k.startswith("error") else k: int(n) for n, k in _COUNTS.findall(tail)}
    return metrics, counts, _FAILED.findall(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--out", type=Path, default=Path(".arena/speech_runs.json"))
    ap.add_argument("--deadline", type=float, default=0.0, help="epoch s: start no run after it")
    ap.add_argument("tests", nargs="*", default=TESTS)
    a = ap.parse_args(argv)
    env = {**os.environ, "ARENA_SPEECH_METRICS": "1"}
    runs: list[dict] = []
    a.out.parent.mkdir(parents=True, exist_ok=True)
    for i in range(a.runs):
        if a.deadline and time.time() > a.deadline:
            break
        t0 = time.time()
        p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", *a.tests],
                           env=env, capture_output=True, text=True)
        out = p.stdout + p.stderr
        (a.out.parent / f"{a.out.stem}.run{i + 1}.log").write_text(out)
        metrics, counts, failed = parse(out)
        runs.append({"run": i + 1, "started": time.strftime("%H:%M:%S", time.gmtime(t0)),
                     "wall_s": round(time.time() - t0, 1), "loadavg": round(os.getloadavg()[0], 1),
                     "rc": p.returncode, "counts": counts, "failed": failed, "metrics": metrics})
        print(json.dumps({k: v for k, v in runs[-1].items() if k != "metrics"}), flush=True)
        a.out.write_text(json.dumps({"tests": a.tests, "runs": runs, "summary": summary(runs)}, indent=1))
    s = summary(runs)
    for k, v in s["metrics"].items():
        print(f"{k:55s} n={v['n']:3d} min={v['min']:.3f} median={v['median']:.3f} max={v['max']:.3f}")
    print(json.dumps({k: v for k, v in s.items() if k != "metrics"}))
    return 0


def summary(runs: list[dict]) -> dict:
    """Spread over the runs: per metric n / min / median / max; passes per run."""
    allm: dict[str, list[float]] = {}
    for r in runs:
        for k, vs in r["metrics"].items():
            allm.setdefault(k, []).extend(vs)
    return {"runs": len(runs), "passed": [r["counts"].get("passed", 0) for r in runs],
            "failed": [r["counts"].get("failed", 0) + r["counts"].get("error", 0) for r in runs],
            "runs_all_green": sum(1 for r in runs if r["rc"] == 0),
            "metrics": {k: {"n": len(v), "min": min(v), "median": statistics.median(v), "max": max(v)}
                        for k, v in sorted(allm.items())}}


if __name__ == "__main__":
    raise SystemExit(main())
