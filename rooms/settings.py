"""Room settings chosen by the host, and engine timings.

Settings are validated here (semantics: ranges, known categories, duplicate
personas). The server validates the wire shape with pydantic first; this is
the last word, so the engine never runs with settings it cannot honour.
"""

from __future__ import annotations

from dataclasses import dataclass, field, asdict, replace
from typing import Iterable

from .errors import ErrorCode, RoomError

CATEGORIES = ("behavioural", "technical", "culture_fit", "company")
LANGUAGES = ("ko", "en")
TURN_MODES = ("round_robin", "simultaneous")
DIFFICULTIES = ("mixed", "easy", "medium", "hard", "adaptive")

MAX_PERSONAS = 6
MAX_HUMANS = 8
MAX_QUESTIONS = 20
MIN_ANSWER_SECONDS = 10
MAX_ANSWER_SECONDS = 300
MAX_TEXT_BYTES = 8 * 1024   # answers, drafts, notes: 8 KB (issue 2, "text over 8 KB")


@dataclass(frozen=True)
class PersonaSeat:
    """An AI candidate the host put in the room.

    Attributes:
        id: persona id, e.g. ``"naver"``.
        skill: 1 (weak) to 5 (strong).
    """

    id: str
    skill: int = 3


@dataclass(frozen=True)
class Timings:
    """Durations of the match phases, in milliseconds, and the tick rate in Hz.

    Defaults follow product.md: a ~10 Hz tick, a 60 s reconnection grace period,
    and a short wait before an absent player's turn is skipped.
    """

    tick_hz: float = 10.0
    countdown_ms: int = 3_000
    question_read_ms: int = 2_000
    absent_wait_ms: int = 5_000
    reconnect_grace_ms: int = 60_000
    scoring_timeout_ms: int = 20_000
    reveal_ms: int = 5_000
    finished_linger_ms: int = 120_000
    empty_room_linger_ms: int = 30_000
    ai_margin_ms: int = 1_000       # an AI answer is fully streamed this long before the deadline
    ai_think_min_ms: int = 1_200
    ai_think_max_ms: int = 3_000
    stream_interval_ms: int = 200   # at most one answer_stream per participant this often
    follow_up_wait_ms: int = 4_000  # how long the room waits for a follow-up question before using a stock one
    answer_scale: float = 1.0       # multiplies answer_seconds (tests and demos run faster)

    def scaled(self, factor: float) -> "Timings":
        """Return a copy with every duration multiplied by ``factor`` (tick rate kept)."""
        kw = {k: (int(v * factor) if k.endswith("_ms") else v) for k, v in asdict(self).items()}
        kw["answer_scale"] = self.answer_scale * factor
        return Timings(**kw)


@dataclass(frozen=True)
class RoomSettings:
    """What the host chose when creating the room (see protocol.md ``create_room``)."""

    title: str = "Interview room"
    personas: tuple[PersonaSeat, ...] = ()
    question_count: int = 5
    language: str = "ko"
    turn_mode: str = "round_robin"
    answer_seconds: int = 90
    max_humans: int = 4
    private: bool = False
    categories: tuple[str, ...] = CATEGORIES
    difficulty: str = "mixed"
    follow_ups: bool = False
    score_expression: bool = False        # host opt-in: facial expression counts in spoken answers' scores
    #: When set, the match asks exactly these questions, in this order (a résumé's tailored set, a
    #: learning plan's retries); ``question_count`` is their number. Ids must be in the room's bank.
    question_ids: tuple[str, ...] = ()
    #: A practice room for one: the host may start it alone (no second participant needed).
    solo: bool = False
    timings: Timings = field(default_factory=Timings)

    @property
    def answer_ms(self) -> int:
        return int(self.answer_seconds * 1000 * self.timings.answer_scale)

    def with_timings(self, timings: Timings) -> "RoomSettings":
        return replace(self, timings=timings)

    def validate(self, known_personas: Iterable[str] | None = None) -> "RoomSettings":
        """Check every field; return ``self``.

        Raises:
            RoomError: ``invalid_settings`` for a value out of range, or
                ``unknown_persona`` for a persona id not in ``known_personas``.
        """

        def bad(msg: str) -> RoomError:
            return RoomError(ErrorCode.INVALID_SETTINGS, msg)

        title = self.title.strip()
        if not 1 <= len(title) <= 80:
            raise bad("title must be 1-80 characters")
        if len(self.personas) > MAX_PERSONAS:
            raise bad(f"at most {MAX_PERSONAS} AI candidates")
        ids = [p.id for p in self.personas]
        if len(set(ids)) != len(ids):
            raise bad("each persona may sit only once")
        if known_personas is not None:
            known = set(known_personas)
            for pid in ids:
                if pid not in known:
                    raise RoomError(ErrorCode.UNKNOWN_PERSONA, f"unknown persona {pid!r}; known: {sorted(known)}")
        for p in self.personas:
            if not 1 <= p.skill <= 5:
                raise bad("persona skill must be 1-5")
        if not 1 <= self.question_count <= MAX_QUESTIONS:
            raise bad(f"question_count must be 1-{MAX_QUESTIONS}")
        if self.language not in LANGUAGES:
            raise bad(f"language must be one of {LANGUAGES}")
        if self.turn_mode not in TURN_MODES:
            raise bad(f"turn_mode must be one of {TURN_MODES}")
        if not MIN_ANSWER_SECONDS <= self.answer_seconds <= MAX_ANSWER_SECONDS:
            raise bad(f"answer_seconds must be {MIN_ANSWER_SECONDS}-{MAX_ANSWER_SECONDS}")
        if not 1 <= self.max_humans <= MAX_HUMANS:
            raise bad(f"max_humans must be 1-{MAX_HUMANS}")
        if not self.categories:
            raise bad("choose at least one category")
        for c in self.categories:
            if c not in CATEGORIES:
                raise bad(f"unknown category {c!r}; known: {CATEGORIES}")
        if self.difficulty not in DIFFICULTIES:
            raise bad(f"difficulty must be one of {DIFFICULTIES}")
        if self.question_ids and len(self.question_ids) != self.question_count:
            raise bad("question_count must equal the number of question_ids")
        if len(set(self.question_ids)) != len(self.question_ids):
            raise bad("question_ids must not repeat")
        if self.solo and self.max_humans != 1:
            raise bad("a solo room has max_humans 1")
        if not 1 <= self.timings.tick_hz <= 60:
            raise bad("tick_hz must be 1-60")
        return self

    def public_dict(self) -> dict:
        """The settings as JSON-able data (without timings)."""
        return {
            "title": self.title,
            "personas": [{"id": p.id, "skill": p.skill} for p in self.personas],
            "question_count": self.question_count,
            "language": self.language,
            "turn_mode": self.turn_mode,
            "answer_seconds": self.answer_seconds,
            "max_humans": self.max_humans,
            "private": self.private,
            "categories": list(self.categories),
            "difficulty": self.difficulty,
            "follow_ups": self.follow_ups,
            "score_expression": self.score_expression,
            "solo": self.solo,
            "fixed_questions": bool(self.question_ids),
        }
