"""A room whose questions come from a résumé (fixed order, questions in no shared bank) survives the
state-tree round trip a restart does (rooms/state.py), and a solo room starts with one participant."""

from __future__ import annotations

import random

from rooms.clock import ManualClock
from rooms.questions import QuestionBank, default_bank
from rooms.room import Room
from rooms.settings import RoomSettings
from resumes.generate import own_questions, to_question
from resumes.parse import parse
from tests.resume_helpers import resume_text


def resume_room(solo: bool = False) -> Room:
    qs = [to_question(q) for q in own_questions(parse(resume_text("ko")), "rq-test")][:3]
    bank = QuestionBank([*default_bank(), *qs])
    settings = RoomSettings(title="이력서", question_count=3, language="ko", question_ids=tuple(q.id for q in qs),
                            solo=solo, max_humans=1)
    return Room("r1", settings.validate(), "u1", "Haneul", ManualClock(0), random.Random(1), bank)


def test_a_resume_room_round_trips_through_its_state_tree_with_the_shared_bank_only():
    room = resume_room()
    first = room.queue.next()
    assert first.id == "rq-test-01" and "정산 자동화 플랫폼" in first.text("ko")
    restored = Room.from_json(room.to_json(), clock=ManualClock(0), bank=default_bank())
    assert restored.bank.get("rq-test-02").key_points("ko") == room.bank.get("rq-test-02").key_points("ko")
    assert [restored.queue.next().id for _ in range(2)] == ["rq-test-02", "rq-test-03"]


def test_a_solo_room_starts_with_its_host_alone():
    room = resume_room(solo=True)
    room.start_match("u1")
    assert room.phase == "countdown"
