"""The learning plan: its logic on given rows, and end to end after real matches (solo rooms over
Socket.IO, answers scored and stored in PostgreSQL)."""

from __future__ import annotations

from statistics import mean

import asyncpg

from learning.plan import TARGET, build_plan
from tests.conftest import DATABASE_URL
from tests.resume_helpers import play, request


def row(room, day, qid, score, dims, category="behavioural", text="Q?"):
    return {"room_id": room, "finished_at": f"2026-12-0{day}T10:00:00+00:00", "question_id": qid,
            "question_text": text, "category": category, "score": score, "dimensions": dims,
            "skipped": False, "follow_up_of": None}


def test_plan_picks_the_weakest_dimension_and_topic_and_cites_their_scores():
    dims_good = {"relevance": 80, "structure": 82, "specificity": 78, "depth": 85, "communication": 90}
    rows = [row("r1", 1, "beh-001", 80, dims_good, text="Tell me about a conflict"),
            row("r1", 1, "tech-001", 31, {**dims_good, "depth": 20, "specificity": 40}, "technical", "Process vs thread"),
            row("r2", 2, "tech-002", 45, {**dims_good, "depth": 35}, "technical", "Explain indexes"),
            row("r2", 2, "beh-002", 70, {**dims_good, "depth": 60}),
            row("r2", 2, "beh-002", 10, {"depth": 5}) | {"follow_up_of": "x"}]          # follow-ups are left out
    plan = build_plan(rows, "en")
    assert plan["based_on"] == {"matches": 2, "answers": 4}
    first = plan["items"][0]
    assert first["kind"] == "dimension" and first["dimension"] == "depth"
    assert first["average"] == mean([85, 20, 35, 60])
    assert first["evidence"][0]["question_id"] == "tech-001" and first["evidence"][0]["dimension_score"] == 20
    assert "depth averaged 50/100 over 4 answers" in first["reason"] and "Lowest: 20" in first["reason"]
    assert "tech-001" in first["question_ids"] and len(first["question_ids"]) == 3
    assert first["solo_room"]["question_source"] == {"question_ids": first["question_ids"]}
    assert first["solo_room"]["solo"] is True and first["solo_room"]["max_humans"] == 1
    topics = [i for i in plan["items"] if i["kind"] == "topic"]
    assert topics and all(i["average"] < TARGET for i in topics)
    assert topics[0]["category"] == "technical" and "Lowest: 31" in topics[0]["reason"]
    assert all(i["question_ids"] for i in plan["items"])
    ko = build_plan(rows, "ko")
    assert "깊이" in ko["items"][0]["reason"] and "50/100" in ko["items"][0]["reason"]
    assert (first["label"], ko["items"][0]["label"], ko["labels"]["structure"]) == ("depth", "깊이", "답변 구조")
    assert build_plan([], "en")["items"] == []


def test_weak_resume_questions_are_retried_while_the_resume_is_stored():
    dims = {"relevance": 80, "structure": 80, "specificity": 80, "depth": 80, "communication": 80}
    rows = [row("r1", 1, "rq-abc-01", 22, dims, "technical", "Walk us through Ledgerline"),
            row("r1", 1, "tech-001", 90, dims, "technical")]
    own = {"rq-abc-01": {"key_points": {"en": ["Backs the outcome with a measured result"], "ko": ["측정된 결과"]}}}
    item = next(i for i in build_plan(rows, "en", own=own)["items"] if i["kind"] == "topic")
    assert item["topic"] == "resume" and item["question_ids"][0] == "rq-abc-01"
    assert "your résumé questions" in item["reason"] and "measured result" in item["practice"]
    gone = next(i for i in build_plan(rows, "en", own={})["items"] if i["kind"] == "topic")
    assert "rq-abc-01" not in gone["question_ids"]                   # a deleted résumé is not offered


WEAK = "잘 모르겠습니다."
STRONG = ("제가 결제 서버 지연 문제를 맡았을 때, 먼저 p99 지연을 측정하고 인덱스를 추가해서 800ms에서 120ms로 줄였습니다. "
          "쓰기 비용이 늘어나는 트레이드오프가 있었지만 배치로 보완했고, 팀과 회고하며 모니터링을 표준화했습니다. "
          "이 경험으로 측정 먼저, 변경은 작게 하는 습관을 갖게 되었습니다.")


async def solo_match(player, payload: dict, answer: str) -> str:
    ack = await player.call("create_room", payload)
    assert ack["ok"], ack
    assert (await player.call("join_room", {"room_id": ack["room_id"]}))["ok"]
    assert (await player.call("start_match"))["ok"]
    await play([player], {player.name: answer})
    player.events.clear()
    assert (await player.call("leave_room"))["ok"]
    return ack["room_id"]


async def stored(room_id: str, user_id: str) -> list:
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        return await conn.fetch("SELECT a.question_id, a.score, a.dimensions FROM answers a JOIN matches m USING (match_id) "
                                "WHERE m.room_id=$1 AND a.participant_id=$2", room_id, user_id)
    finally:
        await conn.close()


async def test_plan_after_matches_cites_stored_scores_and_changes_after_another_match(server):
    p = await server.player("Mina")
    s, empty = await request(server.base, "GET", "/api/v1/me/learning-plan?lang=en", p.token)
    assert s == 200 and empty["items"] == [] and empty["based_on"]["matches"] == 0
    room1 = await solo_match(p, {"title": "Solo", "solo": True, "max_humans": 1, "language": "ko", "answer_seconds": 30,
                                 "question_count": 2, "question_source": {"question_ids": ["beh-001", "tech-001"]}},
                             WEAK)
    answers = {r["question_id"]: r for r in await stored(room1, p.user_id)}
    assert set(answers) == {"beh-001", "tech-001"}
    s, plan1 = await request(server.base, "GET", "/api/v1/me/learning-plan?lang=en", p.token)
    assert s == 200 and plan1["based_on"] == {"matches": 1, "answers": 2}
    from server.api.resume_models import LearningPlanOut
    LearningPlanOut.model_validate(plan1)                         # the OpenAPI shape holds
    assert plan1["items"]
    import json
    for item in plan1["items"]:
        assert item["reason"] and item["practice"] and item["question_ids"]
        for ev in item["evidence"]:                      # every cited score is a stored score
            assert ev["room_id"] == room1 and ev["score"] == answers[ev["question_id"]]["score"]
            if "dimension_score" in ev:
                dims = json.loads(answers[ev["question_id"]]["dimensions"])
                assert ev["dimension_score"] == round(dims[item["dimension"]])
                assert f"Lowest: {ev['dimension_score']}" in item["reason"] or ev is not item["evidence"][0]
    dim_item = next(i for i in plan1["items"] if i["kind"] == "dimension")
    stored_dims = [json.loads(r["dimensions"])[dim_item["dimension"]] for r in answers.values()]
    assert dim_item["average"] == round(mean(stored_dims), 1)
    # one click: the item's own create_room payload, played alone
    room2 = await solo_match(p, dim_item["solo_room"], STRONG)
    assert {r["question_id"] for r in await stored(room2, p.user_id)} == set(dim_item["question_ids"])
    s, plan2 = await request(server.base, "GET", "/api/v1/me/learning-plan?lang=ko", p.token)
    assert s == 200 and plan2["based_on"]["matches"] == 2
    assert plan2["based_on"]["answers"] == 2 + len(dim_item["question_ids"])
    assert plan2["averages"] != plan1["averages"]
    assert plan2["updated_at"] > plan1["updated_at"]
    assert all("/100" in i["reason"] for i in plan2["items"])
