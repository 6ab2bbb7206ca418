"""Limits that hold for every door: the admin's login shares the site's failed-login
counter, sign-ups per address are capped, and a retry from the page costs a render
(issue 11, items 3, 4 and 6)."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from gallery.models import Stylization
from tests.fixtures import client_for


def test_the_admin_login_is_capped_and_shares_the_sites_counter(client, staff):
    staff.is_superuser = True
    staff.save()
    page = client.get("/admin/login/")
    assert page.status_code == 200 and "Django administration" in page.content.decode()
    for n in range(10):  # half on the site's login page, half on the admin's
        url = reverse("login") if n % 2 else "/admin/login/"
        assert client.post(url, {"username": "staffer", "password": "wrong"}).status_code == 400
    r = client.post("/admin/login/", {"username": "staffer", "password": "pw-staff-123"})
    assert r.status_code == 429 and "Too many failed attempts" in r.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still logged out


def test_the_admin_login_still_works(client, staff):
    r = client.post("/admin/login/?next=/admin/", {"username": "staffer", "password": "pw-staff-123"})
    assert r.status_code == 302 and r.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_sign_ups_from_one_address_are_capped(client, db, settings):
    settings.NST_SIGNUPS_PER_HOUR = 3
    for n in range(3):
        r = client.post(reverse("signup"), {"username": f"user{n}", "password1": "a-Long-pass-123",
                                            "password2": "a-Long-pass-123"})
        assert r.status_code == 302
        client.logout()
    r = client.post(reverse("signup"), {"username": "user9", "password1": "a-Long-pass-123",
                                        "password2": "a-Long-pass-123"})
    assert r.status_code == 429 and "Too many accounts" in r.content.decode()
    assert not get_user_model().objects.filter(username="user9").exists()


def test_a_retry_from_the_page_counts_against_the_render_budget(
        client, alice, catalog_style, make_work, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "renders": "1/hour"}}
    failed = make_work(alice, catalog_style, render=False)
    Stylization.objects.filter(pk=failed.pk).update(status="failed", error="boom")
    c = client_for(client, alice)
    assert c.post(reverse("stylization-retry", args=[failed.pk])).status_code == 302
    assert Stylization.objects.get(pk=failed.pk).status != "failed"  # the one allowed render
    Stylization.objects.filter(pk=failed.pk).update(status="failed", error="boom")
    r = c.post(reverse("stylization-retry", args=[failed.pk]), follow=True)
    assert "reached the limit of renders" in r.content.decode()
    assert Stylization.objects.get(pk=failed.pk).status == "failed"  # not queued again


def test_refused_forms_answer_4xx_with_the_form_again(client, alice):
    r = client.post(reverse("signup"), {"username": "x", "password1": "a", "password2": "b"})
    assert r.status_code == 400 and "form" in r.context
    c = client_for(client, alice)
    r = c.post(reverse("my-styles"), {"name": "Notes", "image": _text_file()})
    assert r.status_code == 415 and "not an image" in r.content.decode()


def _text_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("notes.png", b"hello, I am text")
