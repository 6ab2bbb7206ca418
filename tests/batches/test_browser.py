"""A batch in real Chromium: three photos dropped onto the create page, two styles, one batch
of six pictures, the batch page, the ZIP — with screenshots of both pages."""

import base64
import io
import zipfile

import pytest

from tests.browser.kit import sign_up, wait_until
from tests.imagegen import encoded, painting, photo
from tests.jobs.qcluster import real_queue, start_qcluster  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DROP = """([files]) => {
  const dt = new DataTransfer();
  for (const [name, b64] of files) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    dt.items.add(new File([bytes], name, {type: "image/jpeg"}));
  }
  return dt;
}"""


def test_three_dropped_photos_in_two_styles(new_page, catalog_style, artifacts):
    from gallery.models import Batch
    from gallery.styles.services import style_create

    style_create(owner=None, upload=encoded(painting(seed=2)), name="Blue Dabs")
    page, _ = new_page()
    sign_up(page, "batcher")
    page.get_by_role("link", name="A batch").click()
    page.wait_for_url("**/create/batch/")

    files = [[name, base64.b64encode(encoded(photo(320, 240, seed=n), "JPEG")).decode()]
             for n, name in enumerate(("lake.jpg", "street.jpg", "dog.jpg"))]
    transfer = page.evaluate_handle(DROP, [files])
    page.dispatch_event("#drop-zone", "dragenter", {"dataTransfer": transfer})
    assert "drop-active" in page.locator("#drop-zone").get_attribute("class")
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": transfer})
    assert page.locator("#file-list li").count() == 3
    assert page.locator("input[name=photo_files]").evaluate("i => i.files.length") == 3
    for name in ("Red Strokes", "Blue Dabs"):
        page.locator("label.pick", has_text=name).click()
    assert page.locator("#picture-count").inner_text() == "6"
    page.screenshot(path=artifacts / "batch-create.png", full_page=True)

    page.locator("#submit-btn").click()
    page.wait_for_url("**/batches/**")
    batch = Batch.objects.get()
    assert batch.total == 6
    wait_until(page, "document.querySelectorAll('.batch-cell img').length === 6",
                           timeout=60_000)
    wait_until(page, "[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator("#batch-done").inner_text() == "6"
    page.screenshot(path=artifacts / "batch.png", full_page=True)

    with page.expect_download() as download:
        page.locator("#zip-png").click()
    names = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())).namelist()
    assert sorted(names) == ["dog-blue-dabs.png", "dog-red-strokes.png", "lake-blue-dabs.png",
                             "lake-red-strokes.png", "street-blue-dabs.png",
                             "street-red-strokes.png"]


def test_a_refused_batch_comes_back_with_its_message(new_page, catalog_style, settings):
    settings.NST_BATCH_MAX = 1
    page, guard = new_page()
    sign_up(page, "greedy")
    page.goto("/create/batch/")
    files = [[f"p{n}.jpg", base64.b64encode(encoded(photo(96, 64, seed=n), "JPEG")).decode()]
             for n in range(2)]
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": page.evaluate_handle(DROP, [files])})
    page.locator("label.pick", has_text="Red Strokes").click()
    guard.expect_status(400, "/create/batch/")
    page.locator("#submit-btn").click()
    page.wait_for_selector("[data-error=styles]")
    assert "at most 1 picture; 2 photos × 1 style would make 2" in page.locator(
        "[data-error=styles]").inner_text()
    assert page.url.endswith("/create/batch/")


def test_the_batch_grid_fills_in_while_a_real_worker_renders(new_page, catalog_style, tmp_path,
                                                             real_queue, start_qcluster):  # noqa: F811
    page, _ = new_page()
    sign_up(page, "watcher")
    page.goto("/create/batch/")
    files = [[f"p{n}.jpg", base64.b64encode(encoded(photo(160, 120, seed=n), "JPEG")).decode()]
             for n in range(3)]
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": page.evaluate_handle(DROP, [files])})
    page.locator("label.pick", has_text="Red Strokes").click()
    page.locator("#submit-btn").click()
    page.wait_for_url("**/batches/**")
    assert page.locator("#batch-done").inner_text() == "0"  # queued: no worker yet
    assert page.locator(".batch-cell .spinner-border").count() == 3
    page.evaluate("window.__sameDocument = true")
    start_qcluster()
    wait_until(page, "document.querySelectorAll('.batch-cell img').length === 3",
                           timeout=90_000)
    assert page.evaluate("window.__sameDocument") is True  # filled in without a reload
    assert page.locator("#batch-done").inner_text() == "3"
    assert "disabled" not in page.locator("#zip-png").get_attribute("class")
