"""LLM provider chain settings, read from environment variables only.

Environment (all optional; with none set the chain is ``offline`` only):

===========================  ==============================================================
``ARENA_LLM_PROVIDERS``      comma list, tried in order, e.g. ``"openai,gemini,offline"``.
                             Unset: every provider whose credentials are present, then
                             ``offline``. ``offline`` is always appended if missing.
``OPENAI_API_KEY``           OpenAI key. Optional when ``OPENAI_BASE_URL`` is set (local
                             OpenAI-compatible servers ignore it; a placeholder is sent).
``OPENAI_BASE_URL``          any OpenAI-compatible endpoint, e.g. ``http://127.0.0.1:8080/v1``.
``ARENA_OPENAI_MODEL``       model name (default ``gpt-4o-mini``).
``ARENA_OPENAI_RESPONSE_FORMAT``  ``json_schema`` (strict structured outputs, default) or
                             ``json_object`` (plain JSON mode, for servers without schemas).
``GEMINI_API_KEY`` / ``GOOGLE_API_KEY``  Gemini Developer API key (first one set wins).
``ARENA_GEMINI_MODEL``       model name (default ``gemini-2.5-flash``).
``ARENA_GEMINI_BASE_URL``    override the Gemini endpoint (proxies, tests).
``ARENA_GEMINI_API_VERSION``  ``v1`` / ``v1beta`` (default: the SDK's own default).
``ARENA_LLM_MAX_ATTEMPTS``   attempts per provider incl. the first (default 3).
``ARENA_LLM_BACKOFF_S``      first backoff in seconds, doubled each retry (default 0.25).
``ARENA_LLM_BACKOFF_MAX_S``  backoff cap in seconds (default 2.0).
``ARENA_LLM_TIMEOUT_S``      cap on one HTTP attempt in seconds (default 20).
``ARENA_LLM_JUDGE_BUDGET_S``  total time the judge may take, all providers (default 12).
``ARENA_LLM_FOLLOWUP_BUDGET_S``  total time a follow-up may take (default 6).
``ARENA_LLM_TEMPERATURE``    sampling temperature (default 0.7; the judge always uses 0).
===========================  ==============================================================
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Mapping

log = logging.getLogger(__name__)

KNOWN_PROVIDERS = ("openai", "gemini", "offline")
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_GEMINI_MODEL = "gemini-2.5-flash"
LOCAL_PLACEHOLDER_KEY = "sk-local-no-key"


def _float(env: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        v = float(raw)
    except ValueError:
        log.warning("%s=%r is not a number; using %s", name, raw, default)
        return default
    return max(lo, min(hi, v))


@dataclass(frozen=True)
class OpenAIConfig:
    """How to reach an OpenAI(-compatible) chat-completions endpoint."""

    api_key: str
    base_url: str | None = None
    model: str = DEFAULT_OPENAI_MODEL
    response_format: str = "json_schema"   # or "json_object"


@dataclass(frozen=True)
class GeminiConfig:
    """How to reach the Gemini Developer API through google-genai."""

    api_key: str
    model: str = DEFAULT_GEMINI_MODEL
    base_url: str | None = None
    api_version: str | None = None


@dataclass(frozen=True)
class LLMSettings:
    """The resolved chain configuration.

    Attributes:
        providers: provider names in the order tried; always ends with ``"offline"``.
        openai / gemini: their configs, or None when not usable (no credentials).
        max_attempts: attempts per provider including the first (>= 1).
        backoff_s / backoff_max_s: exponential backoff start and cap, seconds.
        attempt_timeout_s: cap on one HTTP attempt, seconds.
        judge_budget_s / followup_budget_s: total wall time for those uses, seconds.
        temperature: sampling temperature for answers and follow-ups.
    """

    providers: tuple[str, ...] = ("offline",)
    openai: OpenAIConfig | None = None
    gemini: GeminiConfig | None = None
    max_attempts: int = 3
    backoff_s: float = 0.25
    backoff_max_s: float = 2.0
    attempt_timeout_s: float = 20.0
    judge_budget_s: float = 12.0
    followup_budget_s: float = 6.0
    temperature: float = 0.7
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def remote_providers(self) -> tuple[str, ...]:
        """The configured providers other than ``offline``."""
        return tuple(p for p in self.providers if p != "offline")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "LLMSettings":
        """Build settings from ``environ`` (default ``os.environ``).

        Never raises: unknown provider names and providers without credentials
        are dropped with a warning (kept in ``notes``), and the chain falls back
        to ``offline``.
        """
        env = os.environ if environ is None else environ
        notes: list[str] = []

        openai_cfg: OpenAIConfig | None = None
        base_url = (env.get("OPENAI_BASE_URL") or "").strip() or None
        key = (env.get("OPENAI_API_KEY") or "").strip()
        if key or base_url:
            fmt = (env.get("ARENA_OPENAI_RESPONSE_FORMAT") or "json_schema").strip().lower()
            if fmt not in ("json_schema", "json_object"):
                notes.append(f"ARENA_OPENAI_RESPONSE_FORMAT={fmt!r} unknown; using json_schema")
                fmt = "json_schema"
            openai_cfg = OpenAIConfig(
                api_key=key or LOCAL_PLACEHOLDER_KEY, base_url=base_url,
                model=(env.get("ARENA_OPENAI_MODEL") or DEFAULT_OPENAI_MODEL).strip(),
                response_format=fmt)

        gemini_cfg: GeminiConfig | None = None
        gkey = (env.get("GEMINI_API_KEY") or env.get("GOOGLE_API_KEY") or "").strip()
        if gkey:
            gemini_cfg = GeminiConfig(
                api_key=gkey, model=(env.get("ARENA_GEMINI_MODEL") or DEFAULT_GEMINI_MODEL).strip(),
                base_url=(env.get("ARENA_GEMINI_BASE_URL") or "").strip() or None,
                api_version=(env.get("ARENA_GEMINI_API_VERSION") or "").strip() or None)

        raw = env.get("ARENA_LLM_PROVIDERS")
        if raw is None or raw.strip() == "":
            wanted = [p for p, c in (("openai", openai_cfg), ("gemini", gemini_cfg)) if c is not None]
        else:
            wanted = [p.strip().lower() for p in raw.split(",") if p.strip()]
        providers: list[str] = []
        for p in wanted:
            if p not in KNOWN_PROVIDERS:
                notes.append(f"unknown LLM provider {p!r} ignored (known: {', '.join(KNOWN_PROVIDERS)})")
            elif p == "openai" and openai_cfg is None:
                notes.append("openai listed but neither OPENAI_API_KEY nor OPENAI_BASE_URL is set; skipped")
            elif p == "gemini" and gemini_cfg is None:
                notes.append("gemini listed but neither GEMINI_API_KEY nor GOOGLE_API_KEY is set; skipped")
            elif p not in providers:
                providers.append(p)
        if "offline" in providers:
            providers = providers[: providers.index("offline")]   # nothing after offline is ever reached
        providers.append("offline")
        for n in notes:
            log.warning("LLM config: %s", n)

        return cls(
            providers=tuple(providers),
            openai=openai_cfg if "openai" in providers else None,
            gemini=gemini_cfg if "gemini" in providers else None,
            max_attempts=int(_float(env, "ARENA_LLM_MAX_ATTEMPTS", 3, 1, 10)),
            backoff_s=_float(env, "ARENA_LLM_BACKOFF_S", 0.25, 0.0, 30.0),
            backoff_max_s=_float(env, "ARENA_LLM_BACKOFF_MAX_S", 2.0, 0.0, 60.0),
            attempt_timeout_s=_float(env, "ARENA_LLM_TIMEOUT_S", 20.0, 0.1, 300.0),
            judge_budget_s=_float(env, "ARENA_LLM_JUDGE_BUDGET_S", 12.0, 0.1, 300.0),
            followup_budget_s=_float(env, "ARENA_LLM_FOLLOWUP_BUDGET_S", 6.0, 0.1, 300.0),
            temperature=_float(env, "ARENA_LLM_TEMPERATURE", 0.7, 0.0, 2.0),
            notes=tuple(notes),
        )
