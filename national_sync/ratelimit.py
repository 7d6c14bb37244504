"""A rate limit on records sent upstream, shared by every worker through Redis (fixed one-second window).

NATIONAL_SYNC_RATE_LIMIT records per second; 0 switches it off. Without a reachable Redis the limit is not
enforced rather than stopping delivery.
"""

from __future__ import annotations

import logging
import time

import redis
from django.conf import settings

from . import conf

log = logging.getLogger(__name__)
_redis = None


def _client():
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _redis


def acquire(n: int, *, limit: int | None = None, sleep=time.sleep, clock=time.time) -> float:
    """Block until ``n`` records fit in the current second's budget; return the seconds waited."""
    limit = conf.get("NATIONAL_SYNC_RATE_LIMIT") if limit is None else limit
    if limit <= 0:
        return 0.0
    waited = 0.0
    n = min(n, limit)  # a batch larger than the limit still passes, one window at a time
    while True:
        now = clock()
        window = int(now)
        key = f"national_sync:rate:{window}"
        try:
            pipe = _client().pipeline()
            pipe.incrby(key, n)
            pipe.expire(key, 5)
            used = pipe.execute()[0]
        except Exception as exc:  # the limit protects upstream; it must not stop delivery
            log.warning("rate limit not enforced: %s", exc)
            return waited
        if used <= limit:
            return waited
        pause = window + 1 - now
        sleep(pause)
        waited += pause
