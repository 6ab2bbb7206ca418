"""Short clips: probe before decoding, then decode → stylize → encode one frame at a time.

PyAV (FFmpeg inside its wheel) reads MP4, WebM, MOV and animated GIF/WebP and writes H.264
MP4 (yuv420p, faststart, the clip's frame rate); the audio stream is copied through (or
re-encoded to AAC when MP4 cannot carry it). Memory does not grow with the clip's length:
only the current frame (and, for flicker reduction, the previous input and output) is held.

Flicker: frame-by-frame stylization flickers (the network answers a frame moved by a pixel
with different strokes and colours). ``stylize.steady.Deflicker`` carries the previous output
along the optical flow and blends it in, band by band, where the flow holds; a scene cut
resets it. ``flicker()`` measures the effect as the mean absolute change between
consecutive output frames over the same for the input frames (1.0: the output changes as
much as the input does; motion counts too); ``steady.warped_flicker`` with the motion undone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from PIL import Image

MAX_FRAME_PIXELS = 40_000_000  # a header claiming giant frames is refused before decoding
MAX_FRAME_SIDE = 16384
MAX_FPS = 120  # a header's frame rate above this is not believed when counting time


class VideoError(ValueError):
    """A clip we will not render; ``str()`` is for the person, ``code`` like ImageError's."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ClipInfo:
    width: int
    height: int
    fps: Fraction
    seconds: float
    frames: int  # as the header says (or estimated from duration × rate)
    video_codec: str
    audio_codec: str | None


def _duration(text: float) -> str:
    if text >= 3600:
        return f"{int(text // 3600)} h {int(text % 3600 // 60)} min"
    if text >= 60:
        return f"{int(text // 60)} min {int(text % 60)} s"
    return f"{text:.1f} s"


def probe(source, *, max_seconds: float, max_bytes: int | None = None) -> ClipInfo:
    """What the clip is, from its header and first frame only; VideoError if we refuse it."""
    import av

    if max_bytes is not None:
        size = _size(source)
        if size > max_bytes:
            raise VideoError(f"The clip is too large ({size / 1e6:.0f} MB); clips up to "
                             f"{max_bytes / 1e6:.0f} MB are accepted.", code="too_large")
    try:
        container = av.open(source, mode="r", metadata_errors="ignore")
    except (av.error.InvalidDataError, av.error.FFmpegError, UnicodeDecodeError):
        raise VideoError("This is not a video we can read (MP4, WebM, MOV or an animated "
                         "GIF/WebP).", code="unsupported") from None
    try:
        if not container.streams.video:
            raise VideoError("The file has no video in it.", code="unsupported")
        stream = container.streams.video[0]
        codec = stream.codec_context
        width, height = codec.width, codec.height
        if not width or not height:
            raise VideoError("The clip's frame size could not be read.")
        if width * height > MAX_FRAME_PIXELS or max(width, height) > MAX_FRAME_SIDE:
            raise VideoError(f"The clip's frames are {width} × {height} px; that is larger than "
                             "any video we accept.", code="too_large")
        fps = stream.average_rate or stream.guessed_rate or Fraction(25)
        if stream.duration is not None and stream.time_base:
            seconds = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            seconds = container.duration / 1_000_000
        else:
            seconds = (stream.frames or 0) / float(fps)
        if seconds > max_seconds + 0.05:
            raise VideoError(f"The clip is {_duration(seconds)} long; clips up to "
                             f"{max_seconds:g} s are accepted.", code="too_large")
        frames = stream.frames or round(seconds * float(fps))
        if frames <= 1 and container.format.name.endswith("_pipe"):
            raise VideoError("This is a still picture, not a clip: stylize it as a photo.",
                             code="unsupported")
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
        codec.options = {"max_pixels": str(MAX_FRAME_PIXELS)}  # even the first frame's own size
        try:  # the first frame decodes: the codec is supported and the data is not garbage
            next(container.decode(video=0))
        except StopIteration:
            raise VideoError("The clip has no frames.") from None
        except (av.error.FFmpegError, ValueError):
            raise VideoError("The clip is damaged: its first frame could not be decoded.") from None
        return ClipInfo(width, height, Fraction(fps), seconds, max(frames, 1), codec.name, audio)
    finally:
        container.close()


