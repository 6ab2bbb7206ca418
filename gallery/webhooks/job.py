"""The delivery job: one signed POST of an event, retried with exponential backoff."""

from __future__ import annotations

import http.client
import json
import time

from django.conf import settings

from gallery.errors import ServiceError
from gallery.jobs import JobContext, JobKind, Result, register
from gallery.models import Delivery
from gallery.webhooks import outbound
from gallery.webhooks.services import secret_of, sign

TIMEOUT = 10  # seconds per attempt
USER_AGENT = "nstsite-webhooks/1"


@register
class DeliveryJob(JobKind):
    name = "webhook"
    model = Delivery
    gave_up = "The webhook could not be delivered after several attempts."

    def run(self, row: Delivery, ctx: JobContext) -> Result:
        body = json.dumps({"event": row.event, "delivery": str(row.pk), "data": row.payload},
                          separators=(",", ":")).encode()
        try:  # again: what the name resolves to may have changed; the send is pinned to it
            target = outbound.check(row.url, allow_private=settings.NST_WEBHOOKS_ALLOW_PRIVATE,
                                    what="The callback URL")
        except outbound.Unresolvable as exc:  # DNS may answer again: a later attempt
            self._again(row, ctx, None, str(exc)[0].lower() + str(exc)[1:].rstrip("."))
        except outbound.Refused as exc:
            raise ServiceError(f"Not delivered: {exc}") from None
        stamp = int(time.time())
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "X-NST-Event": row.event, "X-NST-Delivery": str(row.pk),
                   "X-NST-Timestamp": str(stamp),
                   "X-NST-Signature": sign(secret_of(row.owner_id), stamp, body)}
        try:
            status = outbound.send(target, body=body, headers=headers, timeout=TIMEOUT)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            self._again(row, ctx, None, f"could not connect: {exc}")
        if not 200 <= status < 300:
            self._again(row, ctx, status, f"the receiver answered {status}")
        return Result(fields={"last_status": status})

    @staticmethod
    def _again(row: Delivery, ctx: JobContext, status, reason: str):
        Delivery.objects.filter(pk=row.pk).update(last_status=status)
        if row.attempts >= settings.NST_WEBHOOK_ATTEMPTS:
            raise ServiceError(f"Not delivered after {row.attempts} attempts: {reason}.")
        ctx.retry_later(settings.NST_WEBHOOK_BACKOFF * 2 ** (row.attempts - 1),
                        f"Attempt {row.attempts} failed: {reason}.")
