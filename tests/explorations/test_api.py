""""Try every style" through the API: create, poll, fetch each preview; owners only."""

import io

from PIL import Image

from gallery.models import Exploration
from gallery.photos.services import photo_create
from tests.fixtures import upload


def test_previews_in_every_style_through_the_api(api, alice, catalog_style, second_style,
                                                 private_style,
                                                 django_capture_on_commit_callbacks):
    photo = photo_create(owner=alice, upload=upload(size=(640, 480)))
    with django_capture_on_commit_callbacks(execute=True):
        r = api(alice).post("/api/v1/explorations/", {"photo": str(photo.pk)}, format="json")
    assert r.status_code == 202, r.json()
    got = api(alice).get(f"/api/v1/explorations/{r.json()['id']}/").json()
    assert got["status"] == "done" and got["styles"] == 3  # two catalog styles and hers
    assert {p["name"] for p in got["previews"]} == {"Red Strokes", "Blue Dabs", "Alice's Ink"}
    first = got["previews"][0]
    assert (first["width"], first["height"]) == (320, 240)
    image = api(alice).get(first["image_url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(image.streaming_content))).size == (320, 240)
    assert api(alice).get("/api/v1/explorations/").json()["count"] == 1


def test_a_pending_exploration_is_reused_and_others_see_nothing(
    api, alice, bob, catalog_style, django_capture_on_commit_callbacks
):
    photo = photo_create(owner=alice, upload=upload())
    with django_capture_on_commit_callbacks(execute=False):  # stays queued
        first = api(alice).post("/api/v1/explorations/", {"photo": str(photo.pk)}, format="json")
        again = api(alice).post("/api/v1/explorations/", {"photo": str(photo.pk)}, format="json")
    assert first.json()["id"] == again.json()["id"] and Exploration.objects.count() == 1
    assert first.json()["status"] == "queued" and first.json()["queue_position"] == 0
    assert again["RateLimit-Remaining"] == first["RateLimit-Remaining"]  # the reuse was free
    pk = first.json()["id"]
    assert api(bob).get(f"/api/v1/explorations/{pk}/").status_code == 404
    r = api(bob).post("/api/v1/explorations/", {"photo": str(photo.pk)}, format="json")
    assert r.status_code == 400 and r.json()["errors"]["photo"] == ["That photo was not found."]
    assert api(None).get("/api/v1/explorations/").status_code == 401
