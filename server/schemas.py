"""The wire contract as pydantic models (protocol version 1).

Every client-to-server payload is validated with these models before it
reaches a room. Server-to-client models document what we send; ``arena
protocol-docs`` renders all of them into ``docs/protocol.md``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from rooms.settings import (CATEGORIES, DIFFICULTIES, MAX_ANSWER_SECONDS, MAX_HUMANS, MAX_PERSONAS, MAX_QUESTIONS,
                            MAX_TEXT_BYTES, MIN_ANSWER_SECONDS)

from .wire import BAD_IN_LINE, BAD_IN_TEXT

MAX_AUDIO_BYTES = 64 * 1024
MAX_NAME_CHARS = 40                      # display names
#: The pydantic error type of a refused character; the gateway maps it to ``bad_request``.
CONTROL_CHARACTER = "control_character"


def _no_control(pattern):
    def check(v: str) -> str:
        m = pattern.search(v)
        if m:
            raise PydanticCustomError(CONTROL_CHARACTER, "control character U+{cp} is not allowed",
                                      {"cp": f"{ord(m.group()):04X}"})
        return v
    return check


def _text_limit(v: str) -> str:
    if len(v.encode("utf-8")) > MAX_TEXT_BYTES:
        raise PydanticCustomError("text_too_long", f"text is over {MAX_TEXT_BYTES} bytes")
    return v


#: Every one-line string on the wire: no control character (Unicode Cc, tab and newline included), no lone surrogate.
Line = Annotated[str, AfterValidator(_no_control(BAD_IN_LINE))]
#: Multi-line strings (SDP): as :data:`Line`, but tab, LF and CR are allowed.
MultiLine = Annotated[str, AfterValidator(_no_control(BAD_IN_TEXT))]
#: Answer text: :data:`MultiLine`, at most ``MAX_TEXT_BYTES`` (8 KB) of UTF-8.
Text = Annotated[MultiLine, AfterValidator(_text_limit)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


# ------------------------------------------------------------------ HTTP
class GuestAuthIn(Strict):
    """``POST /api/v1/auth/guest`` body."""
    display_name: Line = Field(min_length=1, max_length=MAX_NAME_CHARS)


class GuestAuthOut(BaseModel):
    token: str
    user_id: str


class PersonaOut(BaseModel):
    """An entry of ``GET /api/v1/personas``."""
    id: str
    company: str
    name: str
    summary: str
    skills: list[str]


class ConfigOut(BaseModel):
    """``GET /api/v1/config``."""
    protocol_version: int
    serializer: Literal["json", "msgpack"]
    tick_hz: float


# ------------------------------------------------------- client -> server
class Empty(Strict):
    """No fields."""


class PersonaPick(Strict):
    id: Line = Field(min_length=1, max_length=32)
    skill: int = Field(3, ge=1, le=5)


QuestionId = Annotated[Line, Field(min_length=1, max_length=64)]


class QuestionSourceIn(Strict):
    """Where a room's questions come from, instead of drawing from the bank: exactly one of
    ``resume_id`` (your own résumé's tailored set, in order: ``GET /api/v1/resumes/{id}/questions``)
    or ``question_ids`` (in order: bank ids, or ids of your own résumé's questions: a learning plan's retries)."""
    resume_id: Optional[QuestionId] = None
    question_ids: Optional[list[QuestionId]] = Field(None, min_length=1, max_length=MAX_QUESTIONS)

    @model_validator(mode="after")
    def _exactly_one(self) -> "QuestionSourceIn":
        if (self.resume_id is None) == (self.question_ids is None):
            raise ValueError("give exactly one of resume_id or question_ids")
        return self


class CreateRoomIn(Strict):
    """``create_room``: the host's settings. Ack: ``{room_id, join_code}``."""
    title: Line = Field(min_length=1, max_length=80)
    personas: list[PersonaPick] = Field(default_factory=list, max_length=MAX_PERSONAS)
    question_count: int = Field(5, ge=1, le=MAX_QUESTIONS)
    language: Literal["ko", "en"] = "ko"
    turn_mode: Literal["round_robin", "simultaneous"] = "round_robin"
    answer_seconds: int = Field(90, ge=MIN_ANSWER_SECONDS, le=MAX_ANSWER_SECONDS)
    max_humans: int = Field(4, ge=1, le=MAX_HUMANS)
    private: bool = False
    categories: Optional[list[Literal[CATEGORIES]]] = None  # type: ignore[valid-type]
    difficulty: Optional[Literal[DIFFICULTIES]] = None  # type: ignore[valid-type]
    follow_ups: bool = Field(False, description="round robin: the interviewer asks one candidate per question a follow-up")
    score_expression: bool = Field(False, description="host opt-in: facial expression counts (a little) in spoken answers' scores; otherwise advisory only")
    question_source: Optional[QuestionSourceIn] = Field(None, description=(
        "ask these questions in order (`question_count` of them at most) instead of drawing from the bank: "
        "`{resume_id}` (only your own résumé: else `resume_not_found`; `questions_not_ready` while it is generated) "
        "or `{question_ids}` (bank ids or your own résumé questions' ids: else `invalid_settings`)"))
    solo: bool = Field(False, description="a practice room for one: the host may start alone; needs `max_humans` 1")


class JoinRoomIn(Strict):
    """``join_room``: by ``room_id`` or ``join_code``; a private room needs its ``join_code`` (unless you hold a seat in it); a rejoin may give ``last_seq`` to get the missed events replayed. Ack: ``{state}`` or ``{replay}``."""
    room_id: Optional[Line] = Field(None, max_length=64)
    join_code: Optional[Line] = Field(None, max_length=16)
    role: Literal["player", "spectator"] = "player"
    last_seq: Optional[int] = Field(None, ge=0, le=2**53 - 1, strict=True, description=(
        "rejoin: the last room `seq` this client applied; the server replays the events after it "
        "(from the room's stream) instead of sending a snapshot, when it still holds them all"))


class SetReadyIn(Strict):
    """``set_ready``."""
    ready: bool


class TextIn(Strict):
    """``answer_draft``, ``submit_answer`` (ack ``{answer_id}``), ``speaker_note``: text up to 8 KB (UTF-8)."""
    text: Text


class EvaluationRequestIn(Strict):
    """``evaluation_request``: default the caller's latest scored answer. Ack: ``{evaluation}``."""
    answer_id: Optional[Line] = Field(None, max_length=80)


class KickIn(Strict):
    """``kick_player`` (host only)."""
    participant_id: Line = Field(min_length=1, max_length=64)


class AudioChunkIn(Strict):
    """``audio_chunk``: 16-bit mono PCM, at most 64 KB per chunk."""
    seq: int = Field(ge=0)
    sample_rate: int = Field(gt=0, le=192_000)
    pcm: bytes = Field(max_length=MAX_AUDIO_BYTES)


class MediaOfferIn(Strict):
    """``media_offer``: a WebRTC offer. Ack: ``{sdp, type}`` (the answer)."""
    sdp: MultiLine = Field(min_length=1, max_length=64 * 1024)
    type: Literal["offer"]


CLIENT_EVENTS: dict[str, type[BaseModel]] = {
    "list_rooms": Empty, "create_room": CreateRoomIn, "join_room": JoinRoomIn, "leave_room": Empty,
    "set_ready": SetReadyIn, "start_match": Empty, "answer_draft": TextIn, "submit_answer": TextIn,
    "speaker_note": TextIn, "evaluation_request": EvaluationRequestIn, "session_end": Empty,
    "audio_chunk": AudioChunkIn, "media_offer": MediaOfferIn, "request_state": Empty, "kick_player": KickIn,
}

CLIENT_ACKS: dict[str, str] = {
    "list_rooms": "`rooms: [{room_id, title, phase, humans, max_humans, personas, language, turn_mode, question_count, private}]`; the socket also receives `lobby_update` pushes",
    "create_room": "`room_id, join_code` (the creator is seated as host)",
    "join_room": "`state` (a `room_state` snapshot; ignore room events with `seq` <= `state.seq`). "
                 "With `last_seq`: the events with `seq` > `last_seq` are first sent to this socket, in order, "
                 "then live events follow with no gap, and the ack is `replay: {from_seq, to_seq, events}`; "
                 "when the room's stream no longer holds them all, the ack is `state` (a snapshot) and `replay: null`",
    "leave_room": "", "set_ready": "", "start_match": "(host only)", "answer_draft": "",
    "submit_answer": "`answer_id`", "speaker_note": "", "evaluation_request": "`evaluation` (`{answer_id, participant_id, question_id, text, score, dimensions, feedback, …}`)",
    "session_end": "(host only: ends the match; scored questions count)",
    "audio_chunk": "(media issue: not yet transcribed; validated and acknowledged)",
    "media_offer": "`sdp, type` (media issue: answered by the media sidecar)",
    "request_state": "`state` (a `room_state` snapshot)", "kick_player": "(host only)",
}


# ------------------------------------------------------- server -> client
class ConnectionAck(BaseModel):
    """Sent right after connect (no seq)."""
    user_id: str
    server_time_ms: int
    protocol_version: int


class LeaderboardEntry(BaseModel):
    participant_id: str
    display_name: str
    kind: Literal["human", "ai"]
    score: float
    rank: int


class RoomEventBase(BaseModel):
    """Every room event carries ``room_id`` and ``seq`` (increases by exactly one per room event)."""
    room_id: str
    seq: int


class PhaseChanged(RoomEventBase):
    phase: Literal["lobby", "countdown", "question", "answering", "scoring", "reveal", "finished"]
    phase_ends_ms: Optional[int] = Field(None, description="server epoch ms when the phase ends, if timed")
    question_index: int = Field(description="1-based index of the current question, 0 before the first")
    reason: Optional[str] = Field(None, description="finished only: completed | ended_by_host | no_humans_left | terminated")


class QuestionAsked(RoomEventBase):
    question_id: str
    text: str
    category: str
    topic: str
    difficulty: int
    index: int = Field(description="1-based")
    total: int


class TurnOrder(RoomEventBase):
    question_id: str
    order: list[str]
    mode: Literal["round_robin", "simultaneous"]


class TurnStarted(RoomEventBase):
    participant_id: Optional[str] = Field(description="null in simultaneous mode (everyone answers)")
    question_id: str
    deadline_ms: int = Field(description="server epoch ms")
    participants: Optional[list[str]] = None
    turn_index: Optional[int] = None
    turns_total: Optional[int] = None
    follow_up: Optional[str] = Field(None, description="set on a follow-up turn: the follow-up question")


class FollowUpAsked(RoomEventBase):
    """Round robin with ``follow_ups``: after the main turns, one candidate (rotating) gets a follow-up
    question on their answer, with half the answer time; a ``turn_started`` with ``follow_up`` follows.
    Their question score becomes 70% main answer + 30% follow-up."""
    participant_id: str
    question_id: str
    text: str
    deadline_ms: int


class AnswerStream(RoomEventBase):
    participant_id: str
    text: str = Field(description="the whole partial text so far (not a delta)")


class AnswerSubmitted(RoomEventBase):
    participant_id: str
    question_id: str
    answer_id: str
    text: str
    auto_submitted: bool
    skipped: bool
    follow_up_of: Optional[str] = Field(None, description="a follow-up answer: the answer_id of the main answer it follows up")


class AnswerLocked(RoomEventBase):
    """Simultaneous mode: someone submitted; the text stays hidden until the reveal."""
    participant_id: str
    question_id: str
    skipped: bool


class ScoreUpdate(RoomEventBase):
    participant_id: str
    question_id: str
    answer_id: str
    score: int = Field(ge=0, le=100)
    dimensions: dict[str, int]
    feedback: str
    main_score: Optional[int] = Field(None, description="with a follow-up: the main answer's own score")
    follow_up: Optional[dict] = Field(None, description="with a follow-up: {answer_id, score, feedback}")


class LeaderboardUpdate(RoomEventBase):
    """Read back from the room's Redis sorted set after every scoring."""
    entries: list[LeaderboardEntry]


class ParticipantJoined(RoomEventBase):
    participant: dict


class ParticipantLeft(RoomEventBase):
    participant_id: str
    kicked: bool


class PresenceChanged(RoomEventBase):
    participant_id: str
    presence: Literal["online", "away", "left"]
    grace_until_ms: Optional[int] = None


class ReadyChanged(RoomEventBase):
    participant_id: str
    ready: bool


class HostChanged(RoomEventBase):
    host_id: str


class SpectatorsChanged(RoomEventBase):
    """Events ``spectator_joined`` / ``spectator_left``."""
    spectators: int


class RealTimeFeedback(BaseModel):
    """A delivery or expression nudge, to the speaker's own sockets only (not a room event: no seq)."""
    room_id: str
    participant_id: str
    kind: str = Field(description="pace, pause, volume, pitch or expression")
    message: str
    advisory: bool = Field(True, description="never part of the score")
    dominant: Optional[str] = Field(None, description="expression only: the dominant emotion")


class AudioProcessed(BaseModel):
    """To the speaker only. ``restart``: the room's speech moved to another media sidecar, which
    transcribes this answer again from its start: drop the transcripts received so far (keep what
    was typed) and keep showing ``text`` until the new ones are as long."""
    seq: int
    transcript: str
    is_final: bool
    restart: bool = False


class SessionComplete(RoomEventBase):
    ranking: list[LeaderboardEntry]
    report_url: Optional[str]


class ErrorMessage(BaseModel):
    """Sent to one socket for a problem outside any ack (no seq)."""
    code: str
    message: str


class LobbyUpdate(BaseModel):
    """Pushed (no seq) to sockets that called ``list_rooms``, when the public room list changes."""
    rooms: list[dict]


class RoomState(BaseModel):
    """A full snapshot; ``seq`` is the last room event it includes."""
    room_id: str
    seq: int
    title: str
    phase: str
    phase_ends_ms: Optional[int]
    server_time_ms: int
    join_code: Optional[str] = Field(description="only for seated players")
    host_id: str
    settings: dict
    participants: list[dict] = Field(description="[{participant_id, kind, display_name, persona_id, company, skill, is_host, ready, presence, score, rank}]")
    spectators: int
    question: Optional[dict]
    turn_order: list[str]
    turn: Optional[dict] = Field(description="{participant_id|null, deadline_ms}")
    answers: list[dict] = Field(description="visible answers to the current question")
    drafts: dict[str, str]
    leaderboard: list[LeaderboardEntry]
    you: dict = Field(description="{participant_id, role: player|spectator|null}")
    expression: dict = Field(default_factory=dict, description="advisory: {participant_id: {dominant, emotions, samples}} for the current question (camera on)")
    end_reason: Optional[str]


SERVER_EVENTS: dict[str, type[BaseModel]] = {
    "connection_ack": ConnectionAck, "room_state": RoomState, "phase_changed": PhaseChanged,
    "question_asked": QuestionAsked, "turn_order": TurnOrder, "turn_started": TurnStarted,
    "follow_up_asked": FollowUpAsked, "answer_stream": AnswerStream, "answer_submitted": AnswerSubmitted, "answer_locked": AnswerLocked,
    "score_update": ScoreUpdate, "leaderboard_update": LeaderboardUpdate, "participant_joined": ParticipantJoined,
    "participant_left": ParticipantLeft, "presence_changed": PresenceChanged, "ready_changed": ReadyChanged,
    "host_changed": HostChanged, "spectator_joined": SpectatorsChanged, "spectator_left": SpectatorsChanged,
    "real_time_feedback": RealTimeFeedback, "audio_processed": AudioProcessed,
    "session_complete": SessionComplete, "error_message": ErrorMessage, "lobby_update": LobbyUpdate,
}


def error_ack(code: str, message: str, **extra: Any) -> dict:
    """``{"ok": false, "error": {"code", "message"}}``."""
    return {"ok": False, "error": {"code": code, "message": message, **extra}}


def ok_ack(**fields: Any) -> dict:
    """``{"ok": true, **fields}``."""
    return {"ok": True, **fields}
