"""The room's state tree: a room saved with ``to_json`` and restored with ``Room.from_json`` in any
phase behaves exactly like the original afterwards (same events, same seq, same scores, same
final state) on the same clock, with follow-ups, spoken answers, notes, spectators, a private join
code and the board."""

from __future__ import annotations

import copy
import json
from dataclasses import replace

import pytest

from rooms.clock import ManualClock
from rooms.errors import RoomError
from rooms.follow_up import OPEN, SKIPPED, WAITING
from rooms.room import Phase, Room
from rooms.sim import LocalRuntime
from rooms.state import STATE_VERSION, RoomState
from scoring.rubric import RubricScorer
from tests.enginekit import canned_ai, make_room, small_bank

ANSWER_WORDS = "I measured the p99 latency, designed a covering index and accepted the write cost trade-off".split()


def act(room: Room, clock: ManualClock) -> None:
    """What the humans do on a tick, a pure function of the room's state and the clock: type one word
    per tick into their open turn, submit after 1.2 s (h2 never submits: the deadline does it),
    send spoken delivery and camera samples for h1, a speaker note once."""
    if room.phase not in (Phase.QUESTION, Phase.ANSWERING):
        return
    q = room.questions[-1]
    if room.phase == Phase.QUESTION:
        room.set_expression("h1", {"happy": 0.6, "neutral": 0.4})
        return
    for pid, turn in list(room.turns.items()):
        p = room.participants[pid]
        if p.kind != "human" or turn.done or not (room.scheduler.simultaneous or room.current_turn_pid() == pid):
            continue
        n = len(turn.draft.split())
        if pid == "h1" and clock.now_ms() - turn.started_ms >= 1_200:
            room.set_delivery("h1", q.id, {"wpm": 140, "pause_ratio": 0.1}, follow_up=bool(turn.follow_up))
            room.submit_answer(pid, turn.draft or "An index, measured.")
            continue
        if n < len(ANSWER_WORDS):
            room.answer_draft(pid, " ".join(ANSWER_WORDS[: n + 1]))
        if pid == "h1" and not any(nt["question_id"] == q.id for nt in p.notes):
            room.speaker_note("h1", f"remember the numbers for {q.id}")


class DeferredRuntime(LocalRuntime):
    """A :class:`LocalRuntime` whose jobs take one pump to come back, like the server's (so a save
    point can fall while an AI answer, a follow-up question, scoring or storing the match is out)."""

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.held: list = []

    def pump(self) -> None:
        held, self.held = self.held, []
        for job in held:
            LocalRuntime.run_job(self, job)
        super().pump()

    def run_job(self, job) -> None:
        self.held.append(job)


def events_of(rt: LocalRuntime) -> list[tuple[int, str, dict]]:
    return [(e.seq, e.name, json.loads(json.dumps(e.payload))) for e in rt.events]


def tick_loop(room: Room, rt: LocalRuntime, clock: ManualClock, on_point=None) -> None:
    """The match loop: at each tick the humans act, jobs come back, the clock moves; ``on_point()`` is
    called at the top of every tick (a save point: the state after the last pump, jobs out)."""
    dt = int(1000 / room.settings.timings.tick_hz)
    while room.phase != Phase.FINISHED:
        if on_point:
            on_point()
        act(room, clock)
        rt.pump()
        rt.pump()
        rt.step(clock, dt)
    if on_point:
        on_point()
    rt.pump()


def where(room: Room) -> tuple:
    """What makes a save point different from the previous tick's."""
    return (room.phase, len(room.questions), room.follow_up.step, room.current_turn_pid() if room.scheduler else None,
            tuple(sorted((pid, t.done, bool(t.plan)) for pid, t in room.turns.items())))


SCENARIOS = {
    "round_robin_follow_ups_private": dict(mode="round_robin", follow_ups=True, private=True),
    "simultaneous": dict(mode="simultaneous", follow_ups=False, private=False),
}


def build(mode: str, follow_ups: bool, private: bool):
    room, clock, rt = make_room(humans=("h1", "h2"), personas=("naver",), mode=mode, questions=2, private=private)
    rt = DeferredRuntime(room, rt.scorer, rt.bank, canned_ai)
    if follow_ups:
        room.settings = replace(room.settings, follow_ups=True)
    room.join("s1", "S1", role="spectator", join_code="ABC123")
    rt.pump()
    return room, clock, rt


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_room_restored_in_every_phase_behaves_identically(scenario):
    """Save the room at every distinct point of a match (each phase, each turn, AI answers planned,
    follow-up waiting and open, finished), restore it from JSON alone, run both to the end: the
    events after the save point are the same, one by one, and so are the final trees."""
    ref_room, ref_clock, ref_rt = build(**SCENARIOS[scenario])
    bank = small_bank()
    ref_room.start_match("h1")
    ref_rt.pump()
    # Record save points along one reference run.
    points = []
    seen = set()

    def point():
        key = where(ref_room)
        if key not in seen:
            seen.add(key)
            points.append((ref_room.to_json(), ref_clock.now_ms(), copy.deepcopy(ref_rt.ranks), len(ref_rt.events)))

    tick_loop(ref_room, ref_rt, ref_clock, on_point=point)
    phases = {json.loads(p[0])["phase"] for p in points}
    assert phases >= {"countdown", "question", "answering", "scoring", "reveal", "finished"}
    if SCENARIOS[scenario]["follow_ups"]:
        assert {json.loads(p[0])["follow_up"]["step"] for p in points} >= {WAITING, OPEN}
    ref_events = events_of(ref_rt)
    ref_final = ref_room.to_json()
    assert ref_room.phase == Phase.FINISHED and ref_rt.finished_record is not None

    for text, now, ranks, n_events in points:
        # Rebuild the reference up to the save point from the JSON, then run the copy to the end.
        clock = ManualClock(now)
        room = Room.from_json(text, clock=clock, bank=bank, fallback_scorer=RubricScorer(20))
        assert room.to_json() == text, "the tree must survive a JSON round trip unchanged"
        rt = DeferredRuntime(room, RubricScorer(20), bank, canned_ai)
        rt.ranks = ranks
        room._queue_open_jobs()         # the jobs that were out, issued again as after a restart
        rt.pump()                       # ... and out again, as the reference's were at the save point
        tick_loop(room, rt, clock)
        assert events_of(rt) == ref_events[n_events:], f"diverged after a save in {json.loads(text)['phase']}"
        assert room.to_json() == ref_final


