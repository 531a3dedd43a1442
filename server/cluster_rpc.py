"""Commands across game processes: a Socket.IO event that arrives on a node that does not own the
room is run by the owner, and its ack comes back (``docs/cluster.md``).

:class:`ClusterSocketManager` is python-socketio's ``AsyncRedisManager`` (fan-out: an emit to a
room or a sid reaches the sockets on every node; ``enter_room``/``leave_room`` of a sid on another
node is relayed to it) with one addition: requests and replies between nodes travel **on the same
pub/sub channel** as the fan-out, as emits of the reserved event :data:`RPC_EVENT` addressed to a
node. One channel keeps one order: the events a forwarded command causes (the missed-event replay
to the joiner, the ``enter_room`` of its sid, the room's broadcasts) reach the client's node before
the command's reply, so the client gets its ack after its events, as on one process.

:class:`Router` wraps the :class:`server.gateway.Gateway`: ``create_room`` and ``list_rooms`` run
where the client is (the lobby is cluster-wide, :class:`server.cluster.ClusterNode`); ``join_room``
goes to the owner of the named room (by id, or join code through Redis), every other command to
the owner of the session's room. The owner keeps a copy of the remote session (user, room, lobby
flag) for the sid, synchronised with each request; a disconnect is relayed to the owner, so the
player is dropped there. While a room has no owner (its process died, the takeover is under way)
a command waits up to :data:`OWNER_WAIT_S` for the new one (a room that is not stored at all is
not waited for: ``room_not_found`` at once).
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any

import socketio

from rooms.errors import ErrorCode

from . import metrics, schemas
from .logs import log
from .socketio_server import FanoutManager

RPC_EVENT = "__arena_rpc"
#: Seconds a forwarded command waits for the owner's reply.
RPC_TIMEOUT_S = 10.0
#: Seconds a command waits for an owner to appear (a takeover takes about 4 s).
OWNER_WAIT_S = 6.0
LOCAL_EVENTS = frozenset({"create_room", "list_rooms"})


class ClusterSocketManager(socketio.AsyncRedisManager, FanoutManager):
    """``AsyncRedisManager`` plus node-to-node requests on the same channel; local delivery goes
    through :class:`server.socketio_server.FanoutManager` (a room broadcast encoded once).

    Args:
        url: Redis URL; channel: the pub/sub channel (per key prefix); node_id: this node.
    """

    def __init__(self, url: str, channel: str, node_id: str) -> None:
        super().__init__(url, channel=channel)
        self.node_id = node_id
        #: ``async (request dict) -> reply dict``: set by the :class:`Router`.
        self.on_request = None
        self._pending: dict[str, asyncio.Future] = {}

    async def _handle_emit(self, message: dict) -> None:
        if message.get("event") != RPC_EVENT:
            return await super()._handle_emit(message)
        data = message.get("data")
        body = data[0] if isinstance(data, list) and data else data
        if not isinstance(body, dict) or body.get("to") not in (self.node_id, "*"):
            return
        if body.get("kind") == "reply":
            fut = self._pending.pop(body.get("id"), None)
            if fut is not None and not fut.done():
                fut.set_result(body.get("result"))
        elif self.on_request is not None:
            asyncio.get_running_loop().create_task(self._serve(body))

    async def _serve(self, body: dict) -> None:
        try:
            result = await self.on_request(body)
        except Exception:
            log.exception("cluster_rpc_failed", kind=body.get("kind"))
            result = {"ack": schemas.error_ack(ErrorCode.INTERNAL, "the server hit an error")}
        if body.get("id"):
            await self._send({"to": body["from"], "kind": "reply", "id": body["id"], "result": result})

    async def _send(self, body: dict) -> None:
        await self._publish({"method": "emit", "event": RPC_EVENT, "data": [body], "namespace": "/",
                             "room": None, "skip_sid": None, "callback": None, "host_id": self.host_id})

    async def call(self, node: str, kind: str, payload: dict, *, timeout: float = RPC_TIMEOUT_S) -> Any:
        """Send a request to ``node`` and wait for its reply. Raises ``asyncio.TimeoutError``."""
        rid = uuid.uuid4().hex
        fut = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        try:
            await self._send({"to": node, "from": self.node_id, "kind": kind, "id": rid, **payload})
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._pending.pop(rid, None)

    async def tell(self, node: str, kind: str, payload: dict) -> None:
        """A request without a reply."""
        await self._send({"to": node, "from": self.node_id, "kind": kind, **payload})


def _encode(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: {"__b64__": base64.b64encode(v).decode()} if isinstance(v, (bytes, bytearray)) else v
                for k, v in data.items()}
    return data


def _decode(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: base64.b64decode(v["__b64__"]) if isinstance(v, dict) and set(v) == {"__b64__"} else v
                for k, v in data.items()}
    return data


class Router:
    """Routes the gateway's commands to the room's owner (see the module docstring)."""

    def __init__(self, gateway, node, mgr: ClusterSocketManager) -> None:
        from .gateway import Session

        self._Session = Session
        self.g, self.node, self.mgr = gateway, node, mgr
        self.local_dispatch = gateway._dispatch
        self.local_disconnect = gateway.on_disconnect
        gateway._dispatch = self.dispatch
        gateway.sio.on("disconnect", self.on_disconnect)
        mgr.on_request = self.serve
        node.on_node_gone = self.node_gone
        node.on_taken_over = self.announce_moved
        #: sids of sessions on other nodes that this node serves -> their node.
        self.remote: dict[str, str] = {}

    async def _owner(self, room_id: str) -> str | None:
        loop = asyncio.get_running_loop()
        end = loop.time() + OWNER_WAIT_S
        while True:
            owner = await self.node.owner_of(room_id)
            if owner is not None or loop.time() >= end or not await self.node.is_stored(room_id):
                return owner                     # a room nobody stores does not exist: no waiting
            await asyncio.sleep(0.25)

    async def dispatch(self, name: str, sid: str, data: Any) -> dict:
        s = self.g.sessions.get(sid)
        if s is None or name in LOCAL_EVENTS or sid in self.remote:
            return await self.local_dispatch(name, sid, data)
        room_id = s.room_id
        if name == "join_room" and isinstance(data, dict) and (data.get("room_id") or data.get("join_code")):
            rid, code = data.get("room_id"), data.get("join_code")
            room_id = await self.node.room_of(rid if isinstance(rid, str) else None,
                                              code if isinstance(code, str) else None)
        if not room_id or room_id in self.g.manager.hosts:
            return await self.local_dispatch(name, sid, data)
        owner = await self._owner(room_id)
        if owner is None or owner == self.node.node_id:
            return await self.local_dispatch(name, sid, data)
        body = {"name": name, "sid": sid, "data": _encode(data),
                "session": {"user_id": s.user_id, "display_name": s.display_name, "room_id": s.room_id,
                            "in_lobby": s.in_lobby}}
        try:
            result = await self.mgr.call(owner, "command", body)
        except asyncio.TimeoutError:
            metrics.EVENTS_IN.labels(name, "internal_error").inc()
            return schemas.error_ack(ErrorCode.INTERNAL, "the room's server did not answer; try again")
        s.room_id, s.in_lobby = result["session"]["room_id"], result["session"]["in_lobby"]
        return result["ack"]

    async def serve(self, body: dict) -> dict | None:
        """Run a request from another node: ``command`` (returns ``{ack, session}``) or ``disconnect``."""
        if body["kind"] == "rooms_moved":
            await self.rooms_moved(body["rooms"])
            return None
        sid = body["sid"]
        if body["kind"] == "disconnect":
            if self.remote.pop(sid, None) is not None:
                metrics.CONNECTED_CLIENTS.inc()          # on_disconnect counts it down; it was never counted up
                await self.local_disconnect(sid)
            return None
        sess = body["session"]
        s = self.g.sessions.get(sid)
        if s is None or sid not in self.remote:
            s = self.g.sessions[sid] = self._Session(sess["user_id"], sess["display_name"])
            self.remote[sid] = body["from"]
        s.room_id, s.in_lobby = sess["room_id"], sess["in_lobby"]
        ack = await self.local_dispatch(body["name"], sid, _decode(body["data"]))
        return {"ack": ack, "session": {"room_id": s.room_id, "in_lobby": s.in_lobby}}

    async def on_disconnect(self, sid: str, *args: Any) -> None:
        s = self.g.sessions.get(sid)
        if s is not None and s.room_id and s.room_id not in self.g.manager.hosts:
            owner = await self.node.owner_of(s.room_id)
            if owner and owner != self.node.node_id:
                try:
                    await self.mgr.tell(owner, "disconnect", {"sid": sid})
                except Exception:
                    log.warning("cluster_disconnect_relay_failed", sid=sid)
        await self.local_disconnect(sid, *args)

    async def rooms_moved(self, room_ids: list[str]) -> None:
        """Rooms another node (or this one) just took over: this node's sockets in them are
        disconnected, so each client reconnects and rejoins with its last ``seq`` through the
        missed-event replay (the new owner marked every player away and cannot tell which sockets
        outlived the old owner, nor what they missed while it died)."""
        rooms = set(room_ids)
        for sid, s in list(self.g.sessions.items()):
            if s.room_id in rooms and sid not in self.remote:
                await self.g.sio.disconnect(sid)

    async def announce_moved(self, room_ids: list[str]) -> None:
        """Tell every node (and this one) that ``room_ids`` changed owner."""
        if room_ids:
            await self.mgr.tell("*", "rooms_moved", {"rooms": list(room_ids)})
            await self.rooms_moved(room_ids)

    async def node_gone(self, node: str) -> None:
        """A node died: its clients' sockets are gone, so drop the sessions it had here."""
        for sid, origin in list(self.remote.items()):
            if origin == node:
                await self.serve({"kind": "disconnect", "sid": sid})
