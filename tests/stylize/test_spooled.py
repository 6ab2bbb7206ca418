"""Photos spooled to disk strip by strip (stylize/spooled.py): the same pixels Pillow
decodes, flattened and shrunk as the site does it; crops read back anywhere; a tiled
render of a spooled photo is the render of the decoded one; the decode never holds the
photo whole; what is not a JPEG, PNG or WebP is refused."""

import io
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from stylize import images, streams, tiling
from stylize.backends import get_engine
from stylize.engine import EngineError
from stylize.spooled import SpooledPhoto, SpoolError
from tests.imagegen import encoded, painting, photo


def _made(mode: str, fmt: str, size=(700, 500)) -> bytes:
    pic = photo(*size, seed=5).convert(mode)
    if "A" in mode:  # transparency from 0 to 255 across the picture
        arr = np.asarray(pic).copy()
        arr[..., -1] = np.linspace(0, 255, size[0], dtype=np.uint8)[None, :]
        pic = Image.fromarray(arr, mode)
    return encoded(pic, fmt)


def _whole(spooled) -> np.ndarray:
    return np.asarray(spooled.crop((0, 0, *spooled.size))).astype(int)


CASES = [("RGB", "JPEG"), ("RGBA", "PNG"), ("L", "JPEG"), ("LA", "PNG"), ("RGB", "WEBP"),
         ("RGB", "PNG")]


@pytest.mark.parametrize(("mode", "fmt"), CASES)
def test_at_its_own_size_the_pixels_are_pillows_flattened_on_white(mode, fmt):
    data = _made(mode, fmt)
    decoded = images.open_stored(data)
    with SpooledPhoto(io.BytesIO(data)) as spooled:
        assert spooled.size == decoded.size and spooled.mode == "RGB"
        assert np.array_equal(_whole(spooled), np.asarray(images.flatten(decoded)))
        if "A" in mode:
            alpha = np.asarray(spooled.alpha.crop((0, 0, *spooled.size)))
            assert np.array_equal(alpha, np.asarray(decoded.getchannel("A")))
            assert 0 < _whole(spooled).mean() < 255 and spooled.alpha.mode == "L"
        else:
            assert spooled.alpha is None
        assert spooled.small.size == decoded.size  # a small photo: the small copy is the photo


@pytest.mark.parametrize(("mode", "fmt"), [("RGB", "JPEG"), ("RGBA", "PNG")])
def test_shrunk_it_has_the_size_images_fit_gives_and_nearly_its_pixels(mode, fmt):
    data = _made(mode, fmt)
    fitted = images.fit(images.open_stored(data), 433)
    with SpooledPhoto(io.BytesIO(data), max_side=433) as spooled:
        assert spooled.size == fitted.size == (433, 309)
        diff = np.abs(_whole(spooled) - np.asarray(images.flatten(fitted)))
        assert diff.mean() < 0.5 and diff.max() <= 8, (diff.mean(), diff.max())
    with SpooledPhoto(io.BytesIO(data), max_side=5000) as never_enlarged:
        assert never_enlarged.size == (700, 500)


def test_crops_read_back_anywhere_and_outside_is_refused():
    data = _made("RGB", "JPEG", size=(640, 480))
    with SpooledPhoto(io.BytesIO(data)) as spooled:
        whole = _whole(spooled)
        for box in [(13, 17, 200, 99), (0, 0, 640, 1), (639, 0, 640, 480), (100, 470, 640, 480)]:
            assert np.array_equal(np.asarray(spooled.crop(box)), whole[box[1]:box[3], box[0]:box[2]])
        for box in [(0, 0, 641, 10), (-1, 0, 10, 10), (5, 5, 5, 10)]:
            with pytest.raises(ValueError, match="not inside"):
                spooled.crop(box)


def test_a_large_photo_is_reduced_for_the_small_copy():
    data = _made("RGB", "JPEG", size=(4400, 1000))
    with SpooledPhoto(io.BytesIO(data)) as spooled:
        assert spooled.small.size == (2200, 500)  # 4.4 MP: halved to stay under 4 MP
        expected = np.asarray(images.open_stored(data)).astype(float)[:2, :2].mean(axis=(0, 1))
        assert np.abs(np.asarray(spooled.small)[0, 0] - expected).max() <= 0.5


def test_the_decode_never_holds_the_photo_whole():
    """12 MP (36 MB of RGB): what Python and NumPy allocate while spooling stays the
    small copy and a few strips (libvips' own buffers are strips too: bench/prints.py
    measures the whole process)."""
    data = encoded(Image.new("RGB", (4000, 3000), (90, 140, 200)), "JPEG")
    tracemalloc.start()
    try:
        with SpooledPhoto(io.BytesIO(data)) as spooled:
            _, peak = tracemalloc.get_traced_memory()
            assert spooled.size == (4000, 3000)
    finally:
        tracemalloc.stop()
    small = 2000 * 1500 * 3  # halved: its shorter side still ≥ 1024 px
    # the small copy (twice, as it is joined at the end) and a few strips: under 3/4 of the photo
    assert peak < 2 * small + 8 * 4000 * 3 * 64 < 4000 * 3000 * 3 * 3 / 4, peak / 1e6


@pytest.mark.parametrize("data", [b"not a picture at all", encoded(photo(64, 48), "GIF"),
                                  encoded(photo(64, 48), "TIFF")])
def test_what_is_not_a_jpeg_png_or_webp_is_refused(data):
    with pytest.raises(SpoolError):
        SpooledPhoto(io.BytesIO(data))


def test_a_tiled_render_of_a_spooled_photo_is_the_decoded_photos():
    """Bit for bit on onnxruntime: colours kept, transparency put back, strength below 1
    (the photo's own style vector from the small copy)."""
    engine = get_engine("embedded", runtime="onnxruntime")
    data = _made("RGBA", "PNG", size=(520, 700))
    style = engine.style_vector(painting(seed=2))
    options = dict(max_side=700, preserve_color=True, strength=0.7)
    try:
        engine.configure_tiles(tile_side=tiling.MIN_TILE_SIDE, untiled_max_pixels=0)
        whole = engine.stylize(images.open_stored(data), [(style, 1.0)], **options)
        buf = io.BytesIO()
        sink = streams.Print(buf, 60, 700)
        with SpooledPhoto(io.BytesIO(data)) as spooled:
            assert engine.stylize(spooled, [(style, 1.0)], sink=sink, **options) is None
        sink.close()
        engine.configure_tiles(untiled_max_pixels=10**9)
        with SpooledPhoto(io.BytesIO(data)) as spooled, pytest.raises(EngineError, match="tiled"):
            engine.stylize(spooled, [(style, 1.0)], max_side=700)
    finally:
        engine.configure_tiles(tile_side=tiling.DEFAULT_TILE_SIDE, untiled_max_pixels=4_000_000)
    written = Image.open(buf)
    assert written.mode == whole.mode == "RGBA" and written.size == whole.size
    assert np.array_equal(np.asarray(written), np.asarray(whole))
