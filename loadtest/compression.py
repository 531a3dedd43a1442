"""When does websocket permessage-deflate pay for our payloads? (``docs/performance.md``, "Compression")

Replays the events one connection received during a ``make bench-load`` window (``--trace FILE``: one
Socket.IO payload a line, ``["name", {...}]``, sent as the Engine.IO text frame ``42`` + payload) through
zlib the way aiohttp's websocket writer does (level 1 = ``Z_BEST_SPEED``, raw deflate, 15-bit window):

- with context takeover (aiohttp's default: one compressor per connection, for its whole life),
- without (``server_no_context_takeover``: a fresh compressor per message),

and prints per event the median size raw / compressed, the CPU per message to compress (server) and
to inflate (client), and the memory that one connection's deflate state holds (RSS growth over 500
compressor + decompressor pairs, each having sent one message).

Usage: ``python -m loadtest.compression TRACE``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import zlib
from collections import defaultdict
from pathlib import Path

import os

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE


def frames(trace: Path) -> list[tuple[str, bytes]]:
    out = []
    for line in trace.read_text().splitlines():
        if line.strip():
            name = json.loads(line)[0]
            out.append((name, ("42" + line).encode()))
    return out


def deflate(msgs: list[bytes], takeover: bool) -> tuple[list[int], float]:
    """Compressed sizes (bytes, with the 4-byte sync tail stripped as permessage-deflate does) and
    CPU seconds for the whole list."""
    sizes = []
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    t0 = time.process_time()
    for m in msgs:
        if not takeover:
            c = zlib.compressobj(1, zlib.DEFLATED, -15)
        sizes.append(len(c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH)) - 4)
    return sizes, time.process_time() - t0


def inflate_cpu(msgs: list[bytes]) -> float:
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    blobs = [c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH) for m in msgs]
    d = zlib.decompressobj(-15)
    t0 = time.process_time()
    for b in blobs:
        d.decompress(b)
    return time.process_time() - t0


def state_bytes(n: int = 500) -> float:
    """RSS growth per (compressor, decompressor) pair that has sent and received one message."""
    msg = b'42["answer_stream",{"room_id":"0123456789","participant_id":"u1","text":"hello world","seq":1}]'
    keep = []
    before = rss()
    for _ in range(n):
        c, d = zlib.compressobj(1, zlib.DEFLATED, -15), zlib.decompressobj(-15)
        d.decompress(c.compress(msg) + c.flush(zlib.Z_SYNC_FLUSH))
        keep.append((c, d))
    return (rss() - before) / n


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    fr = frames(Path(argv[0]))
    if not fr:
        raise SystemExit("empty trace")
    msgs = [m for _, m in fr]
    by = defaultdict(list)
    for i, (name, _) in enumerate(fr):
        by[name].append(i)
    reps = 20                                  # repeat for stable CPU figures
    keep_sizes, keep_cpu = deflate(msgs * reps, True)
    fresh_sizes, fresh_cpu = deflate(msgs * reps, False)
    keep_sizes, fresh_sizes = keep_sizes[:len(msgs)], fresh_sizes[:len(msgs)]
    n = len(msgs) * reps
    print(f"{len(msgs)} frames from {argv[0]}; zlib level 1, 15-bit window")
    print(f"{'event':<20} {'count':>6} {'raw B':>7} {'takeover B':>11} {'fresh B':>8}")
    for name, idx in sorted(by.items(), key=lambda kv: -len(kv[1])):
        med = lambda xs: statistics.median(xs[i] for i in idx)   # noqa: E731
        print(f"{name:<20} {len(idx):>6} {statistics.median(len(msgs[i]) for i in idx):>7.0f} "
              f"{med(keep_sizes):>11.0f} {med(fresh_sizes):>8.0f}")
    raw_total = sum(len(m) for m in msgs)
    print(f"all: raw {raw_total} B; with context takeover {sum(keep_sizes)} B "
          f"({100 * sum(keep_sizes) / raw_total:.0f}%); without {sum(fresh_sizes)} B ({100 * sum(fresh_sizes) / raw_total:.0f}%)")
    print(f"CPU per message: deflate with takeover {1e6 * keep_cpu / n:.1f} µs, without {1e6 * fresh_cpu / n:.1f} µs; "
          f"inflate {1e6 * inflate_cpu(msgs * reps) / n:.1f} µs")
    print(f"deflate + inflate state per connection (takeover): {state_bytes() / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
