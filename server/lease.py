"""Room leases in Redis: each room is owned by one game process at a time (``docs/cluster.md``).

Keys (``P`` = ``ARENA_KEY_PREFIX``):

- ``P room:<id>:owner``: STRING ``"<node id>:<epoch>"``, set NX with a PX time to live
  (:data:`LEASE_TTL_MS`) and renewed by the owner's heartbeat every :data:`RENEW_EVERY_MS`;
- ``P room:<id>:epoch``: the room's fencing counter, INCR-ed at every acquisition, so each lease
  value (the *lease token*) is unique and newer owners have larger epochs.

A process that loses a lease (its heartbeat came too late, another process took the room) cannot
write the room any more: :class:`FencedRedisStore` stores a room's events and state tree only with
a Lua script that first checks the owner key still holds this process's token (a script runs
atomically, so no other owner can come in between), so a stale owner's write fails with
:class:`LeaseLost` and never reaches the stream.
"""

from __future__ import annotations

import json
import time

from .store.redis_store import EVENTS_MAXLEN, EVENTS_TTL_S, ROOM_STATE_TTL_S, RedisStore, append_script

#: A lease lives this long (ms) without renewal: a dead process's rooms are free after at most this.
LEASE_TTL_MS = 3000
#: The owner renews its leases this often (ms).
RENEW_EVERY_MS = 1000

_ACQUIRE = """
if redis.call('exists', KEYS[1]) == 1 then return false end
local epoch = redis.call('incr', KEYS[2])
redis.call('expire', KEYS[2], 86400)
local token = ARGV[1] .. ':' .. epoch
redis.call('set', KEYS[1], token, 'PX', ARGV[2])
return token
"""
# Every lease of a node in one call: KEYS = owner keys, ARGV = their tokens, then the TTL (ms).
_RENEW = """
local ttl = ARGV[#ARGV]
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('get', key) == ARGV[i] then out[i] = redis.call('pexpire', key, ttl) else out[i] = 0 end
end
return out
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class LeaseLost(Exception):
    """This process no longer owns the room (its lease expired or another process holds it)."""

    def __init__(self, room_id: str) -> None:
        super().__init__(f"lease lost: room {room_id}")
        self.room_id = room_id


def node_of(token: str | None) -> str | None:
    """The node id in a lease token ``"<node>:<epoch>"`` (None for no token)."""
    return token.rsplit(":", 1)[0] if token else None


class Leases:
    """The leases one process (``node_id``) holds.

    Args:
        store: the Redis store (its client and key prefix are used).
        node_id: this process's id (no ``:``-free requirement: the epoch is after the last ``:``).
        ttl_ms: lease time to live (ms).
    """

    def __init__(self, store: RedisStore, node_id: str, ttl_ms: int = LEASE_TTL_MS) -> None:
        self.r = store.r
        self.prefix = store.prefix
        self.node_id = node_id
        self.ttl_ms = ttl_ms
        #: room id -> (lease token, monotonic ms until which it surely holds).
        self.held: dict[str, tuple[str, float]] = {}
        #: rooms this process ever held: a lost lease is never taken back silently by a write.
        self.ever: set[str] = set()
        self._acquire = self.r.register_script(_ACQUIRE)
        self._renew = self.r.register_script(_RENEW)
        self._release = self.r.register_script(_RELEASE)

    def owner_key(self, room_id: str) -> str:
        return f"{self.prefix}room:{room_id}:owner"

    def _epoch_key(self, room_id: str) -> str:
        return f"{self.prefix}room:{room_id}:epoch"

    @staticmethod
    def _now_ms() -> float:
        return time.monotonic() * 1000

    async def acquire(self, room_id: str) -> str | None:
        """SET NX PX the room's lease for this node; the token, or None when another node holds it."""
        t0 = self._now_ms()
        token = await self._acquire(keys=[self.owner_key(room_id), self._epoch_key(room_id)],
                                    args=[self.node_id, self.ttl_ms])
        if token is None:
            return None
        self.held[room_id] = (token, t0 + self.ttl_ms)
        self.ever.add(room_id)
        return token

    async def renew_all(self) -> list[str]:
        """Renew every held lease (one script call: compare the token, then PEXPIRE); returns the room
        ids whose lease was lost."""
        if not self.held:
            return []
        t0 = self._now_ms()
        items = list(self.held.items())
        results = await self._renew(keys=[self.owner_key(room_id) for room_id, _ in items],
                                    args=[token for _, (token, _) in items] + [self.ttl_ms])
        lost = []
        for (room_id, (token, _)), ok in zip(items, results):
            if ok:
                if room_id in self.held:
                    self.held[room_id] = (token, t0 + self.ttl_ms)
            else:
                self.held.pop(room_id, None)
                lost.append(room_id)
        return lost

    async def release(self, room_id: str) -> None:
        """Give the lease up (a clean stop, a disposed room): another node may take the room at once."""
        held = self.held.pop(room_id, None)
        if held is not None:
            await self._release(keys=[self.owner_key(room_id)], args=[held[0]])

    def token(self, room_id: str) -> str | None:
        """This node's token for the room, or None when not held (or surely expired locally)."""
        held = self.held.get(room_id)
        if held is None:
            return None
        if held[1] <= self._now_ms():           # renewals failed for a whole TTL: it expired in Redis
            self.held.pop(room_id, None)
            return None
        return held[0]

    async def owners(self, room_ids: list[str]) -> dict[str, str | None]:
        """room id -> current lease token (None: free)."""
        if not room_ids:
            return {}
        vals = await self.r.mget([self.owner_key(i) for i in room_ids])
        return dict(zip(room_ids, vals))


