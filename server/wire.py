"""Limits on what comes off the wire (HTTP bodies and Socket.IO packets): sizes, JSON depth and the
characters a string may hold. ``docs/protocol.md`` ("Input limits") states the same numbers.

Everything here is pure (no sockets), shared by ``schemas.py`` (validation), ``http.py``,
``socketio_server.py`` (packet decoding), ``auth.py`` (names from old tokens) and
``store/results.py`` (the last line before PostgreSQL).
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

#: Largest HTTP request body, bytes (aiohttp ``client_max_size``); larger gets 413 ``payload_too_large``.
MAX_HTTP_BODY_BYTES = 64 * 1024
#: Largest Engine.IO packet, bytes (``max_http_buffer_size``): a 64 KB SDP or a 64 KB PCM attachment fits,
#: with room for JSON escaping. A bigger websocket frame closes the connection.
MAX_PACKET_BYTES = 256 * 1024
#: Deepest JSON nesting accepted (arrays and objects; the deepest wire model needs 3).
MAX_JSON_DEPTH = 16
#: Binary attachments one Socket.IO packet may declare (``audio_chunk`` uses one).
MAX_ATTACHMENTS = 4

#: One-line strings (names, titles, ids, codes): no C0/C1 control character (Unicode Cc), no lone surrogate.
BAD_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: Multi-line text (answers, notes, SDP): the same, but tab, line feed and carriage return are allowed.
BAD_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")          # what PostgreSQL text/jsonb cannot hold
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class JSONTooDeep(ValueError):
    """Raised by :func:`loads` for nesting deeper than ``max_depth``."""


def json_depth(text: str) -> int:
    """Deepest bracket nesting of a JSON text, ignoring brackets inside strings (O(n), C-speed regexes)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def loads(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that first refuses nesting deeper than ``max_depth``.

    Raises:
        JSONTooDeep: too deep (checked before parsing, so no RecursionError).
        ValueError: not JSON (``json.JSONDecodeError``) or not UTF-8 (``UnicodeDecodeError``).
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")
    if text.count("[") + text.count("{") > max_depth and json_depth(text) > max_depth:
        raise JSONTooDeep(f"JSON nested deeper than {max_depth}")
    return json.loads(text)


class LimitedJSON:
    """A stand-in for the ``json`` module (``dumps``/``loads``) for python-socketio and python-engineio's
    ``json=`` option: every packet they decode goes through :func:`loads`."""

    dumps = staticmethod(json.dumps)
    JSONDecodeError = json.JSONDecodeError

    @staticmethod
    def loads(s: str | bytes, *args: Any, **kwargs: Any) -> Any:
        return loads(s)


def storable(s: str) -> str:
    """``s`` without NUL (PostgreSQL rejects 0x00 in text and jsonb) and with lone surrogates as U+FFFD."""
    if not _UNSTORABLE.search(s):
        return s
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", s)


def storable_tree(v: Any) -> Any:
    """:func:`storable` applied to every string (keys too) in nested dicts, lists and tuples."""
    if isinstance(v, str):
        return storable(v)
    if isinstance(v, dict):
        return {storable_tree(k): storable_tree(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [storable_tree(x) for x in v]
    return v


def clean_line(s: Any, max_len: int, default: str) -> str:
    """A one-line display string from an untrusted source: control characters and lone surrogates
    removed, whitespace trimmed, at most ``max_len`` characters; ``default`` if nothing is left."""
    if not isinstance(s, str):
        return default
    s = BAD_IN_LINE.sub("", s).strip()[:max_len].strip()
    return s or default
