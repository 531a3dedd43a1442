"""Hidden information, through the engine: what each viewer sees of one player's draft, answer and
score, in every phase, for every role (the player themself, another player, the host, a spectator)
and both turn modes: in ``room_state`` snapshots, in the broadcast events, in ``evaluation`` and in
the match record behind the report."""

from __future__ import annotations

import json

import pytest

from rooms import views
from rooms.errors import RoomError
from rooms.jobs import ScoreJob
from rooms.phases import PHASES, Phase
from rooms.settings import TURN_MODES
from tests.enginekit import make_room

DRAFT, ANSWER = "DRAFT2 I would start by measuring", "ANSWER2 I measured p99 and added an index; 800 ms to 120 ms."
VIEWERS = {"owner": "h2", "player": "h3", "host": "h1", "spectator": "s1"}
STAGES = ("lobby", "countdown", "question", "drafting", "submitted", "scoring", "reveal", "finished")

# What a viewer sees of h2's draft / h2's answer text / h2's score / the AI's answer text, per stage.
# Round robin answers are given in turn in front of the panel (drafts stream live); simultaneous
# answers are sealed until the reveal; scores exist, and are public, from the reveal on.
NOTHING: set = set()
EXPECTED = {
    "round_robin": {
        "drafting": {"owner": {"draft"}, "player": {"draft"}, "host": {"draft"}, "spectator": {"draft"}},
        "submitted": {v: {"answer"} for v in VIEWERS},
        "scoring": {v: {"answer", "ai"} for v in VIEWERS},
        "reveal": {v: {"answer", "score", "ai"} for v in VIEWERS},
        "finished": {v: {"answer", "score", "ai"} for v in VIEWERS},
    },
    "simultaneous": {
        "drafting": {"owner": {"draft"}, "player": NOTHING, "host": NOTHING, "spectator": NOTHING},
        "submitted": {"owner": {"answer"}, "player": NOTHING, "host": NOTHING, "spectator": NOTHING},
        "scoring": {"owner": {"answer"}, "player": NOTHING, "host": NOTHING, "spectator": NOTHING},
        "reveal": {v: {"answer", "score", "ai"} for v in VIEWERS},
        "finished": {v: {"answer", "score", "ai"} for v in VIEWERS},
    },
}


def seen_by(room, viewer_id: str) -> set[str]:
    """What ``viewer_id``'s snapshot shows of h2's draft, answer and score, and of the AI's answer."""
    st = room.snapshot(viewer_id)
    out = set()
    if st["drafts"].get("h2") == DRAFT:
        out.add("draft")
    if st["drafts"].get("ai:naver"):
        out.add("ai")
    for a in st["answers"]:
        if a["participant_id"] == "h2" and a["text"] == ANSWER:
            out.add("answer")
            if "score" in a:
                out.add("score")
        if a["participant_id"] == "ai:naver" and a["text"]:
            out.add("ai")
    assert set(st["drafts"]) | {a["participant_id"] for a in st["answers"]} <= {"h1", "h2", "h3", "ai:naver"}
    return out


def play(mode: str):
    """Drive one question through every stage; yields ``(stage, room, runtime)`` at each one."""
    room, clock, rt = make_room(humans=("h1", "h2", "h3"), personas=("naver",), mode=mode, questions=1)
    held: list[ScoreJob] = []
    run = rt.run_job
    rt.run_job = lambda job: held.append(job) if isinstance(job, ScoreJob) else run(job)
    room.join("s1", "S1", role="spectator")
    rt.pump()
    yield "lobby", room, rt
    room.start_match("h1")
    rt.pump()
    yield "countdown", room, rt
    rt.run_until(clock, lambda: room.phase == Phase.QUESTION)
    yield "question", room, rt
    rt.run_until(clock, lambda: room.phase == Phase.ANSWERING)
    if mode == "round_robin":
        assert room.turn_order[:2] == ["h1", "h2"]
        room.submit_answer("h1", "h1 answers first: I added an index.")
    room.answer_draft("h2", DRAFT)
    rt.pump()
    yield "drafting", room, rt
    room.submit_answer("h2", ANSWER)
    rt.pump()
    yield "submitted", room, rt
    if mode == "simultaneous":
        room.submit_answer("h1", "h1 answers: I added an index.")
    room.submit_answer("h3", "h3 answers: I cached the read path.")
    rt.run_until(clock, lambda: room.phase == Phase.SCORING)
    assert held, "the score job is held: the room stays in scoring"
    rt.step(clock, 100)
    yield "scoring", room, rt
    rt.run_job = run
    run(held.pop())
    rt.pump()
    assert room.phase == Phase.REVEAL
    yield "reveal", room, rt
    rt.run_to_end(clock)
    yield "finished", room, rt


