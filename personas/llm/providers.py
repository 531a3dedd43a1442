"""Remote text providers: OpenAI(-compatible) and Gemini.

A provider turns one prompt into the raw text of one JSON object. It does not
retry, validate or fall back (``chain.LLMChain`` does); it maps every SDK error
to an ``errors.LLMFailure`` subclass so the chain can decide. The SDKs' own
retries are switched off (``max_retries=0`` / ``HttpRetryOptions(attempts=1)``)
so that tenacity in the chain is the only retry loop and it respects the deadline.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from .config import GeminiConfig, OpenAIConfig
from .errors import (AttemptTimeout, ConnectionFailed, LLMFailure, MalformedOutput, from_status,
                     parse_retry_after)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prompt:
    """One structured-output request.

    Attributes:
        system: system instruction (persona, rules, output contract).
        user: the user turn (question, answer to judge, ...).
        schema_name: short identifier of the output schema (``[a-z_]+``).
        schema: strict JSON Schema of the object expected (``schemas.wire_schema``).
        temperature: sampling temperature, 0-2.
        max_tokens: cap on generated tokens.
    """

    system: str
    user: str
    schema_name: str
    schema: dict
    temperature: float = 0.7
    max_tokens: int = 600


class TextProvider(Protocol):
    """What the chain needs from a remote provider."""

    name: str

    async def complete(self, prompt: Prompt, timeout_s: float) -> str:
        """Return the model's reply text (should be one JSON object).

        Args:
            timeout_s: the whole HTTP exchange must end within this many seconds.
        Raises:
            LLMFailure: every failure, mapped (timeout, rate_limit, ...).
        """
        ...

    async def aclose(self) -> None: ...


def _headers_retry_after(headers: Any) -> float | None:
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms:
            v = parse_retry_after(ms)
            return None if v is None else v / 1000.0
        return parse_retry_after(headers.get("retry-after"))
    except Exception:   # odd header objects: ignore, use backoff
        return None


class OpenAIProvider:
    """Chat Completions through the official ``openai`` SDK (``AsyncOpenAI``).

    Works with api.openai.com and any OpenAI-compatible server (``base_url``):
    POST ``{base_url}/chat/completions`` with ``model``, ``messages`` (system +
    user), ``response_format`` (``json_schema`` strict, or ``json_object``),
    ``temperature``, ``max_tokens``.
    """

    name = "openai"

    def __init__(self, cfg: OpenAIConfig):
        self.cfg = cfg
        self._clients: dict[int, Any] = {}   # one AsyncOpenAI per event loop (httpx pools are loop-bound)

    def _client(self):
        import openai

        loop = asyncio.get_running_loop()
        key = id(loop)
        entry = self._clients.get(key)
        if entry is None or entry[0] is not loop:
            client = openai.AsyncOpenAI(api_key=self.cfg.api_key, base_url=self.cfg.base_url,
                                        max_retries=0, timeout=60.0)
            entry = self._clients[key] = (loop, client)
        return entry[1]

    def _response_format(self, prompt: Prompt) -> dict:
        if self.cfg.response_format == "json_object":
            return {"type": "json_object"}
        return {"type": "json_schema",
                "json_schema": {"name": prompt.schema_name, "schema": prompt.schema, "strict": True}}

    async def complete(self, prompt: Prompt, timeout_s: float) -> str:
        import openai

        client = self._client()
        try:
            resp = await client.chat.completions.create(
                model=self.cfg.model,
                messages=[{"role": "system", "content": prompt.system},
                          {"role": "user", "content": prompt.user}],
                response_format=self._response_format(prompt),
                temperature=prompt.temperature,
                max_tokens=prompt.max_tokens,
                timeout=timeout_s,
            )
        except openai.APITimeoutError as e:
            raise AttemptTimeout(str(e)) from e
        except openai.APIStatusError as e:
            raise from_status(e.status_code, f"openai HTTP {e.status_code}: {e.message}",
                              _headers_retry_after(getattr(e.response, "headers", None))) from e
        except openai.APIConnectionError as e:
            raise ConnectionFailed(f"openai connection: {e}") from e
        except openai.APIResponseValidationError as e:   # pragma: no cover - server sent junk
            raise MalformedOutput(f"openai response: {e}") from e
        if not resp.choices:
            raise MalformedOutput("no choices")
        msg = resp.choices[0].message
        if getattr(msg, "refusal", None):
            raise MalformedOutput(f"refused: {msg.refusal[:200]}")
        return msg.content or ""

    async def aclose(self) -> None:
        for loop, client in list(self._clients.values()):
            if loop is asyncio.get_running_loop():
                await client.close()
        self._clients.clear()


class GeminiProvider:
    """Gemini through ``google-genai`` (``client.aio.models.generate_content``).

    POST ``{base_url}/{api_version}/models/{model}:generateContent`` (``x-goog-api-key``) with
    ``systemInstruction``, ``contents``, and ``generationConfig`` holding
    ``responseMimeType: application/json`` and ``responseJsonSchema``.
    """

    name = "gemini"

    def __init__(self, cfg: GeminiConfig):
        self.cfg = cfg
        self._client_obj = None

    def _client(self):
        if self._client_obj is None:
            from google import genai
            from google.genai import types

            opts = types.HttpOptions(base_url=self.cfg.base_url, api_version=self.cfg.api_version,
                                     retry_options=types.HttpRetryOptions(attempts=1))
            self._client_obj = genai.Client(api_key=self.cfg.api_key, http_options=opts)
        return self._client_obj

    async def complete(self, prompt: Prompt, timeout_s: float) -> str:
        import aiohttp
        from google.genai import errors as gerrors
        from google.genai import types

        config = types.GenerateContentConfig(
            system_instruction=prompt.system,
            response_mime_type="application/json",
            response_json_schema=prompt.schema,
            temperature=prompt.temperature,
            max_output_tokens=prompt.max_tokens,
            http_options=types.HttpOptions(timeout=max(1, int(timeout_s * 1000)),
                                           retry_options=types.HttpRetryOptions(attempts=1)),
        )
        try:
            resp = await self._client().aio.models.generate_content(
                model=self.cfg.model, contents=prompt.user, config=config)
        except gerrors.APIError as e:
            headers = getattr(getattr(e, "response", None), "headers", None)
            raise from_status(int(e.code or 500), f"gemini HTTP {e.code}: {e.message}",
                              _headers_retry_after(headers)) from e
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as e:
            raise AttemptTimeout("gemini timeout") from e
        except aiohttp.ClientError as e:
            raise ConnectionFailed(f"gemini connection: {e}") from e
        except (ConnectionError, OSError) as e:
            raise ConnectionFailed(f"gemini connection: {e}") from e
        except LLMFailure:
            raise
        except Exception as e:
            # httpx2 transport (when aiohttp is absent) raises its own timeout/connect errors.
            name = type(e).__name__
            if "Timeout" in name:
                raise AttemptTimeout(f"gemini {name}") from e
            if "Connect" in name:
                raise ConnectionFailed(f"gemini {name}: {e}") from e
            raise
        try:
            text = resp.text
        except Exception as e:   # pragma: no cover - SDK raising on odd parts
            raise MalformedOutput(f"gemini reply: {e}") from e
        if not text:
            reason = None
            try:
                reason = resp.candidates[0].finish_reason if resp.candidates else resp.prompt_feedback
            except Exception:
                pass
            raise MalformedOutput(f"gemini returned no text ({reason})")
        return text

    async def aclose(self) -> None:
        if self._client_obj is not None:
            try:
                await self._client_obj.aio.aclose()
            except Exception:   # pragma: no cover
                pass
            self._client_obj = None


def build_providers(settings) -> dict[str, TextProvider]:
    """Instantiate the remote providers named in ``settings.providers``."""
    out: dict[str, TextProvider] = {}
    for name in settings.remote_providers:
        if name == "openai" and settings.openai is not None:
            out[name] = OpenAIProvider(settings.openai)
        elif name == "gemini" and settings.gemini is not None:
            out[name] = GeminiProvider(settings.gemini)
    return out


__all__ = ["Prompt", "TextProvider", "OpenAIProvider", "GeminiProvider", "build_providers"]
