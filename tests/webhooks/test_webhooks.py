"""Webhooks to a real local HTTP receiver: signed (verified here with the secret), retried
with backoff through the job system after a 500, redirects not followed, private addresses
refused unless allowed, one event per batch; the secret page shows a new secret once."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gallery.models import Delivery, Stylization
from gallery.photos.services import photo_create
from gallery.tasks import run_next_job
from tests.fixtures import client_for, upload


class Receiver:
    """An HTTP server on a free local port that records what it is sent and answers with
    the statuses it is given (then 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path,  # header names are case-insensitive
                                          "headers": {k.lower(): v for k, v in self.headers.items()},
                                          "body": body})
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                if status in (301, 302, 307):
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/nst"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def receiver(settings):
    settings.NST_WEBHOOKS_ALLOW_PRIVATE = True  # the receiver is on this machine
    found = Receiver()
    yield found
    found.stop()


def _verify(secret: str, request: dict) -> dict:
    headers = request["headers"]
    stamp = headers["x-nst-timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), f"{stamp}.".encode() + request["body"],
                                    hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-nst-signature"], expected), "bad signature"
    assert abs(time.time() - int(stamp)) < 60  # fresh: a receiver can refuse replays
    return json.loads(request["body"])


def _create(client, style, callback_url, **extra):
    return client.post("/api/v1/stylizations/", {
        "photo_file": upload(), "styles": json.dumps([{"style": str(style.pk)}]),
        "max_side": 128, "callback_url": callback_url, **extra}, format="multipart")


def test_a_finished_picture_is_posted_signed(receiver, api, alice, catalog_style,
                                             django_capture_on_commit_callbacks):
    as_user = api(alice)
    secret = as_user.post("/api/v1/webhooks/secret/").json()["secret"]
    with django_capture_on_commit_callbacks(execute=True):
        work = _create(as_user, catalog_style, receiver.url).json()
    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    assert sent["path"] == "/hooks/nst" and sent["headers"]["x-nst-event"] == "stylization.done"
    body = _verify(secret, sent)
    assert body["event"] == "stylization.done" and body["data"]["id"] == work["id"]
    assert body["data"]["status"] == "done"
    assert body["data"]["download_url"] == f"/api/v1/stylizations/{work['id']}/download/"
    deliveries = as_user.get("/api/v1/webhooks/deliveries/").json()["results"]
    assert [(d["status"], d["attempts"], d["last_status"], d["subject"]) for d in deliveries] == [
        ("done", 1, 200, f"stylization:{work['id']}")]
    forged = dict(sent, body=sent["body"].replace(b"done", b"dona"))
    with pytest.raises(AssertionError, match="bad signature"):
        _verify(secret, forged)


def test_a_receiver_that_answers_500_is_tried_again_later(receiver, api, alice, settings,
                                                         catalog_style,
                                                         django_capture_on_commit_callbacks):
    settings.NST_WEBHOOK_BACKOFF = 60
    receiver.answers = [500]
    as_user = api(alice)
    with django_capture_on_commit_callbacks(execute=True):
        _create(as_user, catalog_style, receiver.url)
    delivery = Delivery.objects.get()
    assert len(receiver.requests) == 1
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("queued", 1, 500)
    assert delivery.error == "Attempt 1 failed: the receiver answered 500."
    wait = (delivery.queued_at - timezone.now()).total_seconds()
    assert 50 < wait <= 60, wait  # the next attempt after the backoff
    assert run_next_job("too early") == "nothing to do"  # waits out its backoff
    # the backoff elapses (moved, not slept: a 1-s backoff made this test race a busy machine)
    Delivery.objects.filter(pk=delivery.pk).update(queued_at=timezone.now())
    run_next_job("test")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("done", 2, 200)
    assert len(receiver.requests) == 2
    shown = as_user.get(f"/api/v1/webhooks/deliveries/{delivery.pk}/").json()
    assert shown["attempts"] == 2 and shown["status"] == "done"


def test_redirects_are_not_followed_and_attempts_are_bounded(receiver, api, alice, settings,
                                                             catalog_style,
                                                             django_capture_on_commit_callbacks):
    settings.NST_WEBHOOK_ATTEMPTS, settings.NST_WEBHOOK_BACKOFF = 2, 0
    receiver.answers = [302, 302]
    with django_capture_on_commit_callbacks(execute=True):
        _create(api(alice), catalog_style, receiver.url)
    delivery = Delivery.objects.get()
    assert [r["path"] for r in receiver.requests] == ["/hooks/nst", "/hooks/nst"]  # never /elsewhere
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("failed", 2, 302)
    assert delivery.error == "Not delivered after 2 attempts: the receiver answered 302."


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://localhost/hook",
                                 "http://169.254.169.254/latest/meta-data/",
                                 "http://10.0.0.7/hook", "http://[::1]/hook",
                                 "ftp://example.com/hook"])
def test_private_addresses_are_refused(api, alice, catalog_style, url):
    r = _create(api(alice), catalog_style, url)
    assert r.status_code == 400
    assert r.json()["errors"]["callback_url"][0].startswith("The callback URL")
    assert not Stylization.objects.exists() and not Delivery.objects.exists()


def test_one_event_for_a_whole_batch(receiver, api, alice, catalog_style, second_style,
                                     django_capture_on_commit_callbacks):
    photos = [photo_create(owner=alice, upload=upload(seed=n)) for n in range(2)]
    as_user = api(alice)
    with django_capture_on_commit_callbacks(execute=True):
        batch = as_user.post("/api/v1/batches/", {
            "photos": [str(p.pk) for p in photos],
            "styles": [str(catalog_style.pk), str(second_style.pk)], "max_side": 128,
            "callback_url": receiver.url}, format="json").json()
    assert len(receiver.requests) == 1  # not one per picture
    body = json.loads(receiver.requests[0]["body"])
    assert body["event"] == "batch.done" and body["data"]["id"] == batch["id"]
    assert (body["data"]["done"], body["data"]["total"]) == (4, 4)


def test_the_secret_is_shown_once_and_can_be_rotated(client, alice):
    c = client_for(client, alice)
    page = c.get(reverse("webhooks")).content.decode()
    assert 'id="no-secret"' in page
    first = c.post(reverse("webhooks"))
    assert first["Cache-Control"] == "no-store"
    secret = first.context["new_secret"]
    assert secret.startswith("whsec_") and secret in first.content.decode()
    again = c.get(reverse("webhooks")).content.decode()
    assert secret not in again and f"whsec_…{secret[-4:]}" in again
    second = c.post(reverse("webhooks")).context["new_secret"]
    assert second != secret
    assert Client().get(reverse("webhooks")).status_code == 302  # sign in first
