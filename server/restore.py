"""Failover of one game process: rooms that outlive a restart of ``arena serve``.

Saving is the flush's job (``RoomHost._flush_locked``): whenever a room's state changed, the tree
(:class:`rooms.state.RoomState` as JSON) taken with the drain goes to Redis in the same Lua script call
as the events it produced (``RedisStore.append_events(state=...)``), and the room is listed in
``rooms:live``. This module does the rest (``docs/failover.md``):

- :func:`restore_rooms` at start-up: every stored room comes back on its stored deadlines, its
  board rebuilt from its own answers, its seq continued after its event stream's newest entry;
  humans are away (the reconnection grace period, at least :data:`RESTORE_GRACE_MS`, starts now),
  the jobs that were out go out again.
- :func:`suspend_rooms` at a clean stop: each room's last changes are stored and its tick stops,
  but the room is neither finished nor forgotten, so the next start restores it.

``ARENA_RESTORE_ROOMS=0`` (``Config.restore_rooms``) turns both off: a stop then ends every match.
"""

from __future__ import annotations

import json

from rooms.room import Room
from scoring.rubric import RubricScorer

from . import metrics
from .logs import log

#: After a restart every player has at least this long (real ms, whatever the time scale) to come back:
#: clients need a few seconds to notice the drop and reconnect (Socket.IO's backoff reaches 5 s).
RESTORE_GRACE_MS = 15_000


async def restore_rooms(manager) -> list[str]:
    """Bring back every room stored in Redis that this process does not run yet; returns their ids.

    A room whose tree cannot be read (another state version, a question the bank no longer holds)
    is logged and forgotten, never half-restored.
    """
    restored = []
    for room_id, text in (await manager.redis.room_states()).items():
        if room_id not in manager.hosts and await restore_room(manager, room_id, text):
            restored.append(room_id)
    return restored


async def restore_room(manager, room_id: str, text: str) -> bool:
    """Restore one room from its stored tree ``text`` (JSON) and start its tick; False when the tree
    cannot be read (it is then logged and forgotten). The cluster's takeover calls this too, once it
    holds the room's lease (``server/cluster.py``)."""
    from .runtime import RoomHost

    store = manager.redis
    try:
        tree = json.loads(text)
        room = Room.from_json(tree, clock=manager.clock, bank=manager.bank,
                              fallback_scorer=RubricScorer(tree["settings"]["answer_seconds"]))
    except (ValueError, KeyError, TypeError):
        log.exception("room_restore_failed", room_id=room_id)
        await store.forget_room(room_id)
        return False
    # Drafts (answer_stream) are not saved: their events may be newer than the tree.
    room.seq = max(room.seq, await store.last_event_seq(room_id))
    if room.started_ms is not None:
        await store.set_room_board(room_id, room.totals())
    host = RoomHost(manager, room)
    host._applied_seq = host._stored_seq = host.sent_seq = room.seq    # all in the stream already
    room.resume(min_grace_ms=RESTORE_GRACE_MS)        # its events (presence) go out with the first flush
    manager.hosts[room_id] = host
    manager.by_code[room.join_code] = room_id
    host.start()
    log.info("room_restored", room_id=room_id, phase=room.phase, seq=room.seq)
    metrics.ACTIVE_ROOMS.set(len(manager.hosts))
    manager.lobby_changed()
    return True


async def suspend_rooms(manager) -> None:
    """Store every room's last changes and stop its tick and jobs, keeping it restorable (the
    manager forgets it, so its own stop disposes nothing)."""
    for room_id, host in list(manager.hosts.items()):
        try:
            await host.flush()
        except Exception:
            log.exception("room_suspend_flush_failed", room_id=room_id)
        await host.stop()
        manager.hosts.pop(room_id, None)
        manager.by_code.pop(host.room.join_code, None)
        log.info("room_suspended", room_id=room_id, phase=host.room.phase)
