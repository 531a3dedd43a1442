"""The LLM provider chain: OpenAI(-compatible) -> Gemini -> offline.

Public API (all coroutines except ``blend``; none raises for provider trouble)::

    answer(req: AnswerRequest) -> ComposedAnswer          # persona answer, fits req.budget_ms
    answer_detailed(req) -> AnswerResult                  # + which provider, elapsed ms
    judge(question, key_points, answer, lang, category) -> JudgeVerdict | None
    blend(rubric: ScoreResult, verdict: JudgeVerdict | None, weight=0.5) -> ScoreResult
    follow_up(question, answer, lang) -> str | None

Configuration is by environment only (see ``config``); with nothing set the
chain is offline only. Metrics: see ``metrics``. Docs: ``docs/llm.md``.
"""

from .config import LLMSettings
from .chain import LLMChain, build_chain
from .schemas import JUDGE_DIMENSIONS, JudgeVerdict
from .service import (AnswerResult, aclose, answer, answer_detailed, blend, follow_up, get_chain, judge,
                      set_chain)

__all__ = ["LLMSettings", "LLMChain", "build_chain", "JudgeVerdict", "JUDGE_DIMENSIONS", "AnswerResult",
           "answer", "answer_detailed", "judge", "blend", "follow_up", "get_chain", "set_chain", "aclose"]
