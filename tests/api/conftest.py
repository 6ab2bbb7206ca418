"""Fixtures for the API tests: alice owns a photo, a finished picture and a private style."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.styles import style_create
from tests.gallery.conftest import (  # noqa: F401  (fixtures shared with the page tests)
    alice,
    api,
    bob,
    catalog_style,
    done_work,
    make_work,
    second_style,
    token_for,
)
from tests.imagegen import encoded, painting, photo


@pytest.fixture
def private_style(alice):  # noqa: F811  (the imported fixture)
    return style_create(owner=alice, upload=encoded(painting(seed=3)), name="Alice's Ink")


def image_file(name="holiday.jpg", size=(160, 120), fmt="JPEG", seed=0):
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png"}.get(fmt, "application/octet-stream")
    return SimpleUploadedFile(name, encoded(photo(*size, seed=seed), fmt), content_type=content_type)


def painting_file(name="ink.png"):
    return SimpleUploadedFile(name, encoded(painting(seed=5)), content_type="image/png")
