"""Follow-ups (round robin only): after the main turns, one candidate per question is asked a
follow-up on their answer, with half the answer time; it carries :data:`FOLLOW_UP_WEIGHT` of that
question's score.

:class:`FollowUp` is the per-question state machine (part of the room's state tree)::

    idle ──ask(pid, job)──▶ waiting ──open()──▶ open        (the follow-up turn runs, then scoring)
      └────skip()─────────▶ skipped                        (nobody answered: straight to scoring)

``waiting`` means a :class:`rooms.jobs.FollowUpJob` is out (LLM chain or offline template); after
``follow_up_wait_ms`` the room asks :data:`STOCK_FOLLOW_UP` instead. :class:`FollowUpMixin` holds
the room's follow-up logic.
"""

from __future__ import annotations

from dataclasses import dataclass

from .jobs import FollowUpJob
from .phases import Phase
from .turns import Turn

FOLLOW_UP_WEIGHT = 0.3          # share of a question's score that the follow-up answer carries (ours)
STOCK_FOLLOW_UP = {"ko": "방금 답변에서 본인이 직접 한 일과 그 결과를 조금 더 구체적으로 설명해 주시겠어요?",
                   "en": "Could you say more about what you personally did there, and what the result was?"}

IDLE, WAITING, OPEN, SKIPPED = "idle", "waiting", "open", "skipped"
STEPS = (IDLE, WAITING, OPEN, SKIPPED)


@dataclass
class FollowUp:
    """The follow-up of the current question.

    Attributes:
        step: ``idle`` (main turns running), ``waiting`` (the job is out), ``open`` (the follow-up
            turn was opened), ``skipped`` (nobody to ask this question).
        participant_id: the candidate asked (``waiting`` / ``open``).
        job_id: the outstanding :class:`FollowUpJob` (``waiting`` only).
        asked_ms: epoch ms the job went out.
    """

    step: str = IDLE
    participant_id: str | None = None
    job_id: str | None = None
    asked_ms: int | None = None

    def ask(self, participant_id: str, job_id: str, now_ms: int) -> None:
        """``idle → waiting``. Raises AssertionError from any other step."""
        assert self.step == IDLE, f"follow-up: ask from {self.step}"
        self.step, self.participant_id, self.job_id, self.asked_ms = WAITING, participant_id, job_id, now_ms

    def skip(self) -> None:
        """``idle → skipped``. Raises AssertionError from any other step."""
        assert self.step == IDLE, f"follow-up: skip from {self.step}"
        self.step = SKIPPED

    def open(self) -> str:
        """``waiting → open``; returns the candidate. Raises AssertionError from any other step."""
        assert self.step == WAITING and self.participant_id is not None, f"follow-up: open from {self.step}"
        self.step, self.job_id = OPEN, None
        return self.participant_id

    @property
    def turn_pid(self) -> str | None:
        """Whose turn it is after the main turns: the candidate once the follow-up is open."""
        return self.participant_id if self.step == OPEN else None

    def to_dict(self) -> dict:
        return {"step": self.step, "participant_id": self.participant_id, "job_id": self.job_id,
                "asked_ms": self.asked_ms}

    @classmethod
    def from_dict(cls, d: dict) -> "FollowUp":
        if d.get("step") not in STEPS:
            raise ValueError(f"unknown follow-up step {d.get('step')!r}")
        return cls(d["step"], d.get("participant_id"), d.get("job_id"), d.get("asked_ms"))


class FollowUpMixin:
    """The room's follow-up logic (mixed into :class:`rooms.room.Room`)."""

    def _want_follow_up(self) -> bool:
        return self.settings.follow_ups and not self.scheduler.simultaneous and self.follow_up.step == IDLE

    def _ask_follow_up(self) -> None:
        answered = self._follow_up_candidates()
        seats = self.scheduler.seats
        start = (len(self.questions) - 1) % max(1, len(seats))
        target = next((seats[(start + k) % len(seats)] for k in range(len(seats))
                       if seats[(start + k) % len(seats)] in answered
                       and self.participants[seats[(start + k) % len(seats)]].seated), None)
        if target is None:
            self.follow_up.skip()
            self._start_scoring()
            return
        now = self.clock.now_ms()
        self.follow_up.ask(target, self._next_id("j"), now)
        self.phase_ends_ms = now + self.settings.timings.follow_up_wait_ms
        self._queue_job(self._follow_up_job())

    def _follow_up_candidates(self) -> dict:
        q = self.questions[-1]
        return {a.participant_id: a for a in self.answers
                if a.question_id == q.id and not a.skipped and a.text.strip() and not a.follow_up_of}

    def _follow_up_job(self) -> FollowUpJob:
        """The :class:`FollowUpJob` of the ``waiting`` follow-up (also re-issued after a restore)."""
        q, fu = self.questions[-1], self.follow_up
        return FollowUpJob(fu.job_id, self.room_id, fu.participant_id, q.id, q.text(self.settings.language),
                           self._follow_up_candidates()[fu.participant_id].text, self.settings.language)

    def provide_follow_up(self, job_id: str, text: str | None) -> bool:
        """Deliver the follow-up question for ``FollowUpJob`` ``job_id`` and open that candidate's
        follow-up turn (half the answer time). A stock question is used if ``text`` is empty.
        Returns False if the job is stale."""
        if self.phase != Phase.ANSWERING or self.follow_up.step != WAITING or job_id != self.follow_up.job_id:
            return False
        text = (text or "").strip()[:500] or STOCK_FOLLOW_UP[self.settings.language]
        pid = self.follow_up.open()
        q = self.questions[-1]
        now = self.clock.now_ms()
        turn = Turn(pid, now, now + self.settings.answer_ms // 2, follow_up=text)
        self.turns[pid] = turn
        self.phase_ends_ms = turn.deadline_ms
        self._emit("follow_up_asked", {"participant_id": pid, "question_id": q.id, "text": text,
                                       "deadline_ms": turn.deadline_ms})
        self._emit("turn_started", {"participant_id": pid, "question_id": q.id, "deadline_ms": turn.deadline_ms,
                                    "turn_index": len(self.turn_order), "turns_total": len(self.turn_order) + 1,
                                    "follow_up": text})
        self._begin_turn(turn)
        return True

    def _tick_follow_up(self, now: int) -> None:
        if self.follow_up.step == WAITING and now >= self.phase_ends_ms:
            self.provide_follow_up(self.follow_up.job_id, None)       # the interviewer was slow: stock question
