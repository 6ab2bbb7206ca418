import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from gallery.models import Photo, Stylization, WorkerHeartbeat
from gallery.photos.services import photo_create
from gallery.pictures.services import stylization_create, stylization_delete, stylization_set_public
from tests.fixtures import client_for, upload
from tests.storage import exists, stored_files

PRIVATE_WORK_URLS = [
    ("stylization-detail", ""),
    ("stylization-status", ""),
    ("stylization-image", ""),
    ("stylization-image", "?size=thumb"),
    ("stylization-image", "?which=photo"),
    ("stylization-download", "?format=png"),
    ("stylization-download", "?format=jpeg"),
    ("stylization-delete", ""),
]


@pytest.mark.parametrize("name, query", PRIVATE_WORK_URLS)
@pytest.mark.parametrize("who, expected", [("alice", 200), ("bob", 404), ("staff", 404),
                                           (None, "login")])
def test_private_work_urls_owner_other_staff_anonymous(
    client, done_work, bob, staff, name, query, who, expected
):
    user = {"alice": done_work.owner, "bob": bob, "staff": staff, None: None}[who]
    response = client_for(client, user).get(reverse(name, args=[done_work.pk]) + query)
    if expected == "login":
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("name", ["stylization-publish", "stylization-retry"])
@pytest.mark.parametrize("who, expected", [("bob", 404), (None, "login")])
def test_owner_actions_are_refused_to_others(client, done_work, bob, name, who, expected):
    response = client_for(client, bob if who else None).post(reverse(name, args=[done_work.pk]),
                                                             {"public": "1"})
    if expected == "login":
        assert response.status_code == 302 and reverse("login") in response.url
    else:
        assert response.status_code == 404
    assert not Stylization.objects.get(pk=done_work.pk).is_public


@pytest.mark.parametrize("name", ["photo-image", "photo-delete", "photo-thumb"])
@pytest.mark.parametrize("who, expected", [("alice", 200), ("bob", 404), ("staff", 404),
                                           (None, "login")])
def test_photo_urls_owner_other_staff_anonymous(client, done_work, bob, staff, name, who, expected):
    user = {"alice": done_work.owner, "bob": bob, "staff": staff, None: None}[who]
    query = "?size=thumb" if name == "photo-thumb" else ""
    name = "photo-image" if name == "photo-thumb" else name
    response = client_for(client, user).get(reverse(name, args=[done_work.photo.pk]) + query)
    if expected == "login":
        assert response.status_code == 302
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("name", ["create", "my-gallery", "password_change"])
def test_personal_pages_need_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and reverse("login") in response.url


@pytest.mark.parametrize("name", ["home", "explore", "style-list", "login", "signup"])
def test_public_pages_are_open(client, db, catalog_style, name):
    assert client.get(reverse(name)).status_code == 200


def test_published_work_is_visible_to_everyone_but_actions_stay_with_the_owner(
    client, done_work, bob
):
    stylization_set_public(stylization=done_work, is_public=True)
    for user in (None, bob):
        c = client_for(client, user)
        for name, query in PRIVATE_WORK_URLS[:-1]:  # all but delete
            expected = 404 if query == "?which=photo" else 200  # the original stays private
            assert c.get(reverse(name, args=[done_work.pk]) + query).status_code == expected
        assert c.get(reverse("stylization-delete", args=[done_work.pk])).status_code in (302, 404)
        page = c.get(done_work.get_absolute_url()).content.decode()
        assert "holiday" not in page and "which=photo" not in page  # nor its file name
        download = c.get(reverse("stylization-download", args=[done_work.pk]), {"format": "jpeg"})
        assert 'filename="picture-red-strokes.jpg"' in download["Content-Disposition"]
        c.logout()
    page = client.get(reverse("explore"))
    assert str(done_work.pk) in page.content.decode() and "holiday" not in page.content.decode()


