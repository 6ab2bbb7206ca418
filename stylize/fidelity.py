"""The engine's fidelity contract: perceptual, not bit-exact (README: "Fidelity").

The int8 network is chaotic under rounding, so two correct runtimes disagree pixel by
pixel while no person can tell their outputs apart. What must hold, against the reference
(the shipped graph made shape-dynamic, on onnxruntime):

- **style:** the style predictor's embedding of our output is within ``STYLE_SHARE`` (10 %)
  of the typical distance between two different styles' outputs on the same photo;
- **content:** after a Gaussian blur of σ = ``BLUR_SIGMA`` px (8), the mean absolute
  difference is at most ``CONTENT_LIMIT`` (8/255).
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

STYLE_SHARE = 0.10
BLUR_SIGMA = 8
CONTENT_LIMIT = 8.0  # in 0–255 units


def embedding(engine, picture: Image.Image) -> np.ndarray:
    """What the style predictor sees in a picture (its 100-number style vector)."""
    return engine.style_vector(picture)


def blurred_difference(a: Image.Image, b: Image.Image, sigma: float = BLUR_SIGMA) -> float:
    """Mean absolute difference (0–255) after blurring both: texture phase does not count."""
    fa = np.asarray(a.convert("RGB").filter(ImageFilter.GaussianBlur(sigma)), np.float32)
    fb = np.asarray(b.convert("RGB").filter(ImageFilter.GaussianBlur(sigma)), np.float32)
    return float(np.abs(fa - fb).mean())


def style_scale(engine, outputs_by_style: list[Image.Image]) -> float:
    """The median embedding distance between the outputs of two different styles."""
    vectors = [embedding(engine, out) for out in outputs_by_style]
    return statistics.median(float(np.linalg.norm(a - b))
                             for a, b in itertools.combinations(vectors, 2))


@dataclass
class Verdict:
    style_distance: float
    style_scale: float
    content_difference: float

    @property
    def style_ratio(self) -> float:
        return self.style_distance / self.style_scale

    @property
    def ok(self) -> bool:
        return self.style_ratio <= STYLE_SHARE and self.content_difference <= CONTENT_LIMIT


def compare(engine, ours: Image.Image, reference: Image.Image, scale: float) -> Verdict:
    """``engine`` supplies the style predictor; ``scale`` comes from :func:`style_scale`."""
    distance = float(np.linalg.norm(embedding(engine, ours) - embedding(engine, reference)))
    return Verdict(distance, scale, blurred_difference(ours, reference))
