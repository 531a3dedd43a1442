"""``make bench-load``: the single-process load benchmark of issue 11, and its baseline, in one run.

For each player count: start ``arena serve`` pinned to CPU 0 (``taskset``), let it go idle, read its RSS,
run the Node driver (``loadtest/driver.mjs``, the official ``socket.io-client``) pinned to CPU 1, and read
the server's CPU time over the driver's measurement window; then the same against the raw
python-socketio server (``loadtest/raw_server.py``). Prints the table:

players | rooms | p99 own draft echoed as ``answer_stream`` | server CPU | CPU µs per delivered event |
raw python-socketio µs | ratio (raw µs / arena µs) | memory per connection above idle (RSS, arena / raw)

It needs the whole machine (two cores) and takes about 3 minutes per player count; it is not part of
``make test`` (``tests/test_bench_load.py`` runs a 20-player, 5-second smoke of it). Everything runs on
127.0.0.1; the servers are stopped at the end, and every step is bounded in time.

Usage: ``python -m loadtest.bench_load [--players 500,1000,2000] [--window 60] [--warmup 10]
[--compression off|on] [--no-raw] [--base URL] [--cluster N [--node-cpus 0,1] [--driver-cpu 2]]``
(``--base``: drive a server already running, e.g. a load balancer in front of a cluster; CPU and memory
then come from ``--server-pids`` if given; ``--cluster N``: start N game processes behind HAProxy with
``server.cluster_run``, node i pinned to the i-th of ``--node-cpus``, and drive them through it: the
"N processes hold more players at the same p99" measurement, which needs N + 1 free cores at least;
``docs/performance.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .procs import _pin, cpu_seconds, free_port, free_port_run, port_free, rss_bytes, stop, tree, wait_ready  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
DRIVER = ROOT / "loadtest" / "driver.mjs"


def _log(kind: str, port: int):
    """The server's stderr goes to a file (its errors under load would drown the table)."""
    path = Path(tempfile.gettempdir()) / f"bench-load-{kind}-{port}.log"
    print(f"  {kind} server log: {path}", file=sys.stderr, flush=True)
    return open(path, "w")


def start_arena(port: int, cpu: str | None, compression: str | None, scorer: str | None = None) -> subprocess.Popen:
    """``arena serve`` on 127.0.0.1:``port`` with its own Redis key prefix (``proc.key_prefix``; deleted by
    :func:`stop`), no media sidecar, time scale 1, and no room restore (each run starts empty)."""
    prefix = f"bench:{uuid.uuid4().hex[:6]}:"
    env = {**os.environ, "ARENA_MEDIA": "0", "ARENA_LOG_LEVEL": "warning", "ARENA_RESTORE_ROOMS": "0",
           "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
           "DATABASE_URL": os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
           "ARENA_KEY_PREFIX": prefix, "ARENA_TIME_SCALE": "1"}
    if compression is not None:
        env["ARENA_WS_COMPRESSION"] = compression
    if scorer is not None:
        env["ARENA_SCORER"] = scorer
    arena = Path(sys.executable).parent / "arena"
    proc = subprocess.Popen([*_pin(cpu), str(arena), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=_log("arena", port), start_new_session=True)
    proc.key_prefix, proc.redis_url = prefix, env["REDIS_URL"]
    return proc


def start_cluster(port: int, a: argparse.Namespace) -> subprocess.Popen:
    """``server.cluster_run``: ``a.cluster`` nodes (``arena serve``, ARENA_CLUSTER=1, ports ``port+1``…, node i
    pinned to ``a.node_cpus[i]``) behind HAProxy on ``port``, with this run's key prefix, no media, time
    scale 1. ``proc.node_pids()`` gives the nodes' pids once the balancer is up."""
    prefix = f"bench:{uuid.uuid4().hex[:6]}:"
    env = {**os.environ, "ARENA_MEDIA": "0", "ARENA_LOG_LEVEL": "warning", "ARENA_KEY_PREFIX": prefix,
           "ARENA_TIME_SCALE": "1", "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
           "DATABASE_URL": os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")}
    if a.compression is not None:
        env["ARENA_WS_COMPRESSION"] = a.compression
    if a.scorer is not None:
        env["ARENA_SCORER"] = a.scorer
    pids_file = Path(tempfile.gettempdir()) / f"bench-load-cluster-{port}.json"
    pids_file.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-m", "server.cluster_run", "--nodes", str(a.cluster), "--port", str(port),
                             "--cpus", a.node_cpus, "--pids-file", str(pids_file)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=_log("cluster", port), start_new_session=True)
    proc.key_prefix, proc.redis_url = prefix, env["REDIS_URL"]
    proc.node_pids = lambda: list(json.loads(pids_file.read_text())["nodes"].values())
    return proc


def measure_cluster(players: int, a: argparse.Namespace, port: int) -> Run:
    """Start the cluster, wait for its balancer, drive it from ``a.driver_cpu``; CPU and memory are the
    nodes' (their own processes, as for one node: not their job workers, not HAProxy)."""
    if not all(port_free(port + i) for i in range(a.cluster + 1)):
        raise RuntimeError(f"ports {port}..{port + a.cluster} are not all free")
    proc = start_cluster(port, a)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, "/readyz", 240, proc)
        time.sleep(a.settle)
        pids = proc.node_pids()
        return drive(base, players, a, lambda: pids, a.driver_cpu)
    finally:
        stop(proc, timeout=60)


