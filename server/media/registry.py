"""The media sidecar's registry: channel and key names, and the heartbeat that publishes its load.

Each sidecar keeps a heartbeat key ``media:sidecar:<in channel>:<id>`` (refreshed every
``$ARENA_MEDIA_HEARTBEAT_S`` s, TTL ``$ARENA_MEDIA_HEARTBEAT_TTL_S`` s) holding
:meth:`HeartbeatMixin.load_report`, and its id in the sorted set ``media:sidecars:<in channel>``;
it also listens on its own channel ``<in channel>:<id>`` (``docs/media.md``, "Several sidecars").
The heartbeat loop also sweeps old recordings and drops idle participants.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time

from .audio import TARGET_SAMPLE_RATE
from .recordings import RETENTION_SWEEP_S, sweep_recordings

log = logging.getLogger("arena.media")

SR = TARGET_SAMPLE_RATE
IN_CHANNEL = "media:in"
OUT_PREFIX = "media:out:"
HEARTBEAT_PREFIX = "media:sidecar:"
#: Heartbeat period and time to live (s): a sidecar killed with SIGKILL leaves the registry
#: within ``HEARTBEAT_TTL_S``; ``$ARENA_MEDIA_HEARTBEAT_S`` / ``$ARENA_MEDIA_HEARTBEAT_TTL_S``.
HEARTBEAT_INTERVAL_S = 1.0
HEARTBEAT_TTL_S = 4
#: A participant with no activity for this long is dropped (s).
IDLE_TIMEOUT_S = 900


def heartbeat_key(in_channel: str, sidecar_id: str) -> str:
    """``media:sidecar:<in channel>:<id>``: one per running sidecar, 4 s TTL (``HEARTBEAT_TTL_S``)."""
    return f"{HEARTBEAT_PREFIX}{in_channel}:{sidecar_id}"


def heartbeat_pattern(in_channel: str) -> str:
    """SCAN pattern for the heartbeats of sidecars serving ``in_channel`` (glob characters escaped)."""
    return HEARTBEAT_PREFIX + re.sub(r"([*?\[\]\\])", r"\\\1", in_channel) + ":*"


def registry_key(in_channel: str) -> str:
    """``media:sidecars:<in channel>``: sorted set of sidecar ids (score: heartbeat expiry, epoch ms), the
    index of the heartbeat keys; the keys' TTL says who is alive."""
    return f"media:sidecars:{in_channel}"


def sidecar_channel(in_channel: str, sidecar_id: str) -> str:
    """``<in channel>:<id>``: the channel only this sidecar subscribes to (rooms assigned to it)."""
    return f"{in_channel}:{sidecar_id}"


def heartbeat_timing_from_env() -> tuple[float, int]:
    """(period s, TTL s) from ``$ARENA_MEDIA_HEARTBEAT_S`` (default 1.0) and
    ``$ARENA_MEDIA_HEARTBEAT_TTL_S`` (default 4; at least 2 periods).

    Raises:
        ValueError: not a positive number, or a TTL shorter than two periods.
    """
    period = float(os.environ.get("ARENA_MEDIA_HEARTBEAT_S") or HEARTBEAT_INTERVAL_S)
    ttl = int(os.environ.get("ARENA_MEDIA_HEARTBEAT_TTL_S") or HEARTBEAT_TTL_S)
    if not period > 0 or ttl < 2 * period:
        raise ValueError(f"heartbeat: need period > 0 and TTL >= 2 periods, got {period} s / {ttl} s")
    return period, ttl


def out_channel(room_id: str) -> str:
    """Redis channel the sidecar publishes a room's media events to."""
    return f"{OUT_PREFIX}{room_id}"


class HeartbeatMixin:
    """:class:`~server.media.sidecar.MediaSidecar`'s heartbeat (uses its ``redis``, ``id``,
    ``in_channel``, ``participants``, ``peers``, ``recordings``, ``retention_s``, ``hb_*``)."""

    async def _heartbeat(self) -> None:
        key = heartbeat_key(self.in_channel, self.id)
        retention = self.retention_s
        swept = 0.0
        while True:
            if retention is not None and time.monotonic() - swept > RETENTION_SWEEP_S:
                swept = time.monotonic()
                try:
                    n = await asyncio.get_running_loop().run_in_executor(
                        None, sweep_recordings, self.recordings, retention)
                    if n:
                        log.info("deleted %d recordings older than %.1f days", n, retention / 86400)
                except OSError as e:
                    log.warning("recordings sweep failed: %s", e)
            try:
                await self._beat()
                now = time.monotonic()
                for key_, p in list(self.participants.items()):
                    if now - p.last_active > IDLE_TIMEOUT_S and not any(
                            v["room_id"] == p.room_id and v["participant_id"] == p.participant_id
                            for v in self.peers.values()):
                        await self._drop(key_)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                log.exception("heartbeat failed")
            await asyncio.sleep(self.hb_period_s)

    def load_report(self) -> dict:
        """This sidecar's heartbeat: identity and load.

        Returns:
            ``{"id", "boot", "pid", "pool" (the shared in channel), "channel" (its own),
            "rooms" (distinct rooms with state here), "participants", "streams" (participants in
            an open turn or with a peer connection), "peers", "backlog_s" (audio waiting for
            STT, s), "cpu" (process CPU time / wall time since the last beat, 0..cores),
            "capacity" (speakers it is sized for), "ts_ms"}``.
        """
        now, cpu = time.monotonic(), time.process_time()
        last = getattr(self, "_cpu_mark", None)
        self._cpu_mark = (now, cpu)
        busy = round((cpu - last[1]) / (now - last[0]), 3) if last and now > last[0] else 0.0
        peered = {(v["room_id"], v["participant_id"]) for v in self.peers.values()}
        return {"id": self.id, "boot": self.boot, "pid": os.getpid(), "pool": self.in_channel,
                "channel": sidecar_channel(self.in_channel, self.id),
                "rooms": len({k[0] for k in self.participants}), "participants": len(self.participants),
                "streams": sum(1 for k, p in self.participants.items()
                               if k in peered or (p.listening and p.turn_id)),
                "peers": len(self.peers), "backlog_s": round(sum(p.backlog for p in self.participants.values()) / SR, 2),
                "cpu": busy, "capacity": self.capacity, "ts_ms": int(time.time() * 1000)}

    async def _beat(self) -> None:
        info = self.load_report()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(heartbeat_key(self.in_channel, self.id), json.dumps(info), ex=self.hb_ttl_s)
            pipe.zadd(registry_key(self.in_channel), {self.id: info["ts_ms"] + self.hb_ttl_s * 1000})
            await pipe.execute()
