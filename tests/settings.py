"""Test settings: the real ones, pointed at Redis databases of their own."""

import os
import tempfile

# Local, like `make run` (production leaves DEBUG off); processes the tests start inherit it.
os.environ.setdefault("DEBUG", "1")
# Queued imports read only from the uploads folder: for the tests, where pytest keeps tmp_path.
os.environ.setdefault("IMPORT_UPLOAD_DIR", tempfile.gettempdir())
# Tests never share Redis databases with a running `make run`.
os.environ["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/10")

from aidtrack.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
