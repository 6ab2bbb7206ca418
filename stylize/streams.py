"""Pictures written row by row, so a 50-MP result never exists whole in memory. No Django.

A tiled render hands its finished rows over top to bottom (stylize/tiling.py's ``sink``);
:class:`PNGRows` encodes them into a PNG file as they come and :class:`Reduced` keeps a
small copy for the thumbnail. Why not a library: Pillow and pyvips both want the whole
picture — in memory, or (pyvips' ``rawload``) as one mapped file, which the kernel counts
as resident once read: measured 155 MB of peak RSS to encode a 50-MP raw file — and pypng
writes rows without PNG's filters (files a third larger). The PNG format is small and
fixed (RFC 2083): signature, IHDR, IDAT holding one zlib stream of filtered rows, IEND.
Rows are filtered as libpng and Pillow do it: per row, of the five filters, the one whose
bytes, read as signed, have the smallest sum of absolute values.
"""

from __future__ import annotations

import struct
import zlib
from typing import BinaryIO

import numpy as np
from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHUNK_ROWS = 16  # rows filtered at a time: at 8160 px wide ~10 MB of int16 work (64: ~40 MB)
IDAT_BYTES = 1 << 20  # compressed bytes per IDAT chunk
COLOUR_TYPES = {3: 2, 4: 6}  # channels → PNG colour type (RGB, RGBA), 8 bits each


_SIGNED_ABS = np.abs(np.arange(256, dtype=np.uint8).view(np.int8).astype(np.int16)).astype(np.uint8)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def filter_rows(rows: np.ndarray, previous: np.ndarray | None) -> bytes:
    """``rows`` (n × width × channels, uint8) as PNG scanlines: a filter-type byte and the
    filtered bytes each, the filter chosen per row; ``previous``: the row above the first
    (None at the top of the picture)."""
    n, w, c = rows.shape
    x = rows.reshape(n, w * c).astype(np.int16)
    above = np.empty_like(x)
    above[0] = 0 if previous is None else previous.reshape(-1)
    above[1:] = x[:-1]
    left = np.zeros_like(x)
    left[:, c:] = x[:, :-c]
    corner = np.zeros_like(x)
    corner[:, c:] = above[:, :-c]
    p = left + above - corner
    pa, pb, pc = np.abs(p - left), np.abs(p - above), np.abs(p - corner)
    paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, above, corner))
    del p, pa, pb, pc
    candidates = np.stack([x, x - left, x - above, x - ((left + above) >> 1), x - paeth])
    del paeth, corner
    as_bytes = candidates.astype(np.uint8)  # modulo 256, as PNG wants: 5 filters × rows × bytes
    cost = _SIGNED_ABS[as_bytes].sum(axis=2, dtype=np.int32)
    best = cost.argmin(axis=0)
    out = np.empty((n, w * c + 1), np.uint8)
    out[:, 0] = best
    out[:, 1:] = as_bytes[best, np.arange(n)]
    return out.tobytes()


class PNGRows:
    """A PNG of ``width`` × ``height`` (3 channels: RGB, 4: RGBA) written to ``out`` as rows
    arrive: ``write(rows)`` top to bottom, then ``close()``. Holds one chunk of rows and
    zlib's window, whatever the picture's size. ``height`` None: as many rows as come (``out``
    must then be seekable: the header is written again at the end)."""

    def __init__(self, out: BinaryIO, width: int, height: int | None, channels: int = 3,
                 level: int = 6):
        if channels not in COLOUR_TYPES:
            raise ValueError("PNGRows writes RGB (3 channels) or RGBA (4)")
        self.out, self.width, self.height, self.channels = out, width, height, channels
        self.rows_written = 0
        self._zip = zlib.compressobj(level)
        self._pending = b""
        self._last: np.ndarray | None = None
        self._start = out.tell() if height is None else 0
        out.write(SIGNATURE + self._header(height or 0))

    def _header(self, height: int) -> bytes:
        return _chunk(b"IHDR", struct.pack(">IIBBBBB", self.width, height, 8,
                                           COLOUR_TYPES[self.channels], 0, 0, 0))

    def write(self, rows: np.ndarray) -> None:
        if rows.ndim != 3 or rows.shape[1:] != (self.width, self.channels) or rows.dtype != np.uint8:
            raise ValueError(f"rows must be uint8 n × {self.width} × {self.channels}")
        if self.height is not None and self.rows_written + len(rows) > self.height:
            raise ValueError("more rows than the picture's height")
        for i in range(0, len(rows), CHUNK_ROWS):
            part = rows[i:i + CHUNK_ROWS]
            self._emit(self._zip.compress(filter_rows(part, self._last)))
            self._last = part[-1].copy()
        self.rows_written += len(rows)

    def _emit(self, data: bytes) -> None:
        self._pending += data
        while len(self._pending) >= IDAT_BYTES:
            self.out.write(_chunk(b"IDAT", self._pending[:IDAT_BYTES]))
            self._pending = self._pending[IDAT_BYTES:]

    def close(self) -> None:
        if self.height is not None and self.rows_written != self.height:
            raise ValueError(f"{self.rows_written} rows written of {self.height}")
        if not self.rows_written:
            raise ValueError("a PNG needs at least one row")
        self._pending += self._zip.flush()
        if self._pending:
            self.out.write(_chunk(b"IDAT", self._pending))
        self.out.write(_chunk(b"IEND", b""))
        self._pending = b""
        if self.height is None:
            end = self.out.tell()
            self.out.seek(self._start + len(SIGNATURE))
            self.out.write(self._header(self.rows_written))
            self.out.seek(end)
            self.height = self.rows_written


