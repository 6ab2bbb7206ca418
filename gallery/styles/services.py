"""Styles: the catalog (loaded from styles/catalog.json), users' own styles, thumbnails, and
style vectors computed once and cached on the row."""

from __future__ import annotations

import hashlib

import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import slugify

from gallery.errors import ServiceError
from gallery.models import Style
from gallery.photos.services import decode_upload
from gallery.storage import save_with_files, write_files
from stylize import images
from stylize.engine import Engine

STYLE_SIDE = 512
THUMB_SIDE = 256


def style_picture(style: Style):
    with style.image.open("rb") as fh:
        return images.open_stored(fh.read())


def style_image_sha256(style: Style) -> str:
    with style.image.open("rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def style_vector(style: Style, *, engine: Engine, brush_scale: int) -> np.ndarray:
    """The style's vector at ``brush_scale``, computed once and cached on the row.

    The cache is keyed by the image's sha256, so replacing the image in admin
    invalidates every cached scale.
    """
    sha = style_image_sha256(style)
    key = str(int(brush_scale))
    if style.vectors_sha256 == sha and key in style.vectors:
        return np.asarray(style.vectors[key], dtype=np.float32)
    vec = engine.style_vector(style_picture(style), brush_scale=brush_scale)
    vectors = style.vectors if style.vectors_sha256 == sha else {}
    vectors[key] = [round(float(x), 7) for x in vec]
    Style.objects.filter(pk=style.pk).update(vectors=vectors, vectors_sha256=sha)
    style.vectors, style.vectors_sha256 = vectors, sha
    return vec


def style_input(style: Style, *, engine: Engine, brush_scale: int):
    """What the engine takes for this style: its cached vector, or the picture."""
    if engine.supports_vectors:
        return style_vector(style, engine=engine, brush_scale=brush_scale)
    return style_picture(style)


def style_refresh(*, style: Style, engine: Engine | None = None) -> Style:
    """Recompute the thumbnail and (with an engine) the default-scale vector."""
    img = style_picture(style)
    thumb = images.fit(img, THUMB_SIDE)
    if style.thumbnail:
        old = style.thumbnail.name  # removed only once the new one is committed
        transaction.on_commit(lambda: style.thumbnail.storage.delete(old))
    style.thumbnail.save("thumb.jpg", ContentFile(images.encode(thumb, "JPEG", quality=85)), save=False)
    Style.objects.filter(pk=style.pk).update(thumbnail=style.thumbnail.name)
    if engine is not None and engine.supports_vectors:
        style.vectors, style.vectors_sha256 = {}, ""
        style_vector(style, engine=engine, brush_scale=style.brush_scale)
    return style


def unique_slug(name: str, *, prefix: str = "") -> str:
    base = slugify(f"{prefix} {name}".strip())[:120] or "style"
    slug, n = base, 2
    while Style.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def style_create(*, owner, upload, name: str, artist: str = "", description: str = "") -> Style:
    """A user's private style from any picture (re-encoded, at most 512 px)."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("Give the style a name.", field="name")
    img = style_image(decode_upload(upload, "image"))
    style = Style(owner=owner, name=name[:120], artist=artist[:200], description=description,
                  slug=unique_slug(name, prefix=owner.username if owner else ""))
    write_files(style, image=("style.jpg", images.encode(img, "JPEG", quality=92)),
                thumbnail=("thumb.jpg", images.encode(images.fit(img, THUMB_SIDE), "JPEG", quality=85)))
    save_with_files(style, style.image, style.thumbnail)
    return style


def style_image(picture) -> images.Image.Image:
    """What a style keeps of a picture: RGB (alpha on white), at most ``STYLE_SIDE``."""
    return images.fit(images.flatten(picture), STYLE_SIDE)


def catalog_load(*, directory, engine: Engine | None = None) -> tuple[int, int]:
    """Put ``catalog.json``'s styles into the database; returns (created, skipped).

    Idempotent and respectful of curation: a slug that already exists is left
    exactly as staff keep it (name, text, image, position, active flag).
    """
    import json
    from pathlib import Path

    directory = Path(directory)
    entries = json.loads((directory / "catalog.json").read_text())["styles"]
    created = skipped = 0
    for entry in entries:
        if Style.objects.filter(slug=entry["slug"]).exists():
            skipped += 1
            continue
        img = style_image(images.open_image(directory / entry["image"]))
        style = Style(slug=entry["slug"], name=entry["name"], artist=entry.get("artist", ""),
                      description=entry.get("description", ""), position=entry.get("position", 0))
        style.image.save("style.jpg", ContentFile(images.encode(img, "JPEG", quality=92)), save=False)
        save_with_files(style, style.image)
        style_refresh(style=style, engine=engine)
        created += 1
    return created, skipped
