"""Downloads of full-size prints: a 50-MP result in every format, and a panorama longer than
WebP can hold (refused with the reason; its batch ZIP carries the PNG)."""

import io
import zipfile

import numpy as np
import pytest
from django.core.files.base import ContentFile
from PIL import Image

from gallery.models import Batch, Stylization, StylizationStyle
from stylize import images
from stylize.engine import MAX_SIDE_LIMIT

pytestmark = pytest.mark.django_db

Image.MAX_IMAGE_PIXELS = None  # the test reads back what the site wrote, 50 MP included


def _finished(done_work, size, batch=None) -> Stylization:
    """A finished picture of ``size`` (a smooth print, made here) on alice's photo."""
    w, h = size
    ramp = np.linspace(0, 255, w, dtype=np.float32)[None, :]
    pixels = np.empty((h, w, 3), np.uint8)
    pixels[..., 0] = ramp
    pixels[..., 1] = np.linspace(255, 0, h, dtype=np.float32)[:, None]
    pixels[..., 2] = 128
    work = Stylization(owner=done_work.owner, photo=done_work.photo, status="done", width=w,
                       height=h, max_side=MAX_SIDE_LIMIT, batch=batch)
    work.output.save("print.png", ContentFile(images.encode(Image.fromarray(pixels), "PNG")),
                     save=False)
    work.save()
    StylizationStyle.objects.create(stylization=work, style_name="Print", weight=1.0)
    return work


def test_a_50_megapixel_print_downloads_in_every_format(api, done_work):
    work = _finished(done_work, (8160, 6120))
    as_owner = api(done_work.owner)
    for fmt, pil in (("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")):
        r = as_owner.get(f"/api/v1/stylizations/{work.pk}/download/", {"format": fmt})
        assert r.status_code == 200, (fmt, r.content[:200])
        got = Image.open(io.BytesIO(b"".join(r.streaming_content)))
        assert (got.format, got.size) == (pil, (8160, 6120))
        corner = got.crop((8100, 6060, 8160, 6120)).convert("RGB").resize((1, 1)).getpixel((0, 0))
        assert corner[0] > 230 and corner[1] < 25, (fmt, corner)  # red high, green low: the print
    assert as_owner.get(f"/api/v1/stylizations/{work.pk}/").json()["max_side"] == MAX_SIDE_LIMIT


def test_a_panorama_longer_than_webp_holds_is_refused_with_the_reason(client, api, done_work):
    batch = Batch.objects.create(owner=done_work.owner, total=1)
    work = _finished(done_work, (17000, 64), batch=batch)
    r = api(done_work.owner).get(f"/api/v1/stylizations/{work.pk}/download/", {"format": "webp"})
    assert r.status_code == 400
    assert "WebP holds pictures up to 16383 px a side" in r.json()["detail"]
    assert r.json()["errors"] == {"format": [r.json()["detail"]]}
    client.force_login(done_work.owner)
    page = client.get(f"/w/{work.pk}/download", {"format": "webp"})
    assert page.status_code == 400 and b"Download it as PNG or JPEG" in page.content
    assert b"?format=webp" not in client.get(f"/w/{work.pk}/").content  # no WebP button
    assert b"Full size" in client.get(f"/w/{work.pk}/").content
    archive = zipfile.ZipFile(io.BytesIO(b"".join(client.get(f"/batches/{batch.pk}/zip",
                                                             {"format": "webp"}).streaming_content)))
    [name] = archive.namelist()
    assert name.endswith(".png") and Image.open(archive.open(name)).size == (17000, 64)
