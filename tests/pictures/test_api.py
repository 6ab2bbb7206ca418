"""The whole job through the API alone: token → upload → stylize → poll → download."""

import io

import pytest
from PIL import Image

from gallery.models import Stylization
from tests.fixtures import image_file

pytestmark = pytest.mark.django_db


def test_token_upload_stylize_poll_download(client, alice, catalog_style,
                                            django_capture_on_commit_callbacks):
    response = client.post("/api/v1/auth/token/", {"username": "alice", "password": "pw-alice-123"},
                           content_type="application/json")
    assert response.status_code == 200
    auth = {"HTTP_AUTHORIZATION": f"Token {response.json()['token']}"}

    response = client.post("/api/v1/photos/", {"image": image_file(size=(160, 120))}, **auth)
    assert response.status_code == 201, response.json()
    photo = response.json()
    assert (photo["width"], photo["height"]) == (160, 120)
    assert client.get(photo["image_url"], **auth).status_code == 200

    body = {"photo": photo["id"], "styles": [{"style": str(catalog_style.pk), "weight": 1.0}],
            "strength": 0.8, "preserve_color": False, "max_side": 128, "brush_scale": 256}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/stylizations/", body, content_type="application/json", **auth)
    assert response.status_code == 202, response.json()
    work = response.json()
    assert work["status"] == "queued" and work["download_url"] is None

    for _ in range(20):  # jobs run inline in tests, so the first poll normally says done
        detail = client.get(f"/api/v1/stylizations/{work['id']}/", **auth).json()
        if detail["status"] in ("done", "failed"):
            break
    assert detail["status"] == "done", detail["error"]
    assert (detail["width"], detail["height"]) == (128, 96)
    assert detail["styles"] == [{"style": str(catalog_style.pk), "name": "Red Strokes", "weight": 1.0}]
    assert detail["strength"] == 0.8 and detail["render_ms"] is not None

    for fmt, pil_format in [("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")]:
        response = client.get(detail["download_url"], {"format": fmt}, **auth)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        img = Image.open(io.BytesIO(b"".join(response.streaming_content) if response.streaming
                                    else response.content))
        assert img.format == pil_format and img.size == (128, 96)


def test_multipart_uploads_and_stylizes_in_one_call(api, alice, catalog_style,
                                                    django_capture_on_commit_callbacks):
    styles = f'[{{"style": "{catalog_style.pk}", "weight": 1}}]'
    with django_capture_on_commit_callbacks(execute=True):
        response = api(alice).post("/api/v1/stylizations/", {
            "photo_file": image_file(size=(100, 80)), "styles": styles, "max_side": "64",
            "preserve_color": "true"}, format="multipart")
    assert response.status_code == 202, response.json()
    work = Stylization.objects.get(pk=response.json()["id"])
    assert work.status == "done" and work.preserve_color and (work.width, work.height) == (64, 51)
    assert work.photo.original_name == "holiday.jpg"


def test_publish_then_gallery_lists_it_for_anonymous(api, done_work):
    response = api(done_work.owner).patch(f"/api/v1/stylizations/{done_work.pk}/", {"is_public": True},
                                          format="json")
    assert response.status_code == 200 and response.json()["is_public"] is True
    listing = api().get("/api/v1/gallery/").json()
    assert [w["id"] for w in listing["results"]] == [str(done_work.pk)]
    assert listing["results"][0]["author"] == "alice"
    assert api().get(listing["results"][0]["download_url"]).status_code == 200


def test_status_filter_and_bounded_page_size(api, done_work):
    mine = api(done_work.owner)
    assert mine.get("/api/v1/stylizations/", {"status": "done"}).json()["count"] == 1
    assert mine.get("/api/v1/stylizations/", {"status": "failed"}).json()["count"] == 0
    response = mine.get("/api/v1/stylizations/", {"status": "bogus"})
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    response = mine.get("/api/v1/styles/", {"page_size": 10_000})
    assert response.status_code == 200 and len(response.json()["results"]) <= 100


def test_anonymous_sees_the_catalog_but_not_private_styles(api, catalog_style, private_style):
    names = [s["name"] for s in api().get("/api/v1/styles/").json()["results"]]
    assert names == ["Red Strokes"]
    style = api().get("/api/v1/styles/").json()["results"][0]
    assert style["is_catalog"] is True and style["image_url"].startswith("http://testserver/")
    assert api().get(style["thumbnail_url"]).status_code == 200


def test_own_style_upload_is_private_and_usable(api, alice, bob):
    from tests.fixtures import painting_file

    response = api(alice).post("/api/v1/styles/", {"name": "My Ink", "image": painting_file()},
                               format="multipart")
    assert response.status_code == 201, response.json()
    style = response.json()
    assert style["is_catalog"] is False
    assert api(bob).get(f"/api/v1/styles/{style['id']}/").status_code == 404
    assert api(alice).get(style["image_url"]).status_code == 200


def test_publishing_an_unfinished_picture_is_a_conflict(api, alice, catalog_style, make_work):
    work = make_work(alice, catalog_style, render=False)
    response = api(alice).patch(f"/api/v1/stylizations/{work.pk}/", {"is_public": True}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    response = api(alice).get(f"/api/v1/stylizations/{work.pk}/download/")
    assert response.status_code == 409 and response.json()["code"] == "not_ready"
