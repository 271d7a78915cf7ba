"""/api/docs/ in a real Chromium: Swagger UI from AidTrack's own static files, under the strict CSP."""

from urllib.parse import urlsplit

import pytest

from settlements.roles import COORDINATOR
from tests import factories
from tests.browser import log_in, screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_api_docs_render_from_our_own_files_under_the_content_security_policy(page, live_server, gazetteer):
    factories.user(role=COORDINATOR, username="docs-reader")
    refused, origins = [], set()
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.on("request", lambda request: origins.add("{0.scheme}://{0.netloc}".format(urlsplit(request.url))))
    log_in(page, live_server, "docs-reader", then="/api/docs/")

    title = page.locator(".swagger-ui .info .title")
    title.wait_for(timeout=30_000)
    page.locator(".opblock-tag").first.wait_for()  # the schema loaded and its operations are listed
    screenshot(page, "api-docs")

    assert "AidTrack API" in title.inner_text()
    assert refused == []
    assert origins == {live_server.url}
    policy = page.request.get(f"{live_server.url}/api/docs/").headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
