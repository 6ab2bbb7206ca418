"""TF Hub backend: the seed project's model through ``tensorflow_hub.load``.

``NST_MODEL`` names a TF Hub / Kaggle handle such as
``https://tfhub.dev/google/magenta/arbitrary-image-stylization-v1-256/2`` or a local
SavedModel directory. Contract: ``outputs = module(content, style)`` with float32
``[1, H, W, 3]`` tensors in [0, 1], the style at 256×256; the picture is ``outputs[0]``.

This model exposes no style vector, so strength and blends fall back to pixel
blending: each style is rendered and the pictures are mixed by weight, then mixed
with the photo by strength. TensorFlow is imported only when this backend is used.
"""

from __future__ import annotations

import os
import threading

import numpy as np
from PIL import Image

from stylize import images
from stylize.engine import Engine, ModelError

STYLE_SIZE = 256
MULTIPLE = 4


class TFHubEngine(Engine):
    name = "tfhub"
    supports_vectors = False
    # No tiles here (the SavedModel's norms cannot be fed statistics): a larger picture is
    # rendered at 16 MP, the size the site's "Print" renders had before tiling.
    max_pixels = 4096 * 4096

    def __init__(self, handle: str, *, cache_dir: str | None = None):
        if cache_dir:
            # tensorflow_hub reads this when it resolves a handle.
            os.makedirs(cache_dir, exist_ok=True)
            os.environ["TFHUB_CACHE_DIR"] = str(cache_dir)
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no CUDA-probe noise in logs
        try:
            import tensorflow as tf
            import tensorflow_hub as hub
        except ImportError as exc:
            raise ModelError(
                f"The TF Hub backend needs TensorFlow: pip install 'nstsite[tfhub]' ({exc})."
            ) from None
        self._tf = tf
        self.handle = handle
        self.model_id = f"tfhub:{handle}"
        try:
            self.module = hub.load(handle)
        except Exception as exc:  # hub raises many types; all mean "cannot load"
            raise ModelError(f"Cannot load the TF Hub model {handle!r}: {exc}") from None
        self._run_lock = threading.Lock()

    def _run(self, photo_arr: np.ndarray, style: Image.Image) -> np.ndarray:
        tf = self._tf
        style_arr = images.to_array(
            style.resize((STYLE_SIZE, STYLE_SIZE), Image.Resampling.LANCZOS, reducing_gap=3.0)
        )
        with self._run_lock:
            outputs = self.module(tf.constant(photo_arr[None]), tf.constant(style_arr[None]))
        out = np.asarray(outputs[0])[0]
        if out.shape[:2] != photo_arr.shape[:2]:
            # Some exports round sizes differently; bring the result back to the photo's.
            size = (photo_arr.shape[1], photo_arr.shape[0])
            out = images.to_array(images.from_array(out).resize(size, Image.Resampling.LANCZOS))
        return out

    def _render(self, photo, styles, strength, brush_scale):
        arr = images.to_array(photo)
        h, w = arr.shape[:2]
        ph, pw = (-h) % MULTIPLE, (-w) % MULTIPLE
        padded = np.pad(arr, ((0, ph), (0, pw), (0, 0)), mode="reflect") if ph or pw else arr
        mixed = np.zeros_like(arr)
        for style, weight in styles:
            out = self._run(padded, self.style_picture(style))[:h, :w, :3]
            mixed += weight * out
        if strength < 1.0:
            mixed = strength * mixed + (1.0 - strength) * arr
        return images.from_array(mixed)