def test_the_saved_rng_follows_every_draw():
    """``to_json`` reuses the RNG state's text until the room draws again: each draw shows in the next save,
    and a room restored from it draws what the original draws."""
    room, clock, rt = build(mode="round_robin", follow_ups=False, private=False)
    first = room.to_json()
    assert json.loads(first) == json.loads(json.dumps(room.state.to_dict()))
    room.state.rng.random()
    second = room.to_json()
    assert second != first and json.loads(second)["rng"] == room.state.to_dict()["rng"]
    assert room.to_json() == second, "no draw, same text"
    restored = Room.from_json(second, clock=clock, bank=small_bank())
    assert [restored.state.rng.random() for _ in range(3)] == [room.state.rng.random() for _ in range(3)]


def test_the_tree_holds_everything_a_match_needs():
    room, clock, rt = build(mode="round_robin", follow_ups=True, private=True)
    room.start_match("h1")
    rt.pump()
    tick_loop(room, rt, clock)
    tree = json.loads(room.to_json())
    assert tree["version"] == STATE_VERSION
    assert tree["join_code"] == "ABC123" and tree["settings"]["private"] is True
    assert tree["settings"]["timings"]["countdown_ms"] == 300
    assert any(a["follow_up_of"] for a in tree["answers"]), "a follow-up answer"
    assert all(a["result"] is not None for a in tree["answers"])
    assert tree["delivery"] and tree["expression"], "spoken answers"
    h1 = next(p for p in tree["participants"] if p["participant_id"] == "h1")
    assert h1["notes"], "speaker notes"
    ai = next(p for p in tree["participants"] if p["kind"] == "ai")
    assert ai["used_story_ids"]
    assert tree["session_completed"] is True and tree["phase"] == "finished"
    assert room.totals() == Room.from_json(tree, clock=clock, bank=small_bank()).totals()


def test_a_restored_private_lobby_still_wants_its_join_code():
    room, clock, rt = make_room(humans=("h1",), private=True)
    room2 = Room.from_json(room.to_json(), clock=clock, bank=small_bank())
    with pytest.raises(RoomError) as e:
        room2.join("h9", "H9", join_code="WRONG1")
    assert e.value.code == "join_code_required"
    assert room2.join("h9", "H9", join_code=" abc123 ") == "joined"
    assert room2.join("h1", "H1") == "rejoined"            # a seated player needs no code


def test_another_version_is_refused():
    room, clock, rt = make_room()
    tree = json.loads(room.to_json())
    tree["version"] = STATE_VERSION + 1
    with pytest.raises(ValueError, match="version"):
        RoomState.from_dict(tree, small_bank())


def test_resume_drops_connections_and_reissues_open_jobs():
    """In a new process: the humans are away (grace from now), spectators gone, and the jobs the old
    process had out go out again with their old ids (here: scoring)."""
    room, clock, rt = build(mode="simultaneous", follow_ups=False, private=False)
    room.start_match("h1")
    rt.pump()
    while room.phase != Phase.SCORING:
        clock.advance(100)
        act(room, clock)
        room.tick()
        if room.phase == Phase.SCORING:
            break
        rt.pump()
    room.drain()                       # the scoring job was lost with the old process
    job_id = room.score_job_id
    room2 = Room.from_json(room.to_json(), clock=clock, bank=small_bank())
    room2.resume()
    events, jobs = room2.drain()
    assert [j.job_id for j in jobs] == [job_id]
    assert {(e.payload["participant_id"], e.payload["presence"]) for e in events if e.name == "presence_changed"} \
        == {("h1", "away"), ("h2", "away")}
    assert room2.participants["h1"].grace_until_ms == clock.now_ms() + room2.settings.timings.reconnect_grace_ms
    assert not room2.spectators
    assert room2.reconnect("h1") == "reconnected"
    room3 = Room.from_json(room.to_json(), clock=clock, bank=small_bank())
    room3.resume(min_grace_ms=60_000)                  # the server's floor after a restart
    assert room3.participants["h2"].grace_until_ms == clock.now_ms() + 60_000


def test_follow_up_state_machine_refuses_illegal_steps():
    from rooms.follow_up import FollowUp
    fu = FollowUp()
    with pytest.raises(AssertionError):
        fu.open()
    fu.ask("h1", "j1", 0)
    assert fu.step == WAITING and fu.turn_pid is None
    with pytest.raises(AssertionError):
        fu.skip()
    assert fu.open() == "h1" and fu.step == OPEN and fu.turn_pid == "h1" and fu.job_id is None
    fu2 = FollowUp()
    fu2.skip()
    assert fu2.step == SKIPPED and fu2.turn_pid is None
