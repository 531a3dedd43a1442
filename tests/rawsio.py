"""A raw Engine.IO 4 / Socket.IO 5 client over an aiohttp websocket, for sending packets that no
well-behaved client library would produce (malformed JSON, bogus binary headers, reserved names)."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp


class RawSocket:
    """One websocket to ``/socket.io/?EIO=4&transport=websocket``, joined to namespace ``/``.

    ``acks`` maps ack id -> the ack's argument list; ``events`` holds ``(name, data)`` pushes.
    """

    def __init__(self, http: aiohttp.ClientSession, base: str, token: str) -> None:
        self.http = http
        self.url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.token = token
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.acks: dict[int, list] = {}
        self.events: list[tuple[str, object]] = []
        self.closed = asyncio.Event()
        self.disconnected = False            # a Socket.IO DISCONNECT packet or a closed websocket
        self._reader: asyncio.Task | None = None
        self._got = asyncio.Event()

    async def connect(self, timeout: float = 5.0) -> "RawSocket":
        self.ws = await self.http.ws_connect(self.url, autoping=True)
        opening = await asyncio.wait_for(self.ws.receive_str(), timeout)
        assert opening.startswith("0{"), opening
        await self.ws.send_str("40" + json.dumps({"token": self.token}))
        self._reader = asyncio.create_task(self._read())
        await self.wait(lambda: any(e == "connection_ack" for e, _ in self.events), timeout)
        return self

    async def _read(self) -> None:
        try:
            async for msg in self.ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                data = msg.data
                if data == "2":                  # Engine.IO ping -> pong
                    await self.ws.send_str("3")
                elif data.startswith("43"):      # Socket.IO ACK: 43<id>[args]
                    i = 2
                    while i < len(data) and data[i].isdigit():
                        i += 1
                    self.acks[int(data[2:i])] = json.loads(data[i:] or "[]")
                elif data.startswith("42"):
                    name, *rest = json.loads(data[2:])
                    self.events.append((name, rest[0] if rest else None))
                elif data.startswith("41") or data.startswith("1"):
                    self.disconnected = True
                self._got.set()
        finally:
            self.disconnected = True
            self.closed.set()
            self._got.set()

    async def send(self, raw: str | bytes) -> None:
        if isinstance(raw, bytes):
            await self.ws.send_bytes(raw)
        else:
            await self.ws.send_str(raw)

    async def wait(self, pred, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while True:
            v = pred()
            if v:
                return v
            left = deadline - time.monotonic()
            if left <= 0:
                raise asyncio.TimeoutError
            self._got.clear()
            try:
                await asyncio.wait_for(self._got.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def ack(self, ack_id: int, timeout: float = 5.0) -> list:
        """The ack for ``ack_id`` (raises TimeoutError if none comes, or AssertionError on disconnect)."""
        await self.wait(lambda: ack_id in self.acks or self.disconnected, timeout)
        assert ack_id in self.acks, f"disconnected before ack {ack_id}"
        return self.acks[ack_id]

    async def call(self, ack_id: int, event: str, *args, timeout: float = 5.0) -> list:
        await self.send(f"42{ack_id}" + json.dumps([event, *args]))
        return await self.ack(ack_id, timeout)

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.wait([self._reader], timeout=2)


async def guest_token(http: aiohttp.ClientSession, base: str, name: str = "raw") -> str:
    async with http.post(f"{base}/api/v1/auth/guest", json={"display_name": name}) as r:
        return (await r.json())["token"]