def test_download_has_a_meaningful_name_and_decodes(client, done_work):
    c = client_for(client, done_work.owner)
    for fmt, ext, pil in [("png", "png", "PNG"), ("jpeg", "jpg", "JPEG"), ("webp", "webp", "WEBP")]:
        r = c.get(reverse("stylization-download", args=[done_work.pk]), {"format": fmt})
        assert r.status_code == 200
        assert f'filename="holiday-red-strokes.{ext}"' in r["Content-Disposition"]
        assert r["Content-Disposition"].startswith("attachment")
        img = Image.open(io.BytesIO(b"".join(r.streaming_content) if r.streaming else r.content))
        assert img.format == pil and img.size == (128, 96)
    bad = c.get(reverse("stylization-download", args=[done_work.pk]), {"format": "bmp"})
    assert bad.status_code == 400


def test_create_form_renders_and_submits_to_the_result_page(
    client, alice, catalog_style, django_capture_on_commit_callbacks
):
    c = client_for(client, alice)
    page = c.get(reverse("create"))
    assert page.status_code == 200 and "Red Strokes" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(reverse("create"), {
            "photo_file": upload(size=(300, 200)), "style": catalog_style.pk, "strength": "0.8",
            "max_side": "512", "brush_scale": "256", "preserve_color": "on",
        })
    work = Stylization.objects.get()
    assert r.status_code == 302 and r.url == work.get_absolute_url()
    assert (work.strength, work.preserve_color, work.max_side) == (0.8, True, 512)
    assert work.status == "done" and (work.width, work.height) == (300, 200)
    detail = c.get(r.url).content.decode()
    assert "80%" in detail and "Red Strokes" in detail


def test_restyle_uses_an_earlier_photo(client, done_work, second_style,
                                       django_capture_on_commit_callbacks):
    c = client_for(client, done_work.owner)
    page = c.get(reverse("create"), {"photo": done_work.photo.pk})
    assert f'value="{done_work.photo.pk}" checked' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("create"), {"photo": done_work.photo.pk, "style": second_style.pk,
                                   "strength": "1", "max_side": "512", "brush_scale": "256"})
    assert Photo.objects.count() == 1 and Stylization.objects.count() == 2


def _media_files():
    return stored_files()