def start_raw(port: int, cpu: str | None, compression: str | None, scorer: str | None = None) -> subprocess.Popen:
    on = "1" if compression == "on" else "0"        # the arena's policy (default: off)
    return subprocess.Popen([*_pin(cpu), sys.executable, "-m", "loadtest.raw_server", "--port", str(port),
                             "--compress", on], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=_log("raw", port),
                            start_new_session=True)


# ------------------------------------------------------------------- driver
@dataclass
class Run:
    """One driver run against one server: the driver's result and the server's CPU and memory."""
    result: dict
    cpu_s: float | None = None
    rss_idle: int | None = None
    rss_load: int | None = None
    intervals: list[dict] = field(default_factory=list)

    @property
    def us_per_event(self) -> float | None:
        d = self.result.get("deliveries") or 0
        return 1e6 * self.cpu_s / d if self.cpu_s is not None and d else None

    @property
    def cpu_pct(self) -> float | None:
        return 100 * self.cpu_s / self.result["window_s"] if self.cpu_s is not None else None

    @property
    def kb_per_conn(self) -> float | None:
        if self.rss_idle is None or self.rss_load is None:
            return None
        return (self.rss_load - self.rss_idle) / 1024 / max(1, self.result["players"])


def drive(base: str, players: int, a: argparse.Namespace, pids: callable | None, cpu: str | None,
          interval_s: float = 0, on_interval: callable | None = None) -> Run:
    """Run the driver to the end of its window; sample the server's CPU at the window's edges."""
    cfg = {"base": base, "players": players, "group": 5, "rampPerSec": a.ramp, "staggerSec": a.stagger,
           "warmupSec": a.warmup,
           "windowSec": a.window, "intervalSec": interval_s, "deadlineSec": a.window + a.warmup + a.stagger + 240,
           "allowRemote": bool(getattr(a, "allow_remote", False))}
    if getattr(a, "trace", None):
        cfg["traceFile"] = a.trace
    proc = subprocess.Popen([*_pin(cpu), "node", str(DRIVER), json.dumps(cfg)], stdout=subprocess.PIPE, text=True)
    run = Run(result={})
    cpu0, spy = None, None
    rss_idle = rss_bytes(pids()) if pids else None
    try:
        for line in proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg["type"] == "ready" and msg.get("errors"):
                print(f"  driver: ready with errors {msg['errors']}", file=sys.stderr)
            elif msg["type"] == "window_start" and pids:
                cpu0 = cpu_seconds(pids())
                if getattr(a, "profile", None):
                    spy = profile(pids()[0], a.profile, players, min(30.0, a.window))
            elif msg["type"] == "interval":
                if pids:
                    msg["rss_mb"] = rss_bytes(pids()) / 2**20
                    msg["cpu_s"] = cpu_seconds(pids())
                run.intervals.append(msg)
                if on_interval:
                    on_interval(msg)
            elif msg["type"] == "result":
                if pids and cpu0 is not None:
                    run.cpu_s = cpu_seconds(pids()) - cpu0
                    run.rss_load = rss_bytes(pids())
                    run.rss_idle = rss_idle
                run.result = msg
            elif msg["type"] == "error":
                raise RuntimeError(f"driver: {msg['error']}")
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        if spy is not None:
            spy.wait(timeout=60)
    if not run.result:
        raise RuntimeError(f"driver exited {proc.returncode} without a result")
    return run


