"""Missed-event replay over real sockets (issue 10, finding 9): a player who drops mid-match and comes
back with the last ``seq`` they saw gets every missed room event exactly once, in order, then the live
events with no gap; when the room's stream no longer holds the gap, a snapshot instead.

The server runs at time_scale 0.05 (a 20 s answer lasts 1 s, the reconnection grace 3 s)."""

from __future__ import annotations

import asyncio

from tests.conftest import Player

ROOM = {"title": "Replay", "personas": [{"id": "naver", "skill": 4}, {"id": "kakao", "skill": 2}],
        "question_count": 2, "language": "ko", "turn_mode": "round_robin", "answer_seconds": 20,
        "max_humans": 2, "private": False}
ANSWER = "결제 서버의 p99 지연을 측정하고 인덱스를 추가해 800ms에서 120ms로 줄였습니다. 트레이드오프는 쓰기 비용이었습니다."


def room_events(p: Player, room_id: str) -> list[tuple[str, dict]]:
    """The room events ``p`` received, in arrival order."""
    return [(e, d) for e, d in p.events if isinstance(d, dict) and d.get("room_id") == room_id and "seq" in d]


async def answer_own_turns(p: Player, stop: asyncio.Event) -> None:
    """Answer the current turn when it is ``p``'s (errors such as a passed deadline are fine)."""
    answered = set()
    while not stop.is_set():
        turns = p.of("turn_started")
        if turns and turns[-1]["participant_id"] == p.user_id and turns[-1]["question_id"] not in answered:
            answered.add(turns[-1]["question_id"])
            await p.call("submit_answer", {"text": ANSWER})
        p.changed.clear()
        try:
            await asyncio.wait_for(p.changed.wait(), 0.2)
        except asyncio.TimeoutError:
            pass


async def reconnect(server, p: Player) -> Player:
    """A new socket for the same guest (the same token), like a reload or a network comeback."""
    q = Player(server.base, p.name)
    q.token, q.user_id = p.token, p.user_id
    await q.sio.connect(server.base, auth={"token": q.token}, transports=["websocket"], socketio_path="socket.io",
                        wait_timeout=5)
    server.players.append(q)
    return q


async def setup_match(server) -> tuple[Player, Player, str, int]:
    host = await server.player("Ari")
    bora = await server.player("Bora")
    ack = await host.call("create_room", ROOM)
    room_id = ack["room_id"]
    assert (await host.call("join_room", {"room_id": room_id}))["ok"]
    j = await bora.call("join_room", {"room_id": room_id})
    assert j["ok"], j
    assert (await bora.call("set_ready", {"ready": True}))["ok"]
    assert (await host.call("start_match"))["ok"]
    return host, bora, room_id, j["state"]["seq"]


async def test_a_rejoin_replays_every_missed_event_exactly_once_then_goes_live(server):
    host, bora, room_id, joined_seq = await setup_match(server)
    stop = asyncio.Event()
    bots = [asyncio.create_task(answer_own_turns(host, stop))]

    # Drop while an AI candidate answers: its thinking and streamed answer are events Bora misses.
    await bora.wait_for(lambda: any(d["participant_id"].startswith("ai:") for d in bora.of("turn_started")), 30)
    await bora.sio.disconnect()
    before = room_events(bora, room_id)
    last_seq = before[-1][1]["seq"]
    await asyncio.sleep(0.6)                                   # ~12 s of match time
    back = await reconnect(server, bora)
    ack = await back.call("join_room", {"room_id": room_id, "last_seq": last_seq})
    assert ack["ok"] and "state" not in ack, ack
    rep = ack["replay"]
    assert rep["from_seq"] == last_seq + 1 and rep["events"] == rep["to_seq"] - last_seq >= 5, rep
    bots.append(asyncio.create_task(answer_own_turns(back, stop)))

    await asyncio.gather(*(p.wait_for(lambda p=p: p.of("session_complete"), 60) for p in (host, back)))
    stop.set()
    await asyncio.gather(*bots)

    after = room_events(back, room_id)
    seqs = [d["seq"] for _, d in after]
    # Every missed event exactly once, in order, then the live ones with no gap and no duplicate.
    assert seqs == list(range(last_seq + 1, last_seq + 1 + len(seqs)))
    replayed = after[:rep["events"]]
    assert [d["seq"] for _, d in replayed][-1] == rep["to_seq"]
    assert ("presence_changed", "away") in [(n, d.get("presence")) for n, d in replayed
                                              if d.get("participant_id") == bora.user_id]
    # The replay is what the others saw live: same events, same payloads.
    seen_live = {d["seq"]: (n, d) for n, d in room_events(host, room_id)}
    assert all(seen_live[d["seq"]] == (n, d) for n, d in after)
    # Bora's whole view (before the drop + replay + live) is the room's full event sequence.
    mine = [(n, d["seq"]) for n, d in before + after if d["seq"] > joined_seq]
    theirs = [(n, s) for s, (n, _) in sorted(seen_live.items()) if s > joined_seq]
    assert mine == theirs


