"""The deployment examples work: docs/systemd's units pass `systemd-analyze verify`, and
stopping the worker unit the way systemd does (SIGTERM to every process of the service)
ends in seconds with the job handed back; `make run`'s Ctrl-C (honcho) does the same."""

import configparser
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from gallery.models import Stylization
from tests.fixtures import alice, catalog_style  # noqa: F401  (fixtures)
from tests.jobs.qcluster import (  # noqa: F401  (fixtures)
    answers,
    free_port,
    queue_renders,
    real_queue,
    running,
    start_qcluster,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "docs" / "systemd"
INSTALLED_AT = "/srv/nstsite"  # where the example units expect the checkout


def _installed_here(name: str, tmp_path) -> Path:
    """The unit as it would be installed for this checkout (paths point here)."""
    text = (UNITS / name).read_text().replace(INSTALLED_AT, str(ROOT))
    text = text.replace(f"{ROOT}/.venv/bin/python ", f"{sys.executable} ")
    out = tmp_path / name
    out.write_text(text)
    return out


def _service(path: Path) -> dict:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read(path)
    return dict(parser["Service"])


@pytest.mark.parametrize("name", ["nstsite-worker.service", "nstsite-web.service"])
def test_the_systemd_units_pass_systemd_analyze_verify(name, tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (Debian's systemd package) is needed to check the units"
    unit = _installed_here(name, tmp_path)
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert result.returncode == 0 and name not in result.stderr, result.stderr
    service = _service(unit)
    assert int(service["TimeoutStopSec"]) >= 10 and service["Restart"] == "always"


def _stop_like_systemd(procs, kill_mode: str):
    targets = procs if kill_mode == "control-group" else procs[:1]  # mixed/process: main only
    for proc in targets:
        try:
            proc.send_signal(signal.SIGTERM)
        except psutil.NoSuchProcess:
            pass
    return time.monotonic()


def test_stopping_the_worker_unit_as_systemd_does_hands_back_the_job_within_seconds(
    start_qcluster, alice, catalog_style, tmp_path  # noqa: F811
):
    unit = _installed_here("nstsite-worker.service", tmp_path)
    service = _service(unit)
    pk = queue_renders(alice, 1, size=(4000, 3000), max_side=4096)[0]
    cluster = start_qcluster(command=shlex.split(service["ExecStart"]),
                             cwd=service["WorkingDirectory"])
    wait_for(lambda: running([pk]), 60, cluster)
    time.sleep(0.5)
    everything = cluster.family()
    _stop_like_systemd(everything, service.get("KillMode", "control-group"))
    took = cluster.wait_exit(int(service["TimeoutStopSec"]))
    assert took is not None and took < 10, cluster.log()
    assert not [p for p in everything if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert Stylization.objects.get(pk=pk).status == "queued"


def test_ctrl_c_in_make_run_stops_web_and_worker_and_hands_back_the_job(
    start_qcluster, alice, catalog_style  # noqa: F811
):
    pk = queue_renders(alice, 1, size=(4000, 3000), max_side=4096)[0]
    port = free_port()
    honcho = start_qcluster(command=[str(Path(sys.executable).parent / "honcho"), "start", "-f",
                                     "Procfile"], PORT=str(port), HOST="127.0.0.1")
    wait_for(lambda: running([pk]), 60, honcho)
    wait_for(lambda: answers(port), 30, honcho)
    time.sleep(0.5)
    everything = honcho.family()
    honcho.signal_group(signal.SIGINT)  # what the terminal sends on Ctrl-C
    took = honcho.wait_exit(15)
    assert took is not None and took < 10, honcho.log()
    assert not [p for p in everything if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert Stylization.objects.get(pk=pk).status == "queued"
    assert "handed back to the queue" in honcho.log()


def test_the_nginx_example_is_a_valid_configuration(tmp_path):
    """docs/deploy/nginx.conf passes `nginx -t` (with a throwaway certificate in place of
    Let's Encrypt's, and inside the http block a real nginx.conf would give it)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is not installed: `make test` installs it"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=nst.example.com", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    site = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/nst.example.com/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/nst.example.com/privkey.pem", str(key))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n")
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "syntax is ok" in done.stderr, done.stderr
    broken = site.replace("proxy_pass http://nstsite;", "proxy_pass http://nstsite")
    (tmp_path / "site.conf").write_text(broken)
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True)
    assert done.returncode != 0  # the check can fail
