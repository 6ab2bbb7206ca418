"""Batches through the API: photos × styles in one call, polled, downloaded as one streamed
ZIP with `<photo>-<style>.<ext>` names; the budget is charged per picture, all or nothing."""

import io
import json
import zipfile

from PIL import Image

from gallery.models import Batch, Photo, Stylization
from gallery.photos.services import photo_create
from tests.fixtures import image_file, set_rates, upload


def _photos(user, *names):
    return [photo_create(owner=user, upload=upload(name=n, size=(96 + 8 * i, 64), seed=i),
                                  original_name=n) for i, n in enumerate(names)]


def test_three_photos_in_two_styles_then_one_zip(api, alice, catalog_style, second_style,
                                                  django_capture_on_commit_callbacks):
    photos = _photos(alice, "Lake.jpg", "Street Market.jpg", "dog.jpg")
    body = {"photos": [str(p.pk) for p in photos],
            "styles": [str(catalog_style.pk), str(second_style.pk)],
            "strength": 0.8, "max_side": 256}
    with django_capture_on_commit_callbacks(execute=True):  # rendered inline, one by one
        r = api(alice).post("/api/v1/batches/", body, format="json")
    assert r.status_code == 202, r.json()
    batch = r.json()
    assert batch["total"] == 6 and len(batch["pictures"]) == 6
    got = api(alice).get(f"/api/v1/batches/{batch['id']}/").json()
    assert (got["status"], got["done"], got["failed"]) == ("done", 6, 0)
    assert all(p["download_url"] for p in got["pictures"])
    assert {p.strength for p in Stylization.objects.filter(batch_id=batch["id"])} == {0.8}

    z = api(alice).get(f"/api/v1/batches/{batch['id']}/zip/", {"format": "png"})
    assert z.status_code == 200 and z["Content-Type"] == "application/zip"
    assert z.streaming and "attachment" in z["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(z.streaming_content)))
    assert sorted(archive.namelist()) == [
        "dog-blue-dabs.png", "dog-red-strokes.png", "lake-blue-dabs.png", "lake-red-strokes.png",
        "street-market-blue-dabs.png", "street-market-red-strokes.png"]
    lake = Image.open(io.BytesIO(archive.read("lake-red-strokes.png")))
    assert lake.format == "PNG" and lake.size == (96, 64)
    jpeg = api(alice).get(f"/api/v1/batches/{batch['id']}/zip/", {"format": "jpeg"})
    names = zipfile.ZipFile(io.BytesIO(b"".join(jpeg.streaming_content))).namelist()
    assert len(names) == 6 and all(n.endswith(".jpg") for n in names)


def test_a_multipart_batch_uploads_its_photos(api, alice, catalog_style,
                                              django_capture_on_commit_callbacks):
    files = [image_file("a.jpg", seed=1), image_file("b.png", fmt="PNG", seed=2)]
    with django_capture_on_commit_callbacks(execute=False):
        r = api(alice).post("/api/v1/batches/", {"photo_files": files,
                                                  "styles": json.dumps([str(catalog_style.pk)])},
                            format="multipart")
    assert r.status_code == 202, r.json()
    assert r.json()["total"] == 2 and r.json()["status"] == "queued"
    assert Photo.objects.filter(owner=alice).count() == 2


def test_too_many_pictures_or_a_missing_id_is_refused_whole(api, alice, catalog_style, settings):
    settings.NST_BATCH_MAX = 4
    photos = _photos(alice, "a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg")
    r = api(alice).post("/api/v1/batches/", {"photos": [str(p.pk) for p in photos],
                                             "styles": [str(catalog_style.pk)]}, format="json")
    assert r.status_code == 400
    assert "at most 4 pictures; 5 photos × 1 style would make 5" in r.json()["detail"]
    r = api(alice).post("/api/v1/batches/", {"photos": [str(photos[0].pk)],
                                             "styles": ["00000000-0000-0000-0000-000000000000"]},
                        format="json")
    assert r.status_code == 400 and "Style not found" in r.json()["errors"]["styles"][0]
    assert not Batch.objects.exists() and not Stylization.objects.exists()


def test_the_budget_is_charged_per_picture_all_or_nothing(api, alice, catalog_style,
                                                          second_style, settings,
                                                          django_capture_on_commit_callbacks):
    set_rates(settings, renders="5/hour")
    photos = _photos(alice, "a.jpg", "b.jpg", "c.jpg")
    both = [str(catalog_style.pk), str(second_style.pk)]
    r = api(alice).post("/api/v1/batches/", {"photos": [str(p.pk) for p in photos],
                                             "styles": both}, format="json")
    assert r.status_code == 429 and "needs 6 renders and 5 of your 5 are left" in r.json()["detail"]
    assert not Stylization.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        r = api(alice).post("/api/v1/batches/", {"photos": [str(p.pk) for p in photos[:2]],
                                                 "styles": both}, format="json")
    assert r.status_code == 202 and r["RateLimit-Remaining"] == "1"
    assert api(alice).get("/api/v1/me/").json()["budgets"]["renders"]["used"] == 4


def test_another_user_sees_no_batch(api, alice, bob, catalog_style,
                                    django_capture_on_commit_callbacks):
    photos = _photos(alice, "a.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        batch = api(alice).post("/api/v1/batches/", {"photos": [str(photos[0].pk)],
                                                     "styles": [str(catalog_style.pk)]},
                                format="json").json()
    for path in (f"/api/v1/batches/{batch['id']}/", f"/api/v1/batches/{batch['id']}/zip/"):
        assert api(bob).get(path).status_code == 404
        assert api(None).get(path).status_code == 401
    assert api(bob).get("/api/v1/batches/").json()["count"] == 0


def test_failed_pictures_are_shown_and_retried(api, alice, catalog_style,
                                               django_capture_on_commit_callbacks):
    from tests.storage import overwrite

    good, bad = _photos(alice, "good.jpg", "bad.jpg")
    original = bytes(bad.image.open("rb").read())
    overwrite(bad.image, b"no longer an image")  # say, a damaged disk
    with django_capture_on_commit_callbacks(execute=True):
        batch = api(alice).post("/api/v1/batches/", {"photos": [str(good.pk), str(bad.pk)],
                                                     "styles": [str(catalog_style.pk)]},
                                format="json").json()
    got = api(alice).get(f"/api/v1/batches/{batch['id']}/").json()
    assert (got["status"], got["done"], got["failed"]) == ("failed", 1, 1)
    failed = next(p for p in got["pictures"] if p["status"] == "failed")
    assert failed["error"] and failed["download_url"] is None
    overwrite(bad.image, original)
    with django_capture_on_commit_callbacks(execute=True):
        r = api(alice).post(f"/api/v1/batches/{batch['id']}/retry/")
    assert r.status_code == 202
    got = api(alice).get(f"/api/v1/batches/{batch['id']}/").json()
    assert (got["status"], got["done"]) == ("done", 2)
    assert api(alice).post(f"/api/v1/batches/{batch['id']}/retry/").status_code == 409
