"""File helpers shared by the services: nobody sees half a file, and no file outlives a failed row."""

from __future__ import annotations

import os

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import transaction

from gallery.errors import OUT_OF_STORAGE, ServiceError, is_out_of_storage


class CleanFileSystemStorage(FileSystemStorage):
    """Django's file storage, except that a failed write (a full disk) leaves no partial or
    empty file behind: Django's own keeps whatever it had written."""

    def _save(self, name, content):
        path = self.path(name)
        existed = os.path.exists(path)
        try:
            return super()._save(name, content)
        except OSError:
            if not existed:
                try:
                    os.remove(path)
                except FileNotFoundError:
                    pass
            raise


def write_files(instance, **contents: tuple[str, bytes]) -> None:
    """Write new files into the file fields of an unsaved row (``field=(filename, data)``):
    all or none. A full disk is a ``ServiceError`` the person can read (507)."""
    written = []
    try:
        for attr, (filename, data) in contents.items():
            field = getattr(instance, attr)
            field.save(filename, ContentFile(data), save=False)
            written.append(field)
    except BaseException as exc:
        for field in written:
            field.storage.delete(field.name)
        if is_out_of_storage(exc):
            raise ServiceError(OUT_OF_STORAGE, code="out_of_storage") from None
        raise


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
