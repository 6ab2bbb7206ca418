"""Clips whose headers lie, through the site: every decoded frame is checked against the
limits, a refused clip keeps nothing (no source, no output), and the budget of seconds counts
what was rendered, not what the header claimed. A clip the renderer would refuse for its
shape is refused at upload."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from gallery import budgets
from gallery.models import Video
from tests.fixtures import set_rates
from tests.imagegen import claim_duration, clip, giant_frame_clip
from tests.storage import stored_files


def _file(path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="video/x-matroska")


def _seconds_used(user) -> int:
    return budgets.user_budgets(user)["videos"].used


def _claiming(tmp_path, name, *, frames: int, seconds: float):
    """A 64×48 Matroska clip of ``frames`` at 4 fps whose header claims ``seconds``."""
    return claim_duration(clip(tmp_path / name, size=(64, 48), frames=frames, fps=4,
                               audio=False, container="matroska"), seconds)


def _post(client, style, path, **extra):
    return client.post("/api/v1/videos/", {"video": _file(path), "style": str(style.pk),
                                           "max_side": 64, **extra}, format="multipart")


def test_a_clip_claiming_1_s_that_holds_16_is_stopped_and_costs_1_s(
        tmp_path, api, alice, catalog_style, settings, django_capture_on_commit_callbacks):
    set_rates(settings, videos="30/hour")
    lying = _claiming(tmp_path, "long.mkv", frames=64, seconds=1.0)
    as_user = api(alice)
    with django_capture_on_commit_callbacks(execute=True):
        r = _post(as_user, catalog_style, lying)
    assert r.status_code == 202, r.json()
    got = as_user.get(f"/api/v1/videos/{r.json()['id']}/").json()
    assert got["status"] == "failed"
    assert got["error"] == ("The clip runs past 1.0 s, longer than its header says; it was "
                            "not rendered.")
    assert got["download_url"] is None
    assert stored_files("videos") == set() and stored_files("results") == set()
    assert not Video.objects.get().source
    assert _seconds_used(alice) == 1  # what the header claimed, and all that was rendered


def test_a_clip_claiming_more_than_it_holds_costs_what_was_rendered(
        tmp_path, api, alice, catalog_style, settings, django_capture_on_commit_callbacks):
    set_rates(settings, videos="30/hour")
    padded = _claiming(tmp_path, "short.mkv", frames=8, seconds=15.0)
    as_user = api(alice)
    with django_capture_on_commit_callbacks(execute=False):
        r = _post(as_user, catalog_style, padded)
    assert r.status_code == 202 and r["RateLimit-Remaining"] == "15"  # 15 s charged
    from gallery.tasks import run_next_job

    run_next_job("test")
    got = as_user.get(f"/api/v1/videos/{r.json()['id']}/").json()
    assert got["status"] == "done", got["error"]
    assert got["frames"] == 8 and abs(got["seconds"] - 2.0) < 0.01
    assert _seconds_used(alice) == 2  # the 13 s the header made up were given back


def test_a_giant_frame_behind_a_small_header_fails_the_clip_and_keeps_nothing(
        tmp_path, api, alice, catalog_style, django_capture_on_commit_callbacks):
    sneaky = giant_frame_clip(tmp_path / "sneaky.mkv")
    as_user = api(alice)
    with django_capture_on_commit_callbacks(execute=True):
        r = _post(as_user, catalog_style, sneaky, max_side=160)
    assert r.status_code == 202, r.json()
    got = as_user.get(f"/api/v1/videos/{r.json()['id']}/").json()
    assert got["status"] == "failed"
    assert got["error"].startswith("Frame 7 of the clip could not be decoded")
    assert stored_files("videos") == set() and stored_files("results") == set()


def test_a_clip_too_long_and_thin_to_render_is_refused_at_upload(
        tmp_path, api, alice, catalog_style, settings):
    set_rates(settings, videos="30/hour")
    thin = clip(tmp_path / "thin.mp4", size=(640, 32), frames=4, fps=4, audio=False)
    r = api(alice).post("/api/v1/videos/", {"video": _file(thin), "style": str(catalog_style.pk),
                                            "max_side": 640}, format="multipart")
    assert r.status_code == 400
    assert r.json()["errors"]["video"] == [
        "This clip is too long and thin (640 × 32 px): clips up to 16:1 can be stylized. "
        "Crop it and try again."]
    assert not Video.objects.exists() and stored_files("videos") == set()
    assert _seconds_used(alice) == 0


def test_a_clip_too_thin_at_its_output_size_is_refused_at_upload(
        tmp_path, api, alice, catalog_style):
    """15:1 is within the proportions, but at 64 px its frames would be 4 px high."""
    thin = clip(tmp_path / "strip.mp4", size=(480, 32), frames=4, fps=4, audio=False)
    r = api(alice).post("/api/v1/videos/", {"video": _file(thin), "style": str(catalog_style.pk),
                                            "max_side": 64}, format="multipart")
    assert r.status_code == 400, r.json()
    assert "choose a larger output size" in str(r.json())
    assert not Video.objects.exists()
