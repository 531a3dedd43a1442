"""The game server: aiohttp + python-socketio, wired to Redis, PostgreSQL and the rooms."""

from __future__ import annotations

import asyncio
import gc
import os

from aiohttp import web

from .config import Config
from .gateway import Gateway
from .http import json_errors, setup_routes
from .logs import log, setup_logging
from .ratelimit import RateLimiter
from .restore import restore_rooms, suspend_rooms
from .runtime import RoomManager
from .socketio_server import ArenaSocketServer
from .store.redis_store import RedisStore
from .store.results import ResultStore
from .wire import MAX_HTTP_BODY_BYTES, MAX_PACKET_BYTES


def _persona_names() -> dict[str, dict]:
    """persona id -> {"name", "company"} (Korean catalogue) for AI seats."""
    from personas.catalog import public_catalog

    return {e["id"]: {"name": e["name"], "company": e["company"]} for e in public_catalog("ko")}


async def build_app(cfg: Config, *, supervise_media: bool = False) -> web.Application:
    """Create the aiohttp application with Socket.IO at ``/socket.io``.

    Embedded Redis/PostgreSQL are started when their URLs are unset (``server/embedded.py``: leftovers
    of a crashed run are stopped first; they are stopped again at cleanup). Raises ``DataDirBusy``
    when another process serves from the same data directory. Raises
    whatever the stores raise if they cannot be reached. The media bridge
    (``server/media_bridge.py``) always runs; ``supervise_media`` also starts
    ``arena media`` as a restarted child process on the same Redis. Room jobs go on the job
    queue unless ``cfg.job_queue`` is off (``server/jobqueue.py``); ``cfg.workers`` ``arena worker``
    children are started and restarted (``server/workers.py``).
    """
    app = web.Application(client_max_size=MAX_HTTP_BODY_BYTES, middlewares=[json_errors])
    embedded = None
    if not cfg.redis_url or not cfg.database_url:
        from .embedded import EmbeddedServices
        embedded = EmbeddedServices(cfg.data_dir)     # stops servers a crashed run left behind
    if not cfg.redis_url:
        cfg.redis_url = embedded.start_redis()
        log.info("embedded_redis", url=cfg.redis_url, pid=embedded.redis_pid)
    if not cfg.database_url:
        cfg.database_url = await asyncio.get_running_loop().run_in_executor(None, embedded.start_postgres)
        log.info("embedded_postgres", url=cfg.database_url, pid=embedded.postgres_pid)
    app["embedded"] = embedded
    if not cfg.jwt_secret:                        # generated once into the data dir: restarts keep sessions
        from .auth import load_or_create_secret
        cfg.jwt_secret = load_or_create_secret(cfg.data_dir)

    sio_manager = None
    if cfg.node_id:                               # several game processes: docs/cluster.md
        from .cluster_rpc import ClusterSocketManager
        sio_manager = ClusterSocketManager(cfg.redis_url, f"{cfg.key_prefix}socketio", cfg.node_id)
    sio = ArenaSocketServer(async_mode="aiohttp", cors_allowed_origins="*", max_http_buffer_size=MAX_PACKET_BYTES,
                            ping_interval=10, ping_timeout=10, ws_compression=cfg.ws_compression,
                            **({"client_manager": sio_manager} if sio_manager else {}))
    sio.attach(app, socketio_path="socket.io")
    from .lease import FencedRedisStore
    redis = (FencedRedisStore if cfg.node_id else RedisStore)(cfg.redis_url, cfg.key_prefix, pool_size=cfg.redis_pool)
    results = ResultStore(cfg.database_url)
    await results.open()
    names = _persona_names()
    gateway_ref: dict = {}

    async def on_kicked(room_id: str, pid: str) -> None:
        await gateway_ref["g"].kicked(room_id, pid)

    manager = RoomManager(sio.emit, redis, results, tick_hz=cfg.tick_hz, time_scale=cfg.time_scale,
                          ai_source=cfg.ai_answer_source, known_personas=names, max_rooms=cfg.max_rooms,
                          on_kicked=on_kicked)
    gateway_ref["g"] = Gateway(sio, manager, cfg.jwt_secret,
                               RateLimiter(cfg.rate_budgets, enabled=cfg.rate_limits))
    app.update(sio=sio, redis=redis, results=results, manager=manager, gateway=gateway_ref["g"], cfg=cfg,
               persona_names=names)
    app["cluster"] = None
    if cfg.node_id:
        from .cluster import ClusterNode
        from .cluster_rpc import Router
        app["cluster"] = ClusterNode(manager, sio, cfg.node_id)
        Router(gateway_ref["g"], app["cluster"], sio_manager)
    from .media_bridge import MediaBridge, MediaSupervisors

    media = MediaBridge(redis.url, manager, sio.emit, gateway_ref["g"].sids_of)
    app["media"] = media
    app["media_supervisor"] = MediaSupervisors(redis.url) if supervise_media else None  # $ARENA_MEDIA_SIDECARS
    setup_routes(app, cfg)
    from .api import learning_plan, resume_models, resumes                # issue 12: résumé questions, jobs, learning plan
    resumes.setup(app), learning_plan.setup(app), resume_models.describe_routes(app)
    from .workers import attach_workers

    attach_workers(app, cfg, manager)

    async def on_startup(app: web.Application) -> None:
        await manager.warm_up()
        manager.start()
        if app["cluster"] is not None:            # leases, takeover, fan-out listener (docs/cluster.md)
            sio.manager_initialized = True
            sio.manager.initialize()
            await app["cluster"].start()
        elif cfg.restore_rooms:                   # failover: rooms stored by an earlier process come back
            await restore_rooms(manager)
        await media.start()                       # media bridge: rooms <-> sidecar over Redis
        manager.on_room_event = media.on_room_event
        results.recording_for = media.recording_for
        results.words_for = media.words_for
        gateway_ref["g"].media = media
        if app["media_supervisor"] is not None:
            app["media_supervisor"].start()
        # Recipes: freeze start-up objects and raise GC thresholds, or GC pauses set the p99.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)

    async def on_cleanup(app: web.Application) -> None:
        if app["media_supervisor"] is not None:
            await app["media_supervisor"].stop()
        if cfg.restore_rooms or app["cluster"] is not None:   # keep the rooms restorable, not ended
            await suspend_rooms(manager)
        if app["cluster"] is not None:            # release the leases: another node takes the rooms now
            await app["cluster"].stop()
        await manager.stop()
        await media.stop()
        await redis.close()
        await results.close()
        if app["embedded"] is not None:           # a clean stop stops the embedded Redis and PostgreSQL
            await asyncio.get_running_loop().run_in_executor(None, app["embedded"].stop)

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


def serve(cfg: Config) -> None:
    """Run the server until interrupted."""
    setup_logging(cfg.log_level)

    async def make() -> web.Application:
        # ARENA_MEDIA=0: no media sidecar child (typed answers only, or a sidecar run elsewhere).
        return await build_app(cfg, supervise_media=os.environ.get("ARENA_MEDIA", "1") != "0")

    log.info("serving", host=cfg.host, port=cfg.port)
    web.run_app(make(), host=cfg.host, port=cfg.port, print=None, access_log=None)
