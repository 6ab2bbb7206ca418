"""Fixtures and helpers every feature's tests share (registered in tests/conftest.py): alice,
bob and staff; an API client; catalog styles; pictures made or finished; upload files."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Stylization
from gallery.pictures.services import stylization_create
from gallery.styles.services import style_create
from stylize.engine import Controls
from tests.imagegen import encoded, painting, photo


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", password="pw-alice-123")


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user("bob", password="pw-bob-123")


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("staffer", password="pw-staff-123", is_staff=True)


def token_for(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


@pytest.fixture
def api(db):
    """api(user) → an APIClient sending that user's token (None: anonymous)."""
    from rest_framework.test import APIClient

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return client

    return make


def set_rates(settings, **rates):
    """Budgets for a test: the given scopes ("renders": "2/hour"), the rest generous."""
    base = {"uploads": "1000/hour", "renders": "1000/hour", "auth": "1000/minute",
            "videos": "1000/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**base, **rates}}


def client_for(client, user):
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def catalog_style(db):
    return style_create(owner=None, upload=encoded(painting(seed=1)), name="Red Strokes",
                        artist="Test Painter", description="Bold red strokes.")


@pytest.fixture
def second_style(db):
    return style_create(owner=None, upload=encoded(painting(seed=2)), name="Blue Dabs")


def upload(name="holiday.jpg", size=(160, 120), fmt="JPEG", seed=0):
    return SimpleUploadedFile(name, encoded(photo(*size, seed=seed), fmt), content_type="image/jpeg")


@pytest.fixture
def make_work(django_capture_on_commit_callbacks):
    """Create a stylization through the service; rendered inline (sync django-q)."""

    def make(owner, style, *, render=True, **kwargs):
        with django_capture_on_commit_callbacks(execute=render):
            work = stylization_create(
                owner=owner, upload=kwargs.pop("upload", None) or upload(),
                original_name="holiday.jpg", styles=[(style, 1.0)],
                controls=Controls.of(kwargs),
                **{k: v for k, v in kwargs.items() if k not in Controls.NAMES})
        work.refresh_from_db()
        return work

    return make


@pytest.fixture
def done_work(alice, catalog_style, make_work):
    work = make_work(alice, catalog_style, max_side=128)
    assert work.status == Stylization.Status.DONE, work.error
    return work


@pytest.fixture
def private_style(alice):
    return style_create(owner=alice, upload=encoded(painting(seed=3)), name="Alice's Ink")


def image_file(name="holiday.jpg", size=(160, 120), fmt="JPEG", seed=0):
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png"}.get(fmt, "application/octet-stream")
    return SimpleUploadedFile(name, encoded(photo(*size, seed=seed), fmt), content_type=content_type)


def painting_file(name="ink.png"):
    return SimpleUploadedFile(name, encoded(painting(seed=5)), content_type="image/png")
