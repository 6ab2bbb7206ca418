"""Steady clips (stylize/steady.py): with flicker reduction the test pan flickers at least 40 %
less by ``video.flicker`` and a real-looking clip with a cut at least 40 % less by the
motion-compensated ``warped_flicker``, while every frame stays within the fidelity contract
of its own single-picture render; the measure itself can fail (a frame-by-frame flicker
scores high, a perfectly steady pan near zero); the past is dropped at a cut and where the
flow fails."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from stylize import fidelity, steady, video
from stylize.backends import get_engine
from tests.imagegen import clip, painting, scene, shots


@pytest.fixture(scope="module")
def engine():
    return get_engine("embedded")


@pytest.fixture(scope="module")
def vectors(engine):
    return [engine.style_vector(painting(seed=s)) for s in (1, 2, 3, 4)]


def _render(engine, vector, frames):
    return [engine.stylize(im, [(vector, 1.0)], max_side=max(im.size)) for im in frames]


def _steadied(single, frames):
    steadier = steady.Deflicker()
    return [steadier(out, im) for out, im in zip(single, frames, strict=True)]


def _steady_run(engine, vectors, frames):
    """Frames rendered one by one and steadied; every steadied frame asserted within the
    contract of its own render. Returns both and the worst (style / allowed, content)."""
    single = _render(engine, vectors[0], frames)
    steadied = _steadied(single, frames)
    worst = []
    for im, own, ours in zip(frames, single, steadied, strict=True):
        verdict = fidelity.against_own_render(engine, im, ours, own, vectors)
        worst.append((verdict.style_ratio / verdict.allowed, verdict.content_difference))
        assert verdict.ok, f"frame {len(worst) - 1}: {verdict}"
    return single, steadied, (max(w for w, _ in worst), max(c for _, c in worst))


@pytest.fixture(scope="module")
def pan(tmp_path_factory):
    path = clip(tmp_path_factory.mktemp("steady") / "pan.mp4", size=(320, 192), frames=24,
                fps=12, audio=False)
    return list(video.frames_of(path))


@pytest.fixture(scope="module")
def cut(tmp_path_factory):
    return list(video.frames_of(shots(tmp_path_factory.mktemp("steady") / "shots.mp4")))


def test_the_pan_flickers_40_percent_less_and_every_frame_keeps_the_contract(
        engine, vectors, pan):
    single, steadied, (style, content) = _steady_run(engine, vectors, pan)
    off, on = video.flicker(pan, single), video.flicker(pan, steadied)
    print(f"\npan: flicker {off:.2f} → {on:.2f} ({(1 - on / off) * 100:.0f} % less); warped "
          f"{steady.warped_flicker(pan, single):.2f} → {steady.warped_flicker(pan, steadied):.2f};"
          f" worst frame: style {style:.2f} of allowed, content {content:.2f}/255")
    assert on <= 0.6 * off


def test_a_real_looking_clip_with_a_cut_flickers_40_percent_less_with_the_motion_undone(
        engine, vectors, cut):
    single, steadied, (style, content) = _steady_run(engine, vectors, cut)
    off, on = steady.warped_flicker(cut, single), steady.warped_flicker(cut, steadied)
    plain_off, plain_on = video.flicker(cut, single), video.flicker(cut, steadied)
    print(f"\nclip with a cut: warped flicker {off:.2f} → {on:.2f} ({(1 - on / off) * 100:.0f} % "
          f"less); flicker {plain_off:.2f} → {plain_on:.2f}; worst frame: style {style:.2f} of "
          f"allowed, content {content:.2f}/255")
    assert on <= 0.6 * off
    assert plain_on < plain_off
    # the cut (frame 12: another scene) starts afresh: that frame is its own render
    assert np.array_equal(np.asarray(steadied[12]), np.asarray(single[12]))
    assert not np.array_equal(np.asarray(steadied[11]), np.asarray(single[11]))


def test_the_warped_measure_tells_steady_from_flickering():
    view = scene(360, 192, seed=5)
    frames = [view.crop((2 * n, 0, 2 * n + 320, 192)) for n in range(12)]
    steady_pan = steady.warped_flicker(frames, frames)  # content moving, nothing flickering
    rng = np.random.default_rng(0)
    jumping = [Image.fromarray(np.clip(np.asarray(f, np.int16) + int(rng.integers(-20, 20)),
                                       0, 255).astype(np.uint8)) for f in frames]
    print(f"\nwarped flicker: steady pan {steady_pan:.2f}, brightness jumping "
          f"{steady.warped_flicker(frames, jumping):.2f}")
    assert steady_pan < 1.0
    assert steady.warped_flicker(frames, jumping) > 5.0
    # the plain measure counts the motion itself: a steady pan is not 0 there
    assert video.flicker(frames, frames) == pytest.approx(1.0)


def test_where_something_appears_the_frame_keeps_its_own_render(engine, vectors):
    view = scene(360, 192, seed=6)
    frames = [view.crop((2 * n, 0, 2 * n + 320, 192)) for n in range(4)]
    ImageDraw.Draw(frames[3]).ellipse((120, 60, 200, 140), fill=(255, 255, 0))  # appears
    single = _render(engine, vectors[0], frames)
    out = np.asarray(_steadied(single, frames)[3], np.int16)
    own = np.asarray(single[3], np.int16)
    inside = np.abs(out[80:120, 140:180] - own[80:120, 140:180]).mean()
    elsewhere = np.abs(out[:, 240:300] - own[:, 240:300]).mean()
    print(f"\nnew object: {inside:.2f} from its own render, {elsewhere:.2f} elsewhere")
    assert inside < 1.0  # the flow fails there: nothing of the past is carried in
    assert elsewhere > 2 * inside  # where the flow holds, the past is
