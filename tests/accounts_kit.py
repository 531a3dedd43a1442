"""Helpers for the account tests: HTTP calls against a running test server, and stored matches."""

from __future__ import annotations

import uuid

import aiohttp


class Api:
    """JSON calls to a test server; every call returns ``(status, body)``."""

    def __init__(self, base: str) -> None:
        self.base = base

    async def call(self, method: str, path: str, body=None, token: str | None = None, raw: bool = False):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with aiohttp.ClientSession() as s:
            async with s.request(method, self.base + path, json=body, headers=headers) as r:
                if raw:
                    return r.status, await r.text(), r.headers
                return r.status, await r.json(content_type=None)

    async def register(self, email=None, password="correct horse battery", name="Mina", role="candidate",
                       token=None) -> dict:
        email = email or f"{uuid.uuid4().hex[:10]}@example.com"
        st, body = await self.call("POST", "/api/v1/auth/register",
                                   {"email": email, "password": password, "display_name": name, "role": role}, token)
        assert st == 200, body
        body["email"] = email
        return body

    async def guest(self, name="Guest Kim") -> dict:
        st, body = await self.call("POST", "/api/v1/auth/guest", {"display_name": name})
        assert st == 200, body
        return body


def answer_text(k: int, i: int) -> str:
    """The text :func:`match_record` gives participant ``k``'s answer to question ``i`` (0-based)."""
    return f"answer {k}.{i}: I led the migration and cut latency by 40%"


def match_record(user_ids: list[str], names: list[str], *, room_id: str | None = None, finished_ms=1_800_000_100_000,
                 scores=(70, 55), dims=({"relevance": 60, "depth": 50}, {"relevance": 80, "depth": 40}),
                 recording: str | None = None) -> tuple[dict, list[dict]]:
    """A finished two-question match of the humans ``user_ids`` and one AI, for ``ResultStore.save_match``."""
    rid = room_id or uuid.uuid4().hex[:12]
    parts = [{"participant_id": u, "kind": "human", "display_name": n, "persona_id": None, "skill": None,
              "notes": [{"text": f"note of {n}"}]} for u, n in zip(user_ids, names)]
    parts.append({"participant_id": "ai:toss", "kind": "ai", "display_name": "Park", "persona_id": "toss", "skill": 3})
    qs = [{"index": i, "question_id": f"beh-00{i}", "text": f"Question {i}?", "category": "behavioural",
           "difficulty": 2} for i in (1, 2)]
    answers = []
    for k, u in enumerate(user_ids + ["ai:toss"]):
        for i, q in enumerate(qs):
            answers.append({"answer_id": f"{rid}-a{len(answers)}", "participant_id": u, "question_id": q["question_id"],
                            "question_index": q["index"], "text": answer_text(k, i), "auto_submitted": False,
                            "skipped": False, "score": scores[i], "dimensions": dims[i], "feedback": "fine",
                            "submitted_ms": finished_ms - 1000 + i, "recording": recording if u != "ai:toss" else None})
    record = {"room_id": rid, "title": "Practice", "settings": {"language": "en"}, "language": "en",
              "started_ms": finished_ms - 60_000, "finished_ms": finished_ms, "end_reason": "completed",
              "participants": parts, "questions": qs, "answers": answers}
    ranking = [{"participant_id": p["participant_id"], "score": float(sum(scores)), "rank": k + 1}
               for k, p in enumerate(parts)]
    return record, ranking
