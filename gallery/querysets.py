"""How the gallery's rows are read: the states of a job and the QuerySets behind
``Style.objects``, every job's ``objects`` and ``Stylization.objects`` (gallery/models.py)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Rendering"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class JobQuerySet(models.QuerySet):
    def queued(self):
        return self.filter(status=JobStatus.QUEUED)

    def running(self):
        return self.filter(status=JobStatus.RUNNING)

    def unfinished(self):
        return self.filter(status__in=(JobStatus.QUEUED, JobStatus.RUNNING))


class StyleQuerySet(models.QuerySet):
    def catalog(self):
        return self.filter(owner__isnull=True, is_active=True)

    def usable_by(self, user):
        """Active catalog styles plus the user's own styles."""
        mine = Q(owner=user) if user.is_authenticated else Q(pk__in=[])
        return self.filter(Q(owner__isnull=True, is_active=True) | mine)


class StylizationQuerySet(JobQuerySet):
    def public(self):
        return self.filter(is_public=True, status=JobStatus.DONE)

    def cards(self):
        """With what a card of the picture shows (author, photo, styles) in two queries."""
        return self.select_related("owner", "photo").prefetch_related("parts__style")

    def visible_to(self, user):
        """The user's own pictures (any state) and everyone's published ones."""
        visible = Q(is_public=True, status=JobStatus.DONE)
        if user is not None and user.is_authenticated:
            visible |= Q(owner=user)
        return self.filter(visible)
