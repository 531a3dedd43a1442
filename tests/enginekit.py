"""Helpers for engine tests: a small question bank and a room factory."""

from __future__ import annotations

import random

from rooms.clock import ManualClock
from scoring.rubric import RubricScorer
from rooms.jobs import AIAnswerJob
from rooms.questions import Question, QuestionBank
from rooms.room import Room
from rooms.settings import PersonaSeat, RoomSettings, Timings
from rooms.sim import LocalRuntime


def small_bank() -> QuestionBank:
    qs = []
    for i, cat in enumerate(["behavioural", "technical", "culture_fit", "behavioural", "technical", "culture_fit",
                             "behavioural", "technical"]):
        qs.append(Question(
            id=f"t-{i}", category=cat, topic="t", difficulty=1 + i % 3,
            text_by_lang={"en": f"Tell me about a time you improved a slow database query number {i}.",
                          "ko": f"느린 데이터베이스 쿼리를 개선한 경험을 말씀해 주세요 {i}."},
            key_points_by_lang={"en": ["index design", "measured latency", "trade-off of write cost"],
                                "ko": ["인덱스 설계", "지연 시간 측정", "쓰기 비용 트레이드오프"]}))
    return QuestionBank(qs)


FAST = Timings(countdown_ms=300, question_read_ms=200, absent_wait_ms=1_000, reconnect_grace_ms=5_000,
               scoring_timeout_ms=2_000, reveal_ms=300, ai_think_min_ms=100, ai_think_max_ms=200)


def canned_ai(job: AIAnswerJob):
    """A stand-in persona for engine tests: a fixed, deterministic answer."""
    text = (f"When our API was slow I measured latency, designed an index and cut p99 from 800 ms to 120 ms; "
            f"the trade-off was write cost. ({job.persona_id} seed {job.seed})")
    return text, 500, 150, f"{job.persona_id}-story-{len(job.used_story_ids)}"


def make_room(humans=("h1", "h2"), personas=("naver",), mode="round_robin", questions=3, answer_seconds=20,
              max_humans=4, timings=FAST, seed=7, bank=None, private=False):
    clock = ManualClock()
    bank = bank or small_bank()
    settings = RoomSettings(title="Test room", personas=tuple(PersonaSeat(p, 3) for p in personas),
                            question_count=questions, language="en", turn_mode=mode,
                            answer_seconds=answer_seconds, max_humans=max_humans, private=private,
                            categories=("behavioural", "technical", "culture_fit"), timings=timings).validate()
    room = Room("r1", settings, humans[0], humans[0].upper(), clock, random.Random(seed), bank,
                persona_names={"naver": {"name": "Minjun", "company": "NAVER"}}, join_code="ABC123",
                fallback_scorer=RubricScorer(answer_seconds))
    for h in humans[1:]:
        room.join(h, h.upper(), join_code="ABC123")
        room.set_ready(h, True)
    rt = LocalRuntime(room, RubricScorer(answer_seconds), bank, canned_ai)
    rt.pump()
    return room, clock, rt
