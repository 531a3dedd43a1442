"""Rate limits on sign-in (the ``limits`` library, moving windows, in this process's memory).

- per IP address: every login, register and refresh attempt counts (:data:`PER_IP`, 30 a minute);
- per email: failed logins count (:data:`PER_EMAIL`, 5 in 5 minutes), so a typo costs one and a
  successful login none.

Over a limit the route answers ``429 rate_limited`` with ``retry_after`` (seconds) in the error body and a
``Retry-After`` header, before any password is checked.
"""

from __future__ import annotations

import time

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from .common import ApiError

PER_IP = "30/minute"
PER_EMAIL = "5/5minutes"


class LoginLimiter:
    """Args: ``per_ip`` and ``per_email`` in the ``limits`` notation (``"5/5minutes"``)."""

    def __init__(self, per_ip: str = PER_IP, per_email: str = PER_EMAIL) -> None:
        self.storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.per_ip, self.per_email = parse(per_ip), parse(per_email)

    async def _refuse(self, item, *ids: str) -> None:
        reset, _ = await self.limiter.get_window_stats(item, *ids)
        raise ApiError(429, "rate_limited", "too many sign-in attempts: wait and try again",
                       retry_after=round(max(1.0, reset - time.time()), 1))

    async def attempt(self, ip: str, email: str | None = None) -> None:
        """Count an attempt from ``ip`` and check ``email``'s failures. Raises ``ApiError(429)`` over a limit."""
        if email is not None and not await self.limiter.test(self.per_email, "email", email):
            await self._refuse(self.per_email, "email", email)
        if not await self.limiter.hit(self.per_ip, "ip", ip):
            await self._refuse(self.per_ip, "ip", ip)

    async def failed(self, email: str) -> None:
        """Count a failed login for ``email``."""
        await self.limiter.hit(self.per_email, "email", email)
