"""Errors the room engine raises for rejected commands.

Every rejection carries a stable, machine-readable ``code`` that the server
puts in the error ack (``{"ok": false, "error": {"code", "message"}}``).
Codes are part of the public contract: add new ones, never rename.
"""

from __future__ import annotations


class ErrorCode:
    """The stable error codes (strings) used in error acks."""

    BAD_REQUEST = "bad_request"            # malformed payload (server side)
    UNKNOWN_EVENT = "unknown_event"        # server side
    TEXT_TOO_LONG = "text_too_long"
    UNAUTHORIZED = "unauthorized"
    WRONG_PHASE = "wrong_phase"
    NOT_YOUR_TURN = "not_your_turn"
    NOT_HOST = "not_host"
    ROOM_FULL = "room_full"
    ROOM_NOT_FOUND = "room_not_found"
    JOIN_CODE_REQUIRED = "join_code_required"   # a private room, joined without its (right) join code
    UNKNOWN_PERSONA = "unknown_persona"
    INVALID_SETTINGS = "invalid_settings"
    NOT_IN_ROOM = "not_in_room"
    ALREADY_IN_ROOM = "already_in_room"
    NOT_READY = "not_ready"
    SPECTATOR = "spectator_read_only"
    ALREADY_SUBMITTED = "already_submitted"
    NOT_SCORED_YET = "not_scored_yet"
    UNKNOWN_ANSWER = "unknown_answer"
    UNKNOWN_PARTICIPANT = "unknown_participant"
    RESUME_NOT_FOUND = "resume_not_found"      # server side: create_room with another user's or no résumé
    QUESTIONS_NOT_READY = "questions_not_ready"  # server side: the résumé's questions are still being generated
    RATE_LIMITED = "rate_limited"          # server side: over the event budget (server/ratelimit.py)
    INTERNAL = "internal_error"


class RoomError(Exception):
    """A command was rejected. The room's state is unchanged.

    Attributes:
        code: one of :class:`ErrorCode`'s values.
        message: a human-readable explanation (English).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def to_dict(self) -> dict:
        """Return ``{"code": str, "message": str}`` as used in error acks."""
        return {"code": self.code, "message": self.message}
