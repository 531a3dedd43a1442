"""ResultStore against the real PostgreSQL: a finished match round-trips through save_match and report."""

from __future__ import annotations

import uuid

from server.store.results import ResultStore
from tests.conftest import DATABASE_URL


async def test_match_round_trip_with_follow_up_and_expression():
    store = ResultStore(DATABASE_URL)
    await store.open()
    try:
        rid = "t" + uuid.uuid4().hex[:9]
        expr = {"dominant": "neutral", "emotions": {"neutral": 0.7, "happy": 0.3}, "samples": 12}
        record = {
            "room_id": rid, "title": "round trip", "settings": {"language": "en"}, "language": "en",
            "started_ms": 1_700_000_000_000, "finished_ms": 1_700_000_100_000, "end_reason": "completed",
            "participants": [
                {"participant_id": "u1", "kind": "human", "display_name": "Ari", "persona_id": None, "skill": None,
                 "notes": [{"text": "remember STAR"}]},
                {"participant_id": "ai:toss", "kind": "ai", "display_name": "Park", "persona_id": "toss", "skill": 4}],
            "questions": [{"index": 1, "question_id": "beh-001", "text": "Q?", "category": "behavioural",
                           "difficulty": 2}],
            "answers": [
                {"answer_id": rid + "-a1", "participant_id": "u1", "question_id": "beh-001", "question_index": 1,
                 "text": "spoken answer", "auto_submitted": True, "skipped": False, "score": 71,
                 "dimensions": {"pace": 90}, "feedback": "ok", "submitted_ms": 1_700_000_050_000,
                 "expression": expr},
                {"answer_id": rid + "-a2", "participant_id": "u1", "question_id": "beh-001", "question_index": 1,
                 "text": "follow-up", "auto_submitted": False, "skipped": False, "score": 60, "dimensions": {},
                 "feedback": "fu", "submitted_ms": 1_700_000_060_000, "follow_up_of": rid + "-a1",
                 "follow_up_question": "What was the result?"},
                {"answer_id": rid + "-a3", "participant_id": "ai:toss", "question_id": "beh-001",
                 "question_index": 1, "text": "typed", "auto_submitted": False, "skipped": False, "score": 80,
                 "dimensions": {}, "feedback": "good", "submitted_ms": 1_700_000_070_000}],
        }
        ranking = [{"participant_id": "ai:toss", "score": 80.0, "rank": 1}, {"participant_id": "u1", "score": 71.0, "rank": 2}]
        await store.save_match(record, ranking)
        rep = await store.report(rid)
        assert [(e["participant_id"], e["score"], e["rank"]) for e in rep["ranking"]] == [("ai:toss", 80, 1), ("u1", 71, 2)]
        answers = {a["answer_id"]: a for a in rep["questions"][0]["answers"]}
        assert answers[rid + "-a1"]["expression"] == expr
        assert answers[rid + "-a2"]["follow_up_of"] == rid + "-a1" and answers[rid + "-a3"]["expression"] is None
        assert await store.report("nope-" + rid) is None
    finally:
        await store.close()