@pytest.mark.parametrize(
    "data, field, message, status",
    [
        ({"photo_file": "text"}, "photo_file", "not an image we can read", 415),
        ({"photo_file": "tiny"}, "photo_file", "too small", 400),
        ({}, "photo_file", "Upload a photo or choose one of yours", 400),
        ({"style": "missing"}, "style", "Choose a style", 400),
        ({"strength": "7"}, "strength", "less than or equal to 1", 400),
        ({"max_side": "99999"}, "max_side", "Select a valid choice", 400),
    ],
)
def test_bad_input_on_the_create_form_shows_the_error_and_creates_nothing(
    client, alice, catalog_style, data, field, message, status
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = {"text": SimpleUploadedFile("notes.jpg", b"hello, I am text"),
             "tiny": upload(size=(20, 20))}
    post = {"photo_file": upload(), "style": catalog_style.pk, "strength": "1",
            "max_side": "1024", "brush_scale": "256"}
    post.update(data)
    if "photo_file" in data:
        post["photo_file"] = files.get(data["photo_file"])
    if not data:
        post.pop("photo_file")
    if data.get("style") == "missing":
        post.pop("style")
    before = _media_files()
    r = client_for(client, alice).post(reverse("create"), {k: v for k, v in post.items() if v})
    assert r.status_code == status  # the form comes back, with the status the API would give
    assert message in " ".join(str(e) for e in r.context["form"].errors.get(field, []))
    assert message in r.content.decode().replace("&#x27;", "'")
    assert Stylization.objects.count() == 0 and Photo.objects.count() == 0
    assert _media_files() == before


def test_another_users_private_style_cannot_be_used(client, alice, bob):
    from gallery.styles.services import style_create
    from tests.imagegen import encoded, painting

    mine = style_create(owner=bob, upload=encoded(painting()), name="Bob private")
    page = client_for(client, alice).get(reverse("create")).content.decode()
    assert "Bob private" not in page
    r = client.post(reverse("create"), {"photo_file": upload(), "style": mine.pk, "strength": "1",
                                        "max_side": "1024", "brush_scale": "256"})
    assert "That style is not available" in r.content.decode()
    assert client.get(reverse("style-image", args=[mine.pk])).status_code == 404


def test_status_endpoint_reports_every_state(client, alice, catalog_style, make_work):
    work = make_work(alice, catalog_style, render=False)
    c = client_for(client, alice)
    url = reverse("stylization-status", args=[work.pk])
    assert c.get(url).json()["status"] == "queued"
    Stylization.objects.filter(pk=work.pk).update(status="running")
    data = c.get(url).json()
    assert data["status"] == "running" and data["finished"] is False
    assert data["queue_position"] is None
    Stylization.objects.filter(pk=work.pk).update(status="queued")
    from gallery.jobs import lifecycle
    from gallery.jobs.kinds import kind_named

    assert lifecycle.run(kind_named("render"), work.pk, "test-worker") == "done"
    data = c.get(url).json()
    assert data["status"] == "done" and data["finished"] and data["result_url"].endswith("/image")
    Stylization.objects.filter(pk=work.pk).update(status="failed", error="Out of paint.")
    data = c.get(url).json()
    assert data["status"] == "failed" and data["error"] == "Out of paint." and data["finished"]


def test_failed_page_shows_the_message_and_a_retry_button(client, alice, catalog_style, make_work):
    work = make_work(alice, catalog_style, render=False)
    Stylization.objects.filter(pk=work.pk).update(
        status="failed", error="The style of this picture has been deleted.")
    page = client_for(client, alice).get(work.get_absolute_url()).content.decode()
    assert "has been deleted" in page and "Try again" in page and "Traceback" not in page


def test_my_gallery_paginates_and_filters(client, alice, catalog_style, make_work):
    photo = photo_create(owner=alice, upload=upload())
    for _ in range(26):
        stylization_create(owner=alice, photo=photo, styles=[(catalog_style, 1)])
    Stylization.objects.filter(pk=Stylization.objects.first().pk).update(status="failed")
    c = client_for(client, alice)
    first = c.get(reverse("my-gallery"))
    assert len(first.context["works"]) == 24 and first.context["page_obj"].has_next()
    second = c.get(reverse("my-gallery"), {"page": 2})
    assert len(second.context["works"]) == 2
    failed = c.get(reverse("my-gallery"), {"status": "failed"})
    assert len(failed.context["works"]) == 1


def test_explore_lists_only_published_done_work_and_paginates(client, done_work, alice):
    assert done_work.pk not in [w.pk for w in client.get(reverse("explore")).context["works"]]
    stylization_set_public(stylization=done_work, is_public=True)
    assert [w.pk for w in client.get(reverse("explore")).context["works"]] == [done_work.pk]


def test_publish_unpublish_and_delete_through_the_pages(
    client, done_work, django_capture_on_commit_callbacks
):
    c = client_for(client, done_work.owner)
    c.post(reverse("stylization-publish", args=[done_work.pk]), {"public": "1"})
    assert Stylization.objects.get(pk=done_work.pk).is_public
    c.post(reverse("stylization-publish", args=[done_work.pk]), {"public": "0"})
    assert not Stylization.objects.get(pk=done_work.pk).is_public
    out = done_work.output.name
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(reverse("stylization-delete", args=[done_work.pk]))
    assert r.status_code == 302 and not Stylization.objects.exists() and not exists(out)


def test_photo_delete_confirms_with_the_number_of_pictures(
    client, done_work, django_capture_on_commit_callbacks
):
    c = client_for(client, done_work.owner)
    page = c.get(reverse("photo-delete", args=[done_work.photo.pk])).content.decode()
    assert "1 picture" in page
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("photo-delete", args=[done_work.photo.pk]))
    assert not Photo.objects.exists() and not Stylization.objects.exists()
    assert _media_files() == [] or all("styles/" in str(p) for p in _media_files())


