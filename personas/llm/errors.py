"""Failures of one provider attempt, each with a metrics ``reason`` label.

The chain never lets these escape to callers: ``answer()``/``follow_up()``
fall back to offline and ``judge()`` returns None.
"""

from __future__ import annotations


class LLMFailure(Exception):
    """One attempt failed.

    Attributes:
        reason: label for ``llm_failures_total{reason}``: one of ``timeout``,
            ``rate_limit``, ``server_error``, ``connection``, ``client_error``,
            ``auth``, ``malformed``, ``deadline``, ``error``.
        retryable: whether another attempt at the same provider may succeed.
        retry_after_s: server-requested wait (Retry-After), seconds, if any.
    """

    reason = "error"
    retryable = False

    def __init__(self, message: str = "", *, retry_after_s: float | None = None,
                 status: int | None = None):
        super().__init__(message or self.reason)
        self.retry_after_s = retry_after_s
        self.status = status


class AttemptTimeout(LLMFailure):
    reason, retryable = "timeout", True


class RateLimited(LLMFailure):
    reason, retryable = "rate_limit", True


class ServerError(LLMFailure):
    reason, retryable = "server_error", True


class ConnectionFailed(LLMFailure):
    reason, retryable = "connection", True


class ClientError(LLMFailure):
    """4xx other than 429 (bad request, unknown model): retrying cannot help."""

    reason, retryable = "client_error", False


class AuthError(LLMFailure):
    reason, retryable = "auth", False


class MalformedOutput(LLMFailure):
    """The reply was not the JSON object asked for: counts as a failure, next provider."""

    reason, retryable = "malformed", False


class DeadlineExceeded(LLMFailure):
    """Too little time left for (another) attempt."""

    reason, retryable = "deadline", False


def from_status(status: int, message: str, retry_after_s: float | None = None) -> LLMFailure:
    """Map an HTTP status to the failure class."""
    if status == 429:
        return RateLimited(message, retry_after_s=retry_after_s, status=status)
    if status in (401, 403):
        return AuthError(message, status=status)
    if status == 408:
        return AttemptTimeout(message, status=status)
    if status >= 500:
        return ServerError(message, retry_after_s=retry_after_s, status=status)
    return ClientError(message, status=status)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` (or ``retry-after-ms``-style float) header, else None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None   # HTTP-date form: ignore, use our own backoff
