"""Test settings: the real ones, pointed at Redis databases of their own."""

import os

# Tests never share Redis databases with a running `make run`.
os.environ["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/10")

from aidtrack.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
