"""Calls per client and minute (``settings.API_RATE_LIMIT_PER_MINUTE``), counted in Django's cache.

A fixed window: one counter per client and clock minute, created by ``add`` and counted by
``incr``, which are atomic in the cache backends Django ships. A call over the limit is refused
with 429 and Retry-After, the seconds until the next minute starts. The default cache is each
process's own memory, so with several worker processes a client may make the limit's calls in
each; a deployment with several workers should configure a shared cache (``CACHES``).
"""

from __future__ import annotations

import math
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from needlechart.api.problems import RATE_LIMITED, ProblemError

WINDOW_SECONDS = 60


def count_call(client_id: uuid.UUID, *, now: float | None = None) -> None:
    """Count one call of the client; raise the 429 problem when it is over the limit."""
    now = time.time() if now is None else now
    window_start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
    key = f"needlechart:api-calls:{client_id}:{window_start}"
    cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        calls = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS + 5)
        calls = 1
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    if calls > limit:
        wait = max(1, math.ceil(window_start + WINDOW_SECONDS - now))
        raise ProblemError(
            RATE_LIMITED,
            _("This client made more than %(limit)s calls this minute. Try again in %(seconds)s seconds.")
            % {"limit": limit, "seconds": wait},
            headers={"Retry-After": str(wait)},
        )
