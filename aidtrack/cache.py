from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, keeping one redis-py client per connection pool.

    Django makes a new redis-py client for every cache call, and a new client sets up a table of
    some 170 reply handlers first: more time than the GET itself on a local Redis, several times a
    page. A redis-py client is safe to share between threads (each command takes a connection from
    the pool), and its pool reconnects after a fork, so one per pool serves the process."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class ExpiringRedisCache(RedisCache):
    """Django's Redis cache, except that no key is ever stored without an expiry.

    The broker shares the Redis server. Under maxmemory-policy volatile-lru Redis only
    evicts keys that expire, so cache keys must all expire and the broker's queues,
    which never do, are safe. A caller asking for "forever" gets CACHE_MAX_TIMEOUT.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    def get_backend_timeout(self, timeout=...):
        backend_timeout = super().get_backend_timeout(timeout)
        if backend_timeout is None:
            return settings.CACHE_MAX_TIMEOUT
        return backend_timeout
