"""Process figures and lifecycle for the load benchmark (``loadtest/bench_load.py``): a process tree's CPU
seconds (``/proc/<pid>/stat``, clock ticks) and RSS (bytes), free ports, readiness, CPU pinning, stopping.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# ------------------------------------------------------------ process figures
def tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (the server's workers and children count too)."""
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (all their threads), in seconds."""
    total = 0
    for p in pids:
        try:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(f[11]) + int(f[12])
        except (OSError, IndexError):
            pass
    return total / TICK


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError):
            pass
    return total


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_run(n: int) -> int:
    """The first of ``n`` consecutive free ports (a cluster: the balancer's, then one per node)."""
    for _ in range(50):
        p = free_port()
        if p + n < 65536 and all(port_free(p + i) for i in range(n)):
            return p
    raise RuntimeError(f"no {n} consecutive free ports")


def wait_ready(url: str, path: str, timeout: float, proc: subprocess.Popen) -> None:
    """Wait until ``url + path`` answers; raise if ``proc`` (the server we started) exits first."""
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + path, timeout=2) as r:
                if r.status < 500:
                    return
        except urllib.error.HTTPError as e:
            if e.code < 500:
                return
            time.sleep(0.3)
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not become ready in {timeout:.0f} s")


# ------------------------------------------------------------------ servers
def _pin(cpu: str | None) -> list[str]:
    """``taskset -c cpu`` when there is such a CPU (a CPU this machine lacks: not pinned)."""
    if cpu is None or not shutil.which("taskset") or os.cpu_count() < 2:
        return []
    return ["taskset", "-c", cpu] if all(int(c) < os.cpu_count() for c in cpu.split(",")) else []


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    prefix = getattr(proc, "key_prefix", None)
    if prefix:                                 # the run's boards, streams and snapshots
        import redis

        r = redis.Redis.from_url(proc.redis_url)
        try:
            keys = list(r.scan_iter(match=prefix + "*", count=1000))
            for i in range(0, len(keys), 500):
                r.delete(*keys[i:i + 500])
        finally:
            r.close()
