"""The styles page and the "Try every style" grid in real Chromium, with screenshots."""

import pytest

from tests.browser.kit import wait_until
from tests.browser.kit import sign_up, stylize_new_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalog(transactional_db, tmp_path):
    """Six real catalog styles (generated like the default catalog, smaller)."""
    from gallery.styles.services import catalog_load
    from stylize import catalog
    from stylize.backends import get_engine

    catalog.build(tmp_path / "styles", side=128, only=[0, 1, 3, 7, 13, 19])
    catalog_load(directory=tmp_path / "styles", engine=get_engine())


def test_styles_page_shows_the_catalog(new_page, catalog, artifacts):
    page, _ = new_page()
    page.goto("/styles/")
    cards = page.locator(".card")
    assert cards.count() == 6
    assert page.get_by_text("Starry Blue").is_visible()
    wait_until(page, "[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    page.screenshot(path=artifacts / "styles.png", full_page=True)
    page.get_by_role("link", name="Use this style").first.click()
    page.wait_for_url("**/accounts/login/**")  # creating needs an account


def test_try_every_style_fills_the_grid_and_a_click_renders_full_size(
    new_page, catalog, tmp_path, artifacts
):
    from gallery.models import Stylization

    page, _ = new_page()
    sign_up(page, "explorer")
    stylize_new_photo(page, tmp_path, "lake.jpg", (480, 360), seed=4)
    page.wait_for_selector("#result-img", state="visible")

    page.get_by_role("button", name="Try every style").click()
    page.wait_for_url("**/try/**")
    wait_until(page, "document.querySelectorAll('.explore-frame img').length === 6")
    wait_until(page, "[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    sizes = page.eval_on_selector_all(".explore-frame img",
                                      "els => els.map(e => [e.naturalWidth, e.naturalHeight])")
    assert sizes == [[320, 240]] * 6
    assert page.locator("#explore-count").inner_text() == "6"
    page.screenshot(path=artifacts / "explorer.png", full_page=True)

    page.locator(".explore-tile button", has_text="Starry Blue").click()
    page.wait_for_url("**/w/**")
    page.wait_for_selector("#result-img", state="visible")
    newest = Stylization.objects.order_by("-created").first()
    assert newest.style_names == "Starry Blue" and (newest.width, newest.height) == (480, 360)
