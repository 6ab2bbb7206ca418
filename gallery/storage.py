"""Stored files: nobody sees half a file, no file outlives its row (a failed save, a delete,
a cascade or a bulk delete — the receivers below), and the hourly sweep removes what a
killed process left behind."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from gallery.errors import OUT_OF_STORAGE, Code, ServiceError, is_out_of_storage
from gallery.models import ExplorationPreview, Photo, Style, Stylization, Video

# A result is stored as PNG; its JPEG and WebP downloads are copies beside it (same name,
# other extension), made on first request (gallery/pictures/downloads.py).
COPY_EXTENSIONS = ("jpg", "webp")


def copy_name(output_name: str, ext: str) -> str:
    return f"{os.path.splitext(output_name)[0]}.{ext}"


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
            raise ServiceError(OUT_OF_STORAGE, code=Code.OUT_OF_STORAGE) from None
        raise


def write_atomically(name: str, data) -> str:
    """Write ``data`` (bytes, or a binary file read from where it stands: a 50-MP render's
    PNG is written to a temporary file as it is rendered) at ``name`` under a temporary name
    first, then rename it into place."""
    try:
        final = default_storage.path(name)
    except NotImplementedError:  # remote storages upload whole objects anyway
        return default_storage.save(name, ContentFile(data) if isinstance(data, bytes) else File(data))
    os.makedirs(os.path.dirname(final), exist_ok=True)
    tmp = f"{final}.{os.getpid()}.part"  # two writers at once each use their own
    try:
        with open(tmp, "wb") as fh:
            if isinstance(data, bytes | bytearray):
                fh.write(data)
            else:
                shutil.copyfileobj(data, fh, 1 << 20)
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


# -- files go with their rows -------------------------------------------------------------

def _delete_files_on_commit(*fields):
    names = [(f.storage, f.name) for f in fields if f]

    def delete():
        for storage, name in names:
            storage.delete(name)

    transaction.on_commit(delete)


@receiver(post_delete, sender=Photo)
def photo_files(sender, instance, **kwargs):
    _delete_files_on_commit(instance.image, instance.thumbnail)


@receiver(post_delete, sender=Stylization)
def stylization_files(sender, instance, **kwargs):
    _delete_files_on_commit(instance.output, instance.thumbnail)
    if instance.output:
        storage, base = instance.output.storage, instance.output.name
        transaction.on_commit(lambda: [storage.delete(copy_name(base, ext))
                                       for ext in COPY_EXTENSIONS])


@receiver(post_delete, sender=Style)
def style_files(sender, instance, **kwargs):
    _delete_files_on_commit(instance.image, instance.thumbnail)


@receiver(post_delete, sender=Video)
def video_files(sender, instance, **kwargs):
    _delete_files_on_commit(instance.source, instance.output, instance.preview)


@receiver(post_delete, sender=ExplorationPreview)
def preview_files(sender, instance, **kwargs):
    _delete_files_on_commit(instance.image)


# -- the hourly sweep ---------------------------------------------------------------------

SWEPT_FOLDERS = ("photos", "results", "styles", "videos")


def files_sweep(*, older_than: timedelta = timedelta(hours=1)) -> int:
    """Delete stored files that no row refers to, once old enough that no writer can still be
    about to commit them: a worker killed between writing its result and the row's UPDATE,
    a process that died mid-upload, a temporary ``.part`` file. Returns how many went."""
    referenced = set()
    for model, fields in ((Photo, ("image", "thumbnail")), (Style, ("image", "thumbnail")),
                          (Stylization, ("output", "thumbnail")), (ExplorationPreview, ("image",)),
                          (Video, ("source", "output", "preview"))):
        for row in model.objects.values_list(*fields):
            referenced.update(name for name in row if name)
    for output in Stylization.objects.exclude(output="").values_list("output", flat=True):
        referenced.update(copy_name(output, ext) for ext in COPY_EXTENSIONS)
    cutoff = timezone.now() - older_than
    count = 0
    for folder in SWEPT_FOLDERS:
        try:
            _, files = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        for filename in files:
            name = f"{folder}/{filename}"
            if name not in referenced and default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                count += 1
    return count
