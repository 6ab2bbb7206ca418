"""`python manage.py stylize`, run as a person would: a real subprocess."""

import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.imagegen import encoded, painting, photo

ROOT = Path(__file__).resolve().parents[2]


def _run(*args, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "NST_DATA_DIR": str(tmp_path / "var"), "HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "manage.py", "stylize", *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=120,
    )


def test_cli_writes_the_stylized_picture_and_reports_size_and_time(tmp_path):
    content, style = tmp_path / "photo.jpg", tmp_path / "art.png"
    content.write_bytes(encoded(photo(300, 180), "JPEG"))
    style.write_bytes(encoded(painting()))
    out = tmp_path / "out.webp"
    result = _run(content, style, "-o", out, "--strength", "0.8", "--preserve-color",
                  "--max-side", "200", "--brush-scale", "320", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "200x120" in result.stdout and "s" in result.stdout
    img = Image.open(out)
    assert img.format == "WEBP" and img.size == (200, 120)


def test_cli_bad_input_is_one_line_on_stderr_and_exit_code_2(tmp_path):
    style = tmp_path / "art.png"
    style.write_bytes(encoded(painting()))
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    cases = [
        ((bogus, style, "-o", tmp_path / "o.png"), "not an image we can read"),
        ((tmp_path / "missing.jpg", style, "-o", tmp_path / "o.png"), "No image file"),
        ((style, style, "-o", tmp_path / "o.png", "--strength", "3"), "Strength must be"),
        ((style, style, "-o", tmp_path / "o.gif"), "must end in .png, .jpg, .webp (a photo) or .mp4"),
    ]
    for args, message in cases:
        result = _run(*args, tmp_path=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "o.png").exists()


def test_cli_takes_a_catalog_slug_as_the_style(tmp_path):
    from stylize import catalog

    env = {"PATH": "/usr/bin:/bin", "NST_DATA_DIR": str(tmp_path / "var"), "HOME": str(tmp_path),
           "MEDIA_ROOT": str(tmp_path / "media")}
    catalog.build(tmp_path / "styles", side=96, only=[19])
    for command in (["migrate", "-v0"], ["load_styles", "--dir", str(tmp_path / "styles")]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True)
    content = tmp_path / "photo.png"
    content.write_bytes(encoded(photo(120, 90)))

    def run(style):
        return subprocess.run([sys.executable, "manage.py", "stylize", str(content), style,
                               "-o", str(tmp_path / "o.png")],
                              cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)

    ok = run("starry-blue")
    assert ok.returncode == 0, ok.stderr
    assert Image.open(tmp_path / "o.png").size == (120, 90)
    bad = run("no-such-style")
    assert bad.returncode == 2 and "no catalog style with that slug" in bad.stderr
