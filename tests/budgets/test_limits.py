"""The web pages share the API's per-user limits; logins and request sizes are capped."""

from django.urls import reverse

from gallery.models import Exploration, Stylization
from tests.fixtures import client_for, set_rates, upload


def _create(c, style):
    return c.post(reverse("create"), {"photo_file": upload(), "style": style.pk, "strength": "1",
                                      "max_side": "512", "brush_scale": "256"})


def test_the_create_page_stops_at_the_render_limit(
    client, settings, alice, bob, catalog_style, django_capture_on_commit_callbacks
):
    set_rates(settings, renders="2/hour")
    c = client_for(client, alice)
    with django_capture_on_commit_callbacks(execute=True):
        assert _create(c, catalog_style).status_code == 302
        assert _create(c, catalog_style).status_code == 302
        third = _create(c, catalog_style)
    assert third.status_code == 429
    assert "limit of renders" in third.content.decode()
    assert Stylization.objects.filter(owner=alice).count() == 2
    c.logout()
    with django_capture_on_commit_callbacks(execute=True):  # bob has his own budget
        assert _create(client_for(client, bob), catalog_style).status_code == 302


def test_the_api_and_the_pages_share_one_budget(
    client, settings, alice, catalog_style, django_capture_on_commit_callbacks
):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    set_rates(settings, uploads="1/hour")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")
    assert api.post("/api/v1/photos/", {"image": upload()}, format="multipart").status_code == 201
    r = client_for(client, alice).post(reverse("my-styles"), {"name": "x", "image": upload()})
    assert r.status_code == 429 and "limit of uploads" in r.content.decode()


def test_repeated_failed_logins_are_refused_for_a_while(client, alice):
    for _ in range(10):
        r = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
        assert r.status_code == 400  # refused, the form shown again
    r = client.post(reverse("login"), {"username": "alice", "password": "pw-alice-123"})
    assert r.status_code == 429 and "Too many failed attempts" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_good_login_still_works(client, alice):
    r = client.post(reverse("login"), {"username": "alice", "password": "pw-alice-123"})
    assert r.status_code == 302


def test_an_oversized_upload_is_refused_before_it_is_read(client, settings, alice, catalog_style):
    c = client_for(client, alice)
    r = c.post(reverse("create"), {"photo_file": upload(), "style": catalog_style.pk},
               CONTENT_LENGTH=str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    assert r.status_code == 413 and "too large" in r.content.decode()
    assert Stylization.objects.count() == 0


def test_a_second_click_on_try_every_style_reuses_the_pending_grid(
    client, alice, django_capture_on_commit_callbacks
):
    from gallery.photos.services import photo_create

    photo = photo_create(owner=alice, upload=upload())
    c = client_for(client, alice)
    with django_capture_on_commit_callbacks(execute=False):  # not rendered: stays queued
        first = c.post(reverse("exploration-create", args=[photo.pk]))
        second = c.post(reverse("exploration-create", args=[photo.pk]))
    assert first.url == second.url and Exploration.objects.count() == 1
