"""Spoken answers: delivery measurements and facial expression, from the media sidecar.

The room stays transport-free: the media bridge hands it delivery dicts (wpm, pauses, volume,
pitch) and camera samples (emotion label -> probability). :class:`SpokenMixin` keeps them in the
room's state (``delivery``, ``expression``) and tells the scorer how an answer was spoken.
"""

from __future__ import annotations

from .phases import Phase
from .turns import Answer


class SpokenMixin:
    """Delivery and expression (mixed into :class:`rooms.room.Room`)."""

    def set_delivery(self, participant_id: str, question_id: str, delivery: dict, follow_up: bool = False) -> bool:
        """Attach spoken-delivery measurements (media sidecar: wpm, pauses, volume, pitch) to a
        participant's answer to ``question_id`` (``follow_up``: to their follow-up answer, scored on
        its own before it counts 30%). Used by the scorer if it arrives before scoring starts;
        returns False (ignored) once the question is being scored or over."""
        q = self.questions[-1] if self.questions else None
        if q is None or q.id != question_id or self.phase not in (Phase.QUESTION, Phase.ANSWERING):
            return False
        self.delivery[(participant_id, question_id, bool(follow_up))] = dict(delivery)
        self._dirty = True
        return True

    def set_expression(self, participant_id: str, emotions: dict) -> bool:
        """Add one camera sample (emotion label -> probability 0-1, from the media sidecar at ~2 fps)
        to the participant's expression for the current question. Advisory: it is scored only when
        the host opted in (``score_expression``). Returns False outside a question."""
        q = self.questions[-1] if self.questions else None
        if q is None or self.phase not in (Phase.QUESTION, Phase.ANSWERING) or not emotions:
            return False
        acc = self.expression.setdefault((participant_id, q.id), {"samples": 0, "sum": {}})
        acc["samples"] += 1
        for label, p in emotions.items():
            acc["sum"][str(label)] = acc["sum"].get(str(label), 0.0) + float(p)
        return True

    def expression_summary(self, participant_id: str, question_id: str) -> dict | None:
        """``{"dominant", "emotions": {label: mean probability}, "samples"}`` or None without samples."""
        acc = self.expression.get((participant_id, question_id))
        if not acc or not acc["samples"]:
            return None
        mean = {k: round(v / acc["samples"], 3) for k, v in acc["sum"].items()}
        return {"dominant": max(mean, key=mean.get), "emotions": mean, "samples": acc["samples"]}

    def _spoken(self, a: Answer, qid: str) -> dict | None:
        """What the scorer gets about how an answer was spoken: delivery, plus expression if opted in."""
        d = self.delivery.get((a.participant_id, qid, a.follow_up_of is not None))
        expr = self.expression_summary(a.participant_id, qid) if self.settings.score_expression else None
        if d and expr:
            d = {**d, "expression": expr}
        return d
