"""The engine API shared by every backend (``get_engine()`` is in stylize/backends.py).
No Django here.

    engine = get_engine()                       # one per process, loaded lazily
    vec = engine.style_vector(painting, brush_scale=256)
    out = engine.stylize(photo, styles=[(vec, 1.0)], strength=0.8, max_side=1024)

A style is a picture (PIL image, path, bytes) or, on backends that have them, a
style vector. Backends implement ``_render``; options are validated and colour /
alpha handling is done here once for all of them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from stylize import images
from stylize.spooled import SpooledPhoto

DEFAULT_MAX_SIDE = 1024
# "Full size": a photo's own size. Uploads are bounded by pixels (50 MP by default) and
# proportions (16:1), so no photo's long side reaches this; any max_side at or above the
# photo's long side renders it at its own size.
MAX_SIDE_LIMIT = 32768
MIN_MAX_SIDE = 64
DEFAULT_BRUSH_SCALE = 256
BRUSH_SCALE_RANGE = (64, 1024)
MAX_STYLES = 8
# The transformer cannot take a side under 5 px (its reflect pads at quarter resolution);
# renders keep a margin above that, and pictures longer than 16:1 are refused outright
# (at the smallest output size they would be thinner than that).
MIN_RENDER_SIDE = 16
MAX_ASPECT = 16

StyleInput = Any  # PIL image, path, bytes, file object, or a style vector (np.ndarray)


class EngineError(ValueError):
    """Bad options or an unusable style; the message is meant for a person."""


class ModelError(RuntimeError):
    """The model cannot be loaded (missing, corrupt, wrong version)."""


@dataclass
class RenderInfo:
    """What the last render did, for timings shown to people and benchmarks."""

    width: int = 0
    height: int = 0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def check_options(
    *, strength: float, max_side: int, brush_scale: int, weights: Sequence[float]
) -> list[float]:
    """Validate render options; return the style weights normalised to sum 1."""
    if not 0.0 <= float(strength) <= 1.0:
        raise EngineError(f"Strength must be between 0 and 1 (got {strength}).")
    if not MIN_MAX_SIDE <= int(max_side) <= MAX_SIDE_LIMIT:
        raise EngineError(
            f"Output size must be between {MIN_MAX_SIDE} and {MAX_SIDE_LIMIT} px (got {max_side})."
        )
    lo, hi = BRUSH_SCALE_RANGE
    if not lo <= int(brush_scale) <= hi:
        raise EngineError(f"Brush scale must be between {lo} and {hi} (got {brush_scale}).")
    if not weights:
        raise EngineError("Choose at least one style.")
    if len(weights) > MAX_STYLES:
        raise EngineError(f"At most {MAX_STYLES} styles can be blended.")
    w = [float(x) for x in weights]
    if any(x < 0 or not np.isfinite(x) for x in w) or sum(w) <= 0:
        raise EngineError("Style weights must be zero or more, and not all zero.")
    total = sum(w)
    return [x / total for x in w]


@dataclass(frozen=True)
class Controls:
    """The settings every render takes, as one value: how far towards the style (strength),
    the photo's own colours kept or not, the output's long side, and the brush scale."""

    strength: float = 1.0
    preserve_color: bool = False
    max_side: int = DEFAULT_MAX_SIDE
    brush_scale: int = DEFAULT_BRUSH_SCALE

    NAMES = ("strength", "preserve_color", "max_side", "brush_scale")

    @classmethod
    def of(cls, source) -> Controls:
        """From a mapping (a form's cleaned data, a serializer's) or an object with the same
        attributes (a stored row); names it lacks keep their defaults."""
        get = source.get if isinstance(source, dict) else (lambda n, d: getattr(source, n, d))
        return cls(**{n: get(n, getattr(cls, n)) for n in cls.NAMES})

    def check(self, weights: Sequence[float] = (1.0,)) -> list[float]:
        """Raise EngineError for a value out of range; the weights normalised to sum 1."""
        return check_options(strength=self.strength, max_side=self.max_side,
                             brush_scale=self.brush_scale, weights=weights)

    def as_dict(self) -> dict:
        """Keyword arguments for ``Engine.stylize`` and for a row's fields."""
        return {n: getattr(self, n) for n in self.NAMES}


