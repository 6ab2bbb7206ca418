"""The one place where Django settings meet the engine (the core modules stay Django-free)."""

from django.conf import settings

from stylize.backends import get_engine
from stylize.engine import Engine


def configured_engine() -> Engine:
    engine = get_engine(
        settings.NST_MODEL, threads=settings.NST_THREADS, cache_dir=settings.TFHUB_CACHE_DIR,
        runtime=settings.NST_RUNTIME, compile_cache_dir=settings.NST_COMPILE_CACHE_DIR,
        verdict_file=settings.NST_RUNTIME_VERDICT_FILE,
    )
    engine.configure_tiles(tile_side=settings.NST_TILE_SIDE,
                           untiled_max_pixels=settings.NST_UNTILED_MAX_PIXELS)
    return engine
