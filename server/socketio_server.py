"""python-socketio's ``AsyncServer``, hardened against hostile packets.

python-socketio trusts its peer: a client event named ``disconnect`` runs the server's disconnect
handler, a BINARY_EVENT whose attachments never come swallows every later packet of its socket,
and a packet that is not ``[name, payload]`` raises inside the library, so its ack never comes.
:class:`ArenaSocketServer` decodes each Socket.IO packet itself and answers every bad one:

- with an ack id, an error ack (``bad_request``; ``unknown_event`` for a reserved name);
- without one, a clean disconnect of the Engine.IO session (what the JavaScript server does on a
  parse error); a reserved name without an ack id is simply ignored.

It overrides ``_handle_eio_message`` and ``_handle_event`` (private but stable in python-socketio 5:
``tests/test_input_hardening.py`` pins the behaviour). Limits come from :mod:`server.wire`.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from typing import Any

import aiohttp.web
import engineio
import engineio.async_drivers.aiohttp
import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from rooms.errors import ErrorCode

from . import metrics, schemas, wire
from .logs import log

#: Event names a client may not send: Socket.IO's own (python and JavaScript) and the catch-all.
RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "disconnecting", "newListener",
                             "removeListener", "error", "message", "ping", "pong", "*"})
_HEADER = re.compile(r"^\d(?:\d+-)?(/[^,]*,)?(\d{1,20})?")   # type, attachments-, /namespace, ack id


class _CheckedWebSocket(engineio.async_drivers.aiohttp.WebSocket):
    """The aiohttp websocket driver, but a frame that is not an Engine.IO packet ends the session
    cleanly (as if the client closed) instead of raising out of python-engineio's receive loop, and
    permessage-deflate follows the server's ``ws_compression`` (aiohttp's default would negotiate it
    whenever the client offers it, as browsers and Node's ``ws`` always do: ~125 KB of zlib state per
    connection; ``docs/performance.md``, "Compression")."""

    async def __call__(self, environ):
        self._sock = aiohttp.web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size,
                                                   compress=getattr(self.server, "ws_compression", False))
        await self._sock.prepare(environ["aiohttp.request"])
        self.environ = environ
        await self.handler(self)
        return self._sock

    async def send(self, message: str | bytes) -> None:
        # the library's send asks inspect.iscoroutinefunction() on every frame; aiohttp's are coroutines
        if isinstance(message, bytes):
            await self._sock.send_bytes(message)
        else:
            await self._sock.send_str(message)

    async def wait(self):
        data = await super().wait()
        if isinstance(data, str) and not _engineio_text_ok(data):
            log.info("socket_malformed_frame", frame=data[:40])
            return None
        return data


def _engineio_text_ok(data: str) -> bool:
    if not data or data[0] not in "0123456b":
        return False
    if data[0] == "b":
        try:
            base64.b64decode(data[1:], validate=True)
        except (binascii.Error, ValueError):
            return False
    return True


class _EngineIOServer(engineio.AsyncServer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.async_mode == "aiohttp":
            self._async = {**self._async, "websocket": _CheckedWebSocket}


class _Frame(eio_packet.Packet):
    """An Engine.IO MESSAGE whose text frame is encoded once, for every member of a room."""

    def __init__(self, data: str) -> None:
        super().__init__(eio_packet.MESSAGE, data)
        self.encode_cache = "4" + data


class FanoutManager(socketio.AsyncManager):
    """python-socketio's manager with a cheaper broadcast to a room.

    The library's ``emit`` encodes a broadcast once, but then starts one asyncio task per member and
    waits for them all; each task only puts the packet in that socket's send queue. Here the packet is
    encoded once into its final text frame and put into each member's queue directly, in member order,
    with no task: the same queues, the same writer tasks, the same order, at a fraction of the cost
    (``docs/performance.md``, "Sending cost"). Emits with an ack callback, binary payloads, and a member
    whose pings have lapsed (the library's send closes it) take the library's path.

    For several processes, put it after the pub/sub manager, ``class M(AsyncRedisManager, FanoutManager)``:
    the pub/sub manager's local delivery (``super().emit``) then lands here.
    """

    async def emit(self, event: str, data: Any, namespace: str, room: Any = None, skip_sid: Any = None,
                   callback: Any = None, to: Any = None, **kwargs: Any) -> None:
        room = to or room
        if callback is not None or isinstance(data, tuple) or namespace not in self.rooms:
            return await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback,
                                      **kwargs)
        encoded = self.server.packet_class(sio_packet.EVENT, namespace=namespace,
                                           data=[event] if data is None else [event, data]).encode()
        if not isinstance(encoded, str):               # binary attachments: several frames
            return await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, **kwargs)
        frame = _Frame(encoded)
        skip = skip_sid if isinstance(skip_sid, list) else (skip_sid,)
        eio = self.server.eio
        lapsed_after = time.time() - eio.ping_timeout
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skip:
                continue
            s = eio.sockets.get(eio_sid)
            if s is None or s.closed:
                continue
            if s.last_ping and s.last_ping < lapsed_after:
                await s.send(frame)                    # the library's send: closes a client that went silent
            else:
                s.queue.put_nowait(frame)


class ArenaSocketServer(socketio.AsyncServer):
    """``socketio.AsyncServer`` with JSON depth limits (:class:`server.wire.LimitedJSON`) and the
    packet checks above. Takes the same arguments, and ``ws_compression`` (bool, default off):
    negotiate websocket permessage-deflate when the client offers it."""

    def __init__(self, *, ws_compression: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("json", wire.LimitedJSON)
        kwargs.setdefault("client_manager", FanoutManager())
        super().__init__(**kwargs)
        self.eio.ws_compression = ws_compression

    def _engineio_server_class(self):
        return _EngineIOServer

    async def _refuse(self, eio_sid: str, namespace: str | None, ack_id: int | None, code: str, why: str) -> None:
        """Answer a refused packet: an error ack ``code`` for ``ack_id`` if the client is connected to
        ``namespace``; else nothing for a well-formed event with a reserved name (``unknown_event``), and
        a clean disconnect of the Engine.IO session for anything malformed."""
        ns = namespace or "/"
        sid = self.manager.sid_from_eio_sid(eio_sid, ns)
        metrics.EVENTS_IN.labels("refused", code).inc()
        if ack_id is not None and sid is not None and self.manager.is_connected(sid, ns):
            await self._send_packet(eio_sid, self.packet_class(
                sio_packet.ACK, namespace=ns, id=ack_id, data=[schemas.error_ack(code, why)]))
        elif ack_id is not None or code != ErrorCode.UNKNOWN_EVENT:
            log.info("socket_malformed_packet", why=why)
            socket = self.eio.sockets.pop(eio_sid, None)
            if socket is None:
                return
            # Not eio.disconnect(): it waits for the CLOSE packet to be sent, which over long-polling
            # needs the client's next GET, so a hostile client could hold this request forever.
            await socket.close(wait=False, reason=self.eio.reason.SERVER_DISCONNECT)   # disconnect handlers run
            if socket.upgraded:
                socket.queue.put_nowait(None)            # and the websocket closes, whatever the client does

    async def _handle_eio_message(self, eio_sid: str, data: str | bytes) -> None:
        pending = self._binary_packet.get(eio_sid)
        if pending is not None:
            if isinstance(data, (bytes, bytearray)):
                try:
                    done = pending.add_attachment(data)
                except (IndexError, KeyError, TypeError, ValueError):
                    del self._binary_packet[eio_sid]
                    return await self._refuse(eio_sid, pending.namespace, pending.id, ErrorCode.BAD_REQUEST,
                                              "bad binary attachment placeholder")
                if done:
                    del self._binary_packet[eio_sid]
                    if pending.packet_type == sio_packet.BINARY_EVENT:
                        await self._handle_event(eio_sid, pending.namespace, pending.id, pending.data)
                    else:
                        await self._handle_ack(eio_sid, pending.namespace, pending.id, pending.data)
                return None
            # a text frame where an attachment was due: refuse the pending packet, then read this one
            del self._binary_packet[eio_sid]
            await self._refuse(eio_sid, pending.namespace, pending.id, ErrorCode.BAD_REQUEST,
                               "a binary attachment was expected")
            if eio_sid not in self.eio.sockets:
                return None
        if not isinstance(data, str):
            return await self._refuse(eio_sid, None, None, ErrorCode.BAD_REQUEST, "unexpected binary frame")
        try:
            pkt = self.packet_class(encoded_packet=data)
        except (ValueError, TypeError, IndexError, UnicodeDecodeError, RecursionError) as e:
            m = _HEADER.match(data)
            ns = m.group(1)[:-1] if m and m.group(1) else None
            ack_id = int(m.group(2)) if m and m.group(2) else None
            return await self._refuse(eio_sid, ns, ack_id, ErrorCode.BAD_REQUEST, f"malformed packet: {str(e)[:80]}")
        kind = pkt.packet_type
        if kind == sio_packet.CONNECT:
            await self._handle_connect(eio_sid, pkt.namespace, pkt.data)
        elif kind == sio_packet.DISCONNECT:
            await self._handle_disconnect(eio_sid, pkt.namespace, self.reason.CLIENT_DISCONNECT)
        elif kind == sio_packet.EVENT:
            await self._handle_event(eio_sid, pkt.namespace, pkt.id, pkt.data)
        elif kind == sio_packet.ACK:
            await self._handle_ack(eio_sid, pkt.namespace, pkt.id, pkt.data)
        elif kind in (sio_packet.BINARY_EVENT, sio_packet.BINARY_ACK):
            if not 1 <= pkt.attachment_count <= wire.MAX_ATTACHMENTS:
                return await self._refuse(eio_sid, pkt.namespace, pkt.id, ErrorCode.BAD_REQUEST,
                                          f"a binary packet has 1 to {wire.MAX_ATTACHMENTS} attachments")
            if not self.manager.sid_from_eio_sid(eio_sid, pkt.namespace or "/"):
                return await self._refuse(eio_sid, None, None, ErrorCode.BAD_REQUEST, "not connected")
            self._binary_packet[eio_sid] = pkt
        else:                                   # CONNECT_ERROR from a client, or an unknown type
            await self._refuse(eio_sid, pkt.namespace, pkt.id, ErrorCode.BAD_REQUEST, f"unexpected packet type {kind}")
        return None

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: int | None, data: Any) -> None:
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace or "/")
        if sid is None or not self.manager.is_connected(sid, namespace or "/"):
            return await self._refuse(eio_sid, None, None, ErrorCode.BAD_REQUEST, "not connected to this namespace")
        if not (isinstance(data, list) and data and isinstance(data[0], str)):
            return await self._refuse(eio_sid, namespace, id, ErrorCode.BAD_REQUEST,
                                      "an event is [name, payload] with a string name")
        if data[0] in RESERVED_EVENTS:
            return await self._refuse(eio_sid, namespace, id, ErrorCode.UNKNOWN_EVENT,
                                      f"{data[0]!r} is a reserved event name")
        return await super()._handle_event(eio_sid, namespace, id, data)

    async def _trigger_event(self, event: str, namespace: str, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            return await super()._trigger_event(event, namespace, *args)
        try:
            return await super()._trigger_event(event, namespace, *args)
        except Exception:                     # the gateway catches its own; this is the last net
            log.exception("event_handler_failed", event_name=event[:40])
            return schemas.error_ack(ErrorCode.INTERNAL, "the server hit an error; the room is unaffected")