def test_sign_up_logs_in_and_lands_on_create(client, db):
    r = client.post(reverse("signup"), {"username": "carol", "password1": "a-Long-pass-123",
                                        "password2": "a-Long-pass-123"})
    assert r.status_code == 302 and r.url == reverse("create")
    assert client.get(reverse("create")).status_code == 200


def test_healthz_reports_database_queue_and_workers(client, alice, catalog_style, make_work):
    r = client.get(reverse("healthz"))
    report = r.json()
    assert r.status_code == 503 and report["database"]["ok"] is True
    assert report["workers"] == [] and "no live worker" in report["problems"][0]
    WorkerHeartbeat.objects.create(name="host:1:abc", host="host", pid=1, seen=timezone.now(),
                                   job="render:xyz")
    r = client.get(reverse("healthz"))
    assert r.status_code == 200 and r.json()["ok"] is True
    assert r.json()["workers"][0]["alive"] and r.json()["workers"][0]["job"] == "render:xyz"
    work = make_work(alice, catalog_style, render=False)
    Stylization.objects.filter(pk=work.pk).update(queued_at=timezone.now() - timedelta(hours=1))
    r = client.get(reverse("healthz"))
    queue = r.json()["queue"]
    assert r.status_code == 503 and queue["oldest_wait_seconds"] >= 3600 and queue["queued"] == 1
    assert queue["wait_limit_seconds"] == 120 + 60  # base + one queued job per live worker
    Stylization.objects.filter(pk=work.pk).update(queued_at=timezone.now() - timedelta(seconds=170))
    assert client.get(reverse("healthz")).status_code == 200
    WorkerHeartbeat.objects.update(seen=timezone.now() - timedelta(seconds=11))
    r = client.get(reverse("healthz"))
    assert r.status_code == 503 and r.json()["workers"][0]["alive"] is False


def test_jpeg_and_webp_copies_are_made_once_and_go_with_the_picture(
    client, done_work, monkeypatch, django_capture_on_commit_callbacks
):
    from gallery.pictures import downloads

    c = client_for(client, done_work.owner)
    url = reverse("stylization-download", args=[done_work.pk])
    first = b"".join(c.get(url, {"format": "webp"}).streaming_content)

    def no_encoding(*a, **k):
        raise AssertionError("converted again")

    monkeypatch.setattr(downloads.images, "encode", no_encoding)
    again = b"".join(c.get(url, {"format": "webp"}).streaming_content)
    assert again == first and Image.open(io.BytesIO(again)).format == "WEBP"
    copy = downloads.copy_name(done_work.output.name, "webp")
    assert default_storage.exists(copy)
    with django_capture_on_commit_callbacks(execute=True):
        stylization_delete(stylization=done_work)
    assert not default_storage.exists(copy)


def test_a_forgotten_password_can_be_reset_by_email(client, db, mailoutbox):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("dora", email="dora@example.com", password="old-Pass-123")
    assert "Forgot your password?" in client.get(reverse("login")).content.decode()
    r = client.post(reverse("password_reset"), {"email": "dora@example.com"})
    assert r.status_code == 302 and len(mailoutbox) == 1
    link = next(w for w in mailoutbox[0].body.split() if "/accounts/reset/" in w)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    r = client.post(form_page.redirect_chain[-1][0], {"new_password1": "new-Pass-456",
                                                      "new_password2": "new-Pass-456"})
    assert r.status_code == 302
    assert client.login(username="dora", password="new-Pass-456")


def test_all_my_photos_are_listed_page_by_page_and_only_mine(client, alice, bob):
    for i in range(26):
        photo_create(owner=alice, upload=upload(seed=i))
    photo_create(owner=bob, upload=upload())
    c = client_for(client, alice)
    gallery = c.get(reverse("my-gallery"))
    assert len(gallery.context["photos"]) == 12 and "All 26 photos" in gallery.content.decode()
    first = c.get(reverse("my-photos"))
    assert len(first.context["photos"]) == 24
    second = c.get(reverse("my-photos"), {"page": 2})
    assert len(second.context["photos"]) == 2
    assert all(p.owner_id == alice.pk for p in first.context["photos"])
    c.logout()
    assert c.get(reverse("my-photos")).status_code == 302