@pytest.mark.parametrize("mode", ["round_robin", "simultaneous"])
def test_every_phase_role_and_turn_mode_sees_only_what_it_may(mode):
    answer_id, stages = None, []
    for stage, room, rt in play(mode):
        stages.append(stage)
        h2 = next((a for a in room.answers if a.participant_id == "h2"), None)
        answer_id = h2.answer_id if h2 else answer_id
        for role, viewer in VIEWERS.items():
            want = EXPECTED[mode].get(stage, {}).get(role, set())
            assert seen_by(room, viewer) == want, (mode, stage, role)
            # evaluation_request: another's (or your own) answer only once it is revealed
            if answer_id is None:
                continue
            if "score" in want:
                assert room.evaluation(viewer, answer_id)["text"] == ANSWER
            else:
                with pytest.raises(RoomError) as e:
                    room.evaluation(viewer, answer_id)
                assert e.value.code == "not_scored_yet", (mode, stage, role)
                assert ANSWER not in str(e.value)
        # the operator snapshot (no viewer) is the public view: a spectator's
        assert seen_by(room, None) == EXPECTED[mode].get(stage, {}).get("spectator", set()), (mode, stage)
    assert tuple(stages) == STAGES
    # the events: everyone in the room gets them, so they carry only what a spectator may see
    reveal_seq = next(e.seq for e in rt.events if e.name == "phase_changed" and e.payload["phase"] == "reveal")
    ai_text = next(a.text for a in room.answers if a.participant_id == "ai:naver")
    before = json.dumps([e.payload for e in rt.events if e.seq < reveal_seq])
    if mode == "simultaneous":
        assert DRAFT not in before and ANSWER not in before and ai_text not in before
        assert not [e for e in rt.events if e.name == "answer_stream"]
    else:
        assert any(e.name == "answer_stream" and e.payload["text"] == DRAFT for e in rt.events)
        assert ANSWER in before and ai_text in before
    assert not [e for e in rt.events if e.name == "score_update" and e.seq < reveal_seq]
    subs = [e.payload for e in rt.events if e.name == "answer_submitted"]
    assert sorted(d["participant_id"] for d in subs) == ["ai:naver", "h1", "h2", "h3"], "each answer once"
    # the stored record (the report) has every revealed answer with its score
    assert {a["participant_id"] for a in rt.finished_record["answers"]} == {"ai:naver", "h1", "h2", "h3"}
    assert all("score" in a for a in rt.finished_record["answers"])


def test_a_match_ended_before_the_reveal_keeps_sealed_answers_sealed():
    room, clock, rt = make_room(humans=("h1", "h2"), personas=("naver",), mode="simultaneous", questions=1)
    held = []
    run = rt.run_job
    rt.run_job = lambda job: held.append(job) if isinstance(job, ScoreJob) else run(job)
    room.join("s1", "S1", role="spectator")
    room.start_match("h1")
    rt.run_until(clock, lambda: room.phase == Phase.ANSWERING)
    room.submit_answer("h2", ANSWER)
    room.submit_answer("h1", "h1's sealed answer")
    rt.run_until(clock, lambda: room.phase == Phase.SCORING)
    room.end_session("h1")
    rt.pump()
    assert room.phase == Phase.FINISHED
    assert seen_by(room, "s1") == set() and seen_by(room, "h1") == set() and seen_by(room, "h2") == {"answer"}
    assert ANSWER not in json.dumps([e.payload for e in rt.events])
    assert rt.finished_record["answers"] == [], "never revealed, never in the report"


ALL, REVEALED = set(PHASES), {"reveal", "finished"}
OTHERS = ("player", "host", "spectator")
RULE = {   # mode -> item -> viewer -> the phases in which the viewer sees the item
    "round_robin": {"draft": {v: ALL for v in VIEWERS}, "answer": {v: ALL for v in VIEWERS},
                    "score": {v: REVEALED for v in VIEWERS},
                    "note": {"owner": ALL, **{v: set() for v in OTHERS}}},
    "simultaneous": {"draft": {"owner": ALL, **{v: REVEALED for v in OTHERS}},
                     "answer": {"owner": ALL, **{v: REVEALED for v in OTHERS}},
                     "score": {v: REVEALED for v in VIEWERS},
                     "note": {"owner": ALL, **{v: set() for v in OTHERS}}},
}


def test_the_rule_for_every_item_viewer_phase_and_turn_mode():
    assert set(views.ITEMS) == {"draft", "answer", "score", "note"} and set(views.VIEWERS) == set(VIEWERS)
    for mode in TURN_MODES:
        for item in views.ITEMS:
            for viewer in views.VIEWERS:
                for phase in PHASES:
                    want = phase in RULE[mode][item][viewer]
                    assert views.can_see(item, viewer, phase, mode) is want, (mode, item, viewer, phase)
                    if viewer == "spectator":
                        assert views.public(item, phase, mode) is want
    with pytest.raises(ValueError):
        views.can_see("answer", "referee", "reveal", "round_robin")


def test_viewer_of_names_the_relation_to_the_owner():
    assert views.viewer_of("h2", "h2", is_player=True, host_id="h1") == "owner"
    assert views.viewer_of("h1", "h2", is_player=True, host_id="h1") == "host"
    assert views.viewer_of("h3", "h2", is_player=True, host_id="h1") == "player"
    assert views.viewer_of("ai:naver", "h2", is_player=True, host_id="h1") == "player"
    assert views.viewer_of("s1", "h2", is_player=False, host_id="h1") == "spectator"
    assert views.viewer_of(None, "h2", is_player=False, host_id="h1") == "spectator"
