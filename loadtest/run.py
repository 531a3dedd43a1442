"""``make loadtest``: start a server on 127.0.0.1, run Locust headless (bounded), print the figures.

Usage: ``python -m loadtest.run [--users 50] [--spawn-rate 10] [--run-time 60] [--port 8099]``.
The server uses ``REDIS_URL``/``DATABASE_URL`` when set, else the local services
on 127.0.0.1; ``ARENA_TIME_SCALE`` defaults to 0.2 so matches finish within the run.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def wait_ready(url: str, timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server at {url} did not become ready")


def metric(text: str, name: str) -> list[tuple[str, float]]:
    return [(m.group(1), float(m.group(2))) for m in re.finditer(rf"^{name}(\{{[^}}]*\}})? ([0-9.e+-]+)$", text, re.M)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--spawn-rate", type=float, default=10)
    ap.add_argument("--run-time", type=int, default=60, help="seconds")
    ap.add_argument("--port", type=int, default=8099)
    a = ap.parse_args()
    url = f"http://127.0.0.1:{a.port}"
    env = {**os.environ, "ARENA_TIME_SCALE": os.environ.get("ARENA_TIME_SCALE", "0.2"), "ARENA_LOG_LEVEL": "warning",
           "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
           "DATABASE_URL": os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
           "ARENA_KEY_PREFIX": "loadtest:"}
    bin_dir = Path(sys.executable).parent
    server = subprocess.Popen([str(bin_dir / "arena"), "serve", "--port", str(a.port)], env=env)
    out = Path(tempfile.mkdtemp(prefix="arena-lt-"))
    try:
        wait_ready(url)
        with urllib.request.urlopen(f"{url}/metrics", timeout=5) as r:      # CPU of the start-up (model loading)
            cpu_at_start = dict(metric(r.read().decode(), "process_cpu_seconds_total")).get(None, 0.0)
        t0 = time.time()
        subprocess.run([str(bin_dir / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
                        "-u", str(a.users), "-r", str(a.spawn_rate), "-t", f"{a.run_time}s", "--host", url,
                        "--csv", str(out / "lt"), "--only-summary", "--stop-timeout", "10"],
                       env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
                       timeout=a.run_time + 120, check=False)
        with urllib.request.urlopen(f"{url}/metrics", timeout=5) as r:
            metrics_text = r.read().decode()
        wall = time.time() - t0
    finally:
        server.terminate()
        server.wait(timeout=20)
    rows = list(csv.DictReader(open(out / "lt_stats.csv")))
    print(f"\nload test: {a.users} users, {a.run_time} s, server {url} (wall {wall:.0f} s)")
    print(f"{'type':<6} {'name':<28} {'count':>7} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for r in rows:
        if r["Name"] == "Aggregated":
            continue
        print(f"{r['Type']:<6} {r['Name'][:28]:<28} {r['Request Count']:>7} {r['Failure Count']:>5} "
              f"{r['50%']:>7} {r['95%']:>7} {r['99%']:>7}")
    count = dict(metric(metrics_text, "arena_tick_duration_seconds_count")).get(None, 0)
    total = dict(metric(metrics_text, "arena_tick_duration_seconds_sum")).get(None, 0)
    if count:
        print(f"room ticks: {int(count)}, mean tick+flush {1000 * total / count:.3f} ms")
    jobs = metric(metrics_text, "arena_jobs_total")
    if jobs:
        by_runner = {r: int(sum(v for labels, v in jobs if 'runner="%s"' % r in labels)) for r in ("worker", "inline")}
        print(f"room jobs: in workers {by_runner['worker']}, inline {by_runner['inline']}")
    cpu = dict(metric(metrics_text, "process_cpu_seconds_total")).get(None)
    if cpu is not None:
        cpu -= cpu_at_start
        print(f"game process CPU during the run: {cpu:.1f} s ({100 * cpu / wall:.0f}% of one core)")
    out_events = sum(v for _, v in metric(metrics_text, "arena_events_out_total"))
    print(f"room events broadcast: {int(out_events)}; matches finished: "
          f"{int(sum(v for _, v in metric(metrics_text, 'arena_matches_finished_total')))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
