"""End to end: three python-socketio clients and three AI personas play a full five-question
match over a real socket against the real Redis and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import aiohttp
import asyncpg

from tests.conftest import DATABASE_URL

ANSWERS = {
    "Ari": "제가 결제 서버 지연 문제를 맡았을 때, 먼저 p99 지연을 측정하고 인덱스를 추가해서 800ms에서 120ms로 줄였습니다. "
           "쓰기 비용이 늘어나는 트레이드오프가 있었지만 배치로 보완했고, 이후 모니터링을 표준화했습니다.",
    "Bora": "팀 프로젝트에서 일정이 밀렸을 때 제가 우선순위를 다시 정리하고 매일 15분 점검을 도입했습니다. 결과적으로 2주 지연을 3일로 줄였습니다.",
    "Chan": "잘 모르겠습니다.",
}


async def bot(player, stop: asyncio.Event) -> None:
    """Answer on every own turn (round robin)."""
    answered = set()
    while not stop.is_set():
        for d in player.of("turn_started"):
            key = (d["question_id"], d["participant_id"])
            if d["participant_id"] == player.user_id and key not in answered:
                answered.add(key)
                await player.call("answer_draft", {"text": ANSWERS[player.name][:20]})
                ack = await player.call("submit_answer", {"text": ANSWERS[player.name]})
                assert ack["ok"], ack
        player.changed.clear()
        try:
            await asyncio.wait_for(player.changed.wait(), 0.5)
        except asyncio.TimeoutError:
            pass


async def test_full_match_three_humans_three_ai(server):
    host = await server.player("Ari")
    p2 = await server.player("Bora")
    p3 = await server.player("Chan")
    assert host.of("connection_ack")[0]["protocol_version"] == 1

    ack = await host.call("create_room", {"title": "E2E 면접", "personas": [{"id": "naver", "skill": 5},
                                           {"id": "kakao", "skill": 3}, {"id": "toss", "skill": 1}],
                                           "question_count": 5, "language": "ko", "turn_mode": "round_robin",
                                           "answer_seconds": 20, "max_humans": 3, "private": True})
    assert ack["ok"], ack
    room_id, code = ack["room_id"], ack["join_code"]
    states = {}
    for p in (host, p2, p3):
        j = await p.call("join_room", {"join_code": code} if p is not host else {"room_id": room_id})
        assert j["ok"], j
        states[p.name] = j["state"]
    assert states["Chan"]["you"]["role"] == "player"
    assert len(states["Chan"]["participants"]) == 6
    listed = await p2.call("list_rooms")
    assert all(r["room_id"] != room_id for r in listed["rooms"]), "private rooms are not listed"

    for p in (p2, p3):
        assert (await p.call("set_ready", {"ready": True}))["ok"]
    stop = asyncio.Event()
    bots = [asyncio.create_task(bot(p, stop)) for p in (host, p2, p3)]
    assert (await host.call("start_match"))["ok"]
    await asyncio.gather(*(p.wait_for(lambda p=p: p.of("session_complete"), timeout=150) for p in (host, p2, p3)))
    stop.set()
    await asyncio.gather(*bots)

    for p in (host, p2, p3):
        names = [e for e, _ in p.events]
        for needed in ("connection_ack", "phase_changed", "question_asked", "turn_started", "answer_stream",
                       "answer_submitted", "score_update", "leaderboard_update", "session_complete"):
            assert needed in names, (p.name, needed)
        assert len(p.of("question_asked")) == 5
        assert len(p.of("answer_submitted")) == 30
        assert len(p.of("score_update")) == 30
        # seq continuity: every room event after the join snapshot, +1 each time
        seqs = [d["seq"] for e, d in p.events if isinstance(d, dict) and "seq" in d and d.get("room_id") == room_id]
        seqs = [s for s in seqs if s > states[p.name]["seq"]]
        assert seqs == list(range(states[p.name]["seq"] + 1, states[p.name]["seq"] + 1 + len(seqs))), p.name
        # AI answers streamed progressively
        ai_streams = [d for d in p.of("answer_stream") if d["participant_id"].startswith("ai:")]
        assert len(ai_streams) >= 6

    # the leaderboard equals the sum of score_update, in order
    sums = defaultdict(int)
    for d in host.of("score_update"):
        assert 0 <= d["score"] <= 100 and set(d["dimensions"]) and d["feedback"]
        sums[d["participant_id"]] += d["score"]
    final = host.of("leaderboard_update")[-1]["entries"]
    assert {e["participant_id"]: e["score"] for e in final} == dict(sums)
    assert [e["score"] for e in final] == sorted(sums.values(), reverse=True)
    ranking = host.of("session_complete")[0]["ranking"]
    assert [e["participant_id"] for e in ranking] == [e["participant_id"] for e in final]
    for a, b in zip(ranking, ranking[1:]):
        assert a["rank"] <= b["rank"] and (a["rank"] == b["rank"]) == (a["score"] == b["score"])

    # the Redis sorted set
    r = server.app["redis"]
    zset = await r.r.zrevrange(r.room_key(room_id), 0, -1, withscores=True)
    assert {m: int(s) for m, s in zset} == dict(sums)

    # the PostgreSQL rows
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        m = await conn.fetchrow("SELECT * FROM matches WHERE room_id=$1", room_id)
        assert m is not None and m["end_reason"] == "completed" and m["language"] == "ko"
        parts = await conn.fetch("SELECT * FROM match_participants WHERE match_id=$1", m["match_id"])
        assert {p["participant_id"]: p["final_score"] for p in parts} == dict(sums)
        assert {p["kind"] for p in parts} == {"human", "ai"} and len(parts) == 6
        assert await conn.fetchval("SELECT count(*) FROM match_questions WHERE match_id=$1", m["match_id"]) == 5
        rows = await conn.fetch("SELECT participant_id, score FROM answers WHERE match_id=$1", m["match_id"])
        assert len(rows) == 30
        by_pid = defaultdict(int)
        for row in rows:
            by_pid[row["participant_id"]] += row["score"]
        assert dict(by_pid) == dict(sums)
    finally:
        await conn.close()

    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.base}{host.of('session_complete')[0]['report_url']}",
                            headers={"Authorization": f"Bearer {host.token}"}) as resp:
            rep = await resp.json()
    assert [e["participant_id"] for e in rep["ranking"]] == [e["participant_id"] for e in ranking]
    assert len(rep["questions"]) == 5 and all(len(q["answers"]) == 6 for q in rep["questions"])

    # a strong human answer should beat "잘 모르겠습니다" ("I don't know")
    assert sums[host.user_id] > sums[p3.user_id]


async def test_follow_ups_over_the_socket_are_stored(server):
    host = await server.player("Ari")
    p2 = await server.player("Bora")
    ack = await host.call("create_room", {"title": "follow-ups", "personas": [{"id": "toss", "skill": 4}],
                                           "question_count": 2, "language": "ko", "turn_mode": "round_robin",
                                           "answer_seconds": 20, "max_humans": 2, "follow_ups": True})
    assert ack["ok"], ack
    for p in (host, p2):
        assert (await p.call("join_room", {"room_id": ack["room_id"]}))["ok"]
    assert (await p2.call("set_ready", {"ready": True}))["ok"]
    stop = asyncio.Event()
    bots = [asyncio.create_task(bot(p, stop)) for p in (host, p2)]
    assert (await host.call("start_match"))["ok"]
    await host.wait_for(lambda: host.of("session_complete"), timeout=120)
    stop.set()
    await asyncio.gather(*bots)
    asked = host.of("follow_up_asked")
    assert [d["participant_id"] for d in asked] == [host.user_id, p2.user_id]
    assert all(d["text"] and d["text"] != "" for d in asked)
    with_fu = [d for d in host.of("score_update") if "follow_up" in d]
    assert len(with_fu) == 2
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        rows = await conn.fetch("""SELECT a.follow_up_of, a.follow_up_question FROM answers a JOIN matches m
                                   USING (match_id) WHERE m.room_id=$1 AND a.follow_up_of IS NOT NULL""", ack["room_id"])
    finally:
        await conn.close()
    assert len(rows) == 2 and all(r["follow_up_question"] for r in rows)
