"""/api/docs/ renders Swagger UI in Debian's Chromium with every asset served by the site
(the guard fails the test on any request that leaves it, and on any CSP violation)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_loads_without_leaving_the_site(new_page):
    page, _ = new_page()
    schema = []
    page.on("request", lambda r: schema.append(r.url) if "/api/schema/" in r.url else None)
    page.goto("/api/docs/")
    block = page.locator(".opblock").filter(has_text="/api/v1/stylizations/").first
    block.wait_for(state="visible", timeout=15_000)
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("nstsite API")
    assert schema, "the schema was not loaded from the site"
    assert page.locator(".opblock").filter(has_text="/api/v1/me/").count() == 1