def profile(pid: int, out_dir: str, players: int, seconds: float) -> subprocess.Popen:
    """py-spy (``pip install py-spy``) samples the server for ``seconds`` without pausing it
    (``--nonblocking``); writes a collapsed-stack file ``<out_dir>/arena-<players>.txt``.

    Only samples holding the GIL (``--gil``): on a shared core, a thread that was preempted right after
    a syscall (a ``write`` that woke Redis or the driver) still looks busy to py-spy, and without
    ``--gil`` those samples showed a third of the time in ``transport.write``, which is wall-clock
    waiting for the CPU, not this process's CPU. A send releases the GIL, so ``--gil`` drops them."""
    spy = Path(sys.executable).parent / "py-spy"
    out = Path(out_dir) / f"arena-{players}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([str(spy), "record", "--nonblocking", "--gil", "--threads", "-r", "50", "-d", str(int(seconds)),
                             "-f", "raw", "-o", str(out), "-p", str(pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(kind: str, players: int, a: argparse.Namespace, port: int) -> Run:
    """Start a fresh server of ``kind`` (arena / raw) on CPU 0, let it settle, drive it from CPU 1, stop it."""
    start = start_arena if kind == "arena" else start_raw
    if not port_free(port):                   # never drive someone else's server
        raise RuntimeError(f"port {port} is in use")
    proc = start(port, "0", a.compression, a.scorer)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, "/readyz" if kind == "arena" else "/", 180, proc)
        time.sleep(a.settle)                  # start-up work (model warm-up, GC freeze) is over
        return drive(base, players, a, lambda: [proc.pid], a.driver_cpu)   # the game process (all its threads)
    finally:
        stop(proc)


# -------------------------------------------------------------------- table
def fmt(v: float | None, spec: str, unit: str = "") -> str:
    return "n/a" if v is None else f"{v:{spec}}{unit}"


