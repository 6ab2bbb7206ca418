"""Files go with their rows, also on cascades and bulk deletes (which skip Model.delete)."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from gallery.models import Photo, Style, Stylization


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
        from gallery.downloads import COPY_EXTENSIONS, copy_name

        storage, base = instance.output.storage, instance.output.name
        transaction.on_commit(lambda: [storage.delete(copy_name(base, ext))
                                       for ext in COPY_EXTENSIONS])


@receiver(post_delete, sender=Style)
def style_files(sender, instance, **kwargs):
    _delete_files_on_commit(instance.image, instance.thumbnail)


@receiver(post_delete, sender="gallery.Video")
def video_files(sender, instance, **kwargs):
    _delete_files_on_commit(instance.source, instance.output, instance.preview)


@receiver(post_delete, sender="gallery.ExplorationPreview")
def preview_files(sender, instance, **kwargs):
    _delete_files_on_commit(instance.image)
