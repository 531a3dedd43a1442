"""Store a few finished matches for a user (browser tests and screenshots of the coach dashboard).

    DATABASE_URL=postgresql://… python -m tests.seed_matches u_0123456789abcdef "Dana" 3

Goes through ``ResultStore.save_match``, the same path a real match takes, with matches that improve over time.
"""

from __future__ import annotations

import asyncio
import os
import sys

from server.store.results import ResultStore
from tests.accounts_kit import match_record

DIMS = ("relevance", "structure", "specificity", "depth", "communication")


async def seed(url: str, user_id: str, name: str, n: int) -> list[str]:
    store = ResultStore(url)
    await store.open()
    try:
        rooms = []
        for k in range(n):
            base = 52 + 9 * k
            dims = tuple({d: min(100, base + j * 3 + i * 2) for j, d in enumerate(DIMS)} for i in range(2))
            rec, rk = match_record([user_id], [name], finished_ms=1_800_000_000_000 + k * 86_400_000,
                                   scores=(min(100, base + 4), min(100, base + 1)), dims=dims)
            rec["title"] = f"Mock interview #{k + 1}"
            await store.save_match(rec, rk)
            rooms.append(rec["room_id"])
        return rooms
    finally:
        await store.close()


if __name__ == "__main__":
    uid, nm, count = sys.argv[1], sys.argv[2], int(sys.argv[3] if len(sys.argv) > 3 else 3)
    print(" ".join(asyncio.run(seed(os.environ["DATABASE_URL"], uid, nm, count))))
