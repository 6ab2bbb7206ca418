"""Photos, styles and stylizations. Files are named by UUID and never served from /media/."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from gallery.querysets import JobQuerySet, JobStatus, StyleQuerySet, StylizationQuerySet
from stylize.engine import DEFAULT_BRUSH_SCALE, DEFAULT_MAX_SIDE, MAX_SIDE_LIMIT


def _photo_path(instance, filename):
    return f"photos/{uuid.uuid4().hex}{_ext(filename)}"


def _style_path(instance, filename):
    return f"styles/{uuid.uuid4().hex}{_ext(filename)}"


def _result_path(instance, filename):
    return f"results/{uuid.uuid4().hex}{_ext(filename)}"


def _video_path(instance, filename):
    return f"videos/{uuid.uuid4().hex}{_ext(filename)}"


WEBP_MAX_SIDE = 16383  # the format's own limit (a 50-MP panorama can be longer)
_COUNTED = re.compile(r"(\d+) of (\d+)")


def _ext(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot >= 0 else ""


def _stem(original_name: str, fallback: str) -> str:
    """A file-name-safe base name for downloads ("beach" for "Beach Day.JPG")."""
    base = original_name.rsplit(".", 1)[0] if original_name else fallback
    return slugify(base)[:60] or fallback


class Photo(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=_photo_path)
    thumbnail = models.ImageField(upload_to=_photo_path, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    original_name = models.CharField(max_length=255, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return self.original_name or str(self.id)

    @property
    def stem(self) -> str:
        return _stem(self.original_name, "photo")

    def get_thumbnail_url(self):
        return reverse("photo-image", args=[self.id]) + "?size=thumb"


class Style(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    artist = models.CharField("artist / credit", max_length=200, blank=True)
    description = models.TextField(blank=True)
    image = models.ImageField(upload_to=_style_path)
    thumbnail = models.ImageField(upload_to=_style_path, blank=True)
    # Style vectors by brush scale ({"256": [100 floats]}), valid for image_sha256.
    vectors = models.JSONField(default=dict, blank=True)
    vectors_sha256 = models.CharField(max_length=64, blank=True)
    brush_scale = models.PositiveIntegerField(default=DEFAULT_BRUSH_SCALE)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="styles", help_text="Empty for catalog styles; a user for their private style.",
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = StyleQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    @property
    def is_catalog(self) -> bool:
        return self.owner_id is None

    def get_image_url(self):
        return reverse("style-image", args=[self.id])

    def get_thumbnail_url(self):
        return reverse("style-image", args=[self.id]) + "?size=thumb"


class Job(models.Model):
    """What every background job keeps: its state, who holds it, timings and attempts.

    gallery/jobs owns the life cycle (claim, progress, finish, fail, hand back, reap).
    """

    Status = JobStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED,
                              db_index=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(default=timezone.now, help_text="Last time it was enqueued.")
    started = models.DateTimeField(null=True, blank=True, db_index=True)
    finished = models.DateTimeField(null=True, blank=True)
    render_ms = models.PositiveIntegerField(null=True, blank=True,
                                            help_text="Time the work itself took (engine and files).")
    attempts = models.PositiveSmallIntegerField(default=0)
    # The worker process that holds the job while it runs ("host:pid:token", see jobs.worker).
    worker = models.CharField(max_length=120, blank=True, db_index=True)
    progress = models.CharField(max_length=80, blank=True)
    # Large jobs (output over 2048 px) count against their own, smaller per-user cap.
    large = models.BooleanField(default=False)

    objects = JobQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created"]

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def progress_percent(self) -> int | None:
        """How far it has got, when its progress counts ("tile 12 of 48", "frame 120 of 360")."""
        counted = _COUNTED.search(self.progress or "")
        if self.status != JobStatus.RUNNING or not counted or not int(counted[2]):
            return None
        return min(100, round(100 * int(counted[1]) / int(counted[2])))


class Batch(models.Model):
    """Several photos × several styles with the same controls, in one go. Its pictures are
    ordinary stylizations (each a job in the fair queue, each a render of the budget); the
    batch's state is theirs, counted (``summary``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="batches")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    total = models.PositiveIntegerField(default=0)
    callback_url = models.URLField(max_length=500, blank=True,
                                   help_text="Told (a signed POST) when every picture has finished.")

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"batch of {self.total} by {self.owner}"

    def get_absolute_url(self):
        return reverse("batch-detail", args=[self.id])

    def summary(self) -> dict:
        """Counts by state and the batch's status: queued (nothing started), running, done
        (every picture done) or failed (all finished, some failed: a retry runs them again)."""
        counts = dict(self.pictures.values_list("status").annotate(n=models.Count("pk")))
        done, failed = counts.get(JobStatus.DONE, 0), counts.get(JobStatus.FAILED, 0)
        queued = counts.get(JobStatus.QUEUED, 0)
        if done + failed == self.total:
            status = JobStatus.FAILED if failed else JobStatus.DONE
        elif queued == self.total:
            status = JobStatus.QUEUED
        else:
            status = JobStatus.RUNNING
        return {"status": status, "done": done, "failed": failed, "total": self.total,
                "finished": done + failed == self.total}


