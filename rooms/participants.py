"""Seats in a room: humans, AI candidates and spectators, with presence."""

from __future__ import annotations

from dataclasses import dataclass, field

ONLINE, AWAY, LEFT = "online", "away", "left"


@dataclass
class Participant:
    """A seat at the interview table.

    Attributes:
        participant_id: user id for humans, ``"ai:<persona>"`` for AI candidates.
        kind: ``"human"`` or ``"ai"``.
        presence: ``"online"``, ``"away"`` (disconnected, seat reserved until
            ``grace_until_ms``) or ``"left"`` (seat released).
        grace_until_ms: epoch ms when an away human loses the seat, else None.
        used_story_ids: AI only: stories told this match (never reused).
    """

    participant_id: str
    kind: str
    display_name: str
    persona_id: str | None = None
    company: str | None = None
    skill: int | None = None
    is_host: bool = False
    ready: bool = False
    presence: str = ONLINE
    grace_until_ms: int | None = None
    joined_ms: int = 0
    notes: list = field(default_factory=list)
    used_story_ids: set = field(default_factory=set)

    @property
    def is_ai(self) -> bool:
        return self.kind == "ai"

    @property
    def seated(self) -> bool:
        """True unless the seat was released."""
        return self.presence != LEFT

    def public(self) -> dict:
        return {"participant_id": self.participant_id, "kind": self.kind, "display_name": self.display_name,
                "persona_id": self.persona_id, "company": self.company, "skill": self.skill,
                "is_host": self.is_host, "ready": self.ready or self.is_ai, "presence": self.presence}
