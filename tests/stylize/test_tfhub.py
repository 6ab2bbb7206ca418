"""The TF Hub backend, end to end through tensorflow_hub.load on a SavedModel made here.

The machine cannot reach tfhub.dev, so the test builds a tiny SavedModel with the
Magenta module's call signature: ``outputs = module(content, style)``, float32
``[1, H, W, 3]`` in [0, 1], and the picture in ``outputs[0]``. Its "stylization"
is simple enough to predict exactly: half the photo plus half the style's mean colour.
It refuses any style that is not 256×256, which pins that part of the contract.
"""

import os

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub
from PIL import Image

from stylize import images
from stylize.backends import get_engine
from stylize.engine import EngineError
from tests.imagegen import photo


@pytest.fixture(scope="module")
def hub_model(tmp_path_factory):
    class FakeMagenta(tf.Module):
        @tf.function(
            input_signature=[
                tf.TensorSpec([1, None, None, 3], tf.float32),
                tf.TensorSpec([1, None, None, 3], tf.float32),
            ]
        )
        def __call__(self, content, style):
            tf.debugging.assert_equal(tf.shape(style)[1:3], tf.constant([256, 256]))
            mean = tf.reduce_mean(style, axis=[1, 2], keepdims=True)
            return [0.5 * content + 0.5 * mean]

    path = tmp_path_factory.mktemp("hub") / "fake_magenta"
    tf.saved_model.save(FakeMagenta(), str(path))
    return path


@pytest.fixture(scope="module")
def engine(hub_model, tmp_path_factory):
    return get_engine(str(hub_model), cache_dir=str(tmp_path_factory.mktemp("tfhub-cache")))


def _solid(colour, size=(300, 200)):
    return Image.new("RGB", size, colour)


def _expected(pic: Image.Image, style_rgb) -> np.ndarray:
    return 0.5 * images.to_array(pic) + 0.5 * np.array(style_rgb, np.float32) / 255


def test_loaded_once_per_process_through_tensorflow_hub(hub_model, tmp_path, monkeypatch):
    calls, real_load = [], hub.load

    def counting_load(handle, *args, **kwargs):
        calls.append(handle)
        return real_load(handle, *args, **kwargs)

    monkeypatch.setattr(hub, "load", counting_load)
    first = get_engine(str(hub_model), cache_dir=str(tmp_path / "cache"))
    again = get_engine(str(hub_model), cache_dir=str(tmp_path / "cache"))
    assert first is again and calls == [str(hub_model)]
    assert first.name == "tfhub" and str(hub_model) in first.model_id


@pytest.mark.parametrize("size", [(97, 413), (320, 240)])
def test_stylize_end_to_end_keeps_size_and_applies_the_module(engine, size):
    pic = photo(*size)
    out = engine.stylize(pic, [(_solid((200, 40, 0)), 1.0)], max_side=1024)
    assert out.size == size
    got = images.to_array(out)
    assert np.abs(got - _expected(pic, (200, 40, 0))).max() <= 1.5 / 255


def test_strength_falls_back_to_pixel_blending(engine):
    pic = photo(128, 96)
    out = engine.stylize(pic, [(_solid((0, 0, 255)), 1.0)], strength=0.5)
    want = 0.5 * _expected(pic, (0, 0, 255)) + 0.5 * images.to_array(pic)
    assert np.abs(images.to_array(out) - want).max() <= 1.5 / 255


def test_blends_fall_back_to_pixel_blending(engine):
    pic = photo(128, 96)
    out = engine.stylize(pic, [(_solid((255, 0, 0)), 1.0), (_solid((0, 255, 0)), 3.0)])
    want = 0.25 * _expected(pic, (255, 0, 0)) + 0.75 * _expected(pic, (0, 255, 0))
    assert np.abs(images.to_array(out) - want).max() <= 1.5 / 255


def test_preserve_color_works_on_this_backend_too(engine):
    pic = photo(128, 96)
    out = engine.stylize(pic, [(_solid((0, 255, 0)), 1.0)], preserve_color=True)
    chroma = lambda im: np.asarray(im.convert("YCbCr"), np.float32)[..., 1:]  # noqa: E731
    assert np.abs(chroma(out) - chroma(pic)).mean() < 3


def test_there_are_no_style_vectors_on_this_backend(engine):
    assert not engine.supports_vectors
    with pytest.raises(EngineError, match="no style vectors"):
        engine.style_vector(_solid((1, 2, 3)))
    with pytest.raises(EngineError, match="as a picture"):
        engine.stylize(photo(64, 64), [(np.zeros(100, np.float32), 1.0)])


def test_tfhub_cache_dir_is_set_for_tensorflow_hub(engine):
    assert "tfhub-cache" in os.environ["TFHUB_CACHE_DIR"]
