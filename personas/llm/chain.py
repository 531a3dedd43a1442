"""The fallback chain: each remote provider in order, with retries, then offline.

``LLMChain.run(use, prompt, out_model, deadline)`` is the only entry point:

1. For each remote provider (``settings.remote_providers``, in order):
   attempts run under ``tenacity.AsyncRetrying`` — exponential backoff with
   jitter, honouring ``Retry-After`` — and stop after ``max_attempts`` or when
   the next sleep plus a minimal attempt would pass ``deadline``. Each attempt
   is bounded by ``asyncio.timeout(min(attempt_timeout_s, deadline - now))``,
   so no attempt, retry or sleep ever runs past the deadline.
2. Only retryable failures (timeout, 429, 5xx, connection) are retried.
   Malformed JSON, auth and other 4xx move straight to the next provider.
3. If every remote provider fails, ``run`` returns None and the caller uses
   the offline path (offline engine, rubric only, template follow-up).

Metrics: see ``metrics``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, TypeVar

from pydantic import BaseModel
from tenacity import (AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt,
                      wait_exponential_jitter)

from .config import LLMSettings
from .errors import AttemptTimeout, DeadlineExceeded, LLMFailure
from .metrics import LLM_CALLS, LLM_FAILURES, LLM_FALLBACKS, LLM_LATENCY
from .providers import Prompt, TextProvider, build_providers
from .schemas import parse_json_output

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

#: An attempt with less time than this left is not started (seconds).
MIN_ATTEMPT_S = 0.25
#: Longest Retry-After we honour (seconds); beyond it the deadline stop usually wins anyway.
MAX_RETRY_AFTER_S = 30.0


class LLMChain:
    """Remote providers tried in order, then None (offline is the caller's fallback).

    Args:
        settings: resolved ``LLMSettings``.
        providers: name -> provider; default built from ``settings``.
        clock: monotonic seconds (tests may inject).
        max_concurrency: in-flight calls per provider; waiting counts against the deadline.
    """

    def __init__(self, settings: LLMSettings, providers: dict[str, TextProvider] | None = None,
                 clock: Callable[[], float] = time.monotonic, max_concurrency: int = 16):
        self.settings = settings
        self.providers = providers if providers is not None else build_providers(settings)
        self.order = [p for p in settings.remote_providers if p in self.providers]
        self.clock = clock
        self._max_concurrency = max_concurrency
        self._sems: dict[tuple[int, str], asyncio.Semaphore] = {}

    @property
    def offline_only(self) -> bool:
        """True when no remote provider is configured."""
        return not self.order

    def deadline_in(self, seconds: float) -> float:
        """A deadline ``seconds`` from now on this chain's clock."""
        return self.clock() + seconds

    async def run(self, use: str, prompt: Prompt, out_model: type[M], deadline: float) -> tuple[str, M] | None:
        """Get ``out_model`` from the first provider that delivers it before ``deadline``.

        Args:
            use: metrics label: ``answer``, ``judge`` or ``follow_up``.
            prompt: the request (system/user/schema).
            out_model: pydantic model the reply must validate as.
            deadline: absolute time on ``self.clock`` (seconds) by which to be done.
        Returns:
            ``(provider_name, parsed)``, or None when every remote provider failed
            or there is none. Never raises ``LLMFailure``; cancellation propagates.
        """
        for i, name in enumerate(self.order):
            nxt = self.order[i + 1] if i + 1 < len(self.order) else "offline"
            try:
                parsed = await self._run_provider(name, use, prompt, out_model, deadline)
                return name, parsed
            except LLMFailure as e:
                log.info("llm %s/%s failed (%s: %s); falling back to %s", name, use, e.reason, e, nxt)
            LLM_FALLBACKS.labels(name, nxt, use).inc()
        return None

    def _sem(self, name: str) -> asyncio.Semaphore:
        key = (id(asyncio.get_running_loop()), name)
        sem = self._sems.get(key)
        if sem is None:
            sem = self._sems[key] = asyncio.Semaphore(self._max_concurrency)
        return sem

    async def _run_provider(self, name: str, use: str, prompt: Prompt, out_model: type[M],
                            deadline: float) -> M:
        s = self.settings
        if deadline - self.clock() < MIN_ATTEMPT_S:
            LLM_FAILURES.labels(name, use, DeadlineExceeded.reason).inc()
            raise DeadlineExceeded(f"{name}: no time left")
        backoff = wait_exponential_jitter(initial=s.backoff_s, max=s.backoff_max_s, jitter=s.backoff_s / 2)

        def wait(rs: RetryCallState) -> float:
            exc = rs.outcome.exception() if rs.outcome else None
            ra = getattr(exc, "retry_after_s", None)
            base = backoff(rs)
            return max(base, min(ra, MAX_RETRY_AFTER_S)) if ra else base

        def out_of_time(rs: RetryCallState) -> bool:
            return self.clock() + rs.upcoming_sleep + MIN_ATTEMPT_S > deadline

        retrying = AsyncRetrying(
            stop=stop_after_attempt(s.max_attempts) | out_of_time,
            wait=wait,
            retry=retry_if_exception(lambda e: isinstance(e, LLMFailure) and e.retryable),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(name, use, prompt, out_model, deadline)
        raise AssertionError("unreachable")   # pragma: no cover

    async def _attempt(self, name: str, use: str, prompt: Prompt, out_model: type[M], deadline: float) -> M:
        provider = self.providers[name]
        remaining = deadline - self.clock()
        if remaining < MIN_ATTEMPT_S:
            LLM_FAILURES.labels(name, use, DeadlineExceeded.reason).inc()
            raise DeadlineExceeded(f"{name}: {remaining:.3f}s left")
        timeout_s = min(self.settings.attempt_timeout_s, remaining)
        attempt_end = self.clock() + timeout_s
        LLM_CALLS.labels(name, use).inc()
        t0 = time.perf_counter()
        try:
            try:
                async with asyncio.timeout(timeout_s):
                    async with self._sem(name):
                        # The SDK gets the same bound, so its own timeout fires first when it can.
                        text = await provider.complete(prompt, max(0.05, attempt_end - self.clock()))
            except TimeoutError as e:
                raise AttemptTimeout(f"{name}: no reply within {timeout_s:.2f}s") from e
            return parse_json_output(text, out_model)
        except LLMFailure as e:
            LLM_FAILURES.labels(name, use, e.reason).inc()
            raise
        except asyncio.CancelledError:
            raise
        except Exception as e:   # an SDK bug or surprise: one failure, never retried
            LLM_FAILURES.labels(name, use, "error").inc()
            log.exception("llm %s/%s unexpected error", name, use)
            raise LLMFailure(f"{name}: {type(e).__name__}: {e}") from e
        finally:
            LLM_LATENCY.labels(name, use).observe(time.perf_counter() - t0)

    async def aclose(self) -> None:
        """Close the providers' HTTP clients (call on server shutdown)."""
        for p in self.providers.values():
            await p.aclose()


def build_chain(settings: LLMSettings | None = None) -> LLMChain:
    """A chain from ``settings`` (default: ``LLMSettings.from_env()``)."""
    return LLMChain(settings or LLMSettings.from_env())
