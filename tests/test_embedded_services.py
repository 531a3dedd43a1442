"""``arena serve`` with the embedded Redis and PostgreSQL (REDIS_URL/DATABASE_URL unset, as ``make run``):
after ``kill -9`` the next start stops the servers the crashed run left and is ready at once; a clean
stop (SIGTERM) stops both. Real subprocesses, one temporary data directory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from scoring.embeddings import model_cache_dir
from tests.conftest import free_port

ARENA = Path(sys.executable).with_name("arena")


def _alive(pid: int | None) -> bool:
    try:
        return pid is not None and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _pids(data_dir: Path) -> tuple[int | None, int | None]:
    """(redis-server, postmaster) pids from their pid files in the data dir."""
    def read(path: Path) -> int | None:
        try:
            return int(path.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
    try:
        redis_pidfile = Path(json.loads((data_dir / "redis.db.settings").read_text())["pidfile"])
    except (OSError, ValueError, KeyError):
        redis_pidfile = None
    return (read(redis_pidfile) if redis_pidfile else None), read(data_dir / "pg" / "postmaster.pid")


def _serve(data_dir: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(ARENA_DATA_DIR=str(data_dir), ARENA_MEDIA="0", ARENA_LOG_LEVEL="warning",
               ARENA_MODEL_CACHE=str(model_cache_dir()))          # reuse the exported scoring model
    return subprocess.Popen([str(ARENA), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=open(data_dir.parent / f"serve-{port}.log", "w"), start_new_session=True)


def _ready(port: int, proc: subprocess.Popen, timeout: float) -> dict:
    """Poll /readyz until 200; returns its body. Fails when ``timeout`` passes or the server exits."""
    end, body = time.monotonic() + timeout, None
    while time.monotonic() < end:
        assert proc.poll() is None, f"arena serve exited with {proc.returncode}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            body = json.loads(e.read())
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"/readyz not 200 within {timeout} s: {body}")


def _gone(pids, timeout: float = 15.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.timeout(240)
def test_a_crash_leaves_nothing_behind_and_a_clean_stop_stops_both(tmp_path):
    data = tmp_path / "data"
    procs, seen = [], []
    try:
        port = free_port()
        first = _serve(data, port)
        procs.append(first)
        assert _ready(port, first, 120) == {"ok": True, "redis": True, "postgres": True}   # the first start runs initdb
        old = _pids(data)
        seen += old
        assert all(_alive(p) for p in old), old

        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert all(_alive(p) for p in old), "the embedded servers are daemons: they outlive the crash"

        port = free_port()
        second = _serve(data, port)
        procs.append(second)
        t0 = time.monotonic()
        assert _ready(port, second, 60) == {"ok": True, "redis": True, "postgres": True}
        print(f"ready {time.monotonic() - t0:.1f} s after the restart")
        assert _gone(old, 5), f"left over from the crashed run: {[p for p in old if _alive(p)]}"
        new = _pids(data)
        seen += new
        assert all(_alive(p) for p in new) and not set(new) & set(old), (old, new)

        busy = _serve(data, free_port())                 # a second server on the same data dir is refused
        procs.append(busy)
        assert busy.wait(60) == 2
        assert all(_alive(p) for p in new) and _ready(port, second, 5)

        second.send_signal(signal.SIGINT)                # Ctrl-C in `make run`
        assert second.wait(30) == 0
        assert _gone(new), f"still running after a clean stop: {[p for p in new if _alive(p)]}"

        port = free_port()
        third = _serve(data, port)
        procs.append(third)
        assert _ready(port, third, 60)["ok"]
        last = _pids(data)
        seen += last
        third.send_signal(signal.SIGTERM)
        assert third.wait(30) == 0
        assert _gone(last), f"still running after a clean stop: {[p for p in last if _alive(p)]}"
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
        for pid in seen:                                  # never leave daemons behind, even on failure
            if _alive(pid):
                psutil.Process(pid).kill()