def _size(source) -> int:
    if hasattr(source, "size") and source.size is not None:
        return int(source.size)
    if hasattr(source, "seek"):
        here = source.tell()
        source.seek(0, 2)
        size = source.tell()
        source.seek(here)
        return size
    import os

    return os.path.getsize(source)


def output_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """Fit into max_side, never enlarged, even sides (yuv420p halves the colour planes)."""
    scale = min(1.0, max_side / max(width, height))
    w, h = max(2, round(width * scale)), max(2, round(height * scale))
    return w - w % 2, h - h % 2


@dataclass
class RenderStats:
    frames: int
    width: int
    height: int
    fps: Fraction
    audio: str  # "copied", "re-encoded" or "none"
    flicker: float | None  # output change over input change (None: fewer than 2 frames)
    seconds: float = 0.0  # the running time of the frames rendered (their own timestamps)


@dataclass(frozen=True)
class Limits:
    """What a clip may hold, checked on every decoded frame: its header is only a claim.
    ``seconds`` bounds the running time by the frames' own timestamps, ``frames`` the count
    (0: no limit); ``pixels`` and ``side`` each frame, and FFmpeg is told ``pixels`` too, so
    a giant frame is refused before its picture is allocated."""

    seconds: float = math.inf
    frames: int = 0
    pixels: int = MAX_FRAME_PIXELS
    side: int = MAX_FRAME_SIDE


class _Timeline:
    """Checks each decoded frame against the limits as it comes; knows the running time."""

    def __init__(self, limits: Limits, fps: Fraction):
        self.limits, self.step = limits, 1 / min(float(fps), MAX_FPS)
        self.count, self.start, self.elapsed = 0, None, 0.0

    def check(self, frame) -> None:
        limits, n = self.limits, self.count + 1
        w, h = frame.width, frame.height
        if w * h > limits.pixels or max(w, h) > limits.side:
            raise VideoError(f"Frame {n} of the clip is {w} × {h} px, larger than any video we "
                             "accept (its header said otherwise); it was not rendered.",
                             code="too_large")
        if limits.frames and n > limits.frames:
            raise VideoError("The clip has more frames than its header says; it was not "
                             "rendered.", code="too_large")
        at = frame.time if frame.time is not None else self.count * self.step
        self.start = at if self.start is None else self.start
        elapsed = max(at - self.start, 0.0)
        if elapsed + self.step > limits.seconds + 0.05:  # this frame would run past it
            raise VideoError(f"The clip runs past {_duration(limits.seconds)}, longer than its "
                             "header says; it was not rendered.", code="too_large")
        self.count, self.elapsed = n, max(self.elapsed, elapsed)

    @property
    def seconds(self) -> float:
        """The running time rendered: by the timestamps, but never less than the frames at
        the header's rate (frames that share or rewind timestamps still took their time)."""
        return max(self.elapsed + self.step, self.count * self.step) if self.count else 0.0

    def undecodable(self) -> VideoError:
        return VideoError(f"Frame {self.count + 1} of the clip could not be decoded: it is "
                          "damaged, or larger than the "
                          f"{self.limits.pixels / 1e6:.0f}-megapixel frames we accept.",
                          code="damaged")


def frames_of(source) -> Iterator[Image.Image]:
    """The clip's frames as RGB pictures, one at a time."""
    import av

    with av.open(source) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            yield frame.to_image()


