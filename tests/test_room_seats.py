"""Seats, through the engine (manual clock): a private room needs its join code, a seat is kept
without it (seat reservation), and a short drop during your own turn never costs that turn."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rooms.errors import RoomError
from rooms.room import Phase
from tests.enginekit import FAST, make_room

GRACE = replace(FAST, reconnect_grace_ms=60_000)   # a seat outlives the 20 s turn (FAST keeps it 5 s)


def code_of(fn) -> str:
    with pytest.raises(RoomError) as e:
        fn()
    return e.value.code


def test_a_private_room_needs_its_join_code_as_player_and_spectator():
    room, clock, rt = make_room(humans=("h1", "h2"), private=True)
    for role in ("player", "spectator"):
        for given in (None, "", "WRONG1", "ABC12"):
            assert code_of(lambda: room.join("x", "X", role=role, join_code=given)) == "join_code_required"
    assert "x" not in room.participants and "x" not in room.spectators
    assert room.join("h3", "H3", join_code=" abc123 ") == "joined", "case and spaces do not matter"
    assert room.join("s1", "S1", role="spectator", join_code="ABC123") == "spectating"
    # seated players rejoin by room id alone: the host, and a player back after a reload
    assert room.join("h1", "H1") == "rejoined"
    room.drop("h2")
    assert room.join("h2", "H2") == "reconnected"
    # a spectator holds no seat: after a drop they need the code again
    room.drop("s1")
    assert code_of(lambda: room.join("s1", "S1", role="spectator")) == "join_code_required"
    # a stranger learns nothing about the match without the code; with it, the usual rules
    room.set_ready("h3", True)
    room.start_match("h1")
    assert code_of(lambda: room.join("x", "X")) == "join_code_required"
    assert code_of(lambda: room.join("x", "X", join_code="ABC123")) == "wrong_phase"
    rt.run_to_end(clock)
    assert room.phase == Phase.FINISHED
    assert room.join("h2", "H2") in ("rejoined", "reconnected"), "a seat sees its finished match"
    assert code_of(lambda: room.join("x", "X", role="spectator")) == "join_code_required"


def test_a_public_room_ignores_the_join_code():
    room, clock, rt = make_room(humans=("h1",))
    assert room.join("h2", "H2") == "joined"
    assert room.join("h3", "H3", join_code="WRONG1") == "joined"
    assert room.join("s1", "S1", role="spectator") == "spectating"
    assert room.lobby_entry()["private"] is False


def my_turn(room, clock, rt, pid):
    rt.run_until(clock, lambda: room.phase == Phase.ANSWERING and room.current_turn_pid() == pid)
    return room.turns[pid]


def test_a_drop_during_your_own_turn_submits_your_draft_at_the_deadline():
    room, clock, rt = make_room(humans=("h1", "h2"), personas=(), questions=1, timings=GRACE)
    room.start_match("h1")
    turn = my_turn(room, clock, rt, "h1")
    room.answer_draft("h1", "I measured p99 latency first, then")
    rt.pump()
    room.drop("h1")                                   # away mid-turn, for the rest of it
    rt.run_until(clock, lambda: room.turn_index >= 1 or clock.now_ms() >= turn.deadline_ms - 100)
    assert room.current_turn_pid() == "h1", "the turn is not skipped while its player is away"
    rt.run_until(clock, lambda: room.turn_index >= 1)
    a = next(a for a in room.answers if a.participant_id == "h1")
    assert a.text == "I measured p99 latency first, then" and a.auto_submitted and not a.skipped
    assert turn.deadline_ms <= a.submitted_ms <= turn.deadline_ms + 100
    assert room.participants["h1"].presence == "away", "still away: the seat is kept"


def test_back_from_a_drop_during_your_turn_you_type_on_and_submit():
    room, clock, rt = make_room(humans=("h1", "h2"), personas=(), questions=1, timings=GRACE)
    room.start_match("h1")
    turn = my_turn(room, clock, rt, "h1")
    room.answer_draft("h1", "I would start by")
    room.drop("h1")
    rt.step(clock, FAST.absent_wait_ms + 500)         # away for longer than the absent wait
    assert not turn.done
    assert room.join("h1", "H1") == "reconnected"
    room.answer_draft("h1", "I would start by measuring, then add an index.")
    assert room.submit_answer("h1", "I would start by measuring, then add an index; p99 fell 40%.")
    a = room.answers[-1]
    assert a.participant_id == "h1" and not a.auto_submitted and not a.skipped
    assert a.submitted_ms < turn.deadline_ms


def test_a_drop_in_simultaneous_mode_keeps_the_open_turn():
    room, clock, rt = make_room(humans=("h1", "h2"), personas=(), mode="simultaneous", questions=1, timings=GRACE)
    room.start_match("h1")
    rt.run_until(clock, lambda: room.phase == Phase.ANSWERING)
    room.answer_draft("h2", "half of my answer")
    room.drop("h2")
    room.submit_answer("h1", "my answer")
    rt.run_until(clock, lambda: room.phase != Phase.ANSWERING)
    a = next(a for a in room.answers if a.participant_id == "h2")
    assert a.text == "half of my answer" and a.auto_submitted and not a.skipped
    assert a.submitted_ms >= room.turns["h2"].deadline_ms


def test_a_turn_that_begins_while_you_are_away_is_skipped_after_the_absent_wait():
    room, clock, rt = make_room(humans=("h1", "h2"), personas=(), questions=1, timings=GRACE)
    room.start_match("h1")
    turn = my_turn(room, clock, rt, "h1")
    room.drop("h2")                                   # away before h2's turn begins
    room.submit_answer("h1", "h1 answers: I added an index.")
    rt.pump()
    assert room.current_turn_pid() == "h2"
    begun = room.turns["h2"].started_ms
    rt.run_until(clock, lambda: room.phase != Phase.ANSWERING)
    a = next(a for a in room.answers if a.participant_id == "h2")
    assert a.skipped and a.auto_submitted and a.text == ""
    assert FAST.absent_wait_ms <= a.submitted_ms - begun <= FAST.absent_wait_ms + 100
    assert turn.done


def test_away_when_the_turn_begins_but_back_within_the_absent_wait_plays_normally():
    room, clock, rt = make_room(humans=("h1", "h2"), personas=(), questions=1, timings=GRACE)
    room.start_match("h1")
    room.drop("h1")                                   # away before the first turn (h1's) begins
    turn = my_turn(room, clock, rt, "h1")
    assert turn.absent_since is not None
    rt.step(clock, FAST.absent_wait_ms // 2)
    assert room.join("h1", "H1") == "reconnected"
    rt.step(clock, FAST.absent_wait_ms)               # past the absent wait: not skipped
    assert room.current_turn_pid() == "h1" and not turn.done
    room.submit_answer("h1", "Back in time: I added an index and measured p99.")
    a = room.answers[-1]
    assert a.participant_id == "h1" and not a.skipped and not a.auto_submitted
