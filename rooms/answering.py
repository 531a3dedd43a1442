"""Answering: turns (round robin or simultaneous), drafts and their streaming, AI answers played
back at the persona's pace, auto-submission at the deadline, skips of absent players, and the
scoring of a question's answers (``scoring → reveal``).
"""

from __future__ import annotations

import bisect
import re

from .errors import ErrorCode, RoomError
from .follow_up import FOLLOW_UP_WEIGHT, FollowUp
from .jobs import AIAnswerJob, ScoreJob
from .participants import ONLINE
from .phases import Phase
from .scoring import UNSCORED, AnswerToScore, ScoreResult
from .settings import MAX_TEXT_BYTES
from .turns import Answer, Turn
from . import views

_WORD = re.compile(r"\S+\s*")


class AnsweringMixin:
    """Turns, answers and scoring (mixed into :class:`rooms.room.Room`)."""

    # ---------------------------------------------------------------- commands
    def answer_draft(self, user_id: str, text: str) -> None:
        """Live typing (or a live transcript) of the player's current answer."""
        self._check_text(text)
        turn = self._active_turn(user_id)
        turn.draft = text
        turn.stream_pending = True
        self._flush_stream(turn, self.clock.now_ms())

    def submit_answer(self, user_id: str, text: str) -> str:
        """Submit the current answer; returns its ``answer_id``."""
        self._check_text(text)
        turn = self._active_turn(user_id)
        return self._submit(turn, text).answer_id

    def check_can_speak(self, user_id: str) -> None:
        """Raise unless ``user_id`` may answer right now (their open turn in the answering phase):
        the gate for spoken audio, which is not a room command.

        Raises:
            RoomError: ``spectator_read_only``, ``not_in_room``, ``wrong_phase``, ``not_your_turn``,
                ``already_submitted``.
        """
        self._active_turn(user_id)

    def _active_turn(self, user_id: str) -> Turn:
        self._player(user_id)
        self._require_phase(Phase.ANSWERING)
        turn = self.turns.get(user_id)
        if turn is None:
            raise RoomError(ErrorCode.NOT_YOUR_TURN, "you have no turn in this question")
        if turn.done:
            raise RoomError(ErrorCode.ALREADY_SUBMITTED, "you already answered this question")
        if not self.scheduler.simultaneous and self.current_turn_pid() != user_id:
            raise RoomError(ErrorCode.NOT_YOUR_TURN, "it is not your turn")
        return turn

    def current_turn_pid(self) -> str | None:
        """Round robin: whose turn it is (the follow-up candidate after the main turns)."""
        if self.turn_index < len(self.turn_order):
            return self.turn_order[self.turn_index]
        return self.follow_up.turn_pid

    # ------------------------------------------------------------- job results
    def provide_ai_answer(self, job_id: str, text: str, think_ms: int = 1500, words_per_minute: int = 140,
                          story_id: str | None = None) -> bool:
        """Deliver an AI candidate's composed answer; the room streams it at
        ``words_per_minute`` after ``think_ms`` and always finishes
        ``ai_margin_ms`` before the deadline (the pace is raised if needed).

        Returns False (and ignores it) if the job is stale.
        """
        turn = next((t for t in self.turns.values() if t.ai_job_id == job_id and not t.done), None)
        if turn is None or self.phase != Phase.ANSWERING:
            return False
        now = self.clock.now_ms()
        text = text.strip()[:MAX_TEXT_BYTES]
        words = _WORD.findall(text)
        turn.ai_words = words
        turn.story_id = story_id
        end_limit = turn.deadline_ms - self.settings.timings.ai_margin_ms
        scale = self.settings.timings.answer_scale     # persona times are nominal; play them back scaled
        think = max(0, min(int(think_ms * scale), (turn.deadline_ms - now) * 3 // 10))
        start = now + think
        if start >= end_limit:
            start = now
        span = max(0, end_limit - start)
        pace_ms = len(words) / max(30, words_per_minute) * 60_000 * scale
        dur = min(pace_ms, span)
        n = max(1, len(words))
        turn.plan = [start + int(dur * (i + 1) / n) for i in range(len(words))]
        self._dirty = True
        if not words:
            self._submit(turn, "", auto=True)
        return True

    def provide_scores(self, job_id: str, results: dict[str, ScoreResult | dict]) -> bool:
        """Deliver the scoring job's results ``{answer_id: ScoreResult}``; moves to reveal.

        Missing answers are scored by the fallback scorer. Returns False if stale.
        """
        if self.phase != Phase.SCORING or job_id != self.score_job_id:
            return False
        self._apply_scores(results)
        return True

    # ------------------------------------------------------------------ turns
    def _start_answering(self) -> None:
        q = self.questions[-1]
        self.follow_up = FollowUp()
        self.turn_order = [pid for pid in self.scheduler.order(len(self.questions) - 1)
                           if self.participants[pid].seated]
        self.turn_index = 0
        self._set_phase(Phase.ANSWERING)
        self._emit("turn_order", {"question_id": q.id, "order": list(self.turn_order),
                                  "mode": self.scheduler.mode})
        if self.scheduler.simultaneous:
            now = self.clock.now_ms()
            deadline = now + self.settings.answer_ms
            self.phase_ends_ms = deadline
            for pid in self.turn_order:
                self.turns[pid] = Turn(pid, now, deadline)
            self._emit("turn_started", {"participant_id": None, "participants": list(self.turn_order),
                                        "question_id": q.id, "deadline_ms": deadline})
            for pid in self.turn_order:
                self._begin_turn(self.turns[pid])
        else:
            self._start_turn()

    def _start_turn(self) -> None:
        if self.turn_index >= len(self.turn_order):
            if self._want_follow_up():
                self._ask_follow_up()
            else:
                self._start_scoring()
            return
        pid = self.turn_order[self.turn_index]
        now = self.clock.now_ms()
        turn = Turn(pid, now, now + self.settings.answer_ms)
        self.turns[pid] = turn
        self.phase_ends_ms = turn.deadline_ms
        self._emit("turn_started", {"participant_id": pid, "question_id": self.questions[-1].id,
                                    "deadline_ms": turn.deadline_ms, "turn_index": self.turn_index,
                                    "turns_total": len(self.turn_order)})
        self._begin_turn(turn)

    def _begin_turn(self, turn: Turn) -> None:
        p = self.participants[turn.participant_id]
        if p.is_ai:
            turn.ai_job_id = self._next_id("j")
            turn.ai_seed = self.rng.getrandbits(31)
            self._queue_job(self._ai_job(turn))
        elif p.presence != ONLINE:
            turn.absent_since = self.clock.now_ms()   # away as the turn begins: skipped after absent_wait_ms

    def _ai_job(self, turn: Turn) -> AIAnswerJob:
        """The :class:`AIAnswerJob` of an AI candidate's open turn (also re-issued after a restore):
        the question (with the follow-up, for a follow-up turn), the answers the candidate may see
        (:mod:`rooms.views`), the turn's seed and the time left."""
        p = self.participants[turn.participant_id]
        now = self.clock.now_ms()
        q = self.questions[-1]
        lang = self.settings.language
        context = tuple(a.text for a in self.answers if a.question_id == q.id and a.text
                        and self._sees(views.ANSWER, p.participant_id, a.participant_id, q.id))
        qtext = q.text(lang)
        if turn.follow_up:
            qtext = f"{qtext}\n{turn.follow_up}"
            context = tuple(a.text for a in self.answers if a.question_id == q.id and a.participant_id == p.participant_id)
        return AIAnswerJob(
            job_id=turn.ai_job_id, room_id=self.room_id, participant_id=p.participant_id,
            persona_id=p.persona_id, skill=p.skill or 3, question_id=q.id, question_text=qtext,
            category=q.category, lang=lang,
            seed=turn.ai_seed,
            budget_ms=int((turn.deadline_ms - now) / self.settings.timings.answer_scale),
            used_story_ids=frozenset(p.used_story_ids), context=context)

    def _tick_answering(self, now: int) -> None:
        wait = self.settings.timings.absent_wait_ms
        self._tick_follow_up(now)
        for turn in list(self.turns.values()):
            if turn.done or self.phase != Phase.ANSWERING:
                continue
            if not self.scheduler.simultaneous and self.current_turn_pid() != turn.participant_id:
                continue
            p = self.participants[turn.participant_id]
            if p.is_ai and turn.plan:
                shown = bisect.bisect_right(turn.plan, now)     # the plan's times never decrease
                if shown > turn.shown:
                    turn.shown = shown
                    turn.draft = "".join(turn.ai_words[:shown]).strip()
                    turn.stream_pending = True
                if turn.shown >= len(turn.ai_words):
                    self._submit(turn, "".join(turn.ai_words).strip())
                    continue
            if turn.absent_since is not None and now - turn.absent_since >= wait:
                if turn.draft.strip():
                    self._submit(turn, turn.draft, auto=True)
                else:
                    self._submit(turn, "", auto=True, skipped=True)
                continue
            if now >= turn.deadline_ms:
                text = "".join(turn.ai_words).strip() if p.is_ai else turn.draft
                self._submit(turn, text, auto=True)
                continue
            if turn.stream_pending:
                self._flush_stream(turn, now)

    def _flush_stream(self, turn: Turn, now: int) -> None:
        if not self._public(views.DRAFT, self.questions[-1].id):
            turn.stream_pending = False           # sealed drafts are never streamed
            return
        if now - turn.last_stream_ms < self.settings.timings.stream_interval_ms:
            return
        turn.stream_pending = False
        turn.last_stream_ms = now
        self._emit("answer_stream", {"participant_id": turn.participant_id, "text": turn.draft})

    def _submit(self, turn: Turn, text: str, auto: bool = False, skipped: bool = False) -> Answer:
        q = self.questions[-1]
        now = self.clock.now_ms()
        turn.done = True
        turn.draft = text
        a = Answer(self._next_id("a"), turn.participant_id, q.id, len(self.questions), text, now,
                   auto_submitted=auto, skipped=skipped, story_id=turn.story_id)
        if turn.follow_up:
            main = next(x for x in self.answers if x.question_id == q.id and x.participant_id == a.participant_id
                        and not x.follow_up_of)
            a.follow_up_of, a.follow_up_question = main.answer_id, turn.follow_up
        self.answers.append(a)
        p = self.participants[turn.participant_id]
        if p.is_ai and turn.story_id:
            p.used_story_ids.add(turn.story_id)
        if self._public(views.ANSWER, q.id):
            self._announce(a)
        else:
            self._emit("answer_locked", {"participant_id": a.participant_id, "question_id": q.id,
                                         "skipped": skipped})
        if self.scheduler.simultaneous:
            if all(t.done for t in self.turns.values()):
                self._start_scoring()
        else:
            if turn.follow_up:
                self._start_scoring()
            else:
                self.turn_index += 1
                self._start_turn()
        return a

    def _announce(self, a: Answer) -> None:
        """Broadcast an answer's text (``answer_submitted``), once, when :mod:`rooms.views` makes it public."""
        a.announced = True
        self._emit("answer_submitted", self._submitted_payload(a))

    @staticmethod
    def _submitted_payload(a: Answer) -> dict:
        d = {"participant_id": a.participant_id, "question_id": a.question_id, "answer_id": a.answer_id,
             "text": a.text, "auto_submitted": a.auto_submitted, "skipped": a.skipped}
        if a.follow_up_of:
            d["follow_up_of"] = a.follow_up_of
        return d

    def _start_scoring(self) -> None:
        if self.phase != Phase.ANSWERING:
            return
        self._set_phase(Phase.SCORING, self.settings.timings.scoring_timeout_ms)
        self.score_job_id = self._next_id("j")
        self._queue_job(self._score_job())

    def _score_job(self) -> ScoreJob:
        """The :class:`ScoreJob` of the question being scored (also re-issued after a restore)."""
        q = self.questions[-1]
        return ScoreJob(
            job_id=self.score_job_id, room_id=self.room_id, question_id=q.id, lang=self.settings.language,
            answer_seconds=self.settings.answer_seconds,
            answers=tuple(AnswerToScore(a.answer_id, a.participant_id, a.text, a.skipped, spoken=self._spoken(a, q.id))
                          for a in self.answers if a.question_id == q.id))

    def _apply_scores(self, results: dict) -> None:
        q = self.questions[-1]
        mine = [a for a in self.answers if a.question_id == q.id]
        missing = [a for a in mine if a.answer_id not in results]
        if missing:
            results = dict(results)
            if self._fallback_scorer is None:     # nothing injected: the answer counts, unscored
                results.update({a.answer_id: UNSCORED for a in missing})
            else:
                results.update(self._fallback_scorer.score_answers(
                    q, [AnswerToScore(a.answer_id, a.participant_id, a.text, a.skipped, spoken=self._spoken(a, q.id))
                        for a in missing],
                    self.settings.language))
        self.score_job_id = None
        self._set_phase(Phase.REVEAL, self.settings.timings.reveal_ms)
        for a in mine:
            if not a.announced and self._public(views.ANSWER, q.id):
                self._announce(a)               # sealed (simultaneous) answers are revealed now
        for a in mine:
            r = results[a.answer_id]
            a.result = r if isinstance(r, ScoreResult) else ScoreResult(**r)
        for a in mine:
            if a.follow_up_of or not self._public(views.SCORE, q.id):
                continue
            extra = {}
            fu = next((f for f in mine if f.follow_up_of == a.answer_id), None)
            if fu is not None:
                # The follow-up probes the same question: it carries FOLLOW_UP_WEIGHT of the question's score.
                combined = round((1 - FOLLOW_UP_WEIGHT) * a.result.score + FOLLOW_UP_WEIGHT * fu.result.score)
                extra = {"follow_up": {"answer_id": fu.answer_id, "score": fu.result.score,
                                       "feedback": fu.result.feedback}, "main_score": a.result.score}
                a.result = ScoreResult(combined, a.result.dimensions, a.result.feedback)
            self._emit("score_update", {"participant_id": a.participant_id, "question_id": q.id,
                                        "answer_id": a.answer_id, **a.result.to_dict(), **extra})
        main = [a for a in mine if not a.follow_up_of]
        if main:
            self.queue.record_room_score(sum(a.result.score for a in main) / len(main))
