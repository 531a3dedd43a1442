"""``arena serve``'s media sidecar processes: :class:`MediaSupervisor` runs one ``arena media``
child and restarts it with exponential backoff; :class:`MediaSupervisors` runs
``$ARENA_MEDIA_SIDECARS`` of them (``ARENA_MEDIA=0`` disables both, see ``server/app.py``).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from .logs import log


class MediaSupervisor:
    """Runs ``arena media`` as a child process and restarts it when it exits.

    Backoff between restarts doubles from ``min_backoff_s`` to ``max_backoff_s`` (s) and
    resets once a child has run ``stable_s`` (s). The child gets the same ``REDIS_URL``
    (also the embedded one) and inherits the rest of the environment.

    Args:
        redis_url: the game server's Redis URL.
        argv: the command (default ``python -m server.cli media --redis-url URL``).
        name: names the child in the logs (``<name>_started``, ``<name>_exited``).
        env: more environment variables for the child.
    """

    def __init__(self, redis_url: str, argv: list[str] | None = None, *, min_backoff_s: float = 1.0,
                 max_backoff_s: float = 30.0, stable_s: float = 60.0, name: str = "media_sidecar",
                 env: dict[str, str] | None = None) -> None:
        self.redis_url = redis_url
        self.name = name
        self.env = env or {}
        self.argv = argv or [sys.executable, "-m", "server.cli", "media", "--redis-url", redis_url]
        self.min_backoff_s, self.max_backoff_s, self.stable_s = min_backoff_s, max_backoff_s, stable_s
        self.proc: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self._task: asyncio.Task | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self.name}-supervisor")

    async def _run(self) -> None:
        backoff = self.min_backoff_s
        env = {**os.environ, "REDIS_URL": self.redis_url, **self.env}
        while not self._stopping:
            t0 = time.monotonic()
            try:
                self.proc = await asyncio.create_subprocess_exec(*self.argv, env=env)
                log.info(f"{self.name}_started", pid=self.proc.pid)
                rc = await self.proc.wait()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                rc = None
                log.warning(f"{self.name}_spawn_failed", error=str(e))
            if self._stopping:
                return
            if time.monotonic() - t0 >= self.stable_s:
                backoff = self.min_backoff_s
            log.warning(f"{self.name}_exited", rc=rc, restart_in_s=backoff)
            self.restarts += 1
            await asyncio.sleep(backoff)
            backoff = min(self.max_backoff_s, backoff * 2)

    async def stop(self, timeout_s: float = 5.0) -> None:
        """Terminate the child (SIGTERM, then SIGKILL after ``timeout_s`` s) and stop restarting."""
        self._stopping = True
        p = self.proc
        if p is not None and p.returncode is None:
            p.terminate()
            try:
                await asyncio.wait_for(p.wait(), timeout_s)
            except asyncio.TimeoutError:
                p.kill()
                await p.wait()
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass


class MediaSupervisors:
    """``$ARENA_MEDIA_SIDECARS`` (default 1) supervised sidecars, ``arena media --id media-<k>``
    (k = 1..N), each restarted on its own by a :class:`MediaSupervisor`. With N = 1 the child
    is started exactly as before (a random id).

    Raises:
        ValueError: ``ARENA_MEDIA_SIDECARS`` is not an integer 1..16.
    """

    def __init__(self, redis_url: str, count: int | None = None) -> None:
        raw = count if count is not None else os.environ.get("ARENA_MEDIA_SIDECARS") or 1
        n = int(raw)
        if not 1 <= n <= 16:
            raise ValueError(f"ARENA_MEDIA_SIDECARS must be 1-16, got {raw!r}")
        base = [sys.executable, "-m", "server.cli", "media", "--redis-url", redis_url]
        self.children = [MediaSupervisor(redis_url, None if n == 1 else [*base, "--id", f"media-{k}"])
                         for k in range(1, n + 1)]

    def start(self) -> None:
        for c in self.children:
            c.start()

    async def stop(self, timeout_s: float = 5.0) -> None:
        await asyncio.gather(*(c.stop(timeout_s) for c in self.children))
