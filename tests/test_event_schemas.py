"""Every event a simulated match emits matches its wire model in ``server/schemas.py``: a known event
name, every field the model requires, no field the model does not declare, and valid values."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rooms.room import Phase
from server.schemas import SERVER_EVENTS
from tests.enginekit import make_room


def validate(name: str, wire: dict) -> None:
    model = SERVER_EVENTS.get(name)
    assert model is not None, f"{name} is not a server event in schemas.py"
    extra = set(wire) - set(model.model_fields)
    assert not extra, f"{name}: fields {sorted(extra)} are not in {model.__name__}"
    model.model_validate(wire)


@pytest.mark.parametrize("mode,follow_ups", [("round_robin", True), ("simultaneous", False)])
def test_every_event_of_a_simulated_match_matches_its_schema(mode, follow_ups):
    room, clock, rt = make_room(humans=("h1", "h2"), personas=("naver",), mode=mode, questions=3)
    room.settings = replace(room.settings, follow_ups=follow_ups)
    rt.follow_up_asker = lambda job: "What exactly did you measure?"
    room.join("s1", "S1", role="spectator", join_code="ABC123")
    room.start_match("h1")
    rt.pump()

    def act():
        if room.phase != Phase.ANSWERING:
            return
        for pid, turn in list(room.turns.items()):
            if pid.startswith("h") and not turn.done and (room.scheduler.simultaneous or room.current_turn_pid() == pid):
                if not turn.draft:
                    room.answer_draft(pid, "I measured latency")
                elif pid == "h1":
                    room.submit_answer(pid, "I measured latency and added an index.")

    dropped = False

    def on_tick():
        nonlocal dropped
        act()
        if not dropped and len(room.questions) == 2:
            dropped = True
            room.drop("h2")
            room.join("h2", "H2")
        if room.phase == Phase.REVEAL and len(room.questions) == 3 and "s1" in room.spectators:
            room.leave("s1")

    rt.run_to_end(clock, on_tick=on_tick)
    names = {e.name for e in rt.events}
    assert names >= {"phase_changed", "question_asked", "turn_order", "turn_started", "answer_submitted",
                     "score_update", "leaderboard_update", "presence_changed", "spectator_joined",
                     "session_complete"}
    assert ("follow_up_asked" in names) == follow_ups
    assert ("answer_locked" in names) == (mode == "simultaneous")
    assert ("answer_stream" in names) == (mode == "round_robin")      # simultaneous drafts are sealed
    for e in rt.events:
        validate(e.name, e.wire())
