"""A published picture seen by someone else in Chromium: the share card's tags are in the
page, and "Make one like this" opens Create with the same style chosen (screenshots)."""

import pytest

from tests.browser.kit import sign_up, stylize_new_photo, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_makes_one_like_this(new_page, catalog_style, tmp_path, artifacts):
    from gallery.models import Stylization

    owner, _ = new_page()
    sign_up(owner, "painter")
    stylize_new_photo(owner, tmp_path, "harbour.jpg", (480, 320), seed=6)
    owner.wait_for_selector("#result-img", state="visible")
    owner.get_by_role("button", name="Publish to Explore").click()
    work = Stylization.objects.get()
    assert work.is_public

    visitor, _ = new_page()
    sign_up(visitor, "visitor")
    visitor.goto(f"/w/{work.pk}/")
    og = visitor.locator('meta[property="og:image"]').get_attribute("content")
    assert og.endswith(f"/w/{work.pk}/image") and og.startswith("http")
    wait_until(visitor, "[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    visitor.screenshot(path=artifacts / "share.png", full_page=True)
    visitor.get_by_role("link", name="Make one like this").click()
    visitor.wait_for_url("**/create/?**")
    assert visitor.locator(f"input[name=style][value='{catalog_style.pk}']").is_checked()
    assert visitor.locator("#strength-value").inner_text() == f"{round(work.strength * 100)}%"