class Stylization(Job):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stylizations"
    )
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="stylizations")
    strength = models.FloatField(default=1.0)
    preserve_color = models.BooleanField(default=False)
    max_side = models.PositiveIntegerField(default=DEFAULT_MAX_SIDE)
    brush_scale = models.PositiveIntegerField(default=DEFAULT_BRUSH_SCALE)
    output = models.ImageField(upload_to=_result_path, blank=True)
    thumbnail = models.ImageField(upload_to=_result_path, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    engine = models.CharField(max_length=200, blank=True)
    is_public = models.BooleanField(default=False, db_index=True)
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="pictures")
    callback_url = models.URLField(max_length=500, blank=True,
                                   help_text="Told (a signed POST) when it is done or failed.")

    objects = StylizationQuerySet.as_manager()

    class Meta(Job.Meta):
        indexes = [models.Index(fields=["is_public", "status", "-created"])]

    def __str__(self):
        return f"{self.photo} in {self.style_names or 'no style'}"

    def get_absolute_url(self):
        return reverse("stylization-detail", args=[self.id])

    @property
    def fits_webp(self) -> bool:
        return max(self.width, self.height) <= WEBP_MAX_SIDE

    @property
    def size_label(self) -> str:
        return "Full size" if self.max_side >= MAX_SIDE_LIMIT else f"{self.max_side} px"

    @property
    def style_names(self) -> str:
        return " + ".join(part.display_name for part in self.parts.all())


class StylizationStyle(models.Model):
    """One style of a stylization and its weight; the name is kept if the style goes."""

    stylization = models.ForeignKey(Stylization, on_delete=models.CASCADE, related_name="parts")
    style = models.ForeignKey(Style, null=True, on_delete=models.SET_NULL, related_name="uses")
    style_name = models.CharField(max_length=120)
    weight = models.FloatField(default=1.0)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.display_name} × {self.weight:g}"

    @property
    def display_name(self) -> str:
        return self.style.name if self.style_id else self.style_name


class WorkerHeartbeat(models.Model):
    """One row per worker process, beaten every few seconds by a thread in that process
    (not through the queue, so a long backlog never looks like a dead worker)."""

    name = models.CharField(max_length=120, unique=True)
    host = models.CharField(max_length=100, blank=True)
    pid = models.PositiveIntegerField(default=0)
    cluster = models.CharField(max_length=40, blank=True, help_text="The qcluster it belongs to.")
    started = models.DateTimeField(default=timezone.now)
    seen = models.DateTimeField(help_text="The database's clock, so hosts' clocks never matter.")
    job = models.CharField(max_length=80, blank=True, help_text="The job it holds, if any.")
    stopping = models.BooleanField(default=False)
    runtime = models.CharField(max_length=400, blank=True,
                               help_text="What it renders with, and why (once its engine is loaded).")

    class Meta:
        ordering = ["-seen"]

    def __str__(self):
        return f"{self.name} @ {self.seen:%Y-%m-%d %H:%M:%S}"


