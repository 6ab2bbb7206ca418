""""Try every style": one job (gallery/explorations/job.py) renders a small preview of a photo
in every style its owner may use."""

from __future__ import annotations

from django.db import transaction

from gallery import jobs
from gallery.errors import Code, ServiceError
from gallery.models import Exploration, Photo, Style
from gallery.webhooks.services import check_callback_url


def exploration_create(*, owner, photo: Photo, callback_url: str = "") -> Exploration:
    if photo.owner_id != owner.pk:
        raise ServiceError("That photo was not found.", code=Code.NOT_FOUND, field="photo")
    if callback_url:
        check_callback_url(callback_url)
    jobs.require_broker()
    with transaction.atomic():
        exploration = Exploration.objects.create(owner=owner, photo=photo,
                                                 callback_url=callback_url)
        jobs.enqueue_on_commit(f"exploration-{exploration.pk}")
    return exploration


def exploration_styles(exploration: Exploration):
    """The styles it covers: active catalog styles and the owner's own, in catalog order."""
    return Style.objects.usable_by(exploration.owner).order_by("owner_id", "position", "name")
