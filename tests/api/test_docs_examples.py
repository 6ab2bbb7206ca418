"""docs/api.md's shell examples, run as written (curl and jq, in one bash session, in order)
against a live server: what the documentation promises is what the API does."""

import re
import shutil
import subprocess
from pathlib import Path

import av
import pytest

from tests.imagegen import clip, photo

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def _examples() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", (ROOT / "docs" / "api.md").read_text(), re.S)


def test_every_example_in_docs_api_md_runs(live_server, catalog_style, tmp_path):
    from django.contrib.auth import get_user_model

    from gallery.models import Batch, Stylization

    for tool in ("bash", "curl", "jq"):
        assert shutil.which(tool), f"{tool} is needed to run the documentation's examples"
    get_user_model().objects.create_user("ada", password="s3cret-Paint")
    photo(640, 480, seed=3).save(tmp_path / "photo.jpg", "JPEG", quality=90)
    clip(tmp_path / "clip.mp4", frames=12, fps=12)
    (tmp_path / "styles").mkdir()
    shutil.copy(ROOT / "styles" / "blue-impasto.jpg", tmp_path / "styles")
    blocks = _examples()
    assert len(blocks) >= 10
    # The examples' own base URL, pointed at the test server; stop at the first failure.
    script = "set -euo pipefail\n" + "\n".join(blocks).replace(
        "BASE=http://127.0.0.1:8000", f"BASE={live_server.url}")
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert '"status": "done"' in done.stdout  # the poll ended with a finished picture
    assert (tmp_path / "result.webp").stat().st_size > 0
    assert (tmp_path / "batch.zip").read_bytes()[:2] == b"PK"
    assert (tmp_path / "preview.jpg").read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    assert Batch.objects.count() == 2 and Stylization.objects.filter(status="done").count() >= 7
    assert '"remaining"' in done.stdout  # /api/v1/me/
    with av.open(str(tmp_path / "styled.mp4")) as styled:  # the clip, stylized
        assert styled.streams.video[0].codec_context.name == "h264"
