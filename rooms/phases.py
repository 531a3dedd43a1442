"""The phases of a room's match, and the legal moves between them.

``lobby → countdown → question → answering → scoring → reveal → (question …) → finished``;
any phase may end in ``finished`` (host ends the session, everyone left, shutdown).
"""

from __future__ import annotations


class Phase:
    """Phase names as sent on the wire."""

    LOBBY = "lobby"
    COUNTDOWN = "countdown"
    QUESTION = "question"
    ANSWERING = "answering"
    SCORING = "scoring"
    REVEAL = "reveal"
    FINISHED = "finished"


PHASES = (Phase.LOBBY, Phase.COUNTDOWN, Phase.QUESTION, Phase.ANSWERING, Phase.SCORING, Phase.REVEAL,
          Phase.FINISHED)
TRANSITIONS: dict[str, set[str]] = {
    Phase.LOBBY: {Phase.COUNTDOWN, Phase.FINISHED},
    Phase.COUNTDOWN: {Phase.QUESTION, Phase.FINISHED},
    Phase.QUESTION: {Phase.ANSWERING, Phase.FINISHED},
    Phase.ANSWERING: {Phase.SCORING, Phase.FINISHED},
    Phase.SCORING: {Phase.REVEAL, Phase.FINISHED},
    Phase.REVEAL: {Phase.QUESTION, Phase.FINISHED},
    Phase.FINISHED: set(),
}
MATCH_PHASES = {Phase.COUNTDOWN, Phase.QUESTION, Phase.ANSWERING, Phase.SCORING, Phase.REVEAL}
