"""Short clips (stylize/video.py): probing refuses what we will not render before decoding
it, a clip renders to H.264 MP4 with its audio, frame rate and length, through the CLI too.
Flicker reduction: tests/stylize/test_steady.py."""

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import pytest
from PIL import Image

from stylize import video
from stylize.backends import get_engine
from tests.imagegen import clip, painting

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def engine():
    return get_engine("embedded")


@pytest.fixture(scope="module")
def pan(tmp_path_factory):
    return clip(tmp_path_factory.mktemp("clips") / "pan.mp4", size=(320, 192), frames=24,
                fps=12, audio=True)


def test_probe_reads_the_header_and_first_frame(pan):
    info = video.probe(pan, max_seconds=15, max_bytes=10**8)
    assert (info.width, info.height, info.fps, info.frames) == (320, 192, 12, 24)
    assert abs(info.seconds - 2.0) < 0.1
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")


def test_an_animated_gif_is_a_clip_too(tmp_path):
    info = video.probe(clip(tmp_path / "a.gif", codec="gif", audio=False, frames=6),
                       max_seconds=15)
    assert (info.width, info.height, info.video_codec, info.audio_codec) == (160, 96, "gif", None)


def _audio_only(path):
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=44100)
        stream.layout = "mono"
        import numpy as np

        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp",
                                           layout="mono")
        frame.sample_rate = 44100
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)
    return path


def _giant_gif(path):
    """A GIF whose header claims a 60000 × 60000 screen (the frame itself is tiny)."""
    data = bytearray(clip(path, codec="gif", audio=False, frames=2).read_bytes())
    data[6:10] = (60000).to_bytes(2, "little") * 2
    path.write_bytes(bytes(data))
    return path


def _two_hours(path):
    """Two frames two hours apart: a clip whose timeline claims 2 h."""
    from tests.imagegen import photo

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for n, pts in enumerate((0, 12 * 7200)):
            frame = av.VideoFrame.from_image(photo(64, 48, seed=n))
            frame.pts = pts
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def _truncated(path, source):
    data = Path(source).read_bytes()
    path.write_bytes(data[:40] + b"\0" * 2000 + data[2040:4000])
    return path


@pytest.mark.parametrize("make, message, code", [
    (lambda p, s: p.with_suffix(".txt").write_text("just some text") and p.with_suffix(".txt"),
     "not a video we can read", "unsupported"),
    (lambda p, s: _audio_only(p.with_suffix(".m4a")), "has no video in it", "unsupported"),
    (lambda p, s: clip(p, frames=20, fps=1, audio=False), "is 20.0 s long; clips up to 15 s",
     "too_large"),
    (lambda p, s: _giant_gif(p.with_suffix(".gif")), "frame size could not be read", None),
    (lambda p, s: _two_hours(p), "is 2 h 0 min long; clips up to 15 s", "too_large"),
    (lambda p, s: _truncated(p, s), "", None),
])
def test_clips_we_will_not_render_are_refused_before_decoding(tmp_path, pan, make, message,
                                                               code):
    path = make(tmp_path / "bad.mp4", pan)
    with pytest.raises(video.VideoError) as refused:
        video.probe(path, max_seconds=15)
    assert message in str(refused.value)
    if code:
        assert refused.value.code == code


def test_a_clip_over_the_byte_limit_is_refused_unread(pan):
    with pytest.raises(video.VideoError, match="too large"):
        video.probe(pan, max_seconds=15, max_bytes=1000)


