"""``make cluster``: several ``arena serve`` nodes behind HAProxy on 127.0.0.1 (``docs/cluster.md``).

    python -m server.cluster_run [--nodes 2] [--port 8080] [--seconds N] [--cpus 0,1] [--pids-file F]

Starts the embedded Redis and PostgreSQL once (unless ``REDIS_URL``/``DATABASE_URL`` are set), then
``--nodes`` game processes (``ARENA_CLUSTER=1``, node ids ``node1``…, ports ``port+1``…; node1
supervises the media sidecar, the others run with ``ARENA_MEDIA=0`` so there is one sidecar), then
HAProxy on ``--port`` with :func:`haproxy_config`. Runs until Ctrl-C (or ``--seconds``), then stops
HAProxy and the nodes (SIGTERM: each suspends its rooms and releases their leases) and the
embedded services. Exit code 2 when ``haproxy`` is not installed (``make system-deps``).

``--cpus 0,1`` pins node *i* to CPU ``cpus[i % len]`` (``taskset``; for ``make bench-load``'s cluster mode,
``loadtest/bench_load.py --cluster``); ``--pids-file`` writes ``{"nodes": {name: pid}, "haproxy": pid}`` as
JSON once the balancer is up.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def haproxy_config(port: int, backends: list[tuple[str, int]], *, host: str = "127.0.0.1") -> str:
    """The HAProxy configuration: one HTTP frontend on ``host:port`` balancing round robin over
    ``backends`` (``[(name, port)]``), websockets tunnelled, sticky by the ``ARENA_NODE`` cookie (so
    an Engine.IO long-polling session stays on one node), health-checked on ``/healthz`` every
    500 ms (a dead node is out after 2 failures, about 1 s)."""
    servers = "\n".join(f"    server {name} {host}:{p} check inter 500 fall 2 rise 2 cookie {name}"
                        for name, p in backends)
    return f"""global
    maxconn 8000

defaults
    mode http
    option http-server-close
    option redispatch
    retries 3
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    timeout http-request 10s

frontend arena
    bind {host}:{port}
    default_backend game

backend game
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    cookie ARENA_NODE insert indirect nocache httponly
{servers}
"""


def start_haproxy(port: int, backends: list[tuple[str, int]], workdir: Path) -> subprocess.Popen:
    """Write the config to ``workdir/haproxy.cfg`` and start ``haproxy`` in the foreground (``-db``).
    Raises FileNotFoundError when haproxy is not installed."""
    exe = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if exe is None:
        raise FileNotFoundError("haproxy is not installed (make system-deps)")
    cfg = workdir / "haproxy.cfg"
    cfg.write_text(haproxy_config(port, backends))
    subprocess.run([exe, "-c", "-q", "-f", str(cfg)], check=True)
    return subprocess.Popen([exe, "-db", "-q", "-f", str(cfg)], stdout=subprocess.DEVNULL)


def node_env(node_id: str, **extra: str) -> dict[str, str]:
    """The environment of one cluster node (on top of ``os.environ``)."""
    return {**os.environ, "ARENA_CLUSTER": "1", "ARENA_NODE_ID": node_id, **extra}


def wait_healthy(url: str, timeout: float = 180.0) -> None:
    """Wait until ``url/healthz`` answers 200. Raises TimeoutError."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not come up")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="cluster_run", description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--seconds", type=float, default=0, help="stop after this long (0: until Ctrl-C)")
    ap.add_argument("--cpus", default="", help="pin node i to CPU cpus[i %% len] (taskset), e.g. 0,1")
    ap.add_argument("--pids-file", default=None, help="write the nodes' and HAProxy's pids here (JSON)")
    a = ap.parse_args(argv)
    if shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists():
        print("haproxy is not installed: run make system-deps", file=sys.stderr)
        return 2
    embedded = None
    env = {"ARENA_JWT_SECRET": os.environ.get("ARENA_JWT_SECRET") or secrets.token_hex(32)}
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"):
        from .embedded import EmbeddedServices
        embedded = EmbeddedServices(Path(os.environ.get("ARENA_DATA_DIR", ".arena")))
        if not os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = embedded.start_redis()
        if not os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = embedded.start_postgres()
    procs: list[subprocess.Popen] = []
    stop = {"now": False}

    def on_signal(*_):
        stop["now"] = True
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    backends = [(f"node{i}", a.port + i) for i in range(1, a.nodes + 1)]
    try:
        for i, (name, port) in enumerate(backends):
            media = os.environ.get("ARENA_MEDIA", "1") if i == 0 else "0"
            cpus = [c for c in a.cpus.split(",") if c.strip()]
            pin = ["taskset", "-c", cpus[i % len(cpus)]] if cpus and shutil.which("taskset") else []
            procs.append(subprocess.Popen([*pin, sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1",
                                           "--port", str(port)], env=node_env(name, ARENA_MEDIA=media, **env)))
        for name, port in backends:
            wait_healthy(f"http://127.0.0.1:{port}")
        with tempfile.TemporaryDirectory(prefix="arena-lb-") as tmp:
            lb = start_haproxy(a.port, backends, Path(tmp))
            procs.append(lb)
            if a.pids_file:
                Path(a.pids_file).write_text(json.dumps({"nodes": {n: p.pid for (n, _), p in zip(backends, procs)},
                                                         "haproxy": lb.pid}))
            print(f"cluster: http://127.0.0.1:{a.port} -> " + ", ".join(f"{n} :{p}" for n, p in backends),
                  flush=True)
            end = time.monotonic() + a.seconds if a.seconds else None
            while not stop["now"] and (end is None or time.monotonic() < end):
                if any(p.poll() is not None for p in procs[:-1] + [lb]):
                    print("cluster: a process exited; stopping", file=sys.stderr)
                    break
                time.sleep(0.5)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        if embedded is not None:
            embedded.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
