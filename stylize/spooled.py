"""A photo too large to hold: decoded once, row by row, into a raw file on disk, and read
back a tile at a time. No Django.

Pillow decodes a picture whole — at 50 MP a 200-MB image (4 bytes a pixel) plus the
decoder's copies, ~380 MB measured, held through the whole tiled render. libvips (pyvips)
decodes JPEG, PNG and WebP sequentially in small strips: the strips are flattened onto
white exactly as :func:`stylize.images.flatten` does, written to an unlinked temporary
file, and a reduced copy is kept for what needs the whole view (the photo's own style
vector, thumbnails). Tiles are read back with ``preadv`` — no mapping, so nothing of the
file counts towards the process's resident memory, whatever the photo's size.

A :class:`SpooledPhoto` offers what the tiled render uses of a picture: ``size``,
``width``, ``height``, ``mode`` and ``crop(box)``; its ``alpha`` (or None) likewise.
"""

from __future__ import annotations

import math
import os
import tempfile
from typing import BinaryIO

import numpy as np
from PIL import Image

from stylize import streams

STRIP_ROWS = 64  # rows fetched from libvips at a time: 1.5 MB at 8160 px wide
# The reduced copy: its shorter side at least the largest brush scale (the predictor sees the
# photo's shorter side at that size), its area at most SMALL_PIXELS (long panoramas).
SMALL_SHORT_SIDE = 1024
SMALL_PIXELS = 4_000_000
MAX_PIXELS = 10**9


class SpoolError(ValueError):
    """The file is not a picture this module reads (format, size)."""


class Rows:
    """``height`` rows of ``width`` × ``channels`` uint8 in an unlinked temporary file,
    written top to bottom with :meth:`append`, read anywhere with :meth:`crop`."""

    def __init__(self, width: int, height: int, channels: int):
        self.width, self.height, self.channels = width, height, channels
        self.mode = {1: "L", 3: "RGB"}[channels]
        self._file = tempfile.TemporaryFile(prefix="nst-photo-")
        self._written = 0

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def append(self, rows: np.ndarray) -> None:
        rows = rows.reshape(len(rows), self.width, self.channels)
        if self._written + len(rows) > self.height:
            raise ValueError("more rows than the picture's height")
        self._file.write(np.ascontiguousarray(rows, np.uint8).tobytes())
        self._written += len(rows)

    def crop(self, box: tuple[int, int, int, int]) -> Image.Image:
        """The pixels in ``box`` (left, top, right, bottom; inside the picture)."""
        x0, y0, x1, y1 = (int(v) for v in box)
        if not (0 <= x0 < x1 <= self.width and 0 <= y0 < y1 <= self._written):
            raise ValueError(f"crop {box} is not inside {self.width}×{self._written}")
        c, line = self.channels, self.width * self.channels
        out = np.empty((y1 - y0, x1 - x0, c), np.uint8)
        fd = self._file.fileno()
        if x0 == 0 and x1 == self.width:  # whole rows: one read
            _read_fully(fd, out, y0 * line)
        else:
            for i in range(y1 - y0):
                _read_fully(fd, out[i], (y0 + i) * line + x0 * c)
        return Image.fromarray(out[..., 0] if c == 1 else out, self.mode)

    def close(self) -> None:
        self._file.close()


def _read_fully(fd: int, into: np.ndarray, offset: int) -> None:
    view = memoryview(into).cast("B")
    while len(view):
        n = os.preadv(fd, [view], offset)
        if n <= 0:
            raise OSError("the spooled photo's file ended early")
        view, offset = view[n:], offset + n


def _flattened(pixels: np.ndarray) -> np.ndarray:
    """RGBA rows composited on white, bit for bit as Pillow's ``paste(..., mask=alpha)``
    (``stylize.images.flatten``): round((c·a + 255·(255 − a)) / 255)."""
    a = pixels[..., 3:4].astype(np.uint32)
    x = pixels[..., :3].astype(np.uint32) * a + 255 * (255 - a) + 128
    return ((x + (x >> 8)) >> 8).astype(np.uint8)


