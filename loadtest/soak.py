"""``make soak``: a bounded soak of one game process, recording the RSS slope and the p99 over time.

Starts ``arena serve`` pinned to CPU 0 and drives it from CPU 1 with the ``make bench-load`` driver and
workload (rooms of 5 humans + 2 AI, 10 questions, 20 s answers, a draft a second; a room whose match
ends re-forms and plays again), for ``--minutes`` (default 15) at ``--players`` (default 500). Every
``--interval`` seconds it records the server's RSS and CPU and the p50/p99 of our own draft echoed as
``answer_stream``; at the end it prints the series, the RSS slope (least squares, MB per minute, over
the whole run and over its second half), and fails (exit 1) when the driver saw errors or
disconnects, or the second half's slope is above ``--max-slope`` MB/min.

It needs the whole machine; it is not part of ``make test``. Usage: ``python -m loadtest.soak
[--players 500] [--minutes 15] [--interval 30] [--max-slope 2]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .bench_load import drive, free_port, port_free, start_arena, stop, tree, wait_ready  # noqa: F401


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (x, y); None with fewer than 2 points."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--players", type=int, default=500)
    ap.add_argument("--minutes", type=float, default=15)
    ap.add_argument("--interval", type=float, default=30, help="s between samples")
    ap.add_argument("--warmup", type=float, default=10)
    ap.add_argument("--stagger", type=float, default=60)
    ap.add_argument("--ramp", type=float, default=200)
    ap.add_argument("--compression", choices=("off", "on"), default=None)
    ap.add_argument("--scorer", choices=("competitive", "rubric"), default=None)
    ap.add_argument("--max-slope", type=float, default=2.0, help="MB/min allowed over the second half")
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    a.window = a.minutes * 60
    port = free_port()
    proc = start_arena(port, "0", a.compression, a.scorer)
    base = f"http://127.0.0.1:{port}"
    print(f"soak: {a.players} players for {a.minutes:g} min, a sample every {a.interval:g} s", flush=True)
    print(f"{'t (s)':>7} {'RSS MB':>8} {'CPU %':>6} {'drafts':>7} {'p50 ms':>7} {'p99 ms':>8} {'deliveries/s':>13}",
          flush=True)
    last = {"t": 0.0, "cpu": None}

    def show(m: dict) -> None:
        cpu = m.get("cpu_s")
        pct = (100 * (cpu - last["cpu"]) / (m["t"] - last["t"])) if last["cpu"] is not None and cpu else None
        last.update(t=m["t"], cpu=cpu)
        m["cpu_pct"] = pct
        f = lambda v, s: "n/a" if v is None else format(v, s)   # noqa: E731
        print(f"{m['t']:>7.0f} {f(m.get('rss_mb'), '8.1f')} {f(pct, '6.0f')} {m['n']:>7} {f(m['p50_ms'], '7.1f')} "
              f"{f(m['p99_ms'], '8.1f')} {m['deliveries'] / a.interval:>13.0f}", flush=True)

    try:
        wait_ready(base, "/readyz", 180, proc)
        time.sleep(3)
        run = drive(base, a.players, a, lambda: [proc.pid], "1", interval_s=a.interval, on_interval=show)
    finally:
        stop(proc)
    r = run.result
    pts = [(m["t"] / 60, m["rss_mb"]) for m in run.intervals if m.get("rss_mb") is not None]
    whole, half = slope(pts), slope(pts[len(pts) // 2:])
    p99s = sorted(m["p99_ms"] for m in run.intervals if m["p99_ms"] is not None)
    print(f"\nRSS: idle {run.rss_idle / 2**20:.0f} MB, end {run.rss_load / 2**20:.0f} MB; slope "
          f"{whole if whole is None else round(whole, 2)} MB/min over the run, "
          f"{half if half is None else round(half, 2)} MB/min over its second half")
    print(f"p99 own draft echo: whole run {r['p99_ms']:.1f} ms (p50 {r['p50_ms']:.1f} ms, {r['samples']} drafts); "
          f"per-interval p99 median {p99s[len(p99s) // 2] if p99s else float('nan'):.1f} ms, worst {p99s[-1] if p99s else float('nan'):.1f} ms")
    print(f"matches completed {r['matches_completed']}, disconnects {r['disconnects']}, errors {r['errors']}")
    if a.json:
        Path(a.json).write_text(json.dumps({"result": r, "intervals": run.intervals, "rss_idle": run.rss_idle,
                                            "rss_end": run.rss_load, "slope": whole, "slope_half": half}, indent=1))
    ok = not r["errors"] and not r["disconnects"] and (half is None or half <= a.max_slope)
    print("soak: PASS" if ok else "soak: FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
