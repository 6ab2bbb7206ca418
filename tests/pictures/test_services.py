import io
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from PIL import Image

from gallery.errors import INTERNAL_ERROR, ServiceError
from gallery.explorations.services import exploration_create
from gallery.jobs import lifecycle
from gallery.jobs.kinds import kind_named
from gallery.models import Photo, Style, Stylization, WorkerHeartbeat
from gallery.photos.services import THUMB_SIDE, photo_create, photo_delete
from gallery.pictures import render
from gallery.pictures.services import (
    stylization_create,
    stylization_delete,
    stylization_retry,
    stylization_set_public,
)
from gallery.styles.services import style_vector
from stylize.backends import get_engine
from stylize.engine import Controls
from tests.fixtures import upload
from tests.imagegen import encoded, photo
from tests.storage import exists, overwrite, picture, read, stored_files

RENDER = kind_named("render")


def _render(work) -> str:
    return lifecycle.run(RENDER, work.pk, "test-worker")


def _files():
    return sorted(stored_files())


def test_upload_is_reencoded_without_metadata_under_a_uuid_name(alice):
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}
    exif[0x010F] = "SecretCam"
    data = encoded(photo(200, 100), "JPEG", exif=exif.tobytes(), comment=b"private note")
    p = photo_create(owner=alice, upload=data, original_name="../../My Trip.JPG")
    stored = read(p.image)
    assert b"SecretCam" not in stored and b"private note" not in stored
    assert p.original_name == "My Trip.JPG" and "My Trip" not in p.image.name
    assert (p.width, p.height) == (200, 100) and len(p.sha256) == 64
    big = photo_create(owner=alice, upload=encoded(photo(1600, 900), "PNG"))
    assert picture(big.thumbnail).size == (480, 270)  # pages never load the original
    assert Image.open(io.BytesIO(stored)).getexif() == {}


def test_the_whole_render_produces_a_picture_of_the_expected_size(done_work):
    assert done_work.status == "done" and done_work.error == ""
    out = picture(done_work.output)
    assert out.size == (128, 96) == (done_work.width, done_work.height)
    assert max(picture(done_work.thumbnail).size) <= THUMB_SIDE
    assert done_work.render_ms is not None and done_work.attempts == 1
    assert "magenta" in done_work.engine
    assert done_work.started <= done_work.finished
    assert not [n for n in stored_files() if n.endswith(".part")]  # no temporary file left


def test_rendering_again_a_done_row_does_nothing(done_work):
    before = (done_work.output.name, done_work.finished, done_work.attempts)
    assert _render(done_work) == ""
    done_work.refresh_from_db()
    assert (done_work.output.name, done_work.finished, done_work.attempts) == before


def test_a_render_that_fails_stores_a_readable_message(alice, catalog_style, make_work):
    work = make_work(alice, catalog_style, render=False)
    overwrite(work.photo.image, b"this is no longer an image")
    assert _render(work) == "failed"
    work.refresh_from_db()
    assert work.status == "failed"
    assert "not an image we can read" in work.error and "Traceback" not in work.error


def test_an_unexpected_error_is_logged_but_the_user_sees_a_plain_message(
    alice, catalog_style, make_work, monkeypatch
):
    work = make_work(alice, catalog_style, render=False)
    monkeypatch.setattr(render, "configured_engine", lambda: 1 / 0)
    _render(work)
    work.refresh_from_db()
    assert work.status == "failed" and work.error == INTERNAL_ERROR
    assert stored_files("results") == set()


def test_retry_requeues_a_failed_render_and_it_then_succeeds(
    alice, catalog_style, make_work, django_capture_on_commit_callbacks
):
    work = make_work(alice, catalog_style, render=False)
    Stylization.objects.filter(pk=work.pk).update(status="failed", error="boom")
    work.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        stylization_retry(stylization=work)
    work.refresh_from_db()
    assert work.status == "done" and work.error == ""
    with pytest.raises(ServiceError, match="Only a failed"):
        stylization_retry(stylization=work)


def test_catalog_style_vectors_are_cached_and_the_predictor_is_not_run_again(
    catalog_style, monkeypatch
):
    engine = get_engine()
    first = style_vector(catalog_style, engine=engine, brush_scale=256)
    catalog_style.refresh_from_db()
    assert "256" in catalog_style.vectors

    def must_not_run(*a, **k):
        raise AssertionError("the predictor ran for a cached style")

    monkeypatch.setattr(engine, "style_vector", must_not_run)
    again = style_vector(Style.objects.get(pk=catalog_style.pk), engine=engine, brush_scale=256)
    np.testing.assert_allclose(first, again, atol=1e-6)


def test_a_style_vector_is_recomputed_when_the_image_changes(catalog_style):
    engine = get_engine()
    old = style_vector(catalog_style, engine=engine, brush_scale=256)
    overwrite(catalog_style.image, encoded(photo(256, 256, seed=9), "JPEG"))
    new = style_vector(catalog_style, engine=engine, brush_scale=256)
    assert np.linalg.norm(old - new) > 0.1


