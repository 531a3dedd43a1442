"""What the room shows: the ``room_state`` snapshot, the leaderboard, the lobby entry, an
``evaluation_request`` answer and the match record behind the report.

Every hidden-information decision goes through :func:`rooms.views.can_see` (for one viewer) or
:func:`rooms.views.public` (for a broadcast) via :meth:`RoomViewsMixin._sees` /
:meth:`RoomViewsMixin._public`, here and only here.
"""

from __future__ import annotations

from .errors import ErrorCode, RoomError
from .phases import Phase
from .ranking import rank_scores
from .turns import Answer
from . import views

ROLE_PLAYER, ROLE_SPECTATOR = "player", "spectator"


class RoomViewsMixin:
    """Snapshots, report and lobby entry, and the hidden-information checks (mixed into
    :class:`rooms.room.Room`)."""

    # ------------------------------------------------------- hidden information
    def _phase_of(self, question_id: str) -> str:
        """The phase ``question_id`` is in, for :mod:`rooms.views`: the room's phase for the question
        in play, the phase the match stopped in for the last question of a finished match, and
        ``reveal`` for earlier questions (each was revealed before the next one was asked)."""
        if not self.questions or question_id != self.questions[-1].id:
            return Phase.REVEAL
        return self.stopped_phase if self.phase == Phase.FINISHED else self.phase

    def _sees(self, item: str, viewer_id: str | None, owner_id: str, question_id: str) -> bool:
        """May ``viewer_id`` (None: the public view) see ``item`` of ``owner_id``'s answer to ``question_id``?"""
        seat = self.participants.get(viewer_id) if viewer_id is not None else None
        viewer = views.viewer_of(viewer_id, owner_id, is_player=seat is not None and seat.seated,
                                 host_id=self.host_id)
        return views.can_see(item, viewer, self._phase_of(question_id), self.settings.turn_mode)

    def _public(self, item: str, question_id: str) -> bool:
        """May a broadcast (everyone in the room, spectators included) carry ``item`` for ``question_id``?"""
        return views.public(item, self._phase_of(question_id), self.settings.turn_mode)

    def evaluation(self, user_id: str, answer_id: str | None = None) -> dict:
        """A revealed answer with its score (default: the caller's latest revealed answer);
        what the caller may see of it is decided by :mod:`rooms.views`.

        Raises:
            RoomError: ``not_in_room``, ``unknown_answer``, ``not_scored_yet`` (not scored, or not
                revealed to the caller yet).
        """
        if self.role_of(user_id) is None:
            raise RoomError(ErrorCode.NOT_IN_ROOM, "you are not in this room")
        if answer_id is None:
            mine = [a for a in self.answers if a.participant_id == user_id]
            if not mine:
                raise RoomError(ErrorCode.UNKNOWN_ANSWER, "you have not answered yet")
            scored = [a for a in mine if self._revealed_to(user_id, a)]
            if not scored:
                raise RoomError(ErrorCode.NOT_SCORED_YET, "your answer is not scored yet")
            a = scored[-1]
        else:
            a = next((x for x in self.answers if x.answer_id == answer_id), None)
            if a is None:
                raise RoomError(ErrorCode.UNKNOWN_ANSWER, f"no answer {answer_id!r}")
            if not self._revealed_to(user_id, a):
                raise RoomError(ErrorCode.NOT_SCORED_YET, "that answer is not scored yet")
        return a.public()

    def _revealed_to(self, viewer_id: str | None, a: Answer) -> bool:
        """``a`` is scored and the viewer may see its text and its score."""
        return a.result is not None and all(self._sees(item, viewer_id, a.participant_id, a.question_id)
                                            for item in (views.ANSWER, views.SCORE))

    # ------------------------------------------------------------------ views
    def totals(self) -> dict[str, int]:
        """Per-participant sum of revealed scores (for simulations; the server reads Redis)."""
        out = {pid: 0 for pid, p in self.participants.items() if p.kind == "ai" or p.seated or
               any(a.participant_id == pid for a in self.answers)}
        for a in self.answers:
            if a.result is not None and not a.follow_up_of:     # a follow-up is folded into its main answer
                out[a.participant_id] = out.get(a.participant_id, 0) + a.result.score
        return out

    def leaderboard(self, board: dict[str, float] | list | None = None) -> list[dict]:
        """Leaderboard entries ``[{participant_id, display_name, kind, score, rank}]`` best first.

        Args:
            board: cumulative scores (e.g. read back from Redis); defaults to :meth:`totals`.
        """
        scores = board if board is not None else self.totals()
        out = []
        for pid, s, rank in rank_scores(scores):
            p = self.participants.get(pid)
            if p is None:
                continue
            out.append({"participant_id": pid, "display_name": p.display_name, "kind": p.kind,
                        "score": int(s) if float(s).is_integer() else s, "rank": rank})
        return out

    def lobby_entry(self) -> dict:
        """The room as listed in the lobby (``list_rooms``)."""
        return {"room_id": self.room_id, "title": self.settings.title, "phase": self.phase,
                "humans": len(self.seated_humans()), "max_humans": self.settings.max_humans,
                "personas": [p.id for p in self.settings.personas], "language": self.settings.language,
                "turn_mode": self.settings.turn_mode, "question_count": self.settings.question_count,
                "private": self.settings.private}

    def snapshot(self, viewer_id: str | None = None, board: dict | list | None = None) -> dict:
        """A full ``room_state`` for ``viewer_id`` (None: the public view) at the current ``seq``.

        Hidden information stays hidden: drafts, answers and scores are in it only when
        :func:`rooms.views.can_see` lets this viewer see them (simultaneous answers are
        sealed until the reveal).
        """
        lb = self.leaderboard(board)
        by_pid = {e["participant_id"]: e for e in lb}
        parts = []
        for p in self.participants.values():
            d = p.public()
            e = by_pid.get(p.participant_id)
            d["score"] = e["score"] if e else 0
            d["rank"] = e["rank"] if e else None
            parts.append(d)
        q = self.current_question
        answers, drafts = [], {}
        if q is not None:
            for a in self.answers:
                if a.question_id == q.id and self._sees(views.ANSWER, viewer_id, a.participant_id, q.id):
                    answers.append(a.public(with_score=self._sees(views.SCORE, viewer_id, a.participant_id, q.id)))
            for pid, t in self.turns.items():
                if not t.done and t.draft and self._sees(views.DRAFT, viewer_id, pid, q.id):
                    drafts[pid] = t.draft
        turn = None
        if self.phase == Phase.ANSWERING and self.scheduler is not None:
            if self.scheduler.simultaneous:
                turn = {"participant_id": None, "deadline_ms": self.phase_ends_ms}
            elif self.current_turn_pid() is not None:
                pid = self.current_turn_pid()
                cur = self.turns.get(pid)
                turn = {"participant_id": pid, "deadline_ms": cur.deadline_ms if cur else None,
                        "follow_up": cur.follow_up if cur else None}
        role = self.role_of(viewer_id) if viewer_id else None
        return {
            "room_id": self.room_id, "seq": self.seq, "title": self.settings.title, "phase": self.phase,
            "phase_ends_ms": self.phase_ends_ms, "server_time_ms": self.clock.now_ms(),
            "join_code": self.join_code if role == ROLE_PLAYER else None,
            "host_id": self.host_id, "settings": self.settings.public_dict(), "participants": parts,
            "spectators": len(self.spectators),
            "question": ({"question_id": q.id, "text": q.text(self.settings.language), "category": q.category,
                          "index": len(self.questions), "total": self.settings.question_count} if q else None),
            "turn_order": list(self.turn_order) if self.phase == Phase.ANSWERING else [],
            "turn": turn, "answers": answers, "drafts": drafts, "leaderboard": lb,
            "expression": ({pid: e for pid in self.participants
                            if (e := self.expression_summary(pid, q.id)) is not None} if q else {}),
            "you": {"participant_id": viewer_id if role == ROLE_PLAYER else None, "role": role},
            "end_reason": self.end_reason,
        }

    def match_record(self) -> dict:
        """Everything to store about the match: room, participants (with their private notes, which
        the report leaves out), questions, and the revealed answers with their scores (the public
        view of :mod:`rooms.views`: an answer the match never revealed is not stored)."""
        lang = self.settings.language
        return {
            "room_id": self.room_id, "title": self.settings.title, "settings": self.settings.public_dict(),
            "language": lang, "started_ms": self.started_ms, "finished_ms": self.finished_ms,
            "end_reason": self.end_reason,
            "participants": [{**p.public(), "notes": list(p.notes)} for p in self.participants.values()],
            "questions": [{"index": i + 1, "question_id": q.id, "text": q.text(lang), "category": q.category,
                           "difficulty": q.difficulty} for i, q in enumerate(self.questions)],
            "answers": [{**a.public(), "submitted_ms": a.submitted_ms, "story_id": a.story_id,
                         "expression": None if a.follow_up_of else self.expression_summary(a.participant_id, a.question_id)}
                        for a in self.answers if self._revealed_to(None, a)],
        }
