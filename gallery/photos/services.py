"""Photos: the one upload decoder (photos, styles, the admin's style form all use it), and
storing a photo re-encoded, stripped of metadata, under a UUID name, with its thumbnail."""

from __future__ import annotations

import hashlib
import os

from django.conf import settings

from gallery.errors import refusing
from gallery.models import Photo
from gallery.storage import save_with_files, write_files
from stylize import images
from stylize.engine import check_picture

THUMB_SIDE = 480  # pages list photos (and results) as pictures this size


def decode_upload(upload, field: str = "photo", *, what: str = "picture") -> images.Image.Image:
    """Decode an uploaded picture within the size limits and refuse what can never be
    stylized (too long and thin: a 1-px-thin style would break every render using it)."""
    with refusing(field):
        img = images.open_image(
            upload, max_bytes=settings.NST_MAX_UPLOAD_BYTES, max_pixels=settings.NST_MAX_PIXELS)
        check_picture(*img.size, what=what)
    return img


def encode_for_storage(img) -> tuple[bytes, str]:
    """Re-encode (all metadata dropped): PNG when there is transparency, else a fine JPEG."""
    if img.mode == "RGBA":
        return images.encode(img, "PNG"), ".png"
    return images.encode(img, "JPEG", quality=95), ".jpg"


def photo_create(*, owner, upload, original_name: str = "") -> Photo:
    """Validate and store an uploaded photo (re-encoded, metadata stripped, UUID name)."""
    photo = photo_with_files(owner=owner, upload=upload, original_name=original_name)
    save_with_files(photo, photo.image, photo.thumbnail)
    return photo


def photo_with_files(*, owner, upload, original_name: str) -> Photo:
    """Decode, re-encode and write a new photo's files; the row is not saved yet."""
    img = decode_upload(upload)
    data, ext = encode_for_storage(img)
    photo = Photo(owner=owner, sha256=hashlib.sha256(data).hexdigest(), width=img.width,
                  height=img.height,
                  original_name=os.path.basename(original_name or "")[:255])
    # Pages list photos as small pictures; a 50-megapixel original is not a thumbnail.
    thumb = images.encode(images.fit(img, THUMB_SIDE), "JPEG", quality=85)
    write_files(photo, image=(f"upload{ext}", data), thumbnail=("thumb.jpg", thumb))
    return photo


def photo_forget_files(photo: Photo) -> None:
    """Remove the files of a photo whose row was never saved (a request refused after)."""
    for field in (photo.image, photo.thumbnail):
        if field:
            field.storage.delete(field.name)


def photo_delete(*, photo: Photo) -> None:
    """Delete a photo and every stylization made from it (files go on commit)."""
    photo.delete()