class Reduced:
    """A copy of a picture reduced by an integer ``factor`` (box means), built from rows
    arriving top to bottom — enough for a thumbnail, at 1/factor² of the memory. Kept in
    blocks of ``BLOCK_ROWS`` reduced rows: many small long-lived arrays between a render's
    large short-lived ones leave glibc's heap unable to shrink (measured: +270 MB of peak
    RSS spooling a 50-MP photo with one array per strip)."""

    BLOCK_ROWS = 256

    def __init__(self, width: int, channels: int, factor: int):
        self.factor, self.width, self.channels = max(1, factor), width, channels
        self.out_width = -(-width // self.factor)
        self._blocks: list[np.ndarray] = []
        self._rows = 0  # reduced rows written
        self._carry = np.empty((0, width, channels), np.uint8)

    def write(self, rows: np.ndarray) -> None:
        k = self.factor
        rows = np.concatenate([self._carry, rows]) if len(self._carry) else rows
        whole = len(rows) // k * k
        self._carry = rows[whole:].copy()
        if whole:
            self._keep(self._boxes(rows[:whole], k))

    def _keep(self, reduced: np.ndarray) -> None:
        while len(reduced):
            at = self._rows % self.BLOCK_ROWS
            if at == 0:
                self._blocks.append(np.empty((self.BLOCK_ROWS, self.out_width, self.channels),
                                             np.uint8))
            n = min(len(reduced), self.BLOCK_ROWS - at)
            self._blocks[-1][at:at + n] = reduced[:n]
            reduced, self._rows = reduced[n:], self._rows + n

    def _boxes(self, rows: np.ndarray, tall: int) -> np.ndarray:
        """Means of boxes ``tall`` rows × ``factor`` columns (the last column of boxes
        narrower where the width is not a multiple)."""
        import cv2  # INTER_AREA at a whole factor is the box mean, ~30× numpy's mean

        k = self.factor
        n, w, c = rows.shape
        cut = w // k * k
        body = cv2.resize(np.ascontiguousarray(rows[:, :cut]), (cut // k, n // tall),
                          interpolation=cv2.INTER_AREA).reshape(n // tall, cut // k, c)
        if cut < w:
            rest = rows[:, cut:].reshape(n // tall, tall, w - cut, c).mean(axis=(1, 2))
            body = np.concatenate([body, (rest[:, None] + 0.5).astype(np.uint8)], axis=1)
        return body

    def picture(self) -> Image.Image:
        """The reduced picture (the last row of boxes from the rows left over)."""
        if len(self._carry):
            self._keep(self._boxes(self._carry, len(self._carry)))
            self._carry = self._carry[:0]
        arr = np.concatenate(self._blocks)[:self._rows]
        return Image.fromarray(arr, "RGBA" if arr.shape[2] == 4 else "RGB")


class Print:
    """A sink for a render's rows (``Engine.stylize(..., sink=...)``): a PNG written to
    ``out`` as they come and a reduced copy for the thumbnail. ``long_side``: the picture's
    expected longer side, which sets the reduction."""

    def __init__(self, out: BinaryIO, thumb_side: int, long_side: int):
        self.out, self.thumb_side, self.long_side = out, thumb_side, long_side
        self._png: PNGRows | None = None
        self._reduced: Reduced | None = None

    def __call__(self, y: int, rows: np.ndarray) -> None:
        if self._png is None:
            w, c = rows.shape[1], rows.shape[2]
            self._png = PNGRows(self.out, w, None, c)
            self._reduced = Reduced(w, c, self.long_side // (2 * self.thumb_side))  # ≥ 2× the thumbnail
        if y != self._png.rows_written:
            raise ValueError(f"rows from {y} arrived after {self._png.rows_written} rows")
        self._png.write(rows)
        self._reduced.write(rows)

    def close(self) -> tuple[int, int, Image.Image]:
        """Finish the PNG (``out`` left at its start); → width, height, reduced copy."""
        if self._png is None:
            raise ValueError("no rows were rendered")
        self._png.close()
        self.out.seek(0)
        return self._png.width, self._png.height, self._reduced.picture()


LOADERS = ("jpegload_source", "pngload_source", "webpload_source")


def open_sequential(source: BinaryIO):
    """libvips' view of the JPEG, PNG or WebP in ``source`` (a binary file), decoded strip by
    strip as it is read top to bottom → (image, its source: keep both alive while reading).
    ValueError if it is none of those."""
    import pyvips

    pyvips.cache_set_max(0)  # its operation cache kept ~60 MB more after every picture
    src = pyvips.SourceCustom()
    src.on_read(source.read)
    if source.seekable():
        src.on_seek(source.seek)
    try:
        im = pyvips.Image.new_from_source(src, "", access="sequential")
    except pyvips.Error as exc:
        raise ValueError("This file is not a picture that can be read.") from exc
    if im.get("vips-loader") not in LOADERS:
        raise ValueError("Only PNG, JPEG and WebP pictures are read strip by strip.")
    return im, src


def jpeg_of(source: BinaryIO, out: BinaryIO, *, quality: int = 92) -> None:
    """The picture in ``source`` (a PNG, JPEG or WebP this site wrote) re-encoded as a JPEG
    into ``out``, strip by strip: libvips decodes and encodes sequentially, so a 50-MP print
    is never whole in memory (Pillow: the decoded picture, 200 MB, and the file twice).
    Transparency goes onto white; no metadata; no chroma subsampling, as
    :func:`stylize.images.encode` writes JPEGs."""
    import pyvips

    im, src = open_sequential(source)
    target = pyvips.TargetCustom()
    target.on_write(out.write)
    if im.hasalpha():
        im = im.flatten(background=[255] * (im.bands - 1))
    if im.bands == 1:
        im = im.colourspace("srgb")
    im.jpegsave_target(target, Q=quality, subsample_mode="off", keep="none")
    del im, src