DEFAULT_CONTROLS = Controls()


def check_proportions(width: int, height: int, what: str = "picture") -> None:
    """Refuse a picture too long and thin to be stylized at any size."""
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise EngineError(
            f"This {what} is too long and thin ({width} × {height} px): {what}s up to "
            f"{MAX_ASPECT}:1 can be stylized. Crop it and try again.")


def check_render_size(width: int, height: int, max_side: int) -> None:
    """Refuse an output size at which the picture's shorter side would be too small."""
    scale = min(1.0, max_side / max(width, height))
    short = round(min(width, height) * scale)
    if short < MIN_RENDER_SIDE:
        side = "wide" if width <= height else "high"
        raise EngineError(
            f"At {max_side} px this picture would be only {short} px {side}; "
            f"choose a larger output size.")


def check_picture(width: int, height: int, max_side: int | None = None, *,
                  what: str = "picture") -> None:
    """The one rule for what can be stylized: not too long and thin, and (at ``max_side``)
    a shorter side the network can work on. Uploads (photos, styles, clips) and the renderer
    itself all ask this, so nothing accepted at upload is refused at render."""
    check_proportions(width, height, what)
    if max_side is not None:
        check_render_size(width, height, max_side)


def fit_area(size: tuple[int, int], max_pixels: int, multiple: int = 4) -> tuple[int, int]:
    """The largest size with ``size``'s aspect whose padded area stays under ``max_pixels``."""
    w, h = size
    scale = min(1.0, (max_pixels / (w * h)) ** 0.5)
    while True:
        nw, nh = max(1, int(w * scale)), max(1, int(h * scale))
        padded = (nw + (-nw) % multiple) * (nh + (-nh) % multiple)
        if padded <= max_pixels:
            return nw, nh
        scale *= 0.999


def keep_colour(stylized: Image.Image, photo: Image.Image) -> Image.Image:
    """Stylized luminance with the photo's chroma (Y from one, Cb/Cr from the other)."""
    y = stylized.convert("YCbCr").getchannel("Y")
    _, cb, cr = photo.resize(stylized.size, Image.Resampling.LANCZOS).convert("YCbCr").split()
    return Image.merge("YCbCr", (y, cb, cr)).convert("RGB")


def _with_alpha(sink, alpha: Image.Image | None):
    """``sink`` fed RGBA rows: the RGB rows with the photo's alpha beside them."""
    if alpha is None:
        return sink

    def rows_with_alpha(y, rows):
        a = np.asarray(alpha.crop((0, y, alpha.width, y + len(rows))))
        sink(y, np.concatenate([rows, a[..., None]], axis=2))

    return rows_with_alpha


def is_vector(style: StyleInput) -> bool:
    return isinstance(style, np.ndarray) and style.size == style.shape[-1] and style.ndim <= 4


