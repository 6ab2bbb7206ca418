"""Images the tests make themselves (no photos are committed)."""

import io

import numpy as np
from PIL import Image


def photo(width: int = 160, height: int = 120, *, seed: int = 0) -> Image.Image:
    """A synthetic 'photo': smooth colour gradients plus a few shapes, deterministic."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 0.5 + 0.5 * np.sin(x / max(width, 1) * 6.0 + seed)
    g = 0.5 + 0.5 * np.cos(y / max(height, 1) * 5.0)
    b = (x + y) / (width + height)
    arr = np.stack([r, g, b], axis=-1)
    for _ in range(4):
        cx, cy = rng.integers(0, width), rng.integers(0, height)
        rad = rng.integers(max(4, min(width, height) // 10), max(5, min(width, height) // 3))
        mask = (x - cx) ** 2 + (y - cy) ** 2 < rad**2
        arr[mask] = rng.random(3)
    return Image.fromarray((arr * 255).astype(np.uint8))


def painting(size: int = 256, *, seed: int = 1) -> Image.Image:
    """A synthetic 'painting': bold random strokes in a random palette."""
    from PIL import ImageDraw

    rng = np.random.default_rng(seed)
    palette = [tuple(int(c) for c in rng.integers(0, 256, 3)) for _ in range(5)]
    img = Image.new("RGB", (size, size), palette[0])
    draw = ImageDraw.Draw(img)
    for _ in range(120):
        x0, y0 = rng.integers(0, size, 2)
        dx, dy = rng.integers(-size // 4, size // 4, 2)
        draw.line((x0, y0, x0 + dx, y0 + dy), fill=palette[rng.integers(0, 5)],
                  width=int(rng.integers(2, 12)))
    return img


def encoded(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def clip(path, *, size=(160, 96), frames=24, fps=12, seed=0, audio=True, codec="libx264",
         pan=2, container=None):
    """A test-made clip: a slow pan across a made-up photo (``pan`` px per frame), with a
    440 Hz tone as AAC audio; written with PyAV."""
    import av

    w, h = size
    scene = photo(w + pan * frames + 8, h, seed=seed)
    with av.open(str(path), mode="w", format=container) as out:
        video = out.add_stream(codec, rate=fps)
        video.width, video.height = w, h
        video.pix_fmt = "yuv420p" if codec != "gif" else "rgb8"
        sound = out.add_stream("aac", rate=44100) if audio else None
        if sound is not None:
            sound.layout = "mono"
        for n in range(frames):
            picture = scene.crop((n * pan, 0, n * pan + w, h))
            for packet in video.encode(av.VideoFrame.from_image(picture)):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if sound is not None:
            seconds = frames / fps
            samples = np.sin(2 * np.pi * 440 * np.arange(int(44100 * seconds)) / 44100)
            pcm = (samples * 0.3).astype(np.float32).reshape(1, -1)
            for start in range(0, pcm.shape[1], 1024):
                chunk = av.AudioFrame.from_ndarray(pcm[:, start:start + 1024], format="fltp",
                                                   layout="mono")
                chunk.sample_rate = 44100
                for packet in sound.encode(chunk):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)
    return path


def claim_duration(path, seconds: float):
    """Rewrite a Matroska clip's header to claim ``seconds`` (its Segment Duration, a float in
    milliseconds), whatever its frames hold: a clip whose header lies."""
    import struct
    from pathlib import Path

    data = bytearray(Path(path).read_bytes())
    at = data.find(b"\x44\x89\x88")  # the Duration element, an 8-byte float
    assert at > 0, "no Duration element"
    data[at + 3:at + 11] = struct.pack(">d", seconds * 1000.0)
    Path(path).write_bytes(bytes(data))
    return path


def giant_frame_clip(path, *, size=(160, 120), giant=(16000, 16000), frames=12, at=6, fps=12):
    """A Motion-JPEG clip in Matroska whose header says ``size`` while frame ``at`` (counted
    from 0) is a ``giant`` JPEG: each JPEG carries its own size, which only decoding reveals."""
    from fractions import Fraction

    import av

    def jpeg(w, h, shade):
        return encoded(Image.new("L", (w, h), shade), "JPEG", quality=50)

    with av.open(str(path), "w") as out:
        stream = out.add_stream("mjpeg", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuvj420p"
        for n in range(frames):
            packet = av.Packet(jpeg(*giant, 90) if n == at else jpeg(*size, 20 + 10 * n))
            packet.stream, packet.pts, packet.dts = stream, n, n
            packet.time_base = Fraction(1, fps)
            out.mux(packet)
    return path
