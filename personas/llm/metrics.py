"""Prometheus metrics of the LLM chain (default registry).

- ``llm_calls_total{provider,use}``: attempts started (each retry counts; offline
  counts once per use of the offline path).
- ``llm_failures_total{provider,use,reason}``: failed attempts, by ``LLMFailure.reason``.
- ``llm_fallbacks_total{from_provider,to_provider,use}``: moves down the chain.
- ``llm_latency_seconds{provider,use}``: attempt wall time, seconds (success or failure).

``use`` is ``answer``, ``judge`` or ``follow_up``.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

LLM_CALLS = Counter("llm_calls_total", "LLM provider attempts started", ["provider", "use"])
LLM_FAILURES = Counter("llm_failures_total", "LLM provider attempts that failed",
                       ["provider", "use", "reason"])
LLM_FALLBACKS = Counter("llm_fallbacks_total", "Moves from one LLM provider to the next",
                        ["from_provider", "to_provider", "use"])
LLM_LATENCY = Histogram("llm_latency_seconds", "LLM attempt wall time", ["provider", "use"],
                        buckets=(0.005, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60))
