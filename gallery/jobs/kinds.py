"""Job kinds. A kind names its model and does the work; the life cycle around it is shared."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import BinaryIO

from django.core.files.storage import default_storage

_REGISTRY: dict[str, JobKind] = {}


def register(cls):
    """Class decorator: make a kind known to the fair queue, the reaper and the health report."""
    _REGISTRY[cls.name] = cls()
    return cls


def kinds() -> list[JobKind]:
    return list(_REGISTRY.values())


def kind_named(name: str) -> JobKind:
    return _REGISTRY[name]


@dataclass
class Result:
    """What a finished job stores: files to write (field → (folder, bytes or a binary file
    at its start, extension)) and column values. The life cycle writes the files and the row
    together, or neither."""

    files: dict[str, tuple[str, bytes | BinaryIO, str]] = field(default_factory=dict)
    fields: dict = field(default_factory=dict)


class RetryLater(Exception):
    """Raised by a job (through ``JobContext.retry_later``): not done, not failed — queued
    again to run no sooner than ``seconds`` from now (a webhook whose receiver was down)."""

    def __init__(self, seconds: float, reason: str):
        super().__init__(reason)
        self.seconds, self.reason = seconds, reason


class JobContext:
    """Handed to ``JobKind.run``. ``committing()`` guards durable writes: a worker that is
    told to stop waits for a commit under way and never exits in the middle of one."""

    def __init__(self, kind: JobKind, pk, worker: str):
        self.kind, self.pk, self.worker = kind, pk, worker
        self.commit_lock = threading.Lock()
        self.expected_end: float | None = None  # monotonic time the work should be done by

    def committing(self):
        return self.commit_lock

    def expect(self, seconds: float) -> None:
        self.expected_end = time.monotonic() + seconds

    def progress(self, text: str) -> None:
        self.kind.model.objects.filter(pk=self.pk, worker=self.worker).update(progress=text[:80])

    def retry_later(self, seconds: float, reason: str):
        raise RetryLater(seconds, reason)

    def write(self, folder: str, data: bytes | BinaryIO, ext: str) -> str:
        from gallery.storage import write_atomically

        try:
            return write_atomically(f"{folder}/{uuid.uuid4().hex}{ext}", data)
        finally:
            if not isinstance(data, bytes | bytearray):
                data.close()  # a temporary file: gone with its last descriptor

    @staticmethod
    def discard(names) -> None:
        for name in names:
            if name:
                default_storage.delete(name)


class JobKind:
    """Subclass per kind of job; ``name`` goes into task names and the health report."""

    name = ""
    model = None  # a gallery.models.Job subclass
    gave_up = "This did not finish after several attempts. Please try again."

    def load(self, pk):
        return self.model.objects.get(pk=pk)

    def run(self, row, ctx: JobContext) -> Result:
        raise NotImplementedError

    def finished(self, pk, status: str) -> None:
        """Called once the job is done or has failed for good (webhooks hook in here)."""
