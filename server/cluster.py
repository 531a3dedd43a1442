"""Several game processes on one Redis: room ownership, takeover, and the cluster-wide lobby.

One :class:`ClusterNode` per game process (``ARENA_CLUSTER=1``; ``docs/cluster.md``):

- **Leases** (:mod:`server.lease`): a room created here is leased on its first write; the node
  renews its leases every :data:`server.lease.RENEW_EVERY_MS`. A room whose lease is lost (renewal
  refused: another node owns it) stops here at once, without being finished or forgotten.
- **Takeover**: every :data:`SCAN_EVERY_S` the node lists ``rooms:live``, and for each room with no
  owner key (its process died, or stopped cleanly and released it) it takes the lease (SET NX PX)
  and only then reads the stored tree and restores it through the one-process path
  (:func:`server.restore.restore_room`). A dead process's rooms are back within
  ``LEASE_TTL_MS + SCAN_EVERY_S`` (about 4 s).
- **Nodes**: ZSET ``P nodes`` (node id -> last heartbeat, epoch ms); a node is alive while its
  heartbeat is younger than :data:`NODE_TTL_MS`.
- **Lobby**: each node writes its public rooms to ``P lobby:<node>`` (JSON, :data:`NODE_TTL_MS` PX)
  and pushes the merged list of every live node to its own lobby sockets; ``list_rooms`` answers
  the merged list. Join codes are ``P code:<CODE>`` -> room id (24 h), so a code typed on any node
  finds the room.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time

from . import metrics
from .lease import RENEW_EVERY_MS, FencedRedisStore, LeaseLost, Leases, node_of
from .logs import log
from .restore import restore_room

#: How often (s) a node looks for rooms without an owner.
SCAN_EVERY_S = 1.0
#: A node whose heartbeat is older than this (ms) is dead (its lobby entries are ignored).
NODE_TTL_MS = 5000
CODE_TTL_S = 24 * 3600


def default_node_id() -> str:
    """``<hostname>-<pid>``: unique per process on a machine."""
    return f"{socket.gethostname()}-{os.getpid()}"


class ClusterNode:
    """This process as one node of the cluster.

    Args:
        manager: the process's :class:`server.runtime.RoomManager`; its store must be a
            :class:`server.lease.FencedRedisStore` (its ``leases`` are set here).
        sio: the Socket.IO server (for local lobby pushes).
        node_id: this node's id (``ARENA_NODE_ID``, default :func:`default_node_id`).
    """

    def __init__(self, manager, sio, node_id: str) -> None:
        store = manager.redis
        assert isinstance(store, FencedRedisStore), "cluster mode needs the fenced store"
        self.manager, self.sio, self.node_id = manager, sio, node_id
        self.r, self.prefix = store.r, store.prefix
        self.leases = store.leases = Leases(store, node_id)
        self._others: list[dict] = []                 # public rooms of the other live nodes
        self._tasks: list[asyncio.Task] = []
        self.on_node_gone = None                      # async (node_id) -> None (the router prunes its sessions)
        self.on_taken_over = None                     # async (room ids) -> None (the router moves their sockets)
        self._alive: set[str] = set()
        self._local_public = manager.public_rooms
        manager.public_rooms = self.public_rooms      # list_rooms and lobby pushes: the whole cluster
        create = manager.create_room

        def create_room(*a, **kw):
            room = create(*a, **kw)
            asyncio.get_running_loop().create_task(self._remember_code(room.join_code, room.room_id))
            return room
        manager.create_room = create_room

    # ------------------------------------------------------------------ keys
    @property
    def nodes_key(self) -> str:
        return f"{self.prefix}nodes"

    def _lobby_key(self, node: str) -> str:
        return f"{self.prefix}lobby:{node}"

    def _code_key(self, code: str) -> str:
        return f"{self.prefix}code:{code.strip().upper()}"

    async def _remember_code(self, code: str, room_id: str) -> None:
        await self.r.set(self._code_key(code), room_id, ex=CODE_TTL_S)

    # ------------------------------------------------------------------ queries
    async def room_of(self, room_id: str | None, join_code: str | None) -> str | None:
        """The room id named by ``room_id`` or ``join_code`` (None: no such code)."""
        if room_id:
            return room_id
        if not join_code:
            return None
        local = self.manager.by_code.get(join_code.strip().upper())
        return local or await self.r.get(self._code_key(join_code))

    async def owner_of(self, room_id: str) -> str | None:
        """The node id owning ``room_id`` now (None: nobody, e.g. its process just died)."""
        if room_id in self.manager.hosts:
            return self.node_id
        return node_of(await self.r.get(self.leases.owner_key(room_id)))

    async def is_stored(self, room_id: str) -> bool:
        """Whether the room's state is stored (listed in ``rooms:live``): it exists somewhere."""
        return bool(await self.r.sismember(self.manager.redis.live_key, room_id))

    async def live_nodes(self) -> list[str]:
        """Ids of the nodes whose heartbeat is younger than :data:`NODE_TTL_MS`."""
        return list(await self.r.zrangebyscore(self.nodes_key, time.time() * 1000 - NODE_TTL_MS, "+inf"))

    def public_rooms(self) -> list[dict]:
        """The lobby across the cluster: this node's public rooms (fresh), then the others' (≤ 1 s old)."""
        local = self._local_public()
        mine = {e["room_id"] for e in local}
        return local + [e for e in self._others if e["room_id"] not in mine]

    # ------------------------------------------------------------------ life cycle
    async def start(self) -> list[str]:
        """Join the cluster: heartbeat, take the free rooms (restore), start the loops; returns the
        ids of the rooms restored now."""
        await self._heartbeat()
        restored = await self.take_over()
        mgr_lobby = self.manager.lobby_task
        if mgr_lobby is not None:                   # the cluster's lobby loop replaces the local one
            mgr_lobby.cancel()
        self.manager.lobby_task = asyncio.create_task(self._lobby_loop(), name="cluster-lobby")
        self._tasks = [asyncio.create_task(self._renew_loop(), name="cluster-renew"),
                       asyncio.create_task(self._scan_loop(), name="cluster-scan")]
        log.info("cluster_joined", node=self.node_id, restored=len(restored))
        return restored

    async def stop(self) -> None:
        """Leave: stop the loops and release every lease (call after the rooms were suspended), so
        another node takes them over at its next scan instead of after the lease's TTL."""
        for t in self._tasks:
            t.cancel()
        for room_id in list(self.leases.held):
            try:
                await self.leases.release(room_id)
            except Exception:
                log.warning("lease_release_failed", room_id=room_id)
        try:
            async with self.r.pipeline(transaction=True) as p:
                p.zrem(self.nodes_key, self.node_id)
                p.delete(self._lobby_key(self.node_id))
                await p.execute()
        except Exception:
            log.warning("cluster_leave_failed", node=self.node_id)

    async def _heartbeat(self) -> None:
        await self.r.zadd(self.nodes_key, {self.node_id: time.time() * 1000})

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY_MS / 1000)
            try:
                await self._heartbeat()
                for room_id in await self.leases.renew_all():
                    await self._lost(room_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("lease_renew_failed", node=self.node_id)

    async def _lost(self, room_id: str) -> None:
        """Another node owns the room now: stop it here (nothing finished, nothing forgotten)."""
        host = self.manager.hosts.pop(room_id, None)
        if host is None:
            return
        self.manager.by_code.pop(host.room.join_code, None)
        await host.stop()
        metrics.ACTIVE_ROOMS.set(len(self.manager.hosts))
        self.manager.lobby_changed()
        log.warning("room_lease_lost", room_id=room_id, node=self.node_id)

    async def _scan_loop(self) -> None:
        while True:
            await asyncio.sleep(SCAN_EVERY_S)
            try:
                await self.take_over()
                await self._prune_nodes()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("cluster_scan_failed", node=self.node_id)

    async def take_over(self) -> list[str]:
        """Lease and restore every stored room that no node owns; returns their ids."""
        ids = [i for i in await self.r.smembers(self.manager.redis.live_key) if i not in self.manager.hosts]
        taken = []
        for room_id, token in (await self.leases.owners(ids)).items():
            if token is not None or await self.leases.acquire(room_id) is None:
                continue
            text = await self.r.get(self.manager.redis.state_key(room_id))   # read only once leased
            if text is None:                       # disposed meanwhile, or expired
                await self.r.srem(self.manager.redis.live_key, room_id)
                await self.leases.release(room_id)
                continue
            t0 = time.perf_counter()
            if await restore_room(self.manager, room_id, text):
                taken.append(room_id)
                log.info("room_taken_over", room_id=room_id, node=self.node_id, previous=node_of(token),
                         ms=round((time.perf_counter() - t0) * 1000, 1))
            else:
                await self.leases.release(room_id)
        if taken and self.on_taken_over is not None:
            await self.on_taken_over(taken)
        return taken

    async def _prune_nodes(self) -> None:
        alive = set(await self.live_nodes())
        gone, self._alive = self._alive - alive, alive
        await self.r.zremrangebyscore(self.nodes_key, "-inf", time.time() * 1000 - 10 * NODE_TTL_MS)
        for node in gone:
            if node != self.node_id and self.on_node_gone is not None:
                await self.on_node_gone(node)

    # ------------------------------------------------------------------ lobby
    async def _lobby_loop(self) -> None:
        """Publish this node's public rooms and push the merged lobby to this node's lobby sockets
        (``ignore_queue``: every node pushes to its own), at most twice a second."""
        last = None
        dirty = self.manager._lobby_dirty
        while True:
            try:
                await asyncio.wait_for(dirty.wait(), timeout=SCAN_EVERY_S)
            except asyncio.TimeoutError:
                pass
            dirty.clear()
            try:
                local = self._local_public()
                await self.r.set(self._lobby_key(self.node_id), json.dumps(local), px=NODE_TTL_MS)
                others = [n for n in await self.live_nodes() if n != self.node_id]
                texts = await self.r.mget([self._lobby_key(n) for n in others]) if others else []
                self._others = [e for t in texts if t for e in json.loads(t)]
                rooms = self.public_rooms()
                if rooms != last:
                    await self.sio.emit("lobby_update", {"rooms": rooms}, room="lobby", ignore_queue=True)
                    last = rooms
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("cluster_lobby_failed", node=self.node_id)
            await asyncio.sleep(0.5)


__all__ = ["ClusterNode", "LeaseLost", "default_node_id"]
