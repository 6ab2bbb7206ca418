"""Pictures that can never be stylized are refused with a clear message, nothing is kept,
and a broken style never sinks "Try every style" (issue 11, items 1 and 13)."""


import pytest
from django.urls import reverse

from gallery.errors import ServiceError
from gallery.explorations.services import exploration_create
from gallery.models import Photo, Style, Stylization
from gallery.photos.services import photo_create
from gallery.pictures.services import stylization_create
from gallery.styles.services import style_create
from stylize.engine import Controls
from tests.fixtures import client_for, upload
from tests.imagegen import encoded, painting, photo
from tests.jobs.qcluster import refuse_in_database
from tests.storage import overwrite, stored_files


def _stored() -> list[str]:
    return sorted(n for n in stored_files() if not n.startswith("styles/"))


@pytest.mark.parametrize("size", [(32, 5000), (5000, 32), (10799, 40)])
def test_long_thin_photos_are_refused_at_upload(alice, catalog_style, size):
    with pytest.raises(ServiceError, match=r"too long and thin .* up to 16:1") as refused:
        stylization_create(owner=alice, upload=upload(size=size, fmt="PNG"),
                                    styles=[(catalog_style, 1)])
    assert refused.value.field == "photo"
    assert not Photo.objects.exists() and not Stylization.objects.exists() and _stored() == []


def test_the_web_form_and_the_api_say_so_too(client, alice, catalog_style):
    from tests.fixtures import token_for

    page = client_for(client, alice).post(reverse("create"), {
        "photo_file": upload(size=(40, 2000), fmt="PNG"), "style": catalog_style.pk,
        "strength": 1, "max_side": 1024, "brush_scale": 256})
    assert "too long and thin" in page.content.decode()
    api = client.post("/api/v1/photos/", {"image": upload(size=(40, 2000), fmt="PNG")},
                      HTTP_AUTHORIZATION=f"Token {token_for(alice)}")
    assert api.status_code == 400 and "too long and thin" in api.json()["detail"]
    assert not Photo.objects.exists() and _stored() == []


def test_a_size_too_small_for_a_thin_photo_is_refused_and_a_larger_one_renders(
        alice, catalog_style, make_work):
    with pytest.raises(ServiceError, match="At 64 px this picture would be only 9 px high") as e:
        stylization_create(owner=alice, upload=upload(size=(600, 80)),
                                    styles=[(catalog_style, 1)], controls=Controls(max_side=64))
    assert e.value.field == "max_side" and not Photo.objects.exists() and _stored() == []
    work = make_work(alice, catalog_style, upload=upload(size=(600, 80)), max_side=512)
    assert work.status == "done" and (work.width, work.height) == (512, 68)


def test_a_long_thin_style_is_refused(alice):
    with pytest.raises(ServiceError, match="too long and thin") as refused:
        style_create(owner=alice, upload=encoded(photo(10799, 40), "GIF"), name="Strip")
    assert refused.value.field == "image" and not Style.objects.exists()


def test_a_failed_create_leaves_neither_the_photo_nor_its_thumbnail(alice, catalog_style):
    # a real database error after the photo's files are written
    refuse_in_database("gallery_stylizationstyle", event="INSERT")
    with pytest.raises(Exception, match="refused by test"):
        stylization_create(owner=alice, upload=upload(size=(900, 600)),
                                    styles=[(catalog_style, 1)])
    assert not Photo.objects.exists() and _stored() == []  # image and thumbnail both gone


def test_a_broken_user_style_does_not_sink_try_every_style(
        client, alice, catalog_style, django_capture_on_commit_callbacks):
    broken = style_create(owner=alice, upload=encoded(painting(seed=8)), name="Damaged")
    overwrite(broken.image, b"no longer an image")  # say, a damaged disk
    photo_row = photo_create(owner=alice, upload=upload())
    with django_capture_on_commit_callbacks(execute=True):
        exploration = exploration_create(owner=alice, photo=photo_row)
    exploration.refresh_from_db()
    assert exploration.status == "done", exploration.error
    assert list(exploration.previews.values_list("style_id", flat=True)) == [catalog_style.pk]
    page = client_for(client, alice).get(exploration.get_absolute_url()).content.decode()
    assert "could not be rendered on this photo" in page and "spinner-border" not in page