def render(source, dest, stylize: Callable[[Image.Image], Image.Image], *, max_side: int,
           deflicker: bool = True, progress: Callable[[int, int], None] | None = None,
           total: int = 0, limits: Limits = Limits()) -> RenderStats:
    """Stylize every frame of ``source`` into an H.264 MP4 at ``dest`` (a path or a
    writable file), the audio copied through. ``stylize`` gets and returns RGB pictures.
    Every decoded frame is checked against ``limits`` before it is used; the first one that
    crosses them stops the render with a VideoError."""
    import av

    from stylize.steady import Deflicker

    steady = Deflicker() if deflicker else None
    change = _Change()
    with av.open(source) as src, av.open(dest, mode="w", format="mp4",
                                         options={"movflags": "+faststart"}) as out:
        vin = src.streams.video[0]
        vin.thread_type = "AUTO"
        vin.codec_context.options = {"max_pixels": str(limits.pixels)}
        fps = vin.average_rate or vin.guessed_rate or Fraction(25)
        timeline = _Timeline(limits, Fraction(fps))
        width, height = output_size(vin.codec_context.width, vin.codec_context.height, max_side)
        vout = out.add_stream("libx264", rate=fps)
        vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
        vout.options = {"crf": "20", "preset": "veryfast"}
        ain = src.streams.audio[0] if src.streams.audio else None
        aout, audio = None, "none"
        if ain is not None:
            if ain.codec_context.name in ("aac", "mp3", "alac", "opus", "ac3"):
                aout, audio = out.add_stream_from_template(ain), "copied"
            else:
                aout, audio = out.add_stream("aac", rate=ain.codec_context.sample_rate or 48000), \
                    "re-encoded"
        streams = [vin] + ([ain] if ain is not None else [])
        count = 0
        try:
            for packet in src.demux(*streams):
                if ain is not None and packet.stream is ain:
                    if packet.dts is None:
                        continue
                    if audio == "copied":
                        packet.stream = aout
                        out.mux(packet)
                    else:
                        for frame in packet.decode():
                            out.mux(aout.encode(frame))
                    continue
                for frame in packet.decode():
                    timeline.check(frame)
                    picture = frame.to_image()
                    if picture.size != (width, height):
                        picture = picture.resize((width, height), Image.Resampling.LANCZOS)
                    styled = stylize(picture)
                    if styled.size != (width, height):
                        styled = styled.resize((width, height), Image.Resampling.LANCZOS)
                    if steady is not None:
                        styled = steady(styled, picture)
                    change.add(picture, styled)
                    encoded = av.VideoFrame.from_image(styled).reformat(format="yuv420p")
                    encoded.pts = None
                    out.mux(vout.encode(encoded))
                    count += 1
                    if progress is not None:
                        progress(count, max(total, count))
        except av.error.FFmpegError:  # damaged past the first frame (demuxing, decoding)
            raise timeline.undecodable() from None
        out.mux(vout.encode(None))
        if aout is not None and audio == "re-encoded":
            out.mux(aout.encode(None))
    return RenderStats(count, width, height, Fraction(fps), audio, change.ratio(),
                       timeline.seconds)


class _Change:
    """Running sums for ``flicker`` without keeping frames (low resolution, like the eye's
    sense of flicker: strokes that crawl are texture, a whole frame that jumps is flicker)."""

    def __init__(self):
        self.prev: tuple[np.ndarray, np.ndarray] | None = None
        self.inputs = self.outputs = 0.0

    def add(self, source: Image.Image, styled: Image.Image) -> None:
        size = (64, max(1, round(64 * source.height / source.width)))
        now = (np.asarray(source.resize(size, Image.Resampling.BOX), dtype=np.float32),
               np.asarray(styled.resize(size, Image.Resampling.BOX), dtype=np.float32))
        if self.prev is not None:
            self.inputs += float(np.abs(now[0] - self.prev[0]).mean())
            self.outputs += float(np.abs(now[1] - self.prev[1]).mean())
        self.prev = now

    def ratio(self) -> float | None:
        if self.prev is None or self.inputs == 0:
            return None
        return self.outputs / self.inputs


def flicker(inputs: list[Image.Image], outputs: list[Image.Image]) -> float:
    """Mean consecutive change of the outputs over that of the inputs (see ``_Change``)."""
    change = _Change()
    for a, b in zip(inputs, outputs, strict=True):
        change.add(a, b)
    ratio = change.ratio()
    return math.nan if ratio is None else ratio