class Engine:
    """Base class: option checks, fitting, colour and alpha. Backends do ``_render``."""

    name = "base"
    model_id = "base"
    runtime_label = ""  # what runs the network, with its version ("openvino 2026.4.1")
    runtime_reason = ""  # why that one (stylize/runtime_choice.py)
    supports_vectors = False
    vector_size = 0
    max_pixels = 0  # 0: no limit beyond max_side
    # Tiled rendering (embedded engines, stylize/tiling.py): pictures of more pixels than
    # untiled_max_pixels are rendered in tiles of tile_side px, in bounded memory.
    supports_tiles = False
    tile_side = 1024
    untiled_max_pixels = 4_000_000

    def configure_tiles(self, *, tile_side: int | None = None,
                        untiled_max_pixels: int | None = None) -> None:
        if tile_side is not None:
            self.tile_side = int(tile_side)
        if untiled_max_pixels is not None:
            self.untiled_max_pixels = int(untiled_max_pixels)

    def renders_in_tiles(self, size: tuple[int, int]) -> bool:
        """Whether a picture of ``size`` (as rendered) goes tile by tile: a caller holding
        a large photo can then spool it (stylize/spooled.py) instead of decoding it whole."""
        return self.supports_tiles and size[0] * size[1] > self.untiled_max_pixels

    def style_vector(self, image: StyleInput, brush_scale: int = DEFAULT_BRUSH_SCALE) -> np.ndarray:
        raise EngineError(
            f"The {self.name} model has no style vectors; styles are used as pictures."
        )

    def stylize(
        self,
        content: StyleInput,
        styles: Sequence[tuple[StyleInput, float]],
        strength: float = 1.0,
        preserve_color: bool = False,
        max_side: int = DEFAULT_MAX_SIDE,
        brush_scale: int = DEFAULT_BRUSH_SCALE,
        progress=None,
        sink=None,
    ) -> Image.Image | None:
        """``photo`` in ``styles`` at most ``max_side`` px long (never enlarged). A large
        picture on an engine with tiles is rendered tile by tile: ``progress(done, total)``
        is called after each.

        ``sink(y, rows)``: instead of returning the picture, hand its rows over top to bottom
        (uint8 n × width × 3, or × 4 with the photo's alpha; valid during the call) and
        return None — a tiled render then never holds the whole result (``self.last`` has
        its size)."""
        started = time.perf_counter()
        weights = check_options(
            strength=strength,
            max_side=max_side,
            brush_scale=brush_scale,
            weights=[w for _, w in styles],
        )
        if isinstance(content, SpooledPhoto):  # decoded to disk, already at its size
            if not self.renders_in_tiles(content.size) or max(content.size) > max_side:
                raise EngineError("A spooled photo is for a tiled render at its own size.")
            check_picture(*content.size, max_side)
            photo = rgb = content
            alpha, tiled = content.alpha, True
        else:
            photo = content if isinstance(content, Image.Image) else images.open_image(content)
            check_picture(*photo.size, max_side)
            photo = images.fit(photo, max_side)
            tiled = self.renders_in_tiles(photo.size)
            if self.max_pixels and not tiled and photo.width * photo.height > self.max_pixels:
                photo = photo.resize(fit_area(photo.size, self.max_pixels),
                                     Image.Resampling.LANCZOS)
            alpha = photo.getchannel("A") if photo.mode == "RGBA" else None
            rgb = images.flatten(photo)
        pairs = [(s, w) for (s, _), w in zip(styles, weights, strict=True) if w > 0]
        if tiled:  # colours kept strip by strip there: whole-size YCbCr copies cost 1 GB at 50 MP
            rows = None if sink is None else _with_alpha(sink, alpha)
            out = self._render_tiled(rgb, pairs, float(strength), int(brush_scale), progress,
                                     keep_colours=preserve_color, sink=rows)
        else:
            out = self._render(rgb, pairs, float(strength), int(brush_scale))
            if preserve_color:
                out = keep_colour(out, rgb)
        if alpha is not None and out is not None:
            out.putalpha(alpha)
        self.last = RenderInfo(*(rgb.size if out is None else out.size), time.perf_counter() - started)
        if sink is not None and out is not None:
            sink(0, np.asarray(out))
            return None
        return out

    def warm_up(self) -> None:
        """Do the slow one-time work now (a worker calls this at start, not in a job)."""

    def _render_tiled(self, photo, styles, strength, brush_scale, progress, keep_colours=False,
                      sink=None):
        """The picture, or None with its rows handed to ``sink`` (see :meth:`stylize`)."""
        raise NotImplementedError

    def _render(
        self,
        photo: Image.Image,
        styles: list[tuple[StyleInput, float]],
        strength: float,
        brush_scale: int,
    ) -> Image.Image:
        raise NotImplementedError

    @staticmethod
    def style_picture(style: StyleInput) -> Image.Image:
        """A style given as a picture → RGB (alpha composited on white)."""
        if is_vector(style):
            raise EngineError("This model needs the style as a picture, not as a style vector.")
        img = style if isinstance(style, Image.Image) else images.open_image(style)
        return images.flatten(img)
