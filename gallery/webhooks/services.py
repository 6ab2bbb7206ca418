"""Webhooks: when a stylization, batch or exploration with a ``callback_url`` finishes or
fails, a signed JSON POST tells the caller. Delivered by the job system (a ``Delivery`` job
per event, in the same fair queue), retried with exponential backoff a bounded number of
times, each attempt visible in the API.

Signature: ``X-NST-Signature: sha256=<hex>``, the HMAC-SHA256 of ``<timestamp>.<body>`` with
the owner's secret (shown once on the account page and rotatable); ``X-NST-Timestamp`` is
the Unix time of the attempt, so a receiver can refuse replays (older than 5 minutes, say).

Safety: a callback URL must be http(s) and its host must resolve only to globally routable
unicast addresses (gallery/webhooks/outbound.py: embedded IPv4 forms unwrapped), checked when it is
given and again before every attempt, the connection pinned to the addresses of that check;
redirects are never followed. ``NST_WEBHOOKS_ALLOW_PRIVATE`` lifts the address check (tests,
or receivers on a private network).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from gallery import jobs
from gallery.errors import ServiceError
from gallery.models import Account, Batch, Delivery, Exploration, JobStatus, Stylization
from gallery.webhooks import outbound


def check_callback_url(url: str) -> outbound.Target:
    """Where webhooks for ``url`` may be sent (its checked addresses), else a ServiceError
    saying why (gallery/webhooks/outbound.py is the address policy)."""
    try:
        return outbound.check(url, allow_private=settings.NST_WEBHOOKS_ALLOW_PRIVATE,
                              what="The callback URL")
    except outbound.Refused as exc:
        raise ServiceError(str(exc), field="callback_url") from None


# -- the owner's secret ------------------------------------------------------------------

def rotate_secret(user) -> str:
    """A new signing secret for ``user`` (the old one stops working at once); returned so it
    can be shown once."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    Account.objects.update_or_create(user=user, defaults={
        "webhook_secret": secret, "webhook_secret_rotated": timezone.now()})
    return secret


def secret_of(user_id) -> str:
    """The owner's secret, made on first use (a receiver then needs the account page)."""
    account = Account.objects.filter(user_id=user_id).first()
    if account is None or not account.webhook_secret:
        from django.contrib.auth import get_user_model

        return rotate_secret(get_user_model().objects.get(pk=user_id))
    return account.webhook_secret


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                                hashlib.sha256).hexdigest()


# -- events --------------------------------------------------------------------------------

def _link(path: str) -> str:
    """Absolute when the site knows its public address (NST_PUBLIC_URL), else the path."""
    return settings.NST_PUBLIC_URL.rstrip("/") + path if settings.NST_PUBLIC_URL else path


def _payload_for_stylization(work: Stylization) -> dict:
    return {"id": str(work.pk), "status": work.status, "error": work.error,
            "width": work.width, "height": work.height,
            "url": _link(reverse("api-stylization-detail", args=[work.pk])),
            "download_url": (_link(reverse("api-stylization-download", args=[work.pk]))
                             if work.status == JobStatus.DONE else None)}


def deliver_later(*, owner_id, url: str, event: str, subject: str, payload: dict) -> Delivery:
    with transaction.atomic():
        delivery = Delivery.objects.create(owner_id=owner_id, url=url, event=event,
                                           subject=subject, payload=payload)
        jobs.enqueue_on_commit(f"webhook-{delivery.pk}")
    return delivery


def stylization_finished(pk) -> None:
    work = Stylization.objects.filter(pk=pk).select_related("batch").first()
    if work is None:
        return
    if work.callback_url:
        deliver_later(owner_id=work.owner_id, url=work.callback_url,
                      event=f"stylization.{work.status}", subject=f"stylization:{work.pk}",
                      payload=_payload_for_stylization(work))
    if work.batch_id is not None:
        _batch_finished(work.batch_id)


def _batch_finished(pk) -> None:
    """Once per round: when the batch's last picture has finished (and again after a retry
    of its failed ones). The batch row's lock keeps two workers finishing at once from both
    sending it."""
    from django.db.models import Max

    with transaction.atomic():
        batch = Batch.objects.select_for_update().filter(pk=pk).first()
        if batch is None or not batch.callback_url:
            return
        summary = batch.summary()
        round_began = batch.pictures.aggregate(last=Max("queued_at"))["last"]
        if not summary["finished"] or Delivery.objects.filter(
                subject=f"batch:{batch.pk}", created__gte=round_began).exists():
            return
        deliver_later(owner_id=batch.owner_id, url=batch.callback_url,
                      event=f"batch.{summary['status']}", subject=f"batch:{batch.pk}",
                      payload={"id": str(batch.pk), **summary,
                               "url": _link(reverse("api-batch-detail", args=[batch.pk])),
                               "zip_url": _link(reverse("api-batch-zip", args=[batch.pk]))})


def exploration_finished(pk) -> None:
    found = Exploration.objects.filter(pk=pk).first()
    if found is None or not found.callback_url:
        return
    deliver_later(owner_id=found.owner_id, url=found.callback_url,
                  event=f"exploration.{found.status}", subject=f"exploration:{found.pk}",
                  payload={"id": str(found.pk), "status": found.status, "error": found.error,
                           "previews": found.previews.count(),
                           "url": _link(reverse("api-exploration-detail", args=[found.pk]))})
