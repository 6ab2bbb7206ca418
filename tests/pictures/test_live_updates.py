"""The result page updates by itself while a real worker process renders (no reload)."""

import pytest

from tests.browser.kit import sign_up, stylize_new_photo, wait_until
from tests.jobs.qcluster import real_queue, start_qcluster  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_result_page_swaps_in_the_picture_when_the_worker_is_done(
    new_page, catalog_style, real_queue, start_qcluster, tmp_path, artifacts  # noqa: F811
):
    page, _ = new_page()
    sign_up(page, "waiter")
    stylize_new_photo(page, tmp_path, "street.jpg", (640, 480), seed=8)

    # No worker runs yet, so the page shows the waiting state...
    page.wait_for_timeout(1500)  # several polls
    assert page.locator("#pending").is_visible()
    assert page.locator("[data-status-badge]").inner_text() == "Queued"
    assert page.locator("#queue-note").inner_text() == "Next in line"  # no job ahead of it
    assert not page.locator("#render-time").is_visible()  # nothing to say yet
    page.screenshot(path=artifacts / "result-pending.png")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    start_qcluster()  # a real worker process picks the job up

    # ...then swaps in the picture by itself.
    page.wait_for_selector("#result-img", state="visible", timeout=60_000)
    assert page.evaluate("window.__sameDocument") is True
    assert page.locator("[data-status-badge]").inner_text() == "Done"
    assert not page.locator("#download-png").get_attribute("class").count("disabled")
    assert page.locator("#dimensions").inner_text() == "640 × 480 px"
    wait_until(page, "document.getElementById('result-img').naturalWidth === 640")
    # "How it was made" is complete without a reload: render time and model too.
    assert page.locator("#render-time").inner_text().endswith(" ms")
    assert "magenta-arbitrary-v1" in page.locator("#model").inner_text()
    assert page.locator("#render-time-label").is_visible()


def test_the_result_page_stops_polling_when_the_picture_is_gone(
    new_page, catalog_style, real_queue, tmp_path  # noqa: F811
):
    from gallery.models import Stylization

    page, guard = new_page()
    sign_up(page, "leaver")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if r.url.endswith("/status") else None)
    stylize_new_photo(page, tmp_path, "gone.jpg", (320, 240), seed=3)  # no worker: queued
    work = Stylization.objects.get()
    guard.expect_status(404, f"/w/{work.pk}/status")
    work.delete()  # say, deleted from another tab
    page.wait_for_selector("#poll-error", state="visible", timeout=15_000)
    assert "no longer exists" in page.locator("#poll-error-message").inner_text()
    assert not page.locator("#pending").is_visible()
    seen = len(requests)
    page.wait_for_timeout(6000)  # longer than the longest poll interval
    assert len(requests) == seen  # it stopped asking
