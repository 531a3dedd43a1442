"""Run the chain against a real OpenAI-compatible server (``make test-llm``).

Usage::

    OPENAI_BASE_URL=http://127.0.0.1:8080/v1 ARENA_OPENAI_MODEL=smollm2 \\
        .venv/bin/python -m personas.llm.live_check [--lang en] [--budget-ms 90000]

Forces ``ARENA_LLM_PROVIDERS=openai`` and, unless set, ``ARENA_OPENAI_RESPONSE_FORMAT=
json_object`` (what most local servers support). Asks one persona answer, one
judge verdict and one follow-up, prints each with the provider and latency, and
exits 1 if any of them came from the offline fallback instead of the server,
2 if ``OPENAI_BASE_URL`` is not set. See docs/llm.md for a local server recipe.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time


async def _main(args: argparse.Namespace) -> int:
    if not os.environ.get("OPENAI_BASE_URL"):
        print("OPENAI_BASE_URL is not set (e.g. http://127.0.0.1:8080/v1)", file=sys.stderr)
        return 2
    os.environ["ARENA_LLM_PROVIDERS"] = "openai"
    os.environ.setdefault("ARENA_OPENAI_RESPONSE_FORMAT", "json_object")
    os.environ.setdefault("ARENA_LLM_TIMEOUT_S", str(args.timeout))
    os.environ.setdefault("ARENA_LLM_JUDGE_BUDGET_S", str(args.timeout))
    os.environ.setdefault("ARENA_LLM_FOLLOWUP_BUDGET_S", str(args.timeout))

    from personas.catalog import persona_ids
    from personas.engine import AnswerRequest
    from personas.llm import LLMChain, LLMSettings, answer_detailed, follow_up, judge

    chain = LLMChain(LLMSettings.from_env())
    s = chain.settings
    print(f"server {s.openai.base_url} model {s.openai.model} format {s.openai.response_format}")
    q = {"en": "Tell me about a time you disagreed with a teammate. How did you resolve it?",
         "ko": "팀원과 의견이 달랐던 경험과 어떻게 해결했는지 말씀해 주세요."}[args.lang]
    kps = {"en": ["the situation and your role", "your own actions", "the measurable result", "what you learned"],
           "ko": ["상황과 본인의 역할", "본인이 직접 한 행동", "측정 가능한 결과", "배운 점"]}[args.lang]
    pid = args.persona or persona_ids()[0]
    failures = 0
    try:
        t = time.monotonic()
        res = await answer_detailed(
            AnswerRequest(persona_id=pid, question_text=q, lang=args.lang, skill=4, category="behavioural",
                          budget_ms=args.budget_ms),
            chain=chain, llm_max_ms=int(args.timeout * 1000))
        print(f"\n[answer] persona={pid} provider={res.provider} {time.monotonic() - t:.2f}s "
              f"think_ms={res.answer.think_ms} words={res.answer.word_count} story={res.answer.story_id}")
        print(res.answer.text)
        failures += res.provider != "openai"

        t = time.monotonic()
        v = await judge(q, kps, res.answer.text, args.lang, "behavioural", chain=chain)
        print(f"\n[judge] {time.monotonic() - t:.2f}s",
              json.dumps(v.model_dump(), ensure_ascii=False) if v else "None (fell back to the rubric)")
        failures += v is None

        t = time.monotonic()
        before = _offline_follow_ups()
        fu = await follow_up(q, res.answer.text, args.lang, chain=chain)
        offline = _offline_follow_ups() > before
        print(f"\n[follow_up] provider={'offline' if offline else 'openai'} {time.monotonic() - t:.2f}s\n{fu}")
        failures += offline
    finally:
        await chain.aclose()
    print(f"\n{3 - failures} passed, {failures} failed")
    return 1 if failures else 0


def _offline_follow_ups() -> float:
    from prometheus_client import REGISTRY
    return REGISTRY.get_sample_value("llm_calls_total", {"provider": "offline", "use": "follow_up"}) or 0.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lang", choices=("ko", "en"), default="en")
    p.add_argument("--persona", default=None, help="persona id (default: the first in the catalogue)")
    p.add_argument("--budget-ms", type=int, default=120_000, help="turn budget given to answer(), ms")
    p.add_argument("--timeout", type=float, default=60.0, help="per-use LLM time limit, s (small CPU models are slow)")
    return asyncio.run(_main(p.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
