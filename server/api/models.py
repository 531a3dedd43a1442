"""Pydantic models of the account, cohort and data-rights routes (request bodies are validated with
them; responses are documented by them in ``/api/openapi.json``)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, Field

from ..schemas import MAX_NAME_CHARS, Line, Strict

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")


def _email(v: str) -> str:
    v = v.strip()
    if len(v) > 254 or not _EMAIL.fullmatch(v):
        raise ValueError("not an email address")
    return v.lower()


#: An email address (``local@domain.tld``, at most 254 characters), compared and stored in lower case.
Email = Annotated[Line, AfterValidator(_email)]
Role = Literal["candidate", "coach"]


class ErrorBody(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. `invalid_credentials`")
    message: str
    retry_after: Optional[float] = Field(None, description="429 only: seconds until a retry may succeed")


class ErrorOut(BaseModel):
    """Every 4xx/5xx body."""
    ok: Literal[False] = False
    error: ErrorBody


class OkOut(BaseModel):
    ok: Literal[True] = True


class RegisterIn(Strict):
    """``POST /api/v1/auth/register``. With a guest's ``Authorization: Bearer`` token the guest becomes this
    account and keeps its ``user_id`` (and so its match history)."""
    email: Email
    password: str = Field(min_length=8, max_length=128, description="8-128 characters")
    display_name: Line = Field(min_length=1, max_length=MAX_NAME_CHARS)
    role: Role = "candidate"


class LoginIn(Strict):
    """``POST /api/v1/auth/login``."""
    email: Email
    password: str = Field(min_length=1, max_length=128)


class RefreshIn(Strict):
    """``POST /api/v1/auth/refresh`` and ``/logout``: the refresh token from register/login/refresh."""
    refresh_token: str = Field(min_length=16, max_length=256)


class TokensOut(BaseModel):
    """A new session (or its next refresh): a short-lived access token and a one-use refresh token."""
    token: str = Field(description="access JWT (HS256), `Authorization: Bearer` on HTTP and `auth.token` on Socket.IO")
    refresh_token: str = Field(description="opaque; use once with /auth/refresh (it is rotated)")
    user_id: str
    role: Role
    display_name: str
    expires_in: int = Field(description="seconds the access token is valid")


class MeOut(BaseModel):
    """``GET /api/v1/me``. Guests get ``kind: guest`` and ``email: null``."""
    user_id: str
    email: Optional[str]
    display_name: str
    role: Role
    kind: Literal["guest", "account"]


class CohortIn(Strict):
    """``POST /api/v1/cohorts`` (coach only)."""
    name: Line = Field(min_length=1, max_length=80)


class CohortOut(BaseModel):
    cohort_id: str
    name: str
    invite_code: str = Field(description="8 characters from A-Z and 2-9; case and spaces ignored when joining")


class JoinCohortIn(Strict):
    """``POST /api/v1/cohorts/join``. Joining is the candidate's consent to share their matches with the coach."""
    invite_code: Line = Field(min_length=1, max_length=32)


class JoinCohortOut(BaseModel):
    cohort_id: str
    name: str
    coach_name: str


class CohortSummary(BaseModel):
    cohort_id: str
    name: str
    role: Literal["coach", "member"]
    invite_code: Optional[str] = Field(None, description="only for the coach")
    coach_name: str
    members: Optional[int] = Field(None, description="only for the coach")


class CohortListOut(BaseModel):
    """``GET /api/v1/cohorts``: the cohorts you coach and the ones you joined."""
    cohorts: list[CohortSummary]


class DashAnswer(BaseModel):
    answer_id: str
    question_index: int
    question_id: str
    question_text: str
    category: str
    text: str = Field(description="the transcript of a spoken answer, or the typed answer")
    score: int
    dimensions: dict[str, float]
    feedback: str
    skipped: bool
    follow_up_question: Optional[str]
    has_recording: bool = Field(description="a spoken answer's WAV exists (served by the report's recording route)")


class DashMatch(BaseModel):
    room_id: str
    title: str
    language: str
    finished_at: str
    score: float
    rank: Optional[int]
    players: int
    dimensions: dict[str, float] = Field(description="mean of the match's answers, per dimension (0-100)")
    answers: list[DashAnswer]


class DimensionTrend(BaseModel):
    mean: float = Field(description="mean over all matches (0-100)")
    first: float
    last: float
    slope: float = Field(description="least-squares change per match, points (0 with one match)")
    series: list[float] = Field(description="per-match means, oldest first")


class DashCandidate(BaseModel):
    user_id: str
    display_name: str
    email: str
    joined_at: str
    matches: list[DashMatch] = Field(description="newest first")
    trend: dict[str, DimensionTrend]


class DashboardOut(BaseModel):
    """``GET /api/v1/cohorts/{cohort_id}/dashboard`` (the cohort's coach only)."""
    cohort_id: str
    name: str
    invite_code: str
    candidates: list[DashCandidate]


class ExportOut(BaseModel):
    """``GET /api/v1/me/export``: everything stored about you (JSON)."""
    exported_at: str
    account: Optional[dict[str, Any]] = Field(description="null for a guest")
    sessions: list[dict[str, Any]]
    cohorts_coached: list[dict[str, Any]]
    cohorts_joined: list[dict[str, Any]]
    matches: list[dict[str, Any]] = Field(description="each match you played with your answers, scores, notes")


class DeleteOut(BaseModel):
    """``DELETE /api/v1/me``."""
    ok: Literal[True] = True
    deleted_user_id: str
    matches_anonymised: int
