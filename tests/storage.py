"""The media storage as tests see it, on any backend (the filesystem or S3): what files it
holds, and a private S3-compatible server (moto) for the tests that need one."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path


def stored_files(folder: str = "") -> set[str]:
    """Every stored file's name under ``folder`` (all of them by default), any backend."""
    from django.core.files.storage import default_storage

    found: set[str] = set()

    def walk(path: str) -> None:
        try:
            dirs, files = default_storage.listdir(path)
        except FileNotFoundError:
            return
        found.update(f"{path}/{name}" if path else name for name in files)
        for d in dirs:
            walk(f"{path}/{d}" if path else d)

    walk(folder)
    return found


def on_s3() -> bool:
    from django.conf import settings

    return settings.STORAGES["default"]["BACKEND"].endswith("S3Storage")


class S3Server:
    """``moto_server`` on a free local port: the S3 HTTP API, in memory, for tests only."""

    def __init__(self, log: Path):
        with socket.socket() as s:  # a free port (no Django needed: bench/ uses this too)
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p",
             str(self.port)], stdout=log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, f"moto_server did not start: {log}"
                time.sleep(0.1)

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")

    def make_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def keys(self, bucket: str) -> set[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return {obj["Key"] for page in pages for obj in page.get("Contents", [])}

    def env(self, bucket: str) -> dict[str, str]:
        return {"NST_S3_BUCKET": bucket, "NST_S3_ENDPOINT_URL": self.url,
                "NST_S3_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test"}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _name(field_or_name) -> str:
    return getattr(field_or_name, "name", field_or_name)


def read(field_or_name) -> bytes:
    from django.core.files.storage import default_storage

    with default_storage.open(_name(field_or_name), "rb") as fh:
        return fh.read()


def picture(field_or_name):
    import io

    from PIL import Image

    return Image.open(io.BytesIO(read(field_or_name)))


def exists(field_or_name) -> bool:
    from django.core.files.storage import default_storage

    return default_storage.exists(_name(field_or_name))


def overwrite(field_or_name, data: bytes) -> None:
    """Replace a stored file's bytes under the same name (say, a damaged disk)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = _name(field_or_name)
    default_storage.delete(name)
    assert default_storage.save(name, ContentFile(data)) == name