# The fenced append in one round trip (a script runs atomically): KEYS = owner, stream, state, live
# set; ARGV = token, then as the unfenced script. -1: not the owner (nothing written).
_APPEND = append_script(fenced=True)


class FencedRedisStore(RedisStore):
    """A :class:`RedisStore` whose room writes are fenced by the room's lease.

    A room's first write takes its lease (a room created here); after that every event batch and
    state tree goes in only while this node's token is the owner key's value: one Lua script checks
    the owner key and does what ``RedisStore``'s append script does (XADD each event with id
    ``<seq>-0`` and ``MAXLEN ~``, the stream's TTL, the tree and ``rooms:live``), atomically, and
    group-committed with the other rooms' writes like the base store's. Raises :class:`LeaseLost`
    instead of writing otherwise.
    """

    leases: Leases

    async def _fence(self, room_id: str) -> tuple[str, str]:
        token = self.leases.token(room_id)
        if token is None:
            if room_id in self.leases.ever:
                raise LeaseLost(room_id)
            token = await self.leases.acquire(room_id)
            if token is None:
                raise LeaseLost(room_id)
        return self.leases.owner_key(room_id), token

    APPEND_SCRIPT = _APPEND

    async def _append_call(self, room_id, events, state) -> tuple[list, list]:
        owner_key, token = await self._fence(room_id)
        args: list = [token, EVENTS_MAXLEN, EVENTS_TTL_S, state if state is not None else "", ROOM_STATE_TTL_S,
                      room_id]
        for seq, name, wire in events:
            args += [f"{seq}-0", name, json.dumps(wire, ensure_ascii=False)]
        return [owner_key, self.events_key(room_id), self.state_key(room_id), self.live_key], args

    def _append_result(self, room_id, result) -> None:
        if result == -1:
            raise LeaseLost(room_id)

    async def forget_room(self, room_id: str) -> None:
        """Delete the stored state only while owning the room, then release its lease."""
        if self.leases.token(room_id) is None:
            return
        await super().forget_room(room_id)
        await self.leases.release(room_id)

    async def drop_events(self, room_id: str) -> None:
        if self.leases.token(room_id) is not None:
            await super().drop_events(room_id)
