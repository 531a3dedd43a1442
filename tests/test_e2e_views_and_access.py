"""Over a real socket: hidden answers stay hidden until the reveal (the probe of issue 10, finding 1),
and a private room needs its join code (finding 2)."""

from __future__ import annotations

import json
import threading

from tests.conftest import running_server

SIMULTANEOUS = {"title": "sealed answers", "personas": [{"id": "naver", "skill": 3}], "question_count": 1,
                "language": "en", "turn_mode": "simultaneous", "answer_seconds": 10, "max_humans": 2,
                "private": False}
HOST_SECRET = "HOSTSECRET I measured p99 latency, added a covering index and cut it from 800 ms to 120 ms."
OTHER_SECRET = "OTHERSECRET I split the hot table and cached the read path, measured before and after."


class HeldScorer:
    """The room's real scorer, held until the test releases it: keeps the room in ``scoring``."""

    def __init__(self, real) -> None:
        self.real = real
        self.release = threading.Event()

    def score_answers(self, *args, **kwargs):
        self.release.wait(10)
        return self.real.score_answers(*args, **kwargs)


def texts(state: dict) -> set[str]:
    return {a["text"] for a in state["answers"]} | set(state["drafts"].values())


async def test_request_state_during_scoring_hides_other_answers_until_the_reveal():
    # time scale 0.2: 2 s answers, 4 s scoring timeout, so the held scorer keeps the room in scoring
    async with running_server(time_scale=0.2) as server:
        manager = server.app["manager"]
        held = HeldScorer(manager.scorer_for(SIMULTANEOUS["answer_seconds"]))
        manager.scorer_for = lambda answer_seconds: held
        host, other, watcher = [await server.player(n) for n in ("Host", "Other", "Watcher")]
        ack = await host.call("create_room", SIMULTANEOUS)
        assert ack["ok"], ack
        room_id = ack["room_id"]
        assert (await other.call("join_room", {"room_id": room_id}))["ok"]
        assert (await watcher.call("join_room", {"room_id": room_id, "role": "spectator"}))["ok"]
        assert (await other.call("set_ready", {"ready": True}))["ok"]
        assert (await host.call("start_match"))["ok"]

        def in_phase(p, phase):
            return lambda: any(d["phase"] == phase for d in p.of("phase_changed"))

        await host.wait_for(in_phase(host, "answering"), timeout=20)
        assert (await host.call("answer_draft", {"text": HOST_SECRET[:30]}))["ok"]
        host_answer = (await host.call("submit_answer", {"text": HOST_SECRET}))["answer_id"]
        assert (await other.call("submit_answer", {"text": OTHER_SECRET}))["ok"]
        await watcher.wait_for(in_phase(watcher, "scoring"), timeout=20)
        try:
            seen = {p.name: (await p.call("request_state"))["state"] for p in (host, other, watcher)}
            assert {s["phase"] for s in seen.values()} == {"scoring"}, "the scorer is held: still scoring"
            assert texts(seen["Watcher"]) == set(), "a spectator sees no answer before the reveal"
            assert texts(seen["Other"]) == {OTHER_SECRET}, "another player sees only their own answer"
            assert texts(seen["Host"]) == {HOST_SECRET}, "the host sees only their own answer"
            ev = await other.call("evaluation_request", {"answer_id": host_answer})
            assert ev["ok"] is False and ev["error"]["code"] == "not_scored_yet"
            assert HOST_SECRET not in json.dumps(ev)
            before_reveal = {p.name: json.dumps([d for _, d in p.events]) for p in (other, watcher)}
        finally:
            held.release.set()

        await watcher.wait_for(in_phase(watcher, "reveal"), timeout=20)
        revealed = (await watcher.call("request_state"))["state"]
        assert {a["participant_id"] for a in revealed["answers"]} == {host.user_id, other.user_id, "ai:naver"}
        assert all("score" in a for a in revealed["answers"])
        assert HOST_SECRET in {a["text"] for a in revealed["answers"]}
        ai_text = next(a["text"] for a in revealed["answers"] if a["participant_id"] == "ai:naver")
        assert ai_text
        for name, sent in before_reveal.items():     # no event before the reveal carried a hidden answer
            assert HOST_SECRET not in sent and ai_text not in sent, name
        assert OTHER_SECRET not in before_reveal["Watcher"]
        ev = await other.call("evaluation_request", {"answer_id": host_answer})
        assert ev["ok"] and ev["evaluation"]["text"] == HOST_SECRET


PRIVATE = {"title": "private", "personas": [{"id": "naver", "skill": 2}], "question_count": 1, "language": "en",
           "turn_mode": "round_robin", "answer_seconds": 30, "max_humans": 3, "private": True}


def code(ack: dict) -> str:
    assert ack["ok"] is False, ack
    return ack["error"]["code"]


async def test_a_private_room_needs_its_join_code_but_a_seat_is_kept_without_it(server):
    host, guest, stranger = [await server.player(n) for n in ("Host", "Guest", "Stranger")]
    ack = await host.call("create_room", PRIVATE)
    assert ack["ok"], ack
    room_id, join_code = ack["room_id"], ack["join_code"]
    assert all(r["room_id"] != room_id for r in (await stranger.call("list_rooms"))["rooms"]), "not listed"

    for role in ("player", "spectator"):
        assert code(await stranger.call("join_room", {"room_id": room_id, "role": role})) == "join_code_required"
        assert code(await stranger.call("join_room", {"room_id": room_id, "join_code": "WRONG1",
                                                      "role": role})) == "join_code_required"
    assert (await host.call("join_room", {"room_id": room_id}))["ok"], "the host is seated: no code needed"
    joined = await guest.call("join_room", {"room_id": room_id, "join_code": join_code.lower()})
    assert joined["ok"] and joined["state"]["you"]["role"] == "player"
    watch = await stranger.call("join_room", {"join_code": join_code, "role": "spectator"})
    assert watch["ok"] and watch["state"]["you"]["role"] == "spectator"

    # the guest reloads: a new socket, same user, rejoins by room_id alone (seat reservation)
    await guest.sio.disconnect()
    await host.wait_for(lambda: any(d["participant_id"] == guest.user_id and d["presence"] == "away"
                                    for d in host.of("presence_changed")), timeout=10)
    await guest.sio.connect(server.base, auth={"token": guest.token}, transports=["websocket"],
                            socketio_path="socket.io", wait_timeout=5)
    back = await guest.call("join_room", {"room_id": room_id})
    assert back["ok"] and back["state"]["you"] == {"participant_id": guest.user_id, "role": "player"}
    me = next(p for p in back["state"]["participants"] if p["participant_id"] == guest.user_id)
    assert me["presence"] == "online"
