"""Pictures written row by row (stylize/streams.py): the PNG decodes to exactly the rows
given, in any strip sizes, RGB and RGBA; its files are as small as Pillow's; the reduced
copy is the box mean; bad use is refused."""

import io
import zlib

import numpy as np
import pytest
from PIL import Image

from stylize import streams
from tests.imagegen import photo


def _written(arr, strips, height=None):
    buf = io.BytesIO()
    png = streams.PNGRows(buf, arr.shape[1], height, arr.shape[2])
    y = 0
    for n in strips:
        png.write(arr[y:y + n])
        y += n
    png.close()
    return buf.getvalue()


@pytest.mark.parametrize("strips", [[517], [1, 2, 3, 200, 311], [64] * 8 + [5]])
def test_the_png_holds_exactly_the_rows_given(strips):
    arr = np.asarray(photo(333, 517, seed=31))
    data = _written(arr, strips)
    back = Image.open(io.BytesIO(data))
    assert back.format == "PNG" and back.mode == "RGB" and back.size == (333, 517)
    assert np.array_equal(np.asarray(back), arr)
    assert _written(arr, strips, height=517) == data  # height known or patched: the same file


def test_rgba_and_every_filter_are_used_and_decoded():
    rng = np.random.default_rng(3)
    arr = np.asarray(photo(200, 150, seed=32).convert("RGBA")).copy()
    arr[..., 3] = rng.integers(0, 256, (150, 200))
    arr[40:60] = 0  # flat rows: filter None or Up wins there
    data = _written(arr, [70, 80])
    back = Image.open(io.BytesIO(data))
    assert back.mode == "RGBA" and np.array_equal(np.asarray(back), arr)
    # the filter type of every scanline, from the decompressed IDAT stream
    idat, pos = b"", 8
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        if data[pos + 4:pos + 8] == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw = zlib.decompress(idat)
    types = {raw[i * (200 * 4 + 1)] for i in range(150)}
    assert types <= {0, 1, 2, 3, 4} and len(types) >= 3, types


def test_files_are_as_small_as_pillows():
    arr = np.asarray(photo(640, 480, seed=33))
    ours = len(_written(arr, [100, 380]))
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG", compress_level=6)
    assert ours <= 1.05 * len(buf.getvalue()), (ours, len(buf.getvalue()))


def test_bad_rows_are_refused():
    buf = io.BytesIO()
    png = streams.PNGRows(buf, 10, 4)
    with pytest.raises(ValueError, match="uint8"):
        png.write(np.zeros((2, 11, 3), np.uint8))
    png.write(np.zeros((3, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="more rows"):
        png.write(np.zeros((2, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="3 rows written of 4"):
        png.close()
    with pytest.raises(ValueError, match="RGB"):
        streams.PNGRows(buf, 10, 4, channels=2)


def test_the_reduced_copy_is_the_box_mean_with_ragged_edges():
    arr = np.asarray(photo(103, 77, seed=34))
    reduced = streams.Reduced(103, 3, 4)
    for y in range(0, 77, 10):  # strips that do not fall on the boxes
        reduced.write(arr[y:y + 10])
    out = np.asarray(reduced.picture()).astype(float)
    assert out.shape == (20, 26, 3)  # 77 = 19 × 4 + 1, 103 = 25 × 4 + 3
    assert np.abs(out[3, 5] - arr[12:16, 20:24].mean(axis=(0, 1))).max() <= 0.5
    assert np.abs(out[19, 25] - arr[76:, 100:].mean(axis=(0, 1))).max() <= 0.5
    assert np.abs(out[0, 25] - arr[:4, 100:].mean(axis=(0, 1))).max() <= 0.5


def test_a_print_sink_writes_the_png_and_refuses_rows_out_of_order():
    arr = np.asarray(photo(300, 200, seed=35))
    buf = io.BytesIO()
    sink = streams.Print(buf, thumb_side=40, long_side=300)
    sink(0, arr[:120])
    with pytest.raises(ValueError, match="after 120 rows"):
        sink(100, arr[100:])
    sink(120, arr[120:])
    width, height, reduced = sink.close()
    assert (width, height) == (300, 200) and buf.tell() == 0
    assert np.array_equal(np.asarray(Image.open(buf)), arr)
    assert reduced.size == (100, 67)  # 300 // (2 × 40) = 3: at least twice the thumbnail
    with pytest.raises(ValueError, match="no rows"):
        streams.Print(io.BytesIO(), 40, 300).close()


def test_a_jpeg_made_strip_by_strip_is_the_one_pillow_makes():
    """streams.jpeg_of (downloads of prints): the same JPEG bytes' pixels as images.encode
    for an opaque picture; a transparent one on white; no metadata; only our formats."""
    from stylize import images

    opaque = photo(333, 217, seed=36)
    out = io.BytesIO()
    streams.jpeg_of(io.BytesIO(images.encode(opaque, "PNG")), out)
    ours = Image.open(io.BytesIO(out.getvalue()))
    pillows = Image.open(io.BytesIO(images.encode(opaque, "JPEG")))
    assert ours.format == "JPEG" and ours.size == (333, 217)
    assert np.array_equal(np.asarray(ours), np.asarray(pillows))
    assert not ours.getexif() and "icc_profile" not in ours.info and "comment" not in ours.info

    arr = np.asarray(opaque.convert("RGBA")).copy()
    arr[..., 3] = 0  # fully transparent: white
    out = io.BytesIO()
    streams.jpeg_of(io.BytesIO(images.encode(Image.fromarray(arr, "RGBA"), "PNG")), out)
    assert np.asarray(Image.open(io.BytesIO(out.getvalue()))).min() >= 250

    with pytest.raises(ValueError, match="Only PNG, JPEG and WebP"):
        streams.jpeg_of(io.BytesIO(_gif(opaque)), io.BytesIO())


def _gif(pic):
    buf = io.BytesIO()
    pic.save(buf, "GIF")
    return buf.getvalue()
