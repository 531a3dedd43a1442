"""Response models of the résumé, job and learning-plan routes, for the OpenAPI document (docs/resumes.md)."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel


class UploadOut(BaseModel):
    """``POST /api/v1/resumes`` (multipart field ``file``)."""
    resume_id: str
    job_id: str
    language: Literal["ko", "en"]
    kind: Literal["resume", "posting"]


class ResumeSummary(BaseModel):
    resume_id: str
    filename: str
    file_kind: str
    language: str
    doc_kind: str
    created_at: str
    questions: int


class ResumeListOut(BaseModel):
    resumes: list[ResumeSummary]


class ResumeOut(BaseModel):
    resume_id: str
    filename: str
    file_kind: Literal["pdf", "docx", "text"]
    size_bytes: int
    language: str
    doc_kind: str
    profile: Optional[dict[str, Any]] = None
    created_at: str


class QuestionSource(BaseModel):
    kind: Literal["project", "claim", "employer", "skill", "requirement", "bank", "llm"]
    ref: Optional[str] = None
    evidence: list[str] = []


class TailoredQuestion(BaseModel):
    question_id: str
    text: str
    category: str
    topic: Optional[str] = None
    difficulty: int
    key_points: list[str]
    red_flags: list[str]
    source: Optional[QuestionSource] = None
    origin: Optional[Literal["offline", "bank", "llm"]] = None
    relevance: Optional[float] = None
    text_by_lang: dict[str, str]


class QuestionsOut(BaseModel):
    resume_id: str
    language: str
    kind: str
    ready: bool
    questions: list[TailoredQuestion]


class DeletedOut(BaseModel):
    ok: bool
    resume_id: str


class JobOut(BaseModel):
    job_id: str
    kind: str
    subject_id: Optional[str] = None
    state: Literal["queued", "running", "done", "failed"]
    progress: int
    error: Optional[str] = None
    result: Optional[dict[str, Any]] = None
    created_at: str
    updated_at: str


class PlanItemOut(BaseModel):
    id: str
    kind: Literal["dimension", "topic"]
    label: str
    dimension: Optional[str] = None
    category: Optional[str] = None
    topic: Optional[str] = None
    average: float
    answers: int
    reason: str
    practice: str
    question_ids: list[str]
    evidence: list[dict[str, Any]]
    solo_room: dict[str, Any]


class LearningPlanOut(BaseModel):
    user_id: str
    language: str
    based_on: dict[str, int]
    updated_at: Optional[str] = None
    averages: dict[str, float]
    labels: dict[str, str] = {}
    average_score: Optional[float] = None
    items: list[PlanItemOut]


def describe_routes(app) -> None:
    """Add the routes of ``server/api/resumes.py`` and ``learning_plan.py`` to the OpenAPI registry."""
    from .registry import registry_of

    api = registry_of(app)
    tag = ["resumes"]
    api.describe("POST", "/api/v1/resumes", "Upload a résumé or job posting (multipart field `file`; PDF, DOCX or "
                 "text, ≤ 5 MB, type checked by content); starts the question generation job", tags=tag,
                 response=UploadOut, auth=True, errors={400: "missing_file, empty_file", 413: "file_too_large",
                                                        415: "unsupported_type, type_mismatch",
                                                        422: "unreadable_file, no_text"})
    api.describe("GET", "/api/v1/resumes", "Your uploads", tags=tag, response=ResumeListOut, auth=True)
    api.describe("GET", "/api/v1/resumes/{resume_id}", "One of your uploads and its parsed profile", tags=tag,
                 response=ResumeOut, auth=True, errors={404: "resume_not_found"})
    api.describe("GET", "/api/v1/resumes/{resume_id}/questions", "Its tailored questions (owner only)", tags=tag,
                 response=QuestionsOut, auth=True, errors={404: "resume_not_found"}, query={"lang": "ko or en"})
    api.describe("DELETE", "/api/v1/resumes/{resume_id}", "Delete it and its questions (owner only)", tags=tag,
                 response=DeletedOut, auth=True, errors={404: "resume_not_found"})
    api.describe("GET", "/api/v1/jobs/{job_id}", "A background job's state and progress (owner only)", tags=tag,
                 response=JobOut, auth=True, errors={404: "job_not_found"})
    api.describe("GET", "/api/v1/jobs/{job_id}/events", "The job's progress as server-sent events (`event: job`)",
                 tags=tag, media_type="text/event-stream", auth=True, errors={404: "job_not_found"},
                 query={"access_token": "the token, for EventSource (which cannot send headers)"})
    api.describe("GET", "/api/v1/me/learning-plan", "Your learning plan: weakest dimensions and topics, why, "
                 "what to practise, questions to retry, a solo room each", tags=["learning"],
                 response=LearningPlanOut, auth=True, query={"lang": "ko or en"})
