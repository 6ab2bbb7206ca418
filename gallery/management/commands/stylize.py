"""python manage.py stylize CONTENT STYLE -o OUT: one stylization from the command line.

CONTENT may be a photo (OUT .png/.jpg/.webp) or a short clip (OUT .mp4): MP4, WebM, MOV or an
animated GIF/WebP, rendered frame by frame with one style vector (stylize/video.py)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stylize import images
from stylize.engine import (
    DEFAULT_BRUSH_SCALE,
    DEFAULT_MAX_SIDE,
    EngineError,
    ModelError,
    is_vector,
)
from stylize.runtime import configured_engine

FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
VIDEO_MAX_SIDE = 1280
VIDEO_MAX_SECONDS = 15


class Command(BaseCommand):
    help = "Stylize CONTENT with the style picture STYLE and write the result to OUT."

    def add_arguments(self, parser):
        parser.add_argument("content", help="the photo to stylize")
        parser.add_argument("style", help="the style picture, or a catalog style's slug")
        parser.add_argument("-o", "--output", required=True, help="output .png, .jpg or .webp")
        parser.add_argument("--strength", type=float, default=1.0, help="0 (photo) to 1 (full)")
        parser.add_argument("--preserve-color", action="store_true", help="keep the photo's colours")
        parser.add_argument("--max-side", type=int, default=DEFAULT_MAX_SIDE, help="longest side, px")
        parser.add_argument("--brush-scale", type=int, default=DEFAULT_BRUSH_SCALE,
                            help="size the style picture is read at (larger: finer strokes)")
        parser.add_argument("--no-deflicker", action="store_true",
                            help="clips: stylize every frame on its own (flickers more)")

    def handle(self, *args, **opts):
        out_path = Path(opts["output"])
        if out_path.suffix.lower() == ".mp4":
            return self.clip(out_path, opts)
        fmt = FORMATS.get(out_path.suffix.lower())
        if fmt is None:
            raise CommandError(f"{out_path.name}: the output must end in .png, .jpg, .webp "
                               "(a photo) or .mp4 (a clip)",
                               returncode=2)
        try:
            started = time.perf_counter()
            engine = configured_engine()
            loaded = time.perf_counter()
            result = engine.stylize(
                images.open_image(opts["content"]),
                styles=[(self.style_input(opts["style"], engine, opts["brush_scale"]), 1.0)],
                strength=opts["strength"],
                preserve_color=opts["preserve_color"],
                max_side=opts["max_side"],
                brush_scale=opts["brush_scale"],
            )
            data = images.encode(result, fmt)
            out_path.write_bytes(data)
        except (images.ImageError, EngineError, ModelError) as exc:
            raise CommandError(str(exc), returncode=2) from None
        except OSError as exc:
            raise CommandError(f"cannot write {out_path}: {exc.strerror}", returncode=2) from None
        done = time.perf_counter()
        self.stdout.write(
            f"{out_path} {result.width}x{result.height} "
            f"in {done - loaded:.2f}s (model load {loaded - started:.2f}s)"
        )

    def style_input(self, style: str, engine, brush_scale: int):
        """A picture file, or else a catalog style by slug (its cached vector)."""
        if Path(style).exists() or "/" in style or "." in style:
            return images.open_image(style)
        from django.apps import apps  # the gallery app, only when a slug is given

        Style = apps.get_model("gallery", "Style")
        found = Style.objects.catalog().filter(slug=style).first()
        if found is None:
            raise CommandError(f"{style}: no such file, and no catalog style with that slug "
                               "(see manage.py load_styles)", returncode=2)
        from gallery.styles.services import style_input

        return style_input(found, engine=engine, brush_scale=brush_scale)

    def clip(self, out_path: Path, opts) -> None:
        from stylize import video

        max_side = min(opts["max_side"], VIDEO_MAX_SIDE)
        try:
            info = video.probe(opts["content"], max_seconds=VIDEO_MAX_SECONDS)
            engine = configured_engine()
            vector = self.style_input(opts["style"], engine, opts["brush_scale"])
            if engine.supports_vectors and not is_vector(vector):  # once, for the whole clip
                vector = engine.style_vector(vector, opts["brush_scale"])

            def stylize_frame(picture):
                return engine.stylize(picture, [(vector, 1.0)], strength=opts["strength"],
                                      preserve_color=opts["preserve_color"],
                                      max_side=max(picture.size),
                                      brush_scale=opts["brush_scale"])

            started = time.perf_counter()
            stats = video.render(opts["content"], str(out_path), stylize_frame, max_side=max_side,
                                 deflicker=not opts["no_deflicker"], total=info.frames)
        except (video.VideoError, images.ImageError, EngineError, ModelError) as exc:
            raise CommandError(str(exc), returncode=2) from None
        took = time.perf_counter() - started
        self.stdout.write(
            f"{out_path} {stats.width}x{stats.height} {stats.frames} frames at "
            f"{float(stats.fps):.3g} fps, audio {stats.audio}, flicker {stats.flicker or 0:.2f}, "
            f"in {took:.1f}s ({stats.frames / max(took, 1e-9):.1f} frames/s)")
