"""Decode, validate, normalise and encode images. No Django here.

Every way an upload can be unusable raises ``ImageError`` with a sentence a person
can read; callers show ``str(exc)`` as it is.

Alpha: a picture with real transparency comes back as RGBA. The engine stylizes
it composited on white and re-attaches the original alpha to the result, so a
cut-out stays a cut-out in PNG/WebP output (JPEG flattens onto white).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# GIF and TIFF: the first frame only. Everything else (SVG, PDF, PSD, EPS, ICO...)
# is refused before any decoder runs, because Pillow only tries these plugins.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP")
OUTPUT_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
MAX_PIXELS = 50_000_000
MAX_BYTES = 40 * 1024 * 1024
MIN_SIDE = 32
WHITE = (255, 255, 255)

Source = str | os.PathLike | bytes | bytearray | BinaryIO


class ImageError(ValueError):
    """The image cannot be used; the message is meant for the person who sent it.

    ``code`` says which kind of problem it is, so an API can pick a status:
    ``unsupported`` (415), ``too_large`` (413), ``too_small``, ``damaged``, ``empty``.
    """

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code


def _as_stream(source: Source, max_bytes: int) -> BinaryIO:
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"No image file at {path}.", "missing")
        if path.stat().st_size > max_bytes:
            raise ImageError(f"The file is larger than {max_bytes // (1024 * 1024)} MB.", "too_large")
        data = path.read_bytes()
    else:
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageError(f"The file is larger than {max_bytes // (1024 * 1024)} MB.", "too_large")
    if not data:
        raise ImageError("The file is empty.", "empty")
    return io.BytesIO(data)


def open_image(
    source: Source,
    *,
    max_pixels: int = MAX_PIXELS,
    min_side: int = MIN_SIDE,
    max_bytes: int = MAX_BYTES,
) -> Image.Image:
    """Open, check and normalise an image; returns a loaded RGB or RGBA image."""
    stream = _as_stream(source, max_bytes)
    try:
        img = Image.open(stream, formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise ImageError(
            "This file is not an image we can read. Please upload a JPEG, PNG or WebP "
            "(GIF, TIFF and BMP also work).",
            "unsupported",
        ) from None
    except Image.DecompressionBombError:
        raise ImageError(_too_many_pixels(max_pixels), "too_large") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"This image is damaged and cannot be read ({exc}).", "damaged") from None

    # Only the header has been read so far: refuse oversized images before
    # a single pixel buffer is allocated.
    width, height = img.size
    if width * height > max_pixels:
        raise ImageError(_too_many_pixels(max_pixels, width, height), "too_large")
    if min(width, height) < min_side:
        raise ImageError(
            f"The image is too small ({width}×{height}); both sides need at least {min_side} px.",
            "too_small",
        )
    try:
        img.seek(0)
        img.load()
        img = ImageOps.exif_transpose(img)
    except Image.DecompressionBombError:
        raise ImageError(_too_many_pixels(max_pixels), "too_large") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(
            f"This image is damaged or truncated and cannot be read ({exc}).", "damaged"
        ) from None
    return _normalise(img)


def _too_many_pixels(max_pixels: int, width: int | None = None, height: int | None = None) -> str:
    size = f" ({width}×{height})" if width else ""
    return f"The image is too large{size}; the limit is {max_pixels / 1e6:.0f} megapixels."


def _normalise(img: Image.Image) -> Image.Image:
    """Any decodable mode → RGB, or RGBA when the picture really has transparency."""
    icc = img.info.get("icc_profile")
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        img = _high_bit_depth_to_l(img)
    elif mode == "1":
        img = img.convert("L")
    elif mode in ("P", "PA"):
        img = img.convert("RGBA" if ("transparency" in img.info or mode == "PA") else "RGB")
    elif mode in ("LA", "La"):
        img = img.convert("RGBA")
    elif mode == "RGBa":
        img = img.convert("RGBA")

    if icc and img.mode in ("RGB", "RGBA", "CMYK", "L"):
        img = _to_srgb(img, icc)
    if img.mode == "RGBA":
        if img.getchannel("A").getextrema()[0] == 255:
            return img.convert("RGB")
        return img
    return img.convert("RGB")


def _high_bit_depth_to_l(img: Image.Image) -> Image.Image:
    # Pillow's own convert() clips 16-bit values at 255 (a white picture);
    # scale by the format's real range instead.
    arr = np.asarray(img, dtype=np.float64)
    if img.mode == "F":
        top = 1.0 if arr.max(initial=0) <= 1.0 else 255.0
    elif img.mode.startswith("I;16") or arr.max(initial=0) > 255:
        top = 65535.0
    else:
        top = 255.0
    scaled = np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(scaled)


def _to_srgb(img: Image.Image, icc: bytes) -> Image.Image:
    """Apply an embedded colour profile so wide-gamut or CMYK photos keep their colours."""
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        alpha = img.getchannel("A") if img.mode == "RGBA" else None
        base = img.convert("RGB") if img.mode == "RGBA" else img
        out = ImageCms.profileToProfile(
            base, src, ImageCms.createProfile("sRGB"), outputMode="RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return img  # a broken profile is not worth refusing the photo for
    if alpha is not None:
        out.putalpha(alpha)
    return out


def flatten(img: Image.Image, background: tuple[int, int, int] = WHITE) -> Image.Image:
    """RGB version of ``img``, compositing any alpha onto ``background``."""
    if img.mode == "RGB":
        return img
    if img.mode != "RGBA":
        img = img.convert("RGBA")
    canvas = Image.new("RGB", img.size, background)
    canvas.paste(img, mask=img.getchannel("A"))
    return canvas


def fit(img: Image.Image, max_side: int | None) -> Image.Image:
    """Shrink so the longer side is at most ``max_side``; never enlarge."""
    if not max_side or max(img.size) <= max_side:
        return img
    scale = max_side / max(img.size)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def encode(img: Image.Image, fmt: str = "PNG", *, quality: int = 92) -> bytes:
    """Encode with no metadata at all (no EXIF, GPS, comments, ICC, text chunks)."""
    fmt = fmt.upper().replace("JPG", "JPEG")
    if fmt not in OUTPUT_FORMATS:
        raise ImageError(f"Unknown output format {fmt!r}; use PNG, JPEG or WebP.", "unsupported")
    if fmt == "JPEG":
        img = flatten(img)
    elif img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGB")
    # Pixels only: .info (exif, comments, icc) is what the encoders write metadata from. A
    # fresh picture (a render) has none and is saved as it is; else a copy with it emptied
    # (one copy of the pixels: at 50 MP a copy is 200 MB).
    clean = img
    if img.info:
        clean = img.copy()
        clean.info.clear()
    buf = io.BytesIO()
    try:
        if fmt == "JPEG":
            # No optimize=True: Pillow then sizes its buffer from the pixel count and fails
            # with "broken data stream" on detailed or noisy pictures.
            clean.save(buf, "JPEG", quality=quality, subsampling=0)
        elif fmt == "WEBP":
            clean.save(buf, "WEBP", quality=quality, method=4)
        else:
            clean.save(buf, "PNG", compress_level=6)
    except (OSError, ValueError) as exc:
        raise ImageError(f"The picture could not be saved as {fmt} ({exc}).", "encode") from None
    return buf.getvalue()


def open_stored(data: bytes) -> Image.Image:
    """Open a file this site wrote itself: same checks, but no upload-sized limits."""
    return open_image(data, max_pixels=10**9, max_bytes=len(data) + 1)


def to_array(img: Image.Image) -> np.ndarray:
    """RGB image → float32 HxWx3 array in [0, 1]."""
    return np.asarray(flatten(img), dtype=np.float32) * (1.0 / 255.0)


def from_array(arr: np.ndarray, *, inplace: bool = False) -> Image.Image:
    """Float HxWx3 array in [0, 1] → RGB image (rounded, clipped).

    ``inplace`` reuses ``arr`` as scratch space: at 4096² that saves ~600 MB of temporaries.
    """
    work = arr if inplace and arr.dtype == np.float32 else arr.astype(np.float32)
    np.multiply(work, 255.0, out=work)
    np.add(work, 0.5, out=work)
    np.clip(work, 0, 255, out=work)
    return Image.fromarray(work.astype(np.uint8))
