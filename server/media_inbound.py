"""Sidecar -> game server: the half of :class:`~server.media_bridge.MediaBridge` that reads
``media:out:*`` and applies each message to the room it names (docs/media.md, "Sidecar -> room").

* ``answer`` / ``error`` for a pending offer resolve it;
* ``partial`` / ``final`` become the player's draft (``room.answer_draft`` -> ``answer_stream``)
  plus ``audio_processed`` to the speaker; a final's delivery is merged into ``room.set_delivery``;
* ``turn_summary`` attaches the whole turn's delivery, its recording and word timings;
* ``feedback`` / ``expression`` become ``real_time_feedback`` to the speaker only (expression at
  most every :data:`EXPRESSION_INTERVAL_S` s unless the dominant emotion changes);
* ``error`` becomes ``error_message`` to the speaker.

:class:`SidecarMessages` is a mixin: it uses the bridge's ``redis``, ``manager``, ``pool``, ``turns``,
``pending``, ``recordings``, ``words``, ``emit`` and ``sids_of``.
"""

from __future__ import annotations

import asyncio
import json
import time

from rooms.errors import RoomError

from .logs import log
from .media_turns import merge_deliveries

OUT_PATTERN = "media:out:*"
#: At most one ``real_time_feedback`` of kind ``expression`` per participant this often (s),
#: unless the dominant emotion changes.
EXPRESSION_INTERVAL_S = 10.0


class SidecarMessages:
    """What the bridge does with the sidecar's messages (mixed into :class:`~server.media_bridge.MediaBridge`)."""

    async def _listener(self) -> None:
        backoff = 0.5
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(OUT_PATTERN)
                backoff = 0.5
                while True:
                    m = await pubsub.get_message(timeout=1.0)
                    if m is None or m.get("type") != "pmessage":
                        continue
                    try:
                        msg = json.loads(m["data"])
                    except (ValueError, TypeError):
                        continue
                    if isinstance(msg, dict):
                        if not msg.get("room_id"):        # the sidecar's errors name the room by channel only
                            msg["room_id"] = str(m.get("channel") or "")[len(OUT_PATTERN) - 1:]
                        try:
                            await self.handle(msg)
                        except Exception:
                            log.exception("media_message_failed", type=msg.get("type"))
            except asyncio.CancelledError:
                raise
            except Exception as e:                          # Redis dropped: resubscribe
                log.warning("media_listener_reconnect", error=str(e))
                await asyncio.sleep(backoff)
                backoff = min(10.0, backoff * 2)
            finally:
                try:
                    await pubsub.aclose()
                except Exception:
                    pass

    async def handle(self, msg: dict) -> None:
        """Apply one sidecar message (``media:out:<room_id>``) to the room it names."""
        kind, sid = msg.get("type"), msg.get("session_id")
        if kind in ("answer", "error") and sid and sid in self.pending:
            if not self.pending[sid].done():
                self.pending[sid].set_result(msg)
            return
        rid, pid = msg.get("room_id"), msg.get("participant_id")
        host = self.manager.hosts.get(rid) if isinstance(rid, str) else None
        if host is None or not isinstance(pid, str):
            return                                          # another process's room, or gone
        room = host.room
        key = (rid, pid)
        a = self.pool.assigned(rid)
        if a is not None and msg.get("sidecar_id") not in (None, a.sidecar_id):
            return                                          # a sidecar the room has left (failover)
        if kind in ("partial", "final"):
            st = self.turns.get(key)
            if st is None or not st.open or msg.get("turn_id") not in (None, st.turn_id):
                return                                      # audio outside a spoken turn
            transcript = str(msg.get("transcript") or "")
            if st.typed is None:                            # keep what was typed before the first words
                turn = room.turns.get(pid)
                st.typed = turn.draft if turn is not None and not turn.done else ""
            if kind == "final":
                if transcript.strip():
                    st.finals.append(transcript)
                if isinstance(msg.get("delivery"), dict):
                    st.deliveries.append(msg["delivery"])
                    room.set_delivery(pid, st.question_id, merge_deliveries(st.deliveries), follow_up=st.follow_up)
                text = st.text()
            else:
                text = st.text(transcript)
            if st.floor is not None:                        # a replay is catching up: never shrink the draft
                if len(text) >= len(st.floor) or (kind == "final" and float(msg.get("end") or 0.0)
                                                  >= st.replay_s - 1.5):
                    st.floor = None
                else:
                    text = st.floor
            st.shown = text
            try:
                room.answer_draft(pid, text)
            except RoomError:
                pass                                        # the turn just ended
            await host.flush()
            seq = msg.get("chunk_seq") if msg.get("chunk_seq") is not None else msg.get("seq")
            await self._to_player(rid, pid, "audio_processed",
                                  {"seq": seq, "transcript": transcript, "is_final": kind == "final",
                                   "text": text, "utterance": msg.get("utterance")})
        elif kind == "turn_summary":
            tid = msg.get("turn_id")
            if not tid:
                return                                      # the empty gating turn of an off-turn offer
            qid, follow_up = str(tid).removesuffix("#fu"), str(tid).endswith("#fu")
            if isinstance(msg.get("delivery"), dict) and msg["delivery"].get("speech_s"):
                room.set_delivery(pid, qid, {**msg["delivery"], "source": "turn"}, follow_up=follow_up)
            if msg.get("recording"):
                self.recordings[(rid, pid, qid, follow_up)] = str(msg["recording"])
                if isinstance(msg.get("words"), list):
                    self.words[(rid, pid, qid, follow_up)] = msg["words"]
            await host.flush()
        elif kind in ("feedback", "expression"):
            if kind == "expression":
                if isinstance(msg.get("emotions"), dict):   # every sample goes into the room's summary
                    room.set_expression(pid, msg["emotions"])
                dom = str(msg.get("dominant") or "")
                last = self._expr_sent.get(key)
                now = time.monotonic()
                if not dom or (last and last[1] == dom and now - last[0] < EXPRESSION_INTERVAL_S):
                    return
                self._expr_sent[key] = (now, dom)
                payload = {"participant_id": pid, "kind": "expression", "message": f"expression: {dom}",
                           "dominant": dom, "advisory": True}
            else:
                payload = {"participant_id": pid, "kind": str(msg.get("kind") or "delivery"),
                           "message": str(msg.get("message") or ""), "advisory": True}
            if room.phase == "finished":
                return
            # Coaching is private: only the speaker's sockets get it (not the room, not spectators).
            await self._to_player(rid, pid, "real_time_feedback", {"room_id": rid, **payload})
        elif kind == "error":
            err = {"code": str(msg.get("code") or "media_error"), "message": str(msg.get("message") or "")}
            if msg.get("seq") is not None:
                err["seq"] = msg["seq"]
            await self._to_player(rid, pid, "error_message", err)

    async def _to_player(self, room_id: str, pid: str, event: str, data: dict) -> None:
        for s in self.sids_of(room_id, pid):
            await self.emit(event, data, to=s)
