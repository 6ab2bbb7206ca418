"""``NST_RUNTIME=auto``: OpenVINO wherever it keeps the fidelity contract on this machine.

Decided by measurement, never by CPU flags alone: a small fixed calibration set (two
photo-like scenes, one of odd size, in three catalog styles; all made here, deterministic)
is rendered by the reference (the shipped graph, shape-dynamic, on onnxruntime) and by
OpenVINO, and OpenVINO is used when every case keeps the contract of stylize/fidelity.py
(the jitter-calibrated style bound and the blurred content bound). The verdict is cached in
the compile cache directory, keyed by the CPU's model and flags, both runtimes' versions, the
model's version and this calibration's: later starts read it and cost nothing; any change
in the key measures again. Two processes starting at once measure once (a file lock).
No Django here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from stylize import fidelity

log = logging.getLogger(__name__)

CALIBRATION = 2  # bump when the calibration set, the contract or a runtime's graph changes
VERDICT_FILE = "runtime-verdict.json"
CALIBRATION_STYLES = ("Cypress Swirl", "Crimson Fire", "Woodcut Sun")


@dataclass(frozen=True)
class Choice:
    runtime: str
    reason: str


def _cpu() -> tuple[str, frozenset[str]]:
    model, flags = "unknown", frozenset()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and model == "unknown":
                    model = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = frozenset(value.split())
    except OSError:
        pass
    return model, flags


def openvino_version() -> str | None:
    try:
        from stylize import openvino_rt

        return openvino_rt.version()
    except ImportError:
        return None


def machine_key() -> dict:
    """What the verdict depends on: a change in any of these measures again."""
    import onnxruntime as ort

    from stylize.embedded import PACKAGE_VERSION

    model, flags = _cpu()
    return {"cpu": model, "flags": hashlib.sha256(" ".join(sorted(flags)).encode()).hexdigest()[:16],
            "openvino": openvino_version(), "onnxruntime": ort.__version__,
            "model": PACKAGE_VERSION, "calibration": CALIBRATION}


def choose(runtime: str, *, verdict_file: str | None, cache_dir: str | None = None,
           threads: int = 0):
    """(Choice, an engine built while measuring that can be used, or None). ``verdict_file``
    keeps the verdict (None: measured in every process)."""
    if runtime != "auto":
        return Choice(runtime, f"NST_RUNTIME={runtime}"), None
    if openvino_version() is None:
        return Choice("onnxruntime", "auto: OpenVINO is not installed"), None
    key = machine_key()
    path = Path(verdict_file) if verdict_file else None
    cached = _read(path, key)
    if cached is not None:
        return cached, None
    with _locked(path):
        cached = _read(path, key)  # another process may have measured meanwhile
        if cached is not None:
            return cached, None
        try:
            choice, engine, record = measure(threads=threads, cache_dir=cache_dir)
        except Exception as exc:  # OpenVINO installed but unusable here: the fallback
            log.warning("measuring OpenVINO failed", exc_info=True)
            return Choice("onnxruntime", f"auto: OpenVINO could not be measured here ({exc})"), None
        if path is not None:
            _write(path, {"key": key, "runtime": choice.runtime, "reason": choice.reason,
                          **record})
    return choice, engine


def _read(path: Path | None, key: dict) -> Choice | None:
    if path is None:
        return None
    try:
        found = json.loads(path.read_text())
        if found["key"] != key or found["runtime"] not in ("openvino", "onnxruntime"):
            return None
        return Choice(found["runtime"], f"{found['reason']} (verdict cached {found['measured']})")
    except (OSError, ValueError, KeyError, TypeError):  # missing or damaged: measure again
        return None


def _write(path: Path, record: dict) -> None:
    """Best effort: a verdict that cannot be kept is measured again at the next start."""
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part.write_text(json.dumps(record, indent=2))
        os.replace(part, path)
    except OSError:
        log.warning("could not keep the runtime verdict in %s", path, exc_info=True)


@contextlib.contextmanager
def _locked(path: Path | None):
    if path is None:
        yield
        return
    import fcntl

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path.with_suffix(".lock"), "w")
    except OSError:  # a read-only place: measure without the lock
        yield
        return
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def calibration_set():
    """(photos, style pictures): two scenes (320 × 208, and an odd 203 × 307) and three
    catalog styles, rendered here from the wheel's 26-style network (stylize/catalog.py)."""
    from PIL import Image

    from stylize import catalog

    scene = catalog.canvas(512)
    photos = [scene.resize((320, 208), Image.Resampling.LANCZOS),
              scene.crop((70, 0, 410, 512)).resize((203, 307), Image.Resampling.LANCZOS)]
    names = [name for name, _ in catalog.STYLES]
    network = catalog.MultiStyle()
    small = catalog.canvas(256)
    styles = [network.render(small, names.index(name)) for name in CALIBRATION_STYLES]
    return photos, styles


def measure(*, threads: int = 0, cache_dir: str | None = None, candidate=None, reference=None):
    """Render the calibration set on both runtimes; (Choice, the OpenVINO engine if chosen,
    a record of the figures). ``candidate`` / ``reference`` replace the engines (tests)."""
    from stylize.embedded import EmbeddedEngine

    began = time.perf_counter()
    reference = reference or EmbeddedEngine(runtime="onnxruntime", exact_rewrite=False,
                                            threads=threads)
    candidate = candidate or EmbeddedEngine(runtime="openvino", threads=threads,
                                            cache_dir=cache_dir)
    photos, styles = calibration_set()
    vectors = [reference.style_vector(style) for style in styles]
    verdicts = []
    for n, photo in enumerate(photos):
        outputs = [reference.transform(photo, v) for v in vectors]
        scale = fidelity.style_scale(reference, outputs)
        # The first photo in every style: OpenVINO's dynamic network twice, then the network
        # compiled for its size (the two paths renders take); the second photo in two
        # styles, sparing a second compile (~1.3 s).
        pairs = list(zip(vectors, outputs, strict=True))[:len(vectors) - n]
        for vector, expected in pairs:
            verdict = fidelity.compare(reference, candidate.transform(photo, vector),
                                       expected, scale)
            if not verdict.style_ok:  # beyond the 10 % floor: what does the model itself do?
                verdict.jitter = fidelity.jitter(reference, photo, vector, expected)
            verdicts.append(verdict)
    worst = max(verdicts, key=lambda v: v.style_ratio / v.allowed)
    content = max(v.content_difference for v in verdicts)
    figures = (f"worst style distance {worst.style_ratio:.1%} of the style scale where "
               f"{worst.allowed:.1%} is allowed, blurred difference up to {content:.2f}/255")
    ok = all(v.ok for v in verdicts)
    if ok:
        choice = Choice("openvino", f"auto: OpenVINO kept the fidelity contract here ({figures})")
    else:
        choice = Choice("onnxruntime", f"auto: OpenVINO strayed beyond the fidelity contract "
                                       f"here ({figures})")
    record = {"measured": time.strftime("%Y-%m-%d %H:%M:%S"),
              "seconds": round(time.perf_counter() - began, 2),
              "cases": [{"style_ratio": round(v.style_ratio, 4), "allowed": round(v.allowed, 4),
                         "content": round(v.content_difference, 3), "ok": v.ok}
                        for v in verdicts]}
    log.debug("%s, measured in %.1f s", choice.reason, record["seconds"])
    return choice, (candidate if ok else None), record
