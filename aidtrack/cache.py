from django.conf import settings
from django.core.cache.backends.redis import RedisCache


class ExpiringRedisCache(RedisCache):
    """Django's Redis cache, except that no key is ever stored without an expiry.

    The broker shares the Redis server. Under maxmemory-policy volatile-lru Redis only
    evicts keys that expire, so cache keys must all expire and the broker's queues,
    which never do, are safe. A caller asking for "forever" gets CACHE_MAX_TIMEOUT.
    """

    def get_backend_timeout(self, timeout=...):
        backend_timeout = super().get_backend_timeout(timeout)
        if backend_timeout is None:
            return settings.CACHE_MAX_TIMEOUT
        return backend_timeout
