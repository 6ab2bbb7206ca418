import io
import struct
import tracemalloc
import zlib

import numpy as np
import pytest
from PIL import Image

from stylize import images
from stylize.images import ImageError, encode, fit, open_image
from tests.imagegen import encoded, photo


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP"])
def test_accepted_formats_open_as_rgb_of_the_same_size(fmt):
    data = encoded(photo(90, 70), fmt)
    img = open_image(data)
    assert img.mode == "RGB"
    assert img.size == (90, 70)


def test_opens_from_path_bytes_and_file_object(tmp_path):
    data = encoded(photo(64, 48))
    path = tmp_path / "p.png"
    path.write_bytes(data)
    for source in (path, str(path), data, io.BytesIO(data)):
        assert open_image(source).size == (64, 48)


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"/>'
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
PSD = b"8BPS\x00\x01" + b"\x00" * 6 + b"\x00\x03" + struct.pack(">II", 64, 64) + b"\x00\x08\x00\x03"


@pytest.mark.parametrize(
    "data",
    [SVG, PDF, PSD, b"just some text, not a picture", encoded(photo(64, 64), "ICO")],
    ids=["svg", "pdf", "psd", "text", "ico"],
)
def test_other_formats_are_refused_with_a_readable_message(data):
    with pytest.raises(ImageError, match="not an image we can read.*JPEG, PNG or WebP"):
        open_image(data)


def test_empty_file_is_refused():
    with pytest.raises(ImageError, match="empty"):
        open_image(b"")


def test_truncated_file_is_refused():
    data = encoded(photo(200, 200), "JPEG")
    with pytest.raises(ImageError, match="damaged|truncated"):
        open_image(data[: len(data) // 3])


def test_too_small_is_refused():
    with pytest.raises(ImageError, match=r"too small \(20×300\).*32 px"):
        open_image(encoded(photo(20, 300)))


def test_too_many_bytes_is_refused():
    with pytest.raises(ImageError, match="larger than 1 MB"):
        open_image(b"\x89PNG" + b"\x00" * (2 * 1024 * 1024), max_bytes=1024 * 1024)


def _png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header claiming a huge grey image, with almost no data behind it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (width + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [(60_000, 60_000), (10_000, 6_000)])
def test_decompression_bomb_is_refused_before_allocating_it(side):
    bomb = _png_bomb(*side)  # gigapixels claimed, a few kB on disk
    tracemalloc.start()
    try:
        with pytest.raises(ImageError, match=r"too large.*limit is 50 megapixels"):
            open_image(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024  # the full images would be 3.6 GB and 60 MB


def test_bomb_just_above_a_custom_limit_is_refused():
    with pytest.raises(ImageError, match="too large"):
        open_image(encoded(photo(100, 100)), max_pixels=9_999)


def test_exif_orientation_is_applied():
    img = photo(80, 40)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise for display
    out = open_image(encoded(img, "JPEG", exif=exif.tobytes()))
    assert out.size == (40, 80)


def test_palette_with_transparency_keeps_alpha():
    img = Image.new("P", (64, 64), 0)
    img.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    img.paste(1, (0, 0, 32, 64))
    img.info["transparency"] = 0
    out = open_image(encoded(img, "PNG", transparency=0))
    assert out.mode == "RGBA"
    alpha = np.asarray(out.getchannel("A"))
    assert alpha[:, :32].min() == 255 and alpha[:, 32:].max() == 0


def test_opaque_alpha_is_dropped():
    out = open_image(encoded(photo(64, 64).convert("RGBA")))
    assert out.mode == "RGB"


def test_greyscale_with_alpha_becomes_rgba():
    img = Image.merge("LA", (Image.new("L", (64, 64), 100), Image.new("L", (64, 64), 128)))
    out = open_image(encoded(img))
    assert out.mode == "RGBA"
    assert out.getpixel((5, 5)) == (100, 100, 100, 128)


def test_cmyk_jpeg_gets_rgb_colours():
    cmyk = Image.new("CMYK", (64, 64), (0, 255, 255, 0))  # pure red in CMYK
    out = open_image(encoded(cmyk, "JPEG", quality=95))
    r, g, b = out.getpixel((32, 32))
    assert r > 200 and g < 60 and b < 60


def test_sixteen_bit_greyscale_is_scaled_not_clipped():
    arr = np.full((64, 64), 32768, dtype=np.uint16)  # mid grey in 16 bits
    img = Image.fromarray(arr)
    assert img.mode.startswith("I;16")
    out = open_image(encoded(img, "PNG"))
    assert out.mode == "RGB"
    assert abs(out.getpixel((10, 10))[0] - 128) <= 1  # Pillow's convert() would say 255


def test_one_bit_image_becomes_black_and_white_rgb():
    img = Image.new("1", (64, 64), 0)
    img.paste(1, (0, 0, 32, 64))
    out = open_image(encoded(img))
    assert out.getpixel((0, 0)) == (255, 255, 255) and out.getpixel((63, 0)) == (0, 0, 0)


def test_first_frame_of_an_animated_gif():
    frames = [Image.new("RGB", (64, 64), c) for c in ((255, 0, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    r, g, b = open_image(buf.getvalue()).getpixel((1, 1))
    assert r > 200 and b < 50


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_encode_strips_all_metadata(fmt):
    img = photo(64, 64)
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}  # GPS
    src = open_image(encoded(img, "JPEG", exif=exif.tobytes(), comment=b"secret"))
    src.info["exif"] = exif.tobytes()
    src.info["comment"] = b"secret"
    data = encode(src, fmt)
    assert b"CameraMaker" not in data and b"secret" not in data
    back = Image.open(io.BytesIO(data))
    assert back.format == fmt
    assert not back.getexif()
    assert "comment" not in back.info and "exif" not in back.info


def test_encode_flattens_alpha_for_jpeg_and_keeps_it_for_png():
    img = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    assert Image.open(io.BytesIO(encode(img, "JPEG"))).getpixel((1, 1)) == (255, 255, 255)
    assert Image.open(io.BytesIO(encode(img, "PNG"))).mode == "RGBA"


def test_encode_refuses_unknown_format():
    with pytest.raises(ImageError, match="PNG, JPEG or WebP"):
        encode(photo(40, 40), "TGA")


def test_fit_shrinks_keeping_aspect_and_never_enlarges():
    img = photo(400, 100)
    assert fit(img, 200).size == (200, 50)
    assert fit(img, 1000).size == (400, 100)


def test_array_round_trip_is_lossless():
    img = photo(50, 40)
    assert np.array_equal(np.asarray(images.from_array(images.to_array(img))), np.asarray(img))


def test_detailed_noisy_pictures_encode_as_jpeg():
    # Pillow's optimize=True path failed on these with "broken data stream".
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (200, 300, 3), dtype=np.uint8))
    for quality in (85, 92, 95):
        data = encode(noise, "JPEG", quality=quality)
        assert Image.open(io.BytesIO(data)).size == (300, 200)


def test_stored_files_are_not_held_to_upload_limits():
    big = encoded(Image.fromarray(
        np.random.default_rng(1).integers(0, 256, (600, 800, 3), dtype=np.uint8)), "PNG")
    with pytest.raises(ImageError, match="larger than"):
        open_image(big, max_bytes=len(big) // 2)
    assert images.open_stored(big).size == (800, 600)
