"""Owner / other user / anonymous for every endpoint (alice owns; bob is someone else).

Another user's private object is 404 (its existence is not revealed); anonymous is 401
except where the endpoint is public (catalog styles, the gallery, published works' files).
"""

import pytest

from tests.fixtures import image_file, painting_file

pytestmark = pytest.mark.django_db

WHO = ["alice", "bob", None]


@pytest.fixture
def objects(done_work, private_style, catalog_style):
    return {"work": done_work.pk, "photo": done_work.photo.pk, "mine": private_style.pk,
            "catalog": catalog_style.pk}


# (method, url template, body builder or None, expected for alice, bob, anonymous)
MATRIX = [
    ("get", "/api/v1/styles/", None, (200, 200, 200)),
    ("get", "/api/v1/styles/{catalog}/", None, (200, 200, 200)),
    ("get", "/api/v1/styles/{catalog}/image/", None, (200, 200, 200)),
    ("get", "/api/v1/styles/{mine}/", None, (200, 404, 404)),
    ("get", "/api/v1/styles/{mine}/image/?size=thumb", None, (200, 404, 404)),
    ("delete", "/api/v1/styles/{mine}/", None, (204, 404, 401)),
    ("delete", "/api/v1/styles/{catalog}/", None, (403, 403, 401)),
    ("post", "/api/v1/styles/", "style", (201, 201, 401)),
    ("get", "/api/v1/photos/", None, (200, 200, 401)),
    ("post", "/api/v1/photos/", "photo", (201, 201, 401)),
    ("get", "/api/v1/photos/{photo}/", None, (200, 404, 401)),
    ("get", "/api/v1/photos/{photo}/image/", None, (200, 404, 401)),
    ("delete", "/api/v1/photos/{photo}/", None, (204, 404, 401)),
    ("get", "/api/v1/stylizations/", None, (200, 200, 401)),
    ("post", "/api/v1/stylizations/", "stylize", (202, 400, 401)),
    ("get", "/api/v1/stylizations/{work}/", None, (200, 404, 401)),
    ("patch", "/api/v1/stylizations/{work}/", "publish", (200, 404, 401)),
    ("delete", "/api/v1/stylizations/{work}/", None, (204, 404, 401)),
    ("post", "/api/v1/stylizations/{work}/retry/", None, (409, 404, 401)),
    ("get", "/api/v1/stylizations/{work}/image/", None, (200, 404, 401)),
    ("get", "/api/v1/stylizations/{work}/download/?format=webp", None, (200, 404, 401)),
    ("get", "/api/v1/gallery/", None, (200, 200, 200)),
    ("get", "/api/v1/gallery/{work}/", None, (404, 404, 404)),
]


def _body(kind, objects):
    return {
        None: (None, None),
        "style": ({"name": "Ink", "image": painting_file()}, "multipart"),
        "photo": ({"image": image_file()}, "multipart"),
        "stylize": ({"photo": str(objects["photo"]), "styles": [{"style": str(objects["catalog"])}],
                     "max_side": 64}, "json"),
        "publish": ({"is_public": True}, "json"),
    }[kind]


@pytest.mark.parametrize("method, url, body, expected", MATRIX,
                         ids=[f"{m.upper()} {u}" for m, u, _, _ in MATRIX])
@pytest.mark.parametrize("who", WHO, ids=["owner", "other", "anonymous"])
def test_access_matrix(api, objects, done_work, bob, method, url, body, expected, who,
                       django_capture_on_commit_callbacks):
    user = {"alice": done_work.owner, "bob": bob, None: None}[who]
    data, fmt = _body(body, objects)
    with django_capture_on_commit_callbacks(execute=False):
        response = getattr(api(user), method)(url.format(**objects), data, format=fmt)
    assert response.status_code == expected[WHO.index(who)], getattr(response, "data", response)
    if response.status_code >= 400:
        assert response.json()["detail"] and response.json()["code"]


@pytest.mark.parametrize("url", ["/api/v1/gallery/{work}/", "/api/v1/stylizations/{work}/image/",
                                 "/api/v1/stylizations/{work}/download/"])
@pytest.mark.parametrize("who", WHO, ids=["owner", "other", "anonymous"])
def test_published_work_is_readable_by_everyone(api, objects, done_work, bob, url, who):
    done_work.is_public = True
    done_work.save(update_fields=["is_public"])
    user = {"alice": done_work.owner, "bob": bob, None: None}[who]
    assert api(user).get(url.format(**objects)).status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/stylizations/{work}/", "/api/v1/photos/{photo}/"])
def test_published_work_stays_owner_only_for_writes(api, objects, done_work, bob, url):
    done_work.is_public = True
    done_work.save(update_fields=["is_public"])
    assert api(bob).delete(url.format(**objects)).status_code == 404


def test_lists_hold_only_my_own_objects(api, objects, bob):
    for url in ("/api/v1/photos/", "/api/v1/stylizations/"):
        assert api(bob).get(url).json()["count"] == 0
    ids = {s["id"] for s in api(bob).get("/api/v1/styles/").json()["results"]}
    assert str(objects["mine"]) not in ids and str(objects["catalog"]) in ids


def test_session_login_works_too(client, objects, done_work):
    client.force_login(done_work.owner)
    assert client.get("/api/v1/photos/").json()["count"] == 1
