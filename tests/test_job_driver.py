"""The one job driver (rooms/driver.py) and the jobs' wire form on the queue (server/jobwork.py)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from rooms.driver import JobDriver
from rooms.jobs import AIAnswerJob, FollowUpJob, MatchFinishedJob, ScoreJob
from rooms.room import Phase
from rooms.scoring import ScoreResult
from server.jobwork import KIND_OF, decode, decode_result, encode, encode_result
from tests.enginekit import make_room
from tests.test_room_engine import answer_when_my_turn

ROOT = Path(__file__).resolve().parent.parent


def played_match():
    """A simulated match with follow-ups; returns (room, runtime, every job the room emitted)."""
    room, clock, rt = make_room(personas=("naver",))
    room.settings = dataclasses.replace(room.settings, follow_ups=True)
    jobs = []
    run_job = rt.run_job

    def spy(job):
        jobs.append(job)
        run_job(job)

    rt.run_job = spy
    rt.follow_up_asker = lambda job: f"What would you do differently, {job.participant_id}?"
    room.start_match("h1")
    rt.pump()
    rt.run_to_end(clock, on_tick=answer_when_my_turn(room, lambda pid: f"I measured latency and added an index ({pid})."))
    return room, rt, jobs


def test_every_job_of_a_match_round_trips_through_the_queue_form():
    room, rt, jobs = played_match()
    assert room.phase == Phase.FINISHED
    assert {type(j) for j in jobs} == {AIAnswerJob, FollowUpJob, ScoreJob, MatchFinishedJob}
    for job in jobs:
        msg = json.loads(json.dumps(encode(job, {"time_scale": 0.5})))     # what Redis carries
        back, params = decode(msg)
        assert back == job and params == {"time_scale": 0.5}
        assert msg["kind"] == KIND_OF[type(job)]


def test_results_round_trip():
    res = {"a1": ScoreResult(71, {"structure": 80}, "Good."), "a2": ScoreResult(0, {}, "")}
    assert decode_result("score", encode_result("score", res)) == res
    ans = ("text", 1200, 150, None)
    assert decode_result("ai_answer", encode_result("ai_answer", ans)) == ans


def test_the_driver_publishes_the_board_and_session_complete_and_ignores_stale_results():
    room, rt, jobs = played_match()
    events = [e.name for e in rt.events]
    assert events[-1] == "session_complete" and events.count("session_complete") == 1
    sc = rt.events[-1].payload
    assert sc["ranking"] == JobDriver(room).ranking(rt.board) and sc["report_url"] is None
    # the last leaderboard_update is the board the runtime kept
    last_board = [e for e in rt.events if e.name == "leaderboard_update"][-1].payload["entries"]
    assert {e["participant_id"]: e["score"] for e in last_board} == rt.board
    # a result the room no longer waits for (duplicate, late) is refused, not applied twice
    score_job = next(j for j in jobs if isinstance(j, ScoreJob))
    ai_job = next(j for j in jobs if isinstance(j, AIAnswerJob))
    d = JobDriver(room)
    assert room.drain() == ([], [])
    assert d.deliver(score_job, {a.answer_id: ScoreResult(100) for a in score_job.answers}) is False
    assert d.deliver(ai_job, ("late", 100, 150, None)) is False
    assert room.drain() == ([], []), "nothing happened"
    with pytest.raises(TypeError):
        d.deliver(object(), None)


def test_leaderboard_update_and_session_complete_are_published_in_one_place():
    """The two runtimes (rooms/sim.py, server/runtime.py) used to build them each; now only the driver does."""
    hits = {}
    for pkg in ("rooms", "server"):
        for path in (ROOT / pkg).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for name in ("leaderboard_update", "session_complete"):
                if f'publish("{name}"' in text:
                    hits.setdefault(name, set()).add(path.relative_to(ROOT).as_posix())
    assert hits == {"leaderboard_update": {"rooms/driver.py"}, "session_complete": {"rooms/driver.py"}}


def test_the_gateway_uses_no_private_part_of_the_room_host():
    text = (ROOT / "server" / "gateway.py").read_text(encoding="utf-8")
    assert "_flush_locked" not in text and ".lock" not in text
