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


def scene(width: int, height: int, *, seed: int = 0) -> Image.Image:
    """A synthetic scene with detail at every scale, as photos have: ``photo``'s gradients and
    shapes, plus many small shapes and noise in octaves (coarse blotches to fine grain)."""
    from PIL import ImageDraw

    rng = np.random.default_rng(seed + 1000)
    base = np.asarray(photo(width, height, seed=seed), np.float32)
    texture = np.zeros((height, width), np.float32)
    for cell, weight in ((64, 40.0), (16, 25.0), (4, 15.0), (1, 8.0)):
        small = rng.standard_normal((height // cell + 2, width // cell + 2)).astype(np.float32)
        big = Image.fromarray(small).resize((width + 2 * cell, height + 2 * cell),
                                            Image.Resampling.BICUBIC)
        texture += weight * np.asarray(big, np.float32)[:height, :width]
    img = Image.fromarray(np.clip(base + texture[..., None], 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(width * height // 600):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(2, 9))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.line((x, y, x + int(rng.integers(-20, 20)), y + int(rng.integers(-20, 20))),
                      fill=colour, width=max(1, r // 3))
    return img


def shots(path, *, size=(320, 192), frames=(12, 12), moves=((3, 0), (-2, 2)), seeds=(3, 4),
          fps=12):
    """A real-looking test clip: one shot per entry, each a camera drifting across its own
    ``scene`` by ``moves`` px per frame, hard cuts between them; H.264, no audio."""
    import av

    w, h = size
    with av.open(str(path), mode="w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        for count, (dx, dy), seed in zip(frames, moves, seeds, strict=True):
            room_x, room_y = abs(dx) * count + 8, abs(dy) * count + 8
            view = scene(w + room_x, h + room_y, seed=seed)
            x0 = 0 if dx >= 0 else room_x - 1
            y0 = 0 if dy >= 0 else room_y - 1
            for n in range(count):
                x, y = x0 + dx * n, y0 + dy * n
                picture = view.crop((x, y, x + w, y + h))
                for packet in video.encode(av.VideoFrame.from_image(picture)):
                    out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
    return path