class SpooledPhoto:
    """The photo in ``fh`` (a binary file: a stored JPEG, PNG or WebP), shrunk to at most
    ``max_side`` px long (never enlarged), its colours on white in :attr:`rgb`-like rows
    (the object itself) and its transparency, if any, in :attr:`alpha`."""

    def __init__(self, fh: BinaryIO, *, max_side: int | None = None):
        import pyvips

        try:
            im, source = streams.open_sequential(fh)
        except ValueError as exc:
            raise SpoolError(str(exc)) from exc
        if im.width * im.height > MAX_PIXELS:
            raise SpoolError("This picture has too many pixels.")
        im = _eight_bit(im)
        if im.bands in (1, 2):  # grey (and alpha): grey copied to R, G and B, as Pillow does
            im = im[0].bandjoin([im[0], im[0]] + ([im[1]] if im.bands == 2 else []))
        if im.bands not in (3, 4):
            raise SpoolError("Only grey, RGB and RGBA photos are read in strips.")
        if max_side and max(im.width, im.height) > max_side:
            im = _fit(im, max_side)
        self.width, self.height = im.width, im.height
        self.mode = "RGB"
        self._rgb = Rows(im.width, im.height, 3)
        self.alpha = Rows(im.width, im.height, 1) if im.bands == 4 else None
        small = streams.Reduced(im.width, 3, _small_factor(im.width, im.height))
        region = pyvips.Region.new(im)
        for y in range(0, im.height, STRIP_ROWS):
            n = min(STRIP_ROWS, im.height - y)
            strip = np.frombuffer(region.fetch(0, y, im.width, n), np.uint8)
            strip = strip.reshape(n, im.width, im.bands)
            rgb = _flattened(strip) if im.bands == 4 else strip
            self._rgb.append(rgb)
            if self.alpha is not None:
                self.alpha.append(strip[..., 3])
            small.write(rgb)
        self.small = small.picture()
        del region, im, source

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def crop(self, box: tuple[int, int, int, int]) -> Image.Image:
        """The colours (on white) in ``box``, an RGB picture."""
        return self._rgb.crop(box)

    def close(self) -> None:
        self._rgb.close()
        if self.alpha is not None:
            self.alpha.close()

    def __enter__(self) -> SpooledPhoto:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _small_factor(width: int, height: int) -> int:
    by_side = min(width, height) // SMALL_SHORT_SIDE
    by_area = math.ceil(math.sqrt(width * height / SMALL_PIXELS))
    return max(1, by_side, by_area)


def _eight_bit(im):
    if im.format == "uchar":
        return im
    if im.format == "ushort":  # 16-bit PNG: the high byte, as Pillow reads it
        return (im >> 8).cast("uchar")
    raise SpoolError("Only 8- and 16-bit photos are read in strips.")


def _fit(im, max_side: int):
    """Shrunk to ``max_side`` long, the same size :func:`stylize.images.fit` gives
    (Lanczos; alpha premultiplied, as Pillow resizes RGBA)."""
    scale = max_side / max(im.width, im.height)
    w, h = max(1, round(im.width * scale)), max(1, round(im.height * scale))
    alpha = im.bands == 4
    if alpha:
        im = im.premultiply()
    im = im.resize(w / im.width, vscale=h / im.height, kernel="lanczos3")
    if alpha:
        im = im.unpremultiply()
    if im.format != "uchar":
        im = (im + 0.5).cast("uchar")  # cast clips to 0–255
    if (im.width, im.height) != (w, h):  # libvips rounds the size its own way at times
        im = im.crop(0, 0, min(w, im.width), min(h, im.height)).gravity("north-west", w, h,
                                                                       extend="copy")
    return im
