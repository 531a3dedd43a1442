"""Structured outputs the models must return, validated with pydantic.

Every remote call asks for one JSON object and validates it with one of the
``*Out`` models below. Text that is not JSON, or JSON that does not fit, raises
``MalformedOutput`` (see ``errors``) and the chain moves to the next provider.

``wire_schema(model)`` gives the JSON Schema sent to the provider, in the
"strict" subset OpenAI structured outputs accept (every property required,
``additionalProperties: false``, no defaults/titles), which Gemini's
``response_json_schema`` and llama.cpp's grammar generator accept too.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from .errors import MalformedOutput

#: Rubric dimension names the judge scores (product.md "Scoring").
JUDGE_DIMENSIONS = ("relevance", "structure", "specificity", "depth", "communication")


def _round_score(v: Any) -> Any:
    # Models sometimes write 82.5 or "82"; accept numbers, keep range checks strict.
    if isinstance(v, str):
        v = v.strip()
        try:
            v = float(v)
        except ValueError:
            return v
    if isinstance(v, float):
        return int(round(v))
    return v


Score = Annotated[int, BeforeValidator(_round_score), Field(ge=0, le=100)]


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class PersonaAnswerOut(_Out):
    """``{"answer": str, "story_id": str | null}``: a persona's spoken answer.

    ``answer`` must be non-empty; ``story_id`` names the career story used (or null).
    """

    answer: str = Field(min_length=1)
    story_id: str | None = None


class JudgeDimensionsOut(_Out):
    """0-100 per rubric dimension (see ``JUDGE_DIMENSIONS``)."""

    relevance: Score
    structure: Score
    specificity: Score
    depth: Score
    communication: Score


class JudgeOut(_Out):
    """``{"score": 0-100, "dimensions": {...}, "feedback": str}`` from the judge model."""

    score: Score
    dimensions: JudgeDimensionsOut
    feedback: str = Field(min_length=1, max_length=1000)


class FollowUpOut(_Out):
    """``{"question": str}``: one follow-up question (<= 300 chars)."""

    question: str = Field(min_length=3, max_length=300)

    @field_validator("question")
    @classmethod
    def _one_line(cls, v: str) -> str:
        return " ".join(v.split())


class JudgeVerdict(BaseModel):
    """What ``judge()`` returns.

    Attributes:
        score: overall 0-100 (int).
        dimensions: ``{dimension: 0-100}`` for ``JUDGE_DIMENSIONS``.
        feedback: one or two sentences for the answerer, in the answer's language.
        provider: which provider produced it (``"openai"``, ``"gemini"``).
    """

    model_config = ConfigDict(frozen=True)

    score: Score
    dimensions: dict[str, Score] = Field(default_factory=dict)
    feedback: str = ""
    provider: str = ""

    @classmethod
    def from_out(cls, out: JudgeOut, provider: str) -> "JudgeVerdict":
        return cls(score=out.score, dimensions=out.dimensions.model_dump(),
                   feedback=out.feedback, provider=provider)


_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?(.*?)\n?\s*```\s*$", re.S)


def parse_json_output(text: str | None, model: type[_Out]) -> _Out:
    """Validate a model's reply ``text`` as ``model``.

    Accepts the bare JSON object, optionally wrapped in one Markdown code fence
    (small local models add one even in JSON mode). Nothing else is repaired.

    Raises:
        MalformedOutput: empty text, not JSON, not an object, or schema mismatch.
    """
    if text is None or not text.strip():
        raise MalformedOutput("empty reply")
    m = _FENCE.match(text)
    body = m.group(1) if m else text
    try:
        data = json.loads(body)
    except json.JSONDecodeError as e:
        raise MalformedOutput(f"not JSON: {e.msg} at {e.pos}") from e
    if not isinstance(data, dict):
        raise MalformedOutput(f"expected a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise MalformedOutput(f"schema mismatch: {e.error_count()} error(s): "
                              f"{e.errors()[0]['loc']} {e.errors()[0]['msg']}") from e


# Range/length keywords are enforced by pydantic locally; strict-mode servers differ
# in which of them they accept, so the wire schema carries only the shape.
_DROP = frozenset({"title", "default", "$defs", "description", "ge", "le", "minimum", "maximum",
                   "minLength", "maxLength"})


def _strictify(node: Any, defs: dict) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            return _strictify(copy.deepcopy(defs[name]), defs)
        out = {k: _strictify(v, defs) for k, v in node.items() if k not in _DROP}
        if out.get("type") == "object" and "properties" in out:
            out["required"] = list(out["properties"])
            out["additionalProperties"] = False
        if "anyOf" in out:
            # pydantic writes Optional[str] as anyOf[{string},{null}]: use the type-list form.
            types = [b.get("type") for b in out["anyOf"]]
            if all(isinstance(t, str) for t in types) and all(len(b) == 1 or set(b) <= {"type"} for b in out["anyOf"]):
                out.pop("anyOf")
                out["type"] = types
        return out
    if isinstance(node, list):
        return [_strictify(v, defs) for v in node]
    return node


def wire_schema(model: type[BaseModel]) -> dict:
    """The strict-mode JSON Schema of ``model`` (refs inlined, all fields required)."""
    raw = model.model_json_schema()
    return _strictify(raw, raw.get("$defs", {}))
