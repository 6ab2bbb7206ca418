"""File helpers shared by the services: nobody sees half a file, and no file outlives a failed row."""

from __future__ import annotations

import os

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction


def write_atomically(name: str, data: bytes) -> str:
    """Write ``data`` at ``name`` under a temporary name first, then rename it into place."""
    try:
        final = default_storage.path(name)
    except NotImplementedError:  # remote storages upload whole objects anyway
        return default_storage.save(name, ContentFile(data))
    os.makedirs(os.path.dirname(final), exist_ok=True)
    tmp = f"{final}.{os.getpid()}.part"  # two writers at once each use their own
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, final)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return name


def save_with_files(instance, *fields) -> None:
    """Save a row whose files are already written; if the row fails, remove the files."""
    try:
        with transaction.atomic():
            instance.save()
    except BaseException:
        for field in fields:
            if field:
                field.storage.delete(field.name)
        raise
