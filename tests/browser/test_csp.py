"""Every page is served with a Content-Security-Policy that forbids inline scripts and styles,
and real Chromium reports no violation on any of them: the pages, the admin, Swagger UI and
the error pages. (Every other browser test fails on a violation too: see conftest.Guard.)"""

import pytest

from tests.browser.kit import sign_up, stylize_new_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _policy(response) -> dict[str, str]:
    header = response.headers["content-security-policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def _visit(page, path: str, status: int = 200):
    response = page.goto(path)
    assert response.status == status, path
    page.wait_for_load_state("networkidle")
    policy = _policy(response)
    assert policy["script-src"] == "script-src 'self'", path
    assert policy["style-src"] == "style-src 'self'", path
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    return response


def test_no_page_reports_a_csp_violation(new_page, catalog_style, tmp_path, artifacts):
    from django.contrib.auth import get_user_model

    from gallery.models import Stylization

    page, guard = new_page()
    for path in ("/", "/explore/", "/styles/", "/accounts/login/", "/accounts/signup/",
                 "/api/docs/"):
        _visit(page, path)
    page.locator(".swagger-ui .info .title").wait_for(timeout=15_000)  # its script ran
    guard.expect_status(404, "/no-such-page/")
    _visit(page, "/no-such-page/", 404)

    sign_up(page, "painter")
    stylize_new_photo(page, tmp_path, "lake.jpg", (320, 240), seed=2)
    page.wait_for_selector("#result-img", state="visible")
    work = Stylization.objects.get()
    # The before/after slider moves by setting a CSS variable from script (allowed), not by
    # an inline style attribute (which the policy would block).
    page.locator(".compare-range").fill("20")
    assert page.eval_on_selector("#compare", "e => e.style.getPropertyValue('--pos')") == "20%"
    for path in ("/create/", "/create/batch/", "/account/webhooks/", f"/w/{work.pk}/", "/me/",
                 "/me/photos/", "/my-styles/",
                 "/accounts/password_change/"):
        _visit(page, path)
    page.goto("/account/webhooks/")
    page.get_by_role("button", name="Make my secret").click()
    assert page.locator("#new-secret").inner_text().startswith("whsec_")
    page.screenshot(path=artifacts / "webhooks.png", full_page=True)
    page.goto(f"/w/{work.pk}/")
    page.get_by_role("button", name="Try every style").click()
    page.wait_for_url("**/try/**")
    page.wait_for_load_state("networkidle")

    get_user_model().objects.create_user("boss", password="pw-boss-123", is_staff=True,
                                         is_superuser=True)
    admin, admin_guard = new_page()
    _visit(admin, "/admin/login/")
    admin.fill("#id_username", "boss")
    admin.fill("#id_password", "pw-boss-123")
    admin.get_by_role("button", name="Log in").click()
    admin.wait_for_url("**/admin/")
    for path in ("/admin/", "/admin/gallery/style/", f"/admin/gallery/style/{catalog_style.pk}/change/",
                 "/admin/gallery/stylization/", "/admin/auth/user/"):
        _visit(admin, path)
    assert not guard.csp and not admin_guard.csp
