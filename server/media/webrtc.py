"""The media sidecar's WebRTC side (aiortc): answering offers, one peer connection per session,
the audio track (resampled to 16 kHz mono s16 with ``av.AudioResampler``) into the participant's
queue, and the video track sampled at ~2 fps for facial expression (and the "tense" nudge).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

import numpy as np

from .audio import TARGET_SAMPLE_RATE, MediaError
from .participant import Participant

log = logging.getLogger("arena.media")

SR = TARGET_SAMPLE_RATE
#: Frames per second sampled from a video track for expression analysis.
VIDEO_FPS = 2.0
#: Mean tension (0..1) over the last ``TENSION_WINDOW`` expression samples above which the
#: "you look tense" nudge is sent.
TENSION_THRESHOLD = 0.5


def ice_servers_from_env():
    """``$ARENA_ICE_SERVERS`` (comma-separated stun:/turn: URLs) -> RTCIceServer list; default none.

    aiortc falls back to a public Google STUN server when given ``None``; we always
    pass an explicit list so no traffic leaves the machine unless configured.
    """
    from aiortc import RTCIceServer

    urls = [u.strip() for u in os.environ.get("ARENA_ICE_SERVERS", "").split(",") if u.strip()]
    return [RTCIceServer(urls=u) for u in urls]


def restrict_ice_hosts_from_env() -> None:
    """If ``$ARENA_ICE_HOSTS`` is set (comma-separated IPs), gather ICE host candidates only there.

    Useful for tests (``127.0.0.1``) and for hosts with many interfaces.
    """
    hosts = [h.strip() for h in os.environ.get("ARENA_ICE_HOSTS", "").split(",") if h.strip()]
    if not hosts:
        return
    import aioice.ice

    def get_host_addresses(use_ipv4: bool = True, use_ipv6: bool = True) -> list[str]:
        return [h for h in hosts if (":" in h and use_ipv6) or (":" not in h and use_ipv4)]

    aioice.ice.get_host_addresses = get_host_addresses


class WebRTCMixin:
    """Peer connections and tracks for :class:`~server.media.sidecar.MediaSidecar` (uses its
    ``peers``, ``analyzer``, ``expr_pool``, ``publish``, ``_spawn``, ``_feedback``)."""

    # -- WebRTC ------------------------------------------------------------------------
    async def _offer_task(self, msg: dict) -> None:
        try:
            await self._answer_offer(msg)
        except MediaError as e:
            await self._close_peer(msg["session_id"])
            await self.publish_error(msg, e.code, e.message)
        except Exception as e:  # noqa: BLE001 - aiortc raises many types on bad SDP
            await self._close_peer(msg["session_id"])
            log.info("offer failed: %s", e)
            await self.publish_error(msg, "bad_sdp", f"could not negotiate: {type(e).__name__}: {e}")

    async def _answer_offer(self, msg: dict) -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

        sid, room, pid = msg["session_id"], msg["room_id"], msg["participant_id"]
        await self._close_peer(sid)  # a new offer for a session replaces the old connection
        p = self.participant(room, pid, sid)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=ice_servers_from_env()))
        entry = {"pc": pc, "room_id": room, "participant_id": pid, "tasks": []}
        self.peers[sid] = entry

        @pc.on("track")
        def on_track(track):
            if track.kind == "audio":
                entry["tasks"].append(self._spawn(self._consume_audio(p, track)))
            elif track.kind == "video":
                entry["tasks"].append(self._spawn(self._consume_video(p, track)))

        @pc.on("connectionstatechange")
        async def on_state():
            log.info("peer %s: %s", sid, pc.connectionState)
            if pc.connectionState in ("failed", "closed") and self.peers.get(sid, {}).get("pc") is pc:
                await self._close_peer(sid)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type="offer"))
            answer = await pc.createAnswer()
            await pc.setLocalDescription(answer)
        except Exception as e:  # noqa: BLE001
            raise MediaError("bad_sdp", f"could not negotiate: {type(e).__name__}: {e}") from None
        await self.publish(room, {"type": "answer", "session_id": sid, "room_id": room, "participant_id": pid,
                                  "sdp": pc.localDescription.sdp, "sdp_type": pc.localDescription.type})

    async def _close_peer(self, sid: str) -> None:
        entry = self.peers.pop(sid, None)
        if not entry:
            return
        for t in entry["tasks"]:
            t.cancel()
        try:
            await entry["pc"].close()
        except Exception:  # noqa: BLE001
            log.exception("closing peer %s", sid)

    async def _consume_audio(self, p: Participant, track) -> None:
        """Read an aiortc audio track, resample to 16 kHz mono, feed the participant."""
        import av
        from aiortc.mediastreams import MediaStreamError

        resampler = av.AudioResampler(format="s16", layout="mono", rate=SR)
        batch: list[np.ndarray] = []
        batch_len = 0
        try:
            while True:
                frame = await track.recv()
                for f in resampler.resample(frame):
                    a = f.to_ndarray().reshape(-1)
                    batch.append(a.astype(np.float32) / 32768.0)
                    batch_len += a.size
                if batch_len >= SR // 10:  # hand over every ~100 ms
                    self.enqueue(p, np.concatenate(batch))
                    batch, batch_len = [], 0
        except MediaStreamError:
            pass
        finally:
            if batch_len:
                self.enqueue(p, np.concatenate(batch))
            p.queue.put_nowait(("track_end", {}))

    async def _consume_video(self, p: Participant, track) -> None:
        """Sample a video track at :data:`VIDEO_FPS` into expression analysis; drop frames while busy."""
        from aiortc.mediastreams import MediaStreamError

        loop = asyncio.get_running_loop()
        busy: asyncio.Future | None = None
        last = -1e9
        try:
            while True:
                frame = await track.recv()
                now = time.monotonic()
                if self.analyzer is None or now - last < 1.0 / VIDEO_FPS or (busy and not busy.done()):
                    continue
                last = now
                busy = loop.run_in_executor(self.expr_pool, self._expression_sync, frame)
                busy.add_done_callback(lambda fut: self._spawn(self._publish_expression(p, fut)))
        except MediaStreamError:
            pass

    def _expression_sync(self, frame) -> dict:
        img = frame.to_ndarray(format="bgr24")
        return self.analyzer.analyse(img)

    async def _publish_expression(self, p: Participant, fut) -> None:
        if fut.cancelled() or fut.exception() is not None:
            return
        res = fut.result()
        if not res["faces"]:
            return
        from .expression import dominant, tension

        face = res["faces"][0]
        emotions = face["emotions"]
        await self.publish(p.room_id, {"type": "expression", "session_id": p.session_id, "room_id": p.room_id,
                                       "participant_id": p.participant_id, "emotions": emotions,
                                       "dominant": dominant(emotions), "box": face["box"],
                                       "faces": len(res["faces"])})
        p.tension.append(tension(emotions))
        if len(p.tension) == p.tension.maxlen and sum(p.tension) / len(p.tension) > TENSION_THRESHOLD:
            fb = self._feedback(p, {"kind": "expression",
                                    "message": "You look tense: relax your shoulders and smile when it fits."})
            if fb:
                p.tension.clear()
                await self.publish(p.room_id, fb)
