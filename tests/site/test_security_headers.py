"""Every answer carries the same security headers, errors too: the 413 the body limit sends
before Django reads anything, a 400 for a Host that is not ours, 404s, a 429 from a budget,
a 500 from a bug, a 503 with the render queue down (a real Redis, stopped). The database-down
503 is checked under a real gunicorn in test_outages.py."""

from __future__ import annotations

import json

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path, reverse

from tests.fixtures import client_for, set_rates, upload

HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
           "Referrer-Policy", "Cross-Origin-Opener-Policy")


def _boom(request):
    raise RuntimeError("a bug")


def _fine(request):
    return HttpResponse("fine")


from nstsite.urls import handler400, handler403, handler404, handler500  # noqa: E402, F401

urlpatterns = [path("test-boom/", _boom), path("api/v1/test-boom/", _boom),
               path("test-fine/", _fine), path("", include("nstsite.urls"))]


@pytest.fixture
def site(settings):
    settings.ROOT_URLCONF = __name__
    return Client(raise_request_exception=False)


def _headers(response) -> dict[str, str]:
    return {name: response.headers.get(name) for name in HEADERS}


@pytest.fixture
def expected(site, db):
    found = _headers(site.get(reverse("home")))
    assert all(found.values()), found
    assert "default-src 'self'" in found["Content-Security-Policy"]
    assert found["X-Frame-Options"] == "DENY"
    return found


def test_a_plain_view_and_a_static_file_carry_them(site, expected):
    assert _headers(site.get("/test-fine/")) == expected
    r = site.get("/static/css/site.css")
    assert r.status_code == 200
    assert _headers(r) == expected


def test_the_413_from_the_body_limit_carries_them(site, expected, settings):
    big = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    r = site.post(reverse("create"), data=b"x", content_type="application/octet-stream",
                  CONTENT_LENGTH=str(big))
    assert r.status_code == 413 and "too large" in r.content.decode()
    assert _headers(r) == expected


def test_a_400_for_a_foreign_host_carries_them(site, expected):
    r = site.get(reverse("home"), HTTP_HOST="evil.example")
    assert r.status_code == 400
    assert _headers(r) == expected
    r = site.get("/api/v1/styles/", HTTP_HOST="evil.example")
    assert r.status_code == 400 and r.json()["code"] == "bad_request"
    assert _headers(r) == expected


def test_404s_carry_them(site, expected):
    for url in ("/no-such-page/", "/api/v1/no-such-thing/"):
        r = site.get(url)
        assert r.status_code == 404
        assert _headers(r) == expected


def test_a_500_carries_them(site, expected):
    r = site.get("/test-boom/")
    assert r.status_code == 500
    assert _headers(r) == expected
    r = site.get("/api/v1/test-boom/")
    assert r.status_code == 500 and r.json()["code"] == "server_error"
    assert _headers(r) == expected


def test_a_429_from_a_budget_carries_them(site, expected, settings, api, alice, catalog_style):
    set_rates(settings, renders="1/hour")
    client = api(alice)
    body = {"styles": json.dumps([{"style": str(catalog_style.pk)}]), "max_side": 128}
    assert client.post("/api/v1/stylizations/", {**body, "photo_file": upload()},
                       format="multipart").status_code == 202
    r = client.post("/api/v1/stylizations/", {**body, "photo_file": upload()},
                    format="multipart")
    assert r.status_code == 429
    assert _headers(r) == expected


def test_a_503_with_the_queue_down_carries_them(site, expected, settings, private_redis, alice,
                                                catalog_style):
    proc, url = private_redis
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": url}
    proc.terminate()
    proc.wait()
    web = client_for(site, alice)
    r = web.post(reverse("create"), {"photo_file": upload(), "style": catalog_style.pk,
                                     "strength": "1", "max_side": "512", "brush_scale": "256"})
    assert r.status_code == 503
    assert _headers(r) == expected
