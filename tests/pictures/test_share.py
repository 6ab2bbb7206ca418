"""A published picture's page is a share page: Open Graph and Twitter card tags (absolute
image URL, its size, a title naming the style) that chat apps read, and "Make one like this"
opening Create with the same styles and settings."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.test import Client
from django.urls import reverse

from gallery.pictures.services import stylization_set_public
from tests.fixtures import client_for


class _Meta(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: dict[str, str] = {}
        self.links: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and ("property" in a or "name" in a):
            self.tags[a.get("property") or a["name"]] = a.get("content", "")
        if tag == "a" and a.get("id"):
            self.links[a["id"]] = a.get("href", "")


def _parse(html: str) -> _Meta:
    meta = _Meta()
    meta.feed(html)
    return meta


def test_a_published_picture_previews_in_chat_apps(done_work, settings):
    settings.ALLOWED_HOSTS = ["nst.example.com"]
    stylization_set_public(stylization=done_work, is_public=True)
    page = Client().get(reverse("stylization-detail", args=[done_work.pk]),
                        HTTP_HOST="nst.example.com")
    assert page.status_code == 200
    og = _parse(page.content.decode()).tags
    image = og["og:image"]
    assert urlsplit(image)[:2] == ("http", "nst.example.com")  # absolute: apps fetch it
    assert urlsplit(image).path == reverse("stylization-image", args=[done_work.pk])
    assert (og["og:image:width"], og["og:image:height"]) == (str(done_work.width),
                                                              str(done_work.height))
    assert og["og:title"] == "A picture in Red Strokes" and og["og:type"] == "website"
    assert og["og:url"] == f"http://nst.example.com/w/{done_work.pk}/"
    assert og["twitter:card"] == "summary_large_image" and og["twitter:image"] == image
    assert "holiday" not in page.content.decode()  # the photo's file name stays private
    fetched = Client().get(urlsplit(image).path, HTTP_HOST="nst.example.com")
    assert fetched.status_code == 200 and fetched["Content-Type"] == "image/png"


def test_an_unpublished_picture_has_no_card_and_no_public_page(done_work):
    assert Client().get(reverse("stylization-detail", args=[done_work.pk])).status_code == 302
    own = client_for(Client(), done_work.owner).get(
        reverse("stylization-detail", args=[done_work.pk]))
    assert "og:image" not in _parse(own.content.decode()).tags


def test_make_one_like_this_opens_create_with_the_same_styles_and_settings(
    bob, alice, catalog_style, second_style, make_work
):
    work = make_work(alice, catalog_style, max_side=512, strength=0.6, brush_scale=384,
                     preserve_color=True)
    work.parts.create(style=second_style, style_name=second_style.name, weight=0.5)
    stylization_set_public(stylization=work, is_public=True)
    viewer = client_for(Client(), bob)
    page = viewer.get(reverse("stylization-detail", args=[work.pk])).content.decode()
    link = _parse(page).links["like-this"]
    create = viewer.get(link)
    assert create.status_code == 200
    form = create.context["form"]
    assert form.initial["style"] == catalog_style and form.initial["style_2"] == second_style
    assert form.initial["weight"] == 1.0 and form.initial["weight_2"] == 0.5
    assert (form.initial["strength"], form.initial["max_side"], form.initial["brush_scale"],
            form.initial["preserve_color"]) == (0.6, 512, 384, True)
    assert "photo" not in form.initial  # bob brings his own photo


def test_no_make_one_like_this_with_someone_elses_private_style(bob, alice, make_work):
    from gallery.styles.services import style_create
    from tests.imagegen import encoded, painting

    mine = style_create(owner=alice, upload=encoded(painting(seed=4)), name="Alice's own")
    work = make_work(alice, mine, max_side=128)
    stylization_set_public(stylization=work, is_public=True)
    page = client_for(Client(), bob).get(reverse("stylization-detail", args=[work.pk]))
    assert page.status_code == 200 and "like-this" not in _parse(page.content.decode()).links
    own = client_for(Client(), alice).get(reverse("stylization-detail", args=[work.pk]))
    assert "like-this" in _parse(own.content.decode()).links  # alice may use it
