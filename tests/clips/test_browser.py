"""A clip in real Chromium: the upload's progress bar (upload slowed down so it shows),
the clip page, the player with the stylized MP4 (screenshots)."""

import pytest

from tests.browser.kit import sign_up, wait_until
from tests.imagegen import clip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_a_clip_with_progress_and_play_it(new_page, catalog_style, tmp_path, artifacts):
    from gallery.models import Video

    page, _ = new_page()
    sign_up(page, "filmer")
    page.get_by_role("link", name="A clip").click()
    page.wait_for_url("**/create/clip/")
    path = clip(tmp_path / "walk.mp4", size=(320, 192), frames=24, fps=12)
    page.set_input_files("input[name=video]", str(path))
    page.locator("label.pick", has_text="Red Strokes").click()
    page.select_option("select[name=max_side]", "360")
    cdp = page.context.new_cdp_session(page)  # a slow uplink, so the bar is seen moving
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 20, "downloadThroughput": -1,
        "uploadThroughput": max(4000, path.stat().st_size // 3)})
    page.locator("#submit-btn").click()
    page.locator("#upload-note", has_text="Uploading").wait_for()
    width = page.locator("#upload-bar").get_attribute("style").split(":")[1].strip(" ;")
    assert width.endswith("%") and 0 < float(width[:-1]) < 100
    page.screenshot(path=artifacts / "clip-upload.png", full_page=True)
    page.wait_for_url("**/clips/**", timeout=60_000)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                  "downloadThroughput": -1, "uploadThroughput": -1})
    clip_row = Video.objects.get()
    assert clip_row.status == "done", clip_row.error  # rendered inline by the test settings
    assert page.locator("#clip-video").get_attribute("src").endswith(f"/clips/{clip_row.pk}/video")
    # Debian's Chromium plays H.264: the stylized clip loads in the player.
    wait_until(page, "document.getElementById('clip-video').readyState >= 2",
                           timeout=15_000)
    assert page.eval_on_selector("#clip-video", "v => v.videoWidth") == 320  # never enlarged
    page.screenshot(path=artifacts / "clip.png", full_page=True)
    assert page.locator("#download-mp4").get_attribute("class").count("disabled") == 0