def table(rows: list[tuple[int, Run, Run | None]]) -> str:
    head = ("| players | rooms | p99 own draft echoed as `answer_stream` | p50 | server CPU "
            "| CPU µs per delivered event | raw python-socketio µs | ratio | KB per connection above idle (arena / raw) "
            "| deliveries/s (arena / raw) |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for players, ar, raw in rows:
        r = ar.result
        raw_us = raw.us_per_event if raw else None
        ratio = raw_us / ar.us_per_event if raw_us and ar.us_per_event else None
        rate = lambda x: x.result["deliveries"] / x.result["window_s"] if x else None   # noqa: E731
        lines.append(
            f"| {players:,} | {r['rooms']} | {fmt(r['p99_ms'], ',.1f', ' ms')} | {fmt(r['p50_ms'], '.1f', ' ms')} "
            f"| {fmt(ar.cpu_pct, '.0f', '%')} | {fmt(ar.us_per_event, '.0f')} | {fmt(raw_us, '.0f')} "
            f"| {fmt(ratio, '.2f')} | {fmt(ar.kb_per_conn, '.0f')} / {fmt(raw.kb_per_conn if raw else None, '.0f')} "
            f"| {fmt(rate(ar), ',.0f')} / {fmt(rate(raw), ',.0f')} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--players", default="500,1000,2000", help="comma-separated player counts (rooms of 5)")
    ap.add_argument("--window", type=float, default=60, help="measurement window, s")
    ap.add_argument("--warmup", type=float, default=10, help="after the last room started, s")
    ap.add_argument("--ramp", type=float, default=200, help="connections per second at most")
    ap.add_argument("--stagger", type=float, default=60,
                    help="room starts spread over this many s (about one question), so phases are not in step")
    ap.add_argument("--settle", type=float, default=3, help="after the server is ready, before the idle RSS, s")
    ap.add_argument("--compression", choices=("off", "on"), default=None,
                    help="websocket permessage-deflate for both servers (default: the arena's default)")
    ap.add_argument("--scorer", choices=("competitive", "rubric"), default=None,
                    help="the arena's scorer (ARENA_SCORER; default: the server's, the ML evaluator)")
    ap.add_argument("--no-raw", action="store_true", help="skip the raw python-socketio baseline")
    ap.add_argument("--port", type=int, default=0, help="servers' port (default: a free one per run)")
    ap.add_argument("--base", default=None, help="drive this running server (or load balancer) instead")
    ap.add_argument("--server-pids", default="", help="with --base: pids whose CPU/RSS to read")
    ap.add_argument("--cluster", type=int, default=0, metavar="N",
                    help="drive N game processes behind HAProxy (server.cluster_run; needs haproxy), no raw baseline")
    ap.add_argument("--node-cpus", default=None, help="with --cluster: CPUs of the nodes (default 0..N-1)")
    ap.add_argument("--driver-cpu", default=None, help="the driver's CPU (default 1; with --cluster: N)")
    ap.add_argument("--allow-remote", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--trace", default=None, help="write one connection's events (arena) for loadtest.compression")
    ap.add_argument("--profile", default=None, help="py-spy the arena server for 30 s of the window, into DIR")
    ap.add_argument("--json", default=None, help="also write every run's figures to this file")
    a = ap.parse_args(argv)
    if shutil.which("node") is None:
        raise SystemExit("node is needed (the driver runs socket.io-client)")
    if a.node_cpus is None:
        a.node_cpus = ",".join(str(i) for i in range(max(1, a.cluster)))
    if a.driver_cpu is None:
        a.driver_cpu = str(a.cluster) if a.cluster else "1"
    counts = [int(x) for x in a.players.split(",") if x.strip()]
    where = (f"{a.cluster} nodes on CPUs {a.node_cpus}" if a.cluster else "server on CPU 0")
    print(f"bench-load: players {counts}, window {a.window:.0f} s, warm-up {a.warmup:.0f} s, "
          f"{where}, driver on CPU {a.driver_cpu} ({os.cpu_count()} CPUs); load average {os.getloadavg()[0]:.2f}",
          flush=True)
    rows, dump = [], []
    for n in counts:
        if a.base:
            pids = [int(p) for p in a.server_pids.split(",") if p]
            ar = drive(a.base, n, a, (lambda: [q for p in pids for q in tree(p)]) if pids else None, a.driver_cpu)
            raw = None
        elif a.cluster:
            ar = measure_cluster(n, a, a.port or free_port_run(a.cluster + 1))
            raw = None
        else:
            ar = measure("arena", n, a, a.port or free_port())
            trace, a.trace, prof, a.profile = a.trace, None, a.profile, None   # the arena's only
            raw = None if a.no_raw else measure("raw", n, a, (a.port + 1) if a.port else free_port())
            a.trace, a.profile = trace, prof
        rows.append((n, ar, raw))
        for kind, r in (("arena", ar), ("raw", raw)):
            if r is not None:
                dump.append({"kind": kind, "players": n, "cpu_s": r.cpu_s, "rss_idle": r.rss_idle,
                             "rss_load": r.rss_load, "us_per_event": r.us_per_event, **r.result})
                print(f"  {kind:5} {n:>5} players: p99 {fmt(r.result['p99_ms'], '.1f')} ms, "
                      f"{fmt(r.us_per_event, '.0f')} µs/event, {r.result['deliveries']} deliveries, "
                      f"driver CPU {r.result['driver_cpu_pct']:.0f}%, errors {r.result['errors']}", flush=True)
    print()
    print(table(rows))
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    if a.json:
        Path(a.json).write_text(json.dumps(dump, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
