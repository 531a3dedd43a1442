"""Locust bots for Interview Arena: sign in, create or join rooms, play matches.

Each simulated user is a guest with one Socket.IO connection. Users gather in
rooms of ``ARENA_LT_GROUP`` humans (default 3) plus two AI personas; the
creator hosts and starts when the room is full or after a short wait. On
their turn, bots type a draft and submit an answer.

Reported (Locust request types):
- ``WSC <event>``: ack latency of every client-to-server call (Socket.IO ack round trip);
- ``EVT answer_stream`` / ``EVT answer_submitted``: event latency, from sending
  ``answer_draft`` / ``submit_answer`` to receiving our own broadcast back through the room;
- ``WSR <event>``: count and size of received events;
- ``MATCH complete``: time from ``start_match`` to ``session_complete``.

Targets 127.0.0.1 only (see ``loadtest/run.py``, which starts the server).
"""

from __future__ import annotations

import os
import random
import time
from urllib.parse import urlsplit

import gevent
import requests
from locust import between, task
from locust.contrib.socketio import SocketIOUser

GROUP = int(os.environ.get("ARENA_LT_GROUP", "3"))
ANSWER = ("When our checkout API slowed down at peak, I measured p99 latency, found a missing index and added a "
          "composite one; the trade-off was write cost. Latency fell from 900 ms to 150 ms and I added a load test.")
FORMING: dict[str, dict] = {}      # room_id -> {"code", "humans", "created"} (per Locust process, gevent-safe)


class ArenaPlayer(SocketIOUser):
    wait_time = between(1, 3)
    options = {"reconnection": False}

    def on_start(self) -> None:
        host = urlsplit(self.host)
        if host.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise RuntimeError("load tests target 127.0.0.1 only")
        t0 = time.perf_counter()
        r = requests.post(f"{self.host}/api/v1/auth/guest", json={"display_name": f"bot{random.randint(0, 99999)}"},
                          timeout=10)
        self.environment.events.request.fire(request_type="HTTP", name="auth/guest",
                                             response_time=(time.perf_counter() - t0) * 1000,
                                             response_length=len(r.content), exception=None, context={})
        body = r.json()
        self.user_id = body["user_id"]
        self.pending: dict[str, float] = {}
        self.done = gevent.event.Event()
        self.started_at = 0.0
        self.sio.on("turn_started", self.on_turn)
        self.sio.on("answer_stream", self.on_echo("answer_stream"))
        self.sio.on("answer_submitted", self.on_echo("answer_submitted"))
        self.sio.on("session_complete", self.on_complete)
        self.sio.connect(self.host, auth={"token": body["token"]}, transports=["websocket"], wait_timeout=10)

    def on_stop(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()

    # --------------------------------------------------------------- events
    def _fire(self, kind: str, name: str, ms: float, exc: Exception | None = None) -> None:
        self.environment.events.request.fire(request_type=kind, name=name, response_time=ms, response_length=0,
                                             exception=exc, context={})

    def on_echo(self, name: str):
        def handler(data):
            self.sio.on_message(name, "")
            if data.get("participant_id") == self.user_id and name in self.pending:
                self._fire("EVT", name, (time.perf_counter() - self.pending.pop(name)) * 1000)
        return handler

    def on_turn(self, data) -> None:
        self.sio.on_message("turn_started", "")
        mine = data.get("participant_id") == self.user_id or self.user_id in (data.get("participants") or [])
        if mine:
            gevent.spawn(self.answer)

    def answer(self) -> None:
        gevent.sleep(random.uniform(0.2, 0.6))
        self.pending["answer_stream"] = time.perf_counter()
        self.sio.call("answer_draft", {"text": ANSWER[:60]}, timeout=10)
        gevent.sleep(random.uniform(0.2, 0.6))
        self.pending["answer_submitted"] = time.perf_counter()
        ack = self.sio.call("submit_answer", {"text": ANSWER}, timeout=10)
        if not ack or not ack.get("ok"):
            self._fire("ACK", "submit_answer rejected", 0, RuntimeError(str(ack)))

    def on_complete(self, data) -> None:
        self.sio.on_message("session_complete", "")
        if self.started_at:
            self._fire("MATCH", "complete", (time.perf_counter() - self.started_at) * 1000)
        self.done.set()

    # ----------------------------------------------------------------- task
    @task
    def play_match(self) -> None:
        self.done.clear()
        self.started_at = 0.0
        self.sio.call("list_rooms", {}, timeout=10)
        room = next((rid for rid, r in FORMING.items() if r["humans"] < GROUP), None)
        if room is not None:
            FORMING[room]["humans"] += 1
            ack = self.sio.call("join_room", {"join_code": FORMING[room]["code"]}, timeout=10)
            if not ack or not ack.get("ok"):
                return
            self.sio.call("set_ready", {"ready": True}, timeout=10)
            self.started_at = time.perf_counter()
        else:
            ack = self.sio.call("create_room", {"title": "locust", "personas": [{"id": "naver", "skill": 3},
                                                {"id": "kakao", "skill": 4}], "question_count": 2, "language": "en",
                                                "turn_mode": "round_robin", "answer_seconds": 20,
                                                "max_humans": GROUP, "private": True}, timeout=10)
            if not ack or not ack.get("ok"):
                return
            rid = ack["room_id"]
            FORMING[rid] = {"code": ack["join_code"], "humans": 1, "created": time.time()}
            self.sio.call("join_room", {"room_id": rid}, timeout=10)
            deadline = time.time() + 6
            while FORMING[rid]["humans"] < GROUP and time.time() < deadline:
                gevent.sleep(0.2)
            FORMING.pop(rid, None)
            gevent.sleep(0.5)                      # let the last joiner mark ready
            for _ in range(10):
                ack = self.sio.call("start_match", {}, timeout=10)
                if ack and ack.get("ok"):
                    break
                gevent.sleep(0.3)
            self.started_at = time.perf_counter()
        self.done.wait(timeout=120)
        self.sio.call("leave_room", {}, timeout=10)
