"""The batch pages: the form (several uploads and photos × styles), its refusals, the batch
page with per-cell failures and a retry, the ZIP, and nobody else's batches."""

import io
import zipfile

from django.test import Client
from django.urls import reverse

from gallery.models import Batch, Photo, Stylization
from gallery.photos.services import photo_create
from gallery.pictures.services import stylization_create
from tests.fixtures import client_for, set_rates, upload
from tests.storage import overwrite, stored_files


def _form(styles, files=(), photos=(), **extra):
    return {"photo_files": list(files), "photos": [p.pk for p in photos],
            "styles": [s.pk for s in styles], "strength": "1", "max_side": "512",
            "brush_scale": "256", **extra}


def test_uploads_and_chosen_photos_times_styles(client, alice, catalog_style, second_style,
                                                django_capture_on_commit_callbacks):
    mine = photo_create(owner=alice, upload=upload(seed=5), original_name="old.jpg")
    c = client_for(client, alice)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(reverse("batch-create"), _form(
            [catalog_style, second_style], files=[upload("a.jpg", seed=1), upload("b.jpg", seed=2)],
            photos=[mine]))
    batch = Batch.objects.get()
    assert r.status_code == 302 and r.url == batch.get_absolute_url()
    assert batch.total == 6 and batch.pictures.filter(status="done").count() == 6
    page = c.get(r.url).content.decode()
    assert "6</span> of 6 done" in page and page.count("batch-cell") == 6
    z = c.get(reverse("batch-zip", args=[batch.pk]), {"format": "webp"})
    names = zipfile.ZipFile(io.BytesIO(b"".join(z.streaming_content))).namelist()
    assert sorted(names) == ["a-blue-dabs.webp", "a-red-strokes.webp", "b-blue-dabs.webp",
                             "b-red-strokes.webp", "old-blue-dabs.webp", "old-red-strokes.webp"]


def test_refusals_come_back_with_the_form_and_save_nothing(client, alice, catalog_style,
                                                            settings):
    c = client_for(client, alice)
    r = c.post(reverse("batch-create"), _form([catalog_style]))
    assert r.status_code == 400 and "Upload photos or choose some of yours" in r.content.decode()
    r = c.post(reverse("batch-create"), _form([], files=[upload()]))
    assert r.status_code == 400 and "Choose at least one style" in r.content.decode()
    set_rates(settings, renders="3/hour")
    r = c.post(reverse("batch-create"), _form([catalog_style], files=[upload(seed=n) for n in range(4)]))
    assert r.status_code == 429
    assert "This batch needs 4 renders and 3 of your 3 are left this hour" in r.content.decode()
    r = c.post(reverse("batch-create"), _form([catalog_style], files=[upload(size=(20, 20))]))
    assert r.status_code == 400 and "too small" in r.content.decode()
    assert not Batch.objects.exists() and not Photo.objects.exists()
    assert stored_files("photos") == set()


def test_a_failed_cell_says_why_and_retry_renders_it(client, alice, catalog_style,
                                                      django_capture_on_commit_callbacks):
    good = photo_create(owner=alice, upload=upload(seed=1), original_name="good.jpg")
    bad = photo_create(owner=alice, upload=upload(seed=2), original_name="bad.jpg")
    original = bad.image.open("rb").read()
    overwrite(bad.image, b"no longer an image")
    c = client_for(client, alice)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(reverse("batch-create"), _form([catalog_style], photos=[good, bad]))
    batch = Batch.objects.get()
    status = c.get(reverse("batch-status", args=[batch.pk])).json()
    assert (status["status"], status["done"], status["failed"]) == ("failed", 1, 1)
    failed = next(p for p in status["pictures"] if p["status"] == "failed")
    assert failed["error"] and failed["thumbnail_url"] is None
    assert "Retry the failed ones" in c.get(r.url).content.decode()
    overwrite(bad.image, original)
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("batch-retry", args=[batch.pk]))
    assert batch.summary() == {"status": "done", "done": 2, "failed": 0, "total": 2,
                               "finished": True}


def test_nobody_else_sees_a_batch(client, alice, bob, catalog_style,
                                  django_capture_on_commit_callbacks):
    c = client_for(client, alice)
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("batch-create"), _form([catalog_style], files=[upload()]))
    batch = Batch.objects.get()
    other = client_for(Client(), bob)
    for name in ("batch-detail", "batch-status", "batch-zip"):
        assert other.get(reverse(name, args=[batch.pk])).status_code == 404
        assert Client().get(reverse(name, args=[batch.pk])).status_code == 302  # sign in first
    assert other.post(reverse("batch-retry", args=[batch.pk])).status_code == 404
    assert Stylization.objects.filter(batch=batch).count() == 1


def test_a_failed_cell_has_its_own_retry_that_returns_to_the_batch(
    client, alice, catalog_style, django_capture_on_commit_callbacks
):
    bad = photo_create(owner=alice, upload=upload(seed=2), original_name="bad.jpg")
    original = bad.image.open("rb").read()
    overwrite(bad.image, b"no longer an image")
    c = client_for(client, alice)
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("batch-create"), _form([catalog_style], photos=[bad]))
    batch = Batch.objects.get()
    work = batch.pictures.get()
    page = c.get(batch.get_absolute_url()).content.decode()
    assert f'action="/w/{work.pk}/retry"' in page and 'value="batch"' in page
    overwrite(bad.image, original)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(reverse("stylization-retry", args=[work.pk]), {"back": "batch"})
    assert r.status_code == 302 and r.url == batch.get_absolute_url()
    assert batch.pictures.get().status == "done"


def test_a_big_batch_does_not_starve_another_user(client, alice, bob, catalog_style,
                                                  second_style, real_queue):
    from gallery.jobs import fair_queue

    c = client_for(client, alice)
    c.post(reverse("batch-create"), _form([catalog_style, second_style],
                                          files=[upload(seed=n) for n in range(4)]))
    assert Batch.objects.get().pictures.filter(status="queued").count() == 8
    stylization_create(owner=bob, upload=upload(seed=9), styles=[(catalog_style, 1.0)])
    owners = []
    for n in range(3):
        job = fair_queue.claim_next(f"w{n}")
        owners.append(Stylization.objects.get(pk=job.pk).owner.username if job else None)
    # alice's first picture, then bob's (his turn), then alice's cap of 2 in flight is full
    assert owners == ["alice", "bob", "alice"]
    assert fair_queue.claim_next("w9") is None