def test_a_clip_renders_to_h264_with_its_audio_rate_and_length(tmp_path, pan, engine):
    vector = engine.style_vector(painting(seed=1))
    out = tmp_path / "styled.mp4"
    seen = []
    stats = video.render(pan, str(out), lambda im: engine.stylize(
        im, [(vector, 1.0)], max_side=max(im.size)), max_side=1280,
        progress=lambda n, total: seen.append((n, total)), total=24)
    assert (stats.frames, stats.width, stats.height, stats.audio) == (24, 320, 192, "copied")
    assert seen[-1] == (24, 24) and len(seen) == 24
    with av.open(str(out)) as done:
        v = done.streams.video[0]
        assert (v.codec_context.name, v.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert (v.codec_context.width, v.codec_context.height, v.average_rate) == (320, 192, 12)
        assert [a.codec_context.name for a in done.streams.audio] == ["aac"]
        assert abs(done.duration / 1e6 - 2.0) < 0.1
        frames = list(done.decode(video=0))
    assert len(frames) == 24
    first, source = frames[0].to_image(), next(video.frames_of(pan))
    assert _mean_abs(first, source) > 15  # stylized, not the clip passed through
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # faststart: playable while downloading


def test_a_clip_is_scaled_to_the_longest_side_with_even_sides(tmp_path, pan):
    stats = video.render(pan, str(tmp_path / "small.mp4"), lambda im: im, max_side=201)
    assert (stats.width, stats.height) == (200, 120)


def test_the_cli_renders_a_clip(tmp_path, pan):
    style = tmp_path / "style.png"
    painting(seed=2).save(style)
    out = tmp_path / "out.mp4"
    done = subprocess.run([sys.executable, "manage.py", "stylize", str(pan), str(style), "-o",
                           str(out), "--max-side", "256"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "256x154 24 frames at 12 fps, audio copied" in done.stdout
    with av.open(str(out)) as made:
        assert made.streams.video[0].codec_context.width == 256
    bad = subprocess.run([sys.executable, "manage.py", "stylize", str(style), str(style), "-o",
                          str(tmp_path / "x.mp4")], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert bad.returncode == 2 and "a still picture, not a clip" in bad.stderr


def _mean_abs(a: Image.Image, b: Image.Image) -> float:
    import numpy as np

    return float(np.abs(np.asarray(a.convert("RGB"), np.int16)
                        - np.asarray(b.convert("RGB").resize(a.size), np.int16)).mean())


def test_more_frames_than_promised_stop_the_render(tmp_path, pan):
    with pytest.raises(video.VideoError, match="more frames than its header says"):
        video.render(pan, str(tmp_path / "x.mp4"), lambda im: im, max_side=320,
                     limits=video.Limits(frames=10))


def test_a_header_that_claims_1_s_of_16_stops_the_render_at_the_limit(tmp_path):
    from tests.imagegen import claim_duration

    lying = claim_duration(clip(tmp_path / "long.mkv", size=(64, 48), frames=64, fps=4,
                                audio=False, container="matroska"), 1.0)
    info = video.probe(str(lying), max_seconds=15)
    assert info.seconds == pytest.approx(1.0)  # what the header claims
    seen = []
    with pytest.raises(video.VideoError, match=r"runs past 1\.0 s, longer than its header says"):
        video.render(str(lying), str(tmp_path / "out.mp4"), lambda im: seen.append(1) or im,
                     max_side=64, limits=video.Limits(seconds=1.0))
    assert len(seen) == 4  # the frames at 0, 0.25, 0.5 and 0.75 s; not one more


def test_the_running_time_counts_the_frames_rendered(tmp_path):
    honest = clip(tmp_path / "two.mkv", size=(64, 48), frames=8, fps=4, audio=False,
                  container="matroska")
    stats = video.render(str(honest), str(tmp_path / "out.mp4"), lambda im: im, max_side=64,
                         limits=video.Limits(seconds=2.0))
    assert (stats.frames, stats.seconds) == (8, pytest.approx(2.0))


def test_a_giant_frame_after_small_ones_is_refused_without_being_decoded(tmp_path):
    """The header says 160 × 120; frame 7 is 16000 × 16000 (256 MP, 768 MB as RGB). FFmpeg
    is told the limit, so the frame is refused before its picture is allocated."""
    import resource

    from tests.imagegen import giant_frame_clip

    sneaky = giant_frame_clip(tmp_path / "sneaky.mkv")
    info = video.probe(str(sneaky), max_seconds=15)
    assert (info.width, info.height) == (160, 120)
    seen = []
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(video.VideoError, match="Frame 7 of the clip could not be decoded: it is "
                       "damaged, or larger than the 40-megapixel frames we accept"):
        video.render(str(sneaky), str(tmp_path / "out.mp4"), lambda im: seen.append(1) or im,
                     max_side=160)
    assert len(seen) == 6
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200, f"the giant frame was decoded ({grown_mb:.0f} MB more)"


def test_a_frame_over_a_smaller_pixel_limit_is_refused_too(tmp_path):
    from tests.imagegen import giant_frame_clip

    sneaky = giant_frame_clip(tmp_path / "bigger.mkv", giant=(1600, 1200), at=2)
    with pytest.raises(video.VideoError, match="Frame 3 of the clip could not be decoded"):
        video.render(str(sneaky), str(tmp_path / "out.mp4"), lambda im: im, max_side=160,
                     limits=video.Limits(pixels=1_000_000))
    # within the limit the same clip renders: every frame resized to the header's size
    stats = video.render(str(sneaky), str(tmp_path / "ok.mp4"), lambda im: im, max_side=160)
    assert (stats.frames, stats.width, stats.height) == (12, 160, 120)


def test_frames_that_share_or_rewind_timestamps_still_count_their_time():
    """The running time rendered is never less than the frames at the header's rate (capped
    at 120 fps), so a clip cannot shrink what it costs by stamping every frame 0."""
    from types import SimpleNamespace

    timeline = video._Timeline(video.Limits(seconds=10), Fraction(12))
    for _ in range(24):
        timeline.check(SimpleNamespace(width=64, height=48, time=0.0))
    assert timeline.seconds == pytest.approx(2.0)
    fast = video._Timeline(video.Limits(seconds=10), Fraction(100000))  # a rate not believed
    for n in range(240):
        fast.check(SimpleNamespace(width=64, height=48, time=n / 100000))
    assert fast.seconds == pytest.approx(2.0)
