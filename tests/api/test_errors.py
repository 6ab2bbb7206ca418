"""Errors are JSON with a message and the right status: 400, 401, 403, 404, 413, 415, 429."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.fixtures import image_file, set_rates

pytestmark = pytest.mark.django_db


def test_missing_token_is_401_json(api):
    response = api().get("/api/v1/photos/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated" and response["WWW-Authenticate"] == "Token"


def test_wrong_password_is_400(api, alice):
    response = api().post("/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Unable to log in")


def test_upload_over_the_byte_limit_is_413(api, alice, settings):
    settings.NST_MAX_UPLOAD_BYTES = 2048  # the decoder's limit; the body is still under Django's
    response = api(alice).post("/api/v1/photos/", {"image": image_file(size=(400, 300))},
                               format="multipart")
    assert response.status_code == 413
    assert response.json() == {"detail": "The file is larger than 0 MB.", "code": "too_large",
                               "errors": {"image": ["The file is larger than 0 MB."]}}


def test_body_over_the_request_limit_is_413_before_parsing(api, alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    response = api(alice).post("/api/v1/stylizations/", {"photo_file": image_file(size=(400, 300)),
                                                         "styles": "[]"}, format="multipart")
    assert response.status_code == 413 and response.json()["code"] == "too_large"


def test_image_over_the_pixel_limit_is_413(api, alice, settings):
    settings.NST_MAX_PIXELS = 10_000
    response = api(alice).post("/api/v1/photos/", {"image": image_file(size=(160, 120))},
                               format="multipart")
    assert response.status_code == 413


@pytest.mark.parametrize("name, content", [
    ("notes.txt", b"just some text, not an image"),
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"/>'),
])
def test_not_an_image_we_accept_is_415(api, alice, name, content):
    response = api(alice).post("/api/v1/photos/", {"image": SimpleUploadedFile(name, content)},
                               format="multipart")
    assert response.status_code == 415 and response.json()["code"] == "unsupported"
    assert list(response.json()["errors"]) == ["image"]


def test_wrong_content_type_is_415(api, alice):
    response = api(alice).post("/api/v1/photos/", {"image": "x"}, format="json")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"


def test_too_small_image_is_400(api, alice):
    response = api(alice).post("/api/v1/photos/", {"image": image_file(size=(20, 20))},
                               format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "too_small"


@pytest.mark.parametrize("body, field", [
    ({"styles": []}, "styles"),
    ({"photo": "00000000-0000-0000-0000-000000000000", "styles": [{"style": "STYLE"}]}, "photo"),
    ({"photo": "PHOTO", "styles": [{"style": "00000000-0000-0000-0000-000000000000"}]}, "styles"),
    ({"photo": "PHOTO", "styles": [{"style": "STYLE"}], "strength": 2}, "strength"),
    ({"photo": "PHOTO", "styles": [{"style": "STYLE", "weight": -1}]}, "styles.0.weight"),
])
def test_invalid_stylization_requests_name_the_field(api, done_work, catalog_style, body, field):
    raw = str(body).replace("'", '"').replace("PHOTO", str(done_work.photo.pk))
    raw = raw.replace("STYLE", str(catalog_style.pk))
    response = api(done_work.owner).post("/api/v1/stylizations/", raw, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()


def test_multipart_styles_must_be_json(api, alice):
    response = api(alice).post("/api/v1/stylizations/", {"photo_file": image_file(), "styles": "red"},
                               format="multipart")
    assert response.status_code == 400 and "JSON" in response.json()["errors"]["styles"][0]


def test_render_throttle_is_per_user_429(api, done_work, bob, catalog_style, settings,
                                         django_capture_on_commit_callbacks):
    set_rates(settings, renders="2/hour")
    body = {"photo": str(done_work.photo.pk), "styles": [{"style": str(catalog_style.pk)}],
            "max_side": 64}
    alice = api(done_work.owner)
    with django_capture_on_commit_callbacks(execute=False):
        codes = [alice.post("/api/v1/stylizations/", body, format="json").status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    response = alice.post("/api/v1/stylizations/", body, format="json")
    assert response.json()["code"] == "throttled" and int(response["Retry-After"]) > 0
    # bob has his own budget (his request fails for another reason: not his photo)
    assert api(bob).post("/api/v1/stylizations/", body, format="json").status_code == 400


def test_upload_throttle_429(api, alice, settings):
    set_rates(settings, uploads="1/hour")
    client = api(alice)
    first = client.post("/api/v1/photos/", {"image": image_file()}, format="multipart")
    second = client.post("/api/v1/photos/", {"image": image_file()}, format="multipart")
    assert (first.status_code, second.status_code) == (201, 429)
    assert client.get("/api/v1/photos/").status_code == 200  # reading is not throttled


def test_token_endpoint_throttle_429(api, alice, settings):
    set_rates(settings, auth="2/minute")
    codes = [api().post("/api/v1/auth/token/", {"username": "alice", "password": "x"},
                        format="json").status_code for _ in range(3)]
    assert codes == [400, 400, 429]
