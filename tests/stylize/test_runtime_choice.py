"""NST_RUNTIME=auto decided by measurement (stylize/runtime_choice.py): the calibration set
is really rendered on both runtimes and judged by the fidelity contract; a runtime that
strays is not chosen; the verdict is written, reused by the next start without measuring,
and measured again when the CPU or a runtime's version changes; forced runtimes skip it."""

from __future__ import annotations

import json

import pytest

from stylize import embedded, runtime_choice
from stylize.backends import get_engine
from tests.stylize.test_fidelity import _broken


def test_auto_measures_on_this_machine_and_keeps_the_verdict(tmp_path):
    verdict = tmp_path / "verdict.json"
    choice, built = runtime_choice.choose("auto", verdict_file=str(verdict),
                                          cache_dir=str(tmp_path / "ov"))
    record = json.loads(verdict.read_text())
    assert record["key"] == runtime_choice.machine_key()
    assert len(record["cases"]) == 5
    assert record["runtime"] == choice.runtime
    assert (choice.runtime == "openvino") == all(c["ok"] for c in record["cases"])
    assert all(c["allowed"] >= 0.10 for c in record["cases"])
    assert choice.reason.startswith("auto: OpenVINO kept the fidelity contract here"
                                    if choice.runtime == "openvino"
                                    else "auto: OpenVINO strayed beyond")
    assert "of the style scale where" in choice.reason
    if choice.runtime == "openvino":  # the engine measured is the one used: no second load
        assert built is not None and built.runtime == "openvino"
    print(choice.reason, f"({record['seconds']} s)")


def test_a_runtime_that_strays_is_not_chosen():
    reference = embedded.EmbeddedEngine(runtime="onnxruntime", exact_rewrite=False)
    choice, built, record = runtime_choice.measure(candidate=_broken("zeroed"),
                                                   reference=reference)
    assert choice.runtime == "onnxruntime" and built is None
    assert choice.reason.startswith("auto: OpenVINO strayed beyond the fidelity contract here")
    assert not all(c["ok"] for c in record["cases"])


@pytest.fixture
def measurements(monkeypatch):
    """Count measurements; each one answers OpenVINO (the caching is what is tested here)."""
    calls = []

    def measure(**kwargs):
        calls.append(kwargs)
        return (runtime_choice.Choice("openvino", "auto: OpenVINO kept the fidelity contract "
                                                  "here (figures)"), None,
                {"measured": "2026-12-02 12:00:00", "seconds": 1.0, "cases": []})

    monkeypatch.setattr(runtime_choice, "measure", measure)
    return calls


def test_the_verdict_is_reused_and_measured_again_when_the_machine_changes(
        tmp_path, measurements, monkeypatch):
    verdict = tmp_path / "verdict.json"
    first, _ = runtime_choice.choose("auto", verdict_file=str(verdict))
    again, _ = runtime_choice.choose("auto", verdict_file=str(verdict))
    assert len(measurements) == 1  # the second start read the file
    assert first.runtime == again.runtime == "openvino"
    assert again.reason.endswith("(verdict cached 2026-12-02 12:00:00)")

    record = json.loads(verdict.read_text())
    record["key"]["openvino"] = "2024.0.0"  # made by an older OpenVINO
    verdict.write_text(json.dumps(record))
    runtime_choice.choose("auto", verdict_file=str(verdict))
    assert len(measurements) == 2
    assert json.loads(verdict.read_text())["key"]["openvino"] == runtime_choice.openvino_version()

    real = runtime_choice._cpu
    monkeypatch.setattr(runtime_choice, "_cpu", lambda: ("Another CPU", real()[1]))
    runtime_choice.choose("auto", verdict_file=str(verdict))
    assert len(measurements) == 3
    for damaged in ("{ half a file", "[1, 2]", '{"key": {}}'):  # measured again, never trusted
        verdict.write_text(damaged)
        runtime_choice.choose("auto", verdict_file=str(verdict))
    assert len(measurements) == 6


def test_openvino_that_cannot_be_measured_falls_back_to_onnxruntime(tmp_path, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("no CPU plugin")

    monkeypatch.setattr(runtime_choice, "measure", broken)
    choice, built = runtime_choice.choose("auto", verdict_file=str(tmp_path / "v.json"))
    assert choice == runtime_choice.Choice(
        "onnxruntime", "auto: OpenVINO could not be measured here (no CPU plugin)")
    assert built is None and not (tmp_path / "v.json").exists()  # measured again next time


def test_a_forced_runtime_is_not_measured(tmp_path, measurements):
    for name in ("openvino", "onnxruntime"):
        choice, built = runtime_choice.choose(name, verdict_file=str(tmp_path / "v.json"))
        assert (choice.runtime, choice.reason, built) == (name, f"NST_RUNTIME={name}", None)
    assert measurements == [] and not (tmp_path / "v.json").exists()


def test_get_engine_uses_the_verdict_and_says_why(tmp_path, measurements):
    engine = get_engine("embedded", verdict_file=str(tmp_path / "v.json"),
                        compile_cache_dir=str(tmp_path / "ov"))
    assert engine.runtime == "openvino" and "openvino" in engine.model_id
    assert engine.runtime_reason.startswith("auto: OpenVINO kept the fidelity contract")
