"""Hostile input to the API gets a JSON 4xx, never a 500 or an HTML page (issue 11, items 2, 8)."""

import json

import pytest
from django.test import Client

from gallery.models import Photo, Stylization

pytestmark = pytest.mark.django_db

DEEP = "[" * 50_000 + "]" * 50_000


def _is_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"] and body["code"]
    return body


def test_deeply_nested_json_is_a_400_everywhere(api, alice, done_work):
    anonymous = api()
    body = _is_json_error(anonymous.post("/api/v1/auth/token/", DEEP, content_type="application/json"),
                          400)
    assert "nested too deeply" in body["detail"]
    client = api(alice)
    _is_json_error(client.post("/api/v1/stylizations/", DEEP, content_type="application/json"), 400)
    _is_json_error(client.patch(f"/api/v1/stylizations/{done_work.pk}/", DEEP,
                                content_type="application/json"), 400)
    body = _is_json_error(client.post("/api/v1/stylizations/", {"styles": DEEP, "max_side": 128},
                                      format="multipart"), 400)
    assert "styles" in body["errors"]
    assert Stylization.objects.count() == 1 and Photo.objects.count() == 1  # nothing new


def test_too_many_multipart_fields_or_files_answer_json(api, alice, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    client = api(alice)
    fields = {f"f{i}": "x" for i in range(50)}
    _is_json_error(client.post("/api/v1/photos/", fields, format="multipart"), 400)
    from tests.fixtures import image_file

    files = {f"image{i}": image_file(seed=i) for i in range(5)}
    _is_json_error(client.post("/api/v1/photos/", files, format="multipart"), 400)
    assert Photo.objects.count() == 0


def test_unknown_api_urls_and_server_errors_answer_json_while_pages_stay_html(api, alice, settings):
    body = _is_json_error(api(alice).get("/api/v1/no-such-thing/"), 404)
    assert body["code"] == "not_found"
    page = Client().get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    from django.test import RequestFactory

    from gallery import fallback

    response = fallback.server_error(RequestFactory().get("/api/v1/photos/"))
    assert response.status_code == 500 and json.loads(response.content)["code"] == "server_error"
    assert "Traceback" not in response.content.decode()