async def test_a_gap_older_than_the_stream_gets_a_snapshot(server):
    host, bora, room_id, _ = await setup_match(server)
    await bora.wait_for(lambda: bora.of("turn_started"), 30)
    await bora.sio.disconnect()
    last_seq = room_events(bora, room_id)[-1][1]["seq"]
    await host.wait_for(lambda: room_events(host, room_id)[-1][1]["seq"] >= last_seq + 3, 30)

    # The stream has dropped the oldest missed events (as MAXLEN trimming or the TTL would).
    redis = server.app["redis"]
    await redis.r.xtrim(redis.events_key(room_id), minid=f"{last_seq + 2}-0", approximate=False)
    back = await reconnect(server, bora)
    ack = await back.call("join_room", {"room_id": room_id, "last_seq": last_seq})
    assert ack["ok"] and ack["replay"] is None, ack
    state = ack["state"]
    assert state["room_id"] == room_id and state["seq"] > last_seq and state["you"]["role"] == "player"
    await back.wait_for(lambda: len(room_events(back, room_id)) >= 3, 30)
    seqs = [d["seq"] for _, d in room_events(back, room_id)]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) and seqs[0] > last_seq + 1   # nothing replayed
    assert seqs[0] <= state["seq"] + 1                       # live from the snapshot on, with no gap

    for bad in (-1, "3", True, 2**60):
        nack = await back.call("join_room", {"room_id": room_id, "last_seq": bad})
        assert nack["error"]["code"] == "bad_request", (bad, nack)
    # A last_seq the room never reached is not trusted either: a snapshot.
    again = await reconnect(server, bora)
    ack = await again.call("join_room", {"room_id": room_id, "last_seq": 10**9})
    assert ack["ok"] and ack["replay"] is None and ack["state"]["room_id"] == room_id


async def test_a_drop_during_your_own_turn_keeps_the_answer_and_replays_what_you_missed():
    """The probe's case (finding 9): a player starts typing, drops for 8 s of match time (longer than
    the 5 s absent-player skip) in the middle of their own turn, and comes back. The turn is still
    theirs: they finish and submit, the answer is scored, and the rejoin replays every missed event
    exactly once. (The old rule ended the turn 5 s into the drop: the half-typed draft, or a skip.)"""
    from tests.conftest import running_server

    async with running_server(time_scale=0.1) as server:       # a 30 s turn lasts 3 s; 8 s of match time 0.8 s
        host = await server.player("Ari")
        bora = await server.player("Bora")
        room = {**ROOM, "personas": [{"id": "naver", "skill": 3}], "question_count": 1, "answer_seconds": 30}
        room_id = (await host.call("create_room", room))["room_id"]
        assert (await host.call("join_room", {"room_id": room_id}))["ok"]
        assert (await bora.call("join_room", {"room_id": room_id}))["ok"]
        assert (await bora.call("set_ready", {"ready": True}))["ok"]
        assert (await host.call("start_match"))["ok"]
        stop = asyncio.Event()
        bot = asyncio.create_task(answer_own_turns(host, stop))

        turn = await bora.wait_for(lambda: next((d for d in bora.of("turn_started")
                                                 if d["participant_id"] == bora.user_id), None), 60)
        assert (await bora.call("answer_draft", {"text": ANSWER[:20]}))["ok"]
        await host.wait_for(lambda: any(d["participant_id"] == bora.user_id for d in host.of("answer_stream")), 10)
        last_seq = room_events(bora, room_id)[-1][1]["seq"]
        await bora.sio.disconnect()
        await asyncio.sleep(0.8)                                 # 8 s of match time: past the 5 s skip
        back = await reconnect(server, bora)
        ack = await back.call("join_room", {"room_id": room_id, "last_seq": last_seq})
        assert ack["ok"] and ack["replay"]["from_seq"] == last_seq + 1, ack
        done = await back.call("submit_answer", {"text": ANSWER})
        assert done["ok"], done

        mine = await back.wait_for(lambda: next((d for d in host.of("answer_submitted")
                                                 if d["participant_id"] == bora.user_id), None), 30)
        assert not mine["skipped"] and mine["text"] == ANSWER and mine["question_id"] == turn["question_id"]
        score = await back.wait_for(lambda: next((d for d in back.of("score_update")
                                                  if d["answer_id"] == mine["answer_id"]), None), 60)
        assert score["score"] > 0
        await asyncio.gather(*(p.wait_for(lambda p=p: p.of("session_complete"), 60) for p in (host, back)))
        stop.set()
        await bot

        seqs = [d["seq"] for _, d in room_events(back, room_id)]
        assert seqs == list(range(last_seq + 1, last_seq + 1 + len(seqs))), "every missed event exactly once"
        live = {d["seq"]: (n, d) for n, d in room_events(host, room_id)}
        assert all(live[d["seq"]] == (n, d) for n, d in room_events(back, room_id))
