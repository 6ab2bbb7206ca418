"""End to end in real Chromium: sign up, upload, pick a style, stylize, compare, download."""

import io
import re

import pytest
from PIL import Image

from tests.browser.kit import MOBILE, sign_up, wait_until
from tests.imagegen import photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_signup_create_compare_download(new_page, catalog_style, tmp_path, artifacts):
    from gallery.models import Stylization

    page, guard = new_page()
    page.goto("/")
    page.screenshot(path=artifacts / "home.png", full_page=True)

    sign_up(page, "painter")
    assert page.get_by_role("heading", name="Create a picture").is_visible()
    assert page.locator(".alert-success").inner_text().startswith("Welcome, painter!")

    # 1. photo: a file the test makes itself; the page shows a preview of it.
    jpg = tmp_path / "holiday.jpg"
    photo(320, 240, seed=3).save(jpg, "JPEG", quality=92)
    page.set_input_files("input[name=photo_file]", str(jpg))
    wait_until(
        page, "() => { const i = document.getElementById('upload-preview');"
        " return !i.classList.contains('d-none') && i.complete && i.naturalWidth === 320; }")

    # 2. style: the radio is a visually hidden btn-check; the thumbnail label is what one clicks.
    radio = page.locator(f"input[name=style][value='{catalog_style.pk}']")
    assert not radio.is_checked()
    page.locator(f"label.pick[for='{radio.get_attribute('id')}']").click()
    assert radio.is_checked()

    # 3. strength: keyboard on the range input; the live value follows.
    slider = page.locator("input[name=strength]")
    slider.focus()
    for _ in range(6):
        slider.press("ArrowLeft")
    assert slider.input_value() == "0.7"
    assert page.locator("#strength-value").inner_text() == "70%"

    page.screenshot(path=artifacts / "create.png", full_page=True)

    # Django-q runs inline in the tests, so the POST returns after the render is done.
    page.get_by_role("button", name="Stylize").click()
    page.wait_for_url(re.compile(r"/w/[0-9a-f-]{36}/$"))
    work = Stylization.objects.get()
    assert work.owner.username == "painter"
    assert abs(work.strength - 0.7) < 1e-6

    result = page.locator("#result-img")
    result.wait_for(state="visible")
    wait_until(page,
        "() => { const a = document.getElementById('result-img'), b = document.getElementById('photo-img');"
        " return a.complete && a.naturalWidth > 0 && b.complete && b.naturalWidth > 0; }")
    assert page.evaluate("document.getElementById('result-img').naturalWidth") == 320
    assert page.locator("[data-status-badge]").inner_text().strip() == "Done"
    assert page.locator("#pending").is_hidden()
    assert "320 × 240 px" in page.locator("#dimensions").inner_text()
    assert "70%" in page.locator(".params").inner_text()

    # Before/after: the invisible range covers the picture; clicking / dragging moves --pos.
    compare = page.locator("#compare")
    pos = lambda: compare.evaluate("e => e.style.getPropertyValue('--pos').trim()")  # noqa: E731
    assert pos() == "50%"
    box = compare.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.5, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.2, y, steps=5)
    page.mouse.up()
    after_drag = int(pos().rstrip("%"))
    assert 15 <= after_drag <= 25, after_drag
    range_input = compare.locator(".compare-range")
    range_input.focus()
    range_input.press("End")
    assert pos() == "100%"
    range_input.fill("30")  # Playwright sets the value and fires input/change
    assert pos() == "30%"
    line_left = page.evaluate(
        "() => { const c = document.getElementById('compare').getBoundingClientRect();"
        " const l = document.querySelector('.compare-line').getBoundingClientRect();"
        " return (l.left - c.left) / c.width; }")
    assert abs(line_left - 0.3) < 0.02, line_left

    page.screenshot(path=artifacts / "result.png", full_page=True)

    # Download the PNG through the real button.
    with page.expect_download() as info:
        page.locator("#download-png").click()
    download = info.value
    assert download.failure() is None
    name = download.suggested_filename
    assert name.endswith(".png") and catalog_style.slug in name, name
    assert name == f"holiday-{catalog_style.slug}.png"
    saved = tmp_path / name
    download.save_as(saved)
    with Image.open(io.BytesIO(saved.read_bytes())) as img:
        assert img.format == "PNG"
        assert img.size == (320, 240)
        img.load()

    page.get_by_role("link", name="My gallery").click()
    page.wait_for_url("**/me/")
    page.locator(".work-card img").first.wait_for(state="visible")
    wait_until(page, "() => [...document.images].every((i) => i.complete)")
    page.screenshot(path=artifacts / "my-gallery.png", full_page=True)

    # The create page again, on a phone, with the photo from before picked.
    mobile, mobile_guard = new_page(MOBILE)
    mobile.context.add_cookies(page.context.cookies())
    mobile.goto("/create/")
    mobile.set_input_files("input[name=photo_file]", str(jpg))
    mobile.locator(".style-picker label.pick").first.click()
    assert mobile.locator("input[name=style]").first.is_checked()
    wait_until(mobile, "() => [...document.images].every((i) => i.complete)")
    mobile.screenshot(path=artifacts / "create-mobile.png", full_page=True)

    guard.check()
    mobile_guard.check()


def test_bad_upload_shows_error_and_creates_nothing(new_page, catalog_style, tmp_path, artifacts):
    from gallery.models import Photo, Stylization

    page, guard = new_page()
    sign_up(page, "prankster")

    fake = tmp_path / "notes.jpg"
    fake.write_text("This is not a picture, just some text.\n" * 20)
    page.set_input_files("input[name=photo_file]", str(fake))
    page.locator(".style-picker label.pick").first.click()
    guard.expect_status(415, "/create/")  # the form comes back with the API's status
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Stylize").click()
    assert navigation.value.status == 415
    assert page.url.endswith("/create/")
    error = page.locator("[data-error=photo_file]")
    error.wait_for(state="visible")
    text = error.inner_text().strip()
    print("upload error shown:", text)
    assert "image" in text.lower() or "picture" in text.lower(), text
    assert page.locator("input[name=photo_file]").get_attribute("class").split().count("is-invalid") == 1
    # The style choice survives the round trip; the button is usable again.
    assert page.locator(f"input[name=style][value='{catalog_style.pk}']").is_checked()
    assert page.get_by_role("button", name="Stylize").is_enabled()
    page.screenshot(path=artifacts / "create-error.png", full_page=True)
    assert Stylization.objects.count() == 0
    assert Photo.objects.count() == 0
    guard.check()
