import pytest
from django.core.exceptions import ImproperlyConfigured

from nstsite import env


def test_env_bool_reads_the_usual_spellings_and_refuses_others(monkeypatch):
    for raw, want in [("1", True), ("yes", True), ("TRUE", True), ("0", False), ("off", False)]:
        monkeypatch.setenv("X_FLAG", raw)
        assert env.env_bool("X_FLAG") is want
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG must be a boolean"):
        env.env_bool("X_FLAG")
    monkeypatch.delenv("X_FLAG")
    assert env.env_bool("X_FLAG", True) is True


def test_env_int_refuses_garbage_and_values_below_the_minimum(monkeypatch):
    monkeypatch.setenv("X_NUM", "12")
    assert env.env_int("X_NUM", 3) == 12
    monkeypatch.setenv("X_NUM", "twelve")
    with pytest.raises(ImproperlyConfigured, match="integer"):
        env.env_int("X_NUM", 3)
    monkeypatch.setenv("X_NUM", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env.env_int("X_NUM", 3, minimum=0)


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env.env_list("X_LIST", []) == ["a.example", "b.example"]


def test_secret_key_is_generated_once_and_kept(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = env.secret_key(tmp_path)
    assert len(first) > 40
    assert env.secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # private to the owner
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert env.secret_key(tmp_path) == "from-the-environment"


def _settings_in_subprocess(tmp_path, **extra):
    import subprocess
    import sys
    from pathlib import Path

    env = {"PATH": "/usr/bin:/bin", "NST_DATA_DIR": str(tmp_path), **extra}
    code = "import nstsite.settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'])"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=Path(__file__).resolve().parents[2])


def test_debug_is_off_by_default_and_sqlite_is_the_default_database(tmp_path):
    out = _settings_in_subprocess(tmp_path)
    assert out.stdout.split() == ["False", "django.db.backends.sqlite3"]
    assert (tmp_path / "secret_key").exists()


def test_a_bad_setting_stops_start_up_with_its_name(tmp_path):
    out = _settings_in_subprocess(tmp_path, DEBUG="sometimes")
    assert out.returncode != 0 and "DEBUG must be a boolean" in out.stderr
    out = _settings_in_subprocess(tmp_path, NST_JOB_TIMEOUT="600", NST_JOB_RETRY="300")
    assert out.returncode != 0 and "NST_JOB_RETRY must be larger" in out.stderr
    out = _settings_in_subprocess(tmp_path, NST_RUNTIME="tensorrt")
    assert out.returncode != 0 and "NST_RUNTIME must be one of auto, openvino, onnxruntime" in out.stderr
    out = _settings_in_subprocess(tmp_path, NST_HEARTBEAT_SECONDS="5", NST_WORKER_DEAD_AFTER="10")
    assert out.returncode != 0 and "NST_WORKER_DEAD_AFTER must be at least 3 heartbeats" in out.stderr


def test_the_runtime_setting_picks_the_embedded_engines_runtime(settings):
    import json
    from pathlib import Path

    from stylize.runtime import configured_engine

    assert settings.NST_RUNTIME == "auto"  # the default: measured, the verdict kept
    engine = configured_engine()
    verdict = json.loads(Path(settings.NST_RUNTIME_VERDICT_FILE).read_text())
    assert engine.runtime == verdict["runtime"]
    assert engine.runtime_reason.startswith(verdict["reason"])
    settings.NST_RUNTIME = "onnxruntime"
    assert configured_engine().runtime == "onnxruntime"
    assert "onnxruntime" in configured_engine().model_id


def test_env_choice_accepts_only_its_choices(monkeypatch):
    monkeypatch.setenv("X_PICK", " OpenVINO ")
    assert env.env_choice("X_PICK", "onnxruntime", ("openvino", "onnxruntime")) == "openvino"
    monkeypatch.setenv("X_PICK", "cuda")
    with pytest.raises(ImproperlyConfigured, match="X_PICK must be one of openvino, onnxruntime"):
        env.env_choice("X_PICK", "onnxruntime", ("openvino", "onnxruntime"))