class Exploration(Job):
    """"Try every style": small previews of one photo in every style, rendered in one job."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="explorations")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="explorations")
    callback_url = models.URLField(max_length=500, blank=True,
                                   help_text="Told (a signed POST) when it is done or failed.")

    def __str__(self):
        return f"every style on {self.photo}"

    def get_absolute_url(self):
        return reverse("exploration-detail", args=[self.id])


class ExplorationPreview(models.Model):
    exploration = models.ForeignKey(Exploration, on_delete=models.CASCADE, related_name="previews")
    style = models.ForeignKey(Style, on_delete=models.CASCADE, related_name="+")
    image = models.ImageField(upload_to=_result_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["style__position", "style__name"]
        constraints = [models.UniqueConstraint(fields=["exploration", "style"],
                                               name="one_preview_per_style")]

    def __str__(self):
        return f"{self.style} preview"


class Spend(models.Model):
    """One use of a limited thing (a render, an upload, a login attempt…) by one key (a user
    or an address). Budgets (gallery/budgets) count these in a sliding window, under a lock,
    so many requests at once can never overrun a limit."""

    key = models.CharField(max_length=160)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["key", "at"], name="spend_key_at")]

    def __str__(self):
        return f"{self.key} @ {self.at:%Y-%m-%d %H:%M:%S}"


class Account(models.Model):
    """Per-user settings that are not Django's: the secret webhooks are signed with."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="account")
    webhook_secret = models.CharField(max_length=80, blank=True)
    webhook_secret_rotated = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"account of {self.user}"


class Delivery(Job):
    """One webhook: a signed POST to a callback URL, delivered by the job system and retried
    with backoff (``attempts`` counts the tries)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="deliveries")
    url = models.URLField(max_length=500)
    event = models.CharField(max_length=40)  # "stylization.done", "batch.failed", …
    subject = models.CharField(max_length=80, help_text="What it is about: kind:id.")
    payload = models.JSONField(default=dict)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True,
                                                   help_text="The receiver's last HTTP status.")

    class Meta(Job.Meta):
        verbose_name_plural = "deliveries"

    def __str__(self):
        return f"{self.event} → {self.url}"


class Video(Job):
    """A short clip stylized frame by frame with one style (stylize/video.py): the uploaded
    source, the H.264 MP4 result and an animated WebP preview."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="videos")
    source = models.FileField(upload_to=_video_path)
    original_name = models.CharField(max_length=255, blank=True)
    style = models.ForeignKey(Style, null=True, on_delete=models.SET_NULL, related_name="+")
    style_name = models.CharField(max_length=120)
    strength = models.FloatField(default=1.0)
    preserve_color = models.BooleanField(default=False)
    max_side = models.PositiveIntegerField(default=720)
    brush_scale = models.PositiveIntegerField(default=DEFAULT_BRUSH_SCALE)
    deflicker = models.BooleanField(default=True)
    seconds = models.FloatField(default=0)
    charged = models.JSONField(default=list, blank=True, help_text=(
        "The budget's spends (ids) this clip holds: one per second paid; what its frames do not "
        "use is given back when it has rendered."))
    fps = models.FloatField(default=0)
    frames = models.PositiveIntegerField(default=0, help_text="As the clip's header says.")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    audio = models.CharField(max_length=20, blank=True, help_text="copied, re-encoded or none")
    flicker = models.FloatField(null=True, blank=True)
    output = models.FileField(upload_to=_result_path, blank=True)
    preview = models.FileField(upload_to=_result_path, blank=True)
    cancel_requested = models.BooleanField(default=False)

    def __str__(self):
        return f"clip {self.original_name or self.pk} in {self.style_name}"

    def get_absolute_url(self):
        return reverse("clip-detail", args=[self.id])

    @property
    def stem(self) -> str:
        return _stem(self.original_name, "clip")