def test_creating_with_someone_elses_photo_or_private_style_is_refused(alice, bob, catalog_style):
    photo_of_bob = photo_create(owner=bob, upload=upload())
    with pytest.raises(ServiceError, match="photo was not found"):
        stylization_create(owner=alice, photo=photo_of_bob, styles=[(catalog_style, 1)])
    from gallery.styles.services import style_create

    bobs_style = style_create(owner=bob, upload=encoded(photo(64, 64)), name="Bob's")
    with pytest.raises(ServiceError, match="style was not found"):
        stylization_create(owner=alice, upload=upload(), styles=[(bobs_style, 1)])
    assert Stylization.objects.count() == 0 and Photo.objects.filter(owner=alice).count() == 0


def test_bad_options_create_nothing(alice, catalog_style):
    before = _files()
    with pytest.raises(ServiceError, match="Strength"):
        stylization_create(owner=alice, upload=upload(), styles=[(catalog_style, 1)],
                                    controls=Controls(strength=2))
    with pytest.raises(ServiceError, match="not an image"):
        stylization_create(owner=alice, upload=b"nope", styles=[(catalog_style, 1)])
    assert Stylization.objects.count() == 0 and Photo.objects.count() == 0
    assert _files() == before


def test_deleting_a_stylization_removes_its_files(done_work, django_capture_on_commit_callbacks):
    names = [done_work.output.name, done_work.thumbnail.name]
    assert all(exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        stylization_delete(stylization=done_work)
    assert not any(exists(n) for n in names)
    assert exists(done_work.photo.image)  # the photo stays


def test_deleting_a_photo_cascades_to_its_stylizations_and_all_files(
    done_work, django_capture_on_commit_callbacks
):
    files = [f.name for f in (done_work.output, done_work.thumbnail, done_work.photo.image,
                              done_work.photo.thumbnail)]
    with django_capture_on_commit_callbacks(execute=True):
        photo_delete(photo=done_work.photo)
    assert not Stylization.objects.filter(pk=done_work.pk).exists()
    assert not any(exists(n) for n in files)


def test_only_finished_work_can_be_published(alice, catalog_style, make_work, done_work):
    queued = make_work(alice, catalog_style, render=False)
    with pytest.raises(ServiceError, match="finished"):
        stylization_set_public(stylization=queued, is_public=True)
    stylization_set_public(stylization=done_work, is_public=True)
    assert Stylization.objects.get(pk=done_work.pk).is_public


def test_the_reaper_requeues_the_jobs_of_dead_workers_and_gives_up_after_three_attempts(
    alice, catalog_style, make_work, django_capture_on_commit_callbacks
):
    from gallery.jobs import reaper

    now = timezone.now()
    WorkerHeartbeat.objects.create(name="h:1:alive", seen=now)
    WorkerHeartbeat.objects.create(name="h:2:dead", seen=now - timedelta(seconds=11))
    orphan = make_work(alice, catalog_style, render=False)
    Stylization.objects.filter(pk=orphan.pk).update(status="running", worker="h:2:dead",
                                                    started=now, attempts=1)
    hopeless = make_work(alice, catalog_style, render=False)
    Stylization.objects.filter(pk=hopeless.pk).update(status="running", worker="h:2:dead",
                                                      started=now, attempts=3)
    busy = make_work(alice, catalog_style, render=False)  # its worker beats: left alone
    Stylization.objects.filter(pk=busy.pk).update(status="running", worker="h:1:alive",
                                                  started=now - timedelta(hours=2), attempts=1)
    unknown = make_work(alice, catalog_style, render=False)  # a worker with no heartbeat row
    Stylization.objects.filter(pk=unknown.pk).update(status="running", worker="h:3:gone",
                                                     started=now, attempts=1)
    fresh = make_work(alice, catalog_style, render=False)  # just queued: left alone

    assert reaper.reap() == 3
    states = {w.pk: (w.status, w.attempts, w.worker) for w in Stylization.objects.all()}
    assert states[orphan.pk] == ("queued", 1, "")  # runs again: its attempt counted
    assert states[unknown.pk] == ("queued", 1, "")
    assert states[busy.pk] == ("running", 1, "h:1:alive")
    assert states[fresh.pk][0] == "queued"
    hopeless.refresh_from_db()
    assert hopeless.status == "failed" and "several attempts" in hopeless.error


def test_the_housekeeping_backstop_requeues_and_renders_a_stuck_exploration(
        alice, catalog_style, django_capture_on_commit_callbacks):
    from gallery import tasks
    from gallery.models import Exploration

    photo = photo_create(owner=alice, upload=upload())
    with django_capture_on_commit_callbacks(execute=False):
        exploration = exploration_create(owner=alice, photo=photo)
    Exploration.objects.filter(pk=exploration.pk).update(
        status="running", worker="h:9:long-gone", started=timezone.now(), attempts=1)
    assert tasks.housekeeping() == 1  # sync mode: the kick renders it inline
    exploration.refresh_from_db()
    assert exploration.status == "done" and exploration.previews.count() == 1
    assert exploration.attempts == 2 and exploration.worker != "h:9:long-gone"


def test_a_duplicate_delivery_of_a_running_render_does_nothing(alice, catalog_style, make_work):
    work = make_work(alice, catalog_style, render=False)
    Stylization.objects.filter(pk=work.pk).update(status="running", attempts=1)
    assert _render(work) == ""
    work.refresh_from_db()
    assert work.status == "running" and work.attempts == 1 and not work.output
