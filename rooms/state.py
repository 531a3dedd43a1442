"""The room's state: one versioned, serializable tree (:class:`RoomState`).

Everything a match needs to go on lives here, and nothing else does: the room's collaborators
(the injected clock, the question bank, the fallback scorer) and its outbox (events and jobs not
yet drained) are not state. A :class:`rooms.room.Room` reads and writes these fields as its own
attributes (``room.phase`` is ``room.state.phase``).

:meth:`RoomState.to_dict` gives JSON-able data (``version`` first); :meth:`RoomState.from_dict`
rebuilds the tree (questions resolved through the bank). Every time in it is an absolute epoch ms
of the injected clock (phase ends, turn deadlines, AI word plans, grace periods), so a restored
room's timers continue where they were. The RNG's state is part of the tree, so a restored room
draws the same questions and AI seeds as the original would have.

Versions: :data:`STATE_VERSION` is written into every tree; :meth:`RoomState.from_dict` refuses
another version (``ValueError``) rather than guess (a future version adds a migration here).
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache

from .follow_up import FollowUp
from .participants import Participant
from .phases import PHASES, Phase
from .questions import Question, QuestionBank, QuestionQueue
from .scheduler import TurnScheduler
from .settings import PersonaSeat, RoomSettings, Timings
from .turns import Answer, Turn

#: The shape of the tree :meth:`RoomState.to_dict` writes. Bump it when a field changes meaning.
STATE_VERSION = 1


@dataclass
class RoomState:
    """The whole mutable state of one room.

    Attributes (times in epoch ms of the injected clock):
        room_id / settings / join_code / host_id: identity and the host's choices.
        phase / phase_ends_ms / stopped_phase: the phase machine (``stopped_phase``: the phase a
            finished match stopped in, for :mod:`rooms.views`).
        seq: the last broadcast's sequence number.
        created_ms / started_ms / finished_ms / empty_since_ms: lifecycle times.
        participants / spectators: seats (by id) and spectators' user ids.
        questions / answers / turns / turn_order / turn_index: the match so far and the current
            question's turns.
        scheduler / queue / rng: who answers when, the question draw, the room's RNG.
        score_job_id: the outstanding :class:`rooms.jobs.ScoreJob` (phase ``scoring``).
        follow_up: the current question's :class:`rooms.follow_up.FollowUp`.
        delivery / expression: spoken answers (:mod:`rooms.spoken`).
        end_reason: why the match finished.
        session_completed: the runtime published ``session_complete`` (the finished match is stored).
        counter: the last id suffix handed out (answers, jobs).
    """

    room_id: str
    settings: RoomSettings
    join_code: str
    host_id: str
    rng: random.Random
    queue: QuestionQueue
    created_ms: int
    phase: str = Phase.LOBBY
    phase_ends_ms: int | None = None
    seq: int = 0
    started_ms: int | None = None
    finished_ms: int | None = None
    empty_since_ms: int | None = None
    participants: dict[str, Participant] = field(default_factory=dict)
    spectators: set[str] = field(default_factory=set)
    answers: list[Answer] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    turns: dict[str, Turn] = field(default_factory=dict)
    turn_order: list[str] = field(default_factory=list)
    turn_index: int = 0
    scheduler: TurnScheduler | None = None
    score_job_id: str | None = None
    follow_up: FollowUp = field(default_factory=FollowUp)
    delivery: dict[tuple[str, str, bool], dict] = field(default_factory=dict)  # (pid, qid, follow_up) -> measures
    expression: dict[tuple[str, str], dict] = field(default_factory=dict)      # (pid, qid) -> {"samples", "sum"}
    end_reason: str | None = None
    stopped_phase: str = Phase.LOBBY
    session_completed: bool = False
    counter: int = 0

    # ------------------------------------------------------------------ to JSON
    def to_dict(self, answers: bool = True, rng: bool = True) -> dict:
        """The tree as JSON-able data: ``{"version": STATE_VERSION, ...}`` (``answers=False``: without
        the answers; ``rng=False``: without the RNG's state)."""
        d = {
            "version": STATE_VERSION,
            "room_id": self.room_id, "settings": settings_to_dict(self.settings), "join_code": self.join_code,
            "host_id": self.host_id, "created_ms": self.created_ms,
            "phase": self.phase, "phase_ends_ms": self.phase_ends_ms, "stopped_phase": self.stopped_phase,
            "seq": self.seq, "started_ms": self.started_ms, "finished_ms": self.finished_ms,
            "empty_since_ms": self.empty_since_ms,
            "participants": [participant_to_dict(p) for p in self.participants.values()],
            "spectators": sorted(self.spectators),
            "questions": [q.id for q in self.questions],
            "turns": [t.to_dict() for t in self.turns.values()],
            "turn_order": list(self.turn_order), "turn_index": self.turn_index,
            "scheduler": ({"mode": self.scheduler.mode, "seats": list(self.scheduler.seats)}
                          if self.scheduler is not None else None),
            "queue": self.queue.to_dict(),
            "score_job_id": self.score_job_id,
            "follow_up": self.follow_up.to_dict(),
            "delivery": [[pid, qid, fu, d] for (pid, qid, fu), d in self.delivery.items()],
            "expression": [[pid, qid, acc] for (pid, qid), acc in self.expression.items()],
            "end_reason": self.end_reason, "session_completed": self.session_completed,
            "counter": self.counter,
        }
        if rng:
            d["rng"] = _rng_to_dict(self.rng.getstate())
        if answers:
            d["answers"] = [a.to_dict() for a in self.answers]
        return d

    def to_json(self) -> str:
        """:meth:`to_dict` as compact JSON text (UTF-8, not ASCII-escaped).

        The runtime saves the tree at every transition, so this is on the hot path: the answers to
        earlier questions (which never change once the next question is asked) are encoded once and
        reused, and so is the RNG's state (625 words, three quarters of the text) until the room draws
        from it again; ``rng`` and ``answers`` are written last."""
        d = self.to_dict(answers=False, rng=False)
        state = self.rng.getstate()
        rng = self.__dict__.get("_rng_json")
        if rng is None or rng[0] != state:
            rng = (state, _dumps(_rng_to_dict(state)))
            self.__dict__["_rng_json"] = rng
        cur = self.questions[-1].id if self.questions else None
        n_past = next((i for i, a in enumerate(self.answers) if a.question_id == cur), len(self.answers))
        cached = self.__dict__.get("_past_answers")
        if cached is None or cached[0] != n_past:
            cached = (n_past, ",".join(_dumps(a.to_dict()) for a in self.answers[:n_past]))
            self.__dict__["_past_answers"] = cached
        now = ",".join(_dumps(a.to_dict()) for a in self.answers[n_past:])
        body = cached[1] + ("," if cached[1] and now else "") + now
        return _dumps(d)[:-1] + ',"rng":' + rng[1] + ',"answers":[' + body + "]}"

    # ---------------------------------------------------------------- from JSON
    @classmethod
    def from_dict(cls, d: dict, bank: QuestionBank) -> "RoomState":
        """Rebuild a tree written by :meth:`to_dict`.

        Raises:
            ValueError: another :data:`STATE_VERSION`, an unknown phase, or a malformed tree.
            KeyError: a question id ``bank`` does not hold, or a missing field.
        """
        if d.get("version") != STATE_VERSION:
            raise ValueError(f"room state version {d.get('version')!r}; this server reads {STATE_VERSION}")
        if d["phase"] not in PHASES or d["stopped_phase"] not in PHASES:
            raise ValueError(f"unknown phase {d['phase']!r}")
        settings = settings_from_dict(d["settings"])
        r = d["rng"]
        rng = random.Random()
        rng.setstate((r["version"], tuple(r["internal"]), r["gauss_next"]))
        bank = QuestionQueue.bank_for_restore(d["queue"], bank)     # a résumé room's own questions
        queue = QuestionQueue(bank, settings.question_count, settings.categories, settings.difficulty, rng,
                              companies=[p.id for p in settings.personas], fixed=settings.question_ids)
        queue.bank = bank
        queue.restore(d["queue"], bank)
        sch = d["scheduler"]
        return cls(
            room_id=d["room_id"], settings=settings, join_code=d["join_code"], host_id=d["host_id"], rng=rng,
            queue=queue, created_ms=d["created_ms"], phase=d["phase"], phase_ends_ms=d["phase_ends_ms"],
            seq=d["seq"], started_ms=d["started_ms"], finished_ms=d["finished_ms"],
            empty_since_ms=d["empty_since_ms"],
            participants={p["participant_id"]: participant_from_dict(p) for p in d["participants"]},
            spectators=set(d["spectators"]),
            answers=[Answer.from_dict(a) for a in d["answers"]],
            questions=[bank.get(qid) for qid in d["questions"]],
            turns={t["participant_id"]: Turn.from_dict(t) for t in d["turns"]},
            turn_order=list(d["turn_order"]), turn_index=d["turn_index"],
            scheduler=TurnScheduler(sch["mode"], sch["seats"]) if sch is not None else None,
            score_job_id=d["score_job_id"], follow_up=FollowUp.from_dict(d["follow_up"]),
            delivery={(pid, qid, bool(fu)): dict(m) for pid, qid, fu, m in d["delivery"]},
            expression={(pid, qid): acc for pid, qid, acc in d["expression"]},
            end_reason=d["end_reason"], stopped_phase=d["stopped_phase"],
            session_completed=d["session_completed"], counter=d["counter"],
        )

    @classmethod
    def from_json(cls, text: str | bytes, bank: QuestionBank) -> "RoomState":
        """Parse :meth:`to_json` text; raises like :meth:`from_dict` (and ``ValueError`` on bad JSON)."""
        return cls.from_dict(json.loads(text), bank)


def _rng_to_dict(state: tuple) -> dict:
    version, internal, gauss = state
    return {"version": version, "internal": list(internal), "gauss_next": gauss}


def _dumps(x) -> str:
    return json.dumps(x, ensure_ascii=False, separators=(",", ":"))


#: The tree's field names (what :class:`rooms.room.Room` forwards to its ``state``).
STATE_FIELDS = tuple(f.name for f in fields(RoomState))


@lru_cache(maxsize=4096)
def settings_to_dict(s: RoomSettings) -> dict:
    """Every setting, timings included, as JSON-able data (settings are frozen: computed once; do not
    mutate the result)."""
    return asdict(s)


def settings_from_dict(d: dict) -> RoomSettings:
    return RoomSettings(**{**d, "personas": tuple(PersonaSeat(**p) for p in d["personas"]),
                           "categories": tuple(d["categories"]), "timings": Timings(**d["timings"]),
                           "question_ids": tuple(d.get("question_ids", ()))})


_PARTICIPANT_FIELDS = tuple(f.name for f in fields(Participant))


def participant_to_dict(p: Participant) -> dict:
    d = {k: getattr(p, k) for k in _PARTICIPANT_FIELDS}
    d["notes"] = [dict(n) for n in p.notes]
    d["used_story_ids"] = sorted(p.used_story_ids)
    return d


def participant_from_dict(d: dict) -> Participant:
    return Participant(**{**d, "used_story_ids": set(d["used_story_ids"]), "notes": list(d["notes"])})
