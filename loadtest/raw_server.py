"""The baseline of ``make bench-load``: raw python-socketio doing the arena's fan-out at the same rates.

No validation, no Redis, no scoring: rooms of the driver's humans + 2 scripted AI seats; each draft is
echoed to the room as ``answer_stream``; a room runs the arena's timeline (countdown, question, turns,
an AI streams a draft every 200 ms, scores, reveal) with payloads of the same shape. ``--compress 0/1``
matches the arena's websocket permessage-deflate policy. Usage: ``python -m loadtest.raw_server --port P``.
"""
import argparse, asyncio, itertools, random, secrets
import socketio
from aiohttp import web
from engineio.async_drivers import aiohttp as eio_aiohttp

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=8091)
ap.add_argument("--compress", type=int, default=1, help="websocket permessage-deflate (aiohttp's default: on)")
ap.add_argument("--ai-stream-s", type=float, default=17.0, help="how long an AI seat streams (the arena: until 1 s before the 20 s deadline)")
A = ap.parse_args()


async def _ws(self, environ):                     # engine.io's aiohttp driver, with permessage-deflate on/off
    self._sock = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=bool(A.compress))
    await self._sock.prepare(environ["aiohttp.request"])
    self.environ = environ
    await self.handler(self)
    return self._sock
eio_aiohttp.WebSocket.__call__ = _ws
sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=10, ping_timeout=10)
app = web.Application()
sio.attach(app)
tokens, uid_of, room_of, rooms, codes = {}, {}, {}, {}, {}
seqs = itertools.count(1)
TEXT = "I measured p99 latency, found a missing index and added a composite one; latency fell to 150 ms " * 3


async def guest(request):
    uid, tok = secrets.token_hex(5), secrets.token_hex(8)
    tokens[tok] = uid
    return web.json_response({"token": tok, "user_id": uid})
app.router.add_post("/api/v1/auth/guest", guest)


async def out(r, name, **payload):
    await sio.emit(name, {"room_id": r["id"], **payload, "seq": next(seqs)}, room=r["id"])


@sio.on("connect")
async def connect(sid, environ, auth):
    uid_of[sid] = tokens.pop(auth["token"])


@sio.on("disconnect")
async def disconnect(sid, *args):
    uid_of.pop(sid, None)
    room_of.pop(sid, None)


@sio.on("*")
async def command(name, sid, data):
    uid, r = uid_of[sid], rooms.get(room_of.get(sid))
    if name == "create_room":
        r = {"id": secrets.token_hex(5), "code": secrets.token_hex(3), "humans": [], "submitted": asyncio.Event()}
        rooms[r["id"]], codes[r["code"]] = r, r["id"]
        return {"ok": True, "room_id": r["id"], "join_code": r["code"]}
    if name == "join_room":
        r = rooms[data.get("room_id") or codes[data["join_code"]]]
        room_of[sid] = r["id"]
        r["humans"].append(uid)
        await sio.enter_room(sid, r["id"])
        await out(r, "participant_joined", participant_id=uid, display_name="bot", role="player")
    elif name == "set_ready":
        await out(r, "ready_changed", participant_id=uid, ready=True)
    elif name == "start_match":
        asyncio.create_task(match(r))
    elif name == "answer_draft":
        await out(r, "answer_stream", participant_id=uid, text=data["text"])
    elif name == "submit_answer":
        await out(r, "answer_submitted", participant_id=uid, answer_id="a1", text=data["text"], auto=False)
        r["submitted"].set()
    elif name == "leave_room":
        room_of.pop(sid, None)
        await sio.leave_room(sid, r["id"])
    return {"ok": True}


async def match(r):
    seats = r["humans"] + ["ai_naver", "ai_kakao"]
    await out(r, "phase_changed", phase="countdown", ends_ms=0)
    await asyncio.sleep(3)
    for q in range(10):
        await out(r, "question_asked", question_id=f"q{q}", text="Tell us about a time you fixed a slow API.", index=q)
        await asyncio.sleep(2)
        await out(r, "phase_changed", phase="answering", ends_ms=0)
        for i, pid in enumerate(seats[q % 7:] + seats[:q % 7]):
            await out(r, "turn_started", participant_id=pid, question_id=f"q{q}", deadline_ms=0, turn_index=i, turns_total=7)
            if pid.startswith("ai_"):
                await asyncio.sleep(random.uniform(1.2, 3.0))
                for k in range(int(A.ai_stream_s * 5)):
                    await out(r, "answer_stream", participant_id=pid, text=TEXT[:k * 6])
                    await asyncio.sleep(0.2)
                await out(r, "answer_submitted", participant_id=pid, answer_id="a2", text=TEXT, auto=False)
            else:
                r["submitted"].clear()
                try:
                    await asyncio.wait_for(r["submitted"].wait(), 20)
                except asyncio.TimeoutError:
                    pass
        await out(r, "phase_changed", phase="scoring", ends_ms=0)
        await asyncio.sleep(0.5)
        for pid in seats:
            await out(r, "score_update", participant_id=pid, score=70, dimensions={"content": 70}, feedback="ok")
        await out(r, "leaderboard_update", entries=[{"participant_id": p, "score": 70, "rank": 1} for p in seats])
        await out(r, "phase_changed", phase="reveal", ends_ms=0)
        await asyncio.sleep(5)
    await out(r, "session_complete", ranking=[], report_url=None)


web.run_app(app, host="127.0.0.1", port=A.port, print=None)
