"""The websocket compression policy (``ARENA_WS_COMPRESSION``, ``docs/performance.md`` "Compression"):
off by default, so a client that offers permessage-deflate (every browser, Node's ``ws``) gets plain
frames and the server keeps no zlib state per connection; on, it is negotiated."""

from __future__ import annotations

import aiohttp
import pytest

from server.config import Config
from tests.conftest import running_server


async def _negotiated(base: str) -> int:
    async with aiohttp.ClientSession() as http:
        # aiohttp's client offers permessage-deflate (compress=15), as browsers do
        async with http.ws_connect(base.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
                                   compress=15) as ws:
            opening = await ws.receive_str()
            assert opening.startswith("0{")
            return ws.compress


@pytest.mark.parametrize("on", [False, True])
async def test_permessage_deflate_follows_the_policy(on):
    async with running_server(ws_compression=on) as srv:
        compress = await _negotiated(srv.base)
    assert compress == (15 if on else 0)


def test_policy_is_read_from_the_environment(monkeypatch):
    monkeypatch.delenv("ARENA_WS_COMPRESSION", raising=False)
    assert Config.from_env().ws_compression is False
    monkeypatch.setenv("ARENA_WS_COMPRESSION", "on")
    assert Config.from_env().ws_compression is True
