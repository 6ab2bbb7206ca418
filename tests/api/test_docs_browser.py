"""/api/docs/ renders Swagger UI in Debian's Chromium with every asset served by the site."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_loads_without_leaving_the_site(live_server):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    host = urlsplit(live_server.url).netloc
    local, outside = [], []

    def route(r):
        url = r.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).netloc == host:
            local.append(url)
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", route)
            page.goto(f"{live_server.url}/api/docs/")
            block = page.locator(".opblock").filter(has_text="/api/v1/stylizations/").first
            block.wait_for(state="visible", timeout=15_000)
            assert page.locator(".swagger-ui .info .title").inner_text().startswith("nstsite API")
        finally:
            browser.close()
    assert not outside, f"requests left the site: {outside}"
    assert any("/api/schema/" in url for url in local)
