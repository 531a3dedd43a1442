"""Run rooms without a server: a synchronous runtime for tests, benchmarks and the CLI.

:class:`LocalRuntime` does what the server's runtime does, inline: it drains
the room's outbox, runs jobs (AI answers, scoring) immediately, and keeps the
leaderboard in memory (the server keeps it in Redis). With a
:class:`rooms.clock.ManualClock` a whole match runs in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .clock import ManualClock
from .driver import JobDriver, MatchStored
from .ranking import RankCalculator
from .scoring import Scorer
from .jobs import AIAnswerJob, FollowUpJob, MatchFinishedJob, RoomEvent, ScoreJob
from .questions import QuestionBank
from .room import Phase, Room

# (job) -> (text, think_ms, words_per_minute, story_id)
AIAnswerer = Callable[[AIAnswerJob], tuple]


@dataclass
class LocalRuntime:
    """Drives one room synchronously.

    Args:
        room: the room.
        scorer: scores ``ScoreJob`` answers.
        bank: to resolve question ids for scoring.
        ai_answerer: turns an ``AIAnswerJob`` into ``(text, think_ms, wpm, story_id)``.
        on_event: optional callback for every broadcast event.
    """

    room: Room
    scorer: Scorer
    bank: QuestionBank
    ai_answerer: AIAnswerer
    on_event: Callable[[RoomEvent], None] | None = None
    follow_up_asker: Callable[[FollowUpJob], str | None] | None = None
    events: list = field(default_factory=list)
    ranks: RankCalculator = field(default_factory=RankCalculator)
    finished_record: dict | None = None

    def __post_init__(self) -> None:
        self.driver = JobDriver(self.room)

    def pump(self) -> None:
        """Drain the outbox until it is empty, running jobs inline."""
        while True:
            events, jobs = self.room.drain()
            if not events and not jobs:
                return
            for ev in events:
                self.events.append(ev)
                if self.on_event:
                    self.on_event(ev)
            deltas = self.driver.score_deltas(events)
            for pid, points in deltas:
                self.ranks.add(pid, points)
            if deltas:
                self.driver.publish_board(self.board)
            for job in jobs:
                self.run_job(job)

    @property
    def board(self) -> dict[str, int]:
        """Cumulative scores, participant id -> total (what the server reads from its Redis board)."""
        return {s.participant_id: s.total for s in self.ranks.standings()}

    def run_job(self, job: Any) -> None:
        """Run ``job`` inline and hand its result to the room through the :class:`JobDriver`."""
        if isinstance(job, AIAnswerJob):
            self.driver.deliver(job, self.ai_answerer(job))
        elif isinstance(job, FollowUpJob):
            if self.follow_up_asker is not None:
                self.driver.deliver(job, self.follow_up_asker(job))
        elif isinstance(job, ScoreJob):
            q = self.bank.get(job.question_id)
            self.driver.deliver(job, self.scorer.score_answers(q, job.answers, job.lang))
        elif isinstance(job, MatchFinishedJob):
            self.finished_record = job.record
            self.driver.deliver(job, MatchStored(self.driver.ranking(self.board), None))

    def step(self, clock: ManualClock, ms: int) -> None:
        """Advance the clock by ``ms``, tick once, and pump."""
        clock.advance(ms)
        self.room.tick()
        self.pump()

    def run_until(self, clock: ManualClock, done: Callable[[], bool], max_ms: int = 3_600_000,
                  on_tick: Callable[[], None] | None = None) -> None:
        """Tick at the room's tick rate until ``done()`` or ``max_ms`` of game time passed."""
        dt = int(1000 / self.room.settings.timings.tick_hz)
        elapsed = 0
        self.pump()
        while not done() and elapsed < max_ms:
            if on_tick:
                on_tick()
                self.pump()
            self.step(clock, dt)
            elapsed += dt

    def run_to_end(self, clock: ManualClock, on_tick: Callable[[], None] | None = None) -> None:
        self.run_until(clock, lambda: self.room.phase == Phase.FINISHED, on_tick=on_tick)
        self.pump()
