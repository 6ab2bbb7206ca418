"""Budgets are counted atomically (many requests at once never overrun one), a refused render
costs nothing, and every user can see what is left: on the create page, in /api/v1/me/ and in
RateLimit-* headers. (Also run on PostgreSQL by tests/test_scale_out.py.)"""

import threading

import pytest
from django import db
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gallery import budgets
from gallery.models import Spend, Stylization
from gallery.photos.services import photo_create
from tests.fixtures import client_for, set_rates, upload


def _at_once(n: int, action) -> list:
    """Run ``action(i)`` in n threads released together; their results in any order."""
    start = threading.Barrier(n)
    results = []

    def run(i):
        try:
            start.wait()
            results.append(action(i))
        finally:
            db.connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == n, "a thread did not finish"
    return results


@pytest.mark.django_db(transaction=True)
def test_spends_at_once_take_exactly_the_limit():
    # 64 connections at once: PostgreSQL's default max_connections is 100.
    budget = budgets.Budget("renders", 25, 3600)
    results = _at_once(64, lambda i: budgets.spend(budget, "user:1").allowed)
    assert results.count(True) == 25 and results.count(False) == 39
    assert Spend.objects.filter(key="renders:user:1").count() == 25
    assert budgets.usage(budget, "user:1").remaining == 0
    assert budgets.usage(budget, "user:2").remaining == 25  # another key is untouched


@pytest.mark.django_db(transaction=True)
def test_parallel_api_creates_never_overrun_the_render_budget(settings, real_queue, alice,
                                                               catalog_style):
    set_rates(settings, renders="12/hour")
    photo = photo_create(owner=alice, upload=upload())
    token = Token.objects.create(user=alice).key
    body = {"photo": str(photo.pk), "styles": [{"style": str(catalog_style.pk)}], "max_side": 64}

    def create(i):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return api.post("/api/v1/stylizations/", body, format="json").status_code

    codes = _at_once(30, create)
    assert codes.count(202) == 12 and codes.count(429) == 18, codes
    assert Stylization.objects.filter(owner=alice).count() == 12


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_get_exactly_ten_tries(alice):
    def guess(i):
        return Client().post(reverse("login"), {"username": "alice", "password": f"guess-{i}"}
                             ).status_code

    codes = _at_once(30, guess)
    assert codes.count(400) == budgets.LOGIN_ATTEMPTS and codes.count(429) == 30 - 10, codes
    r = Client().post(reverse("login"), {"username": "alice", "password": "pw-alice-123"})
    assert r.status_code == 429  # even the right password waits now


def test_a_good_login_costs_no_attempt(client, alice):
    for _ in range(budgets.LOGIN_ATTEMPTS + 3):
        r = Client().post(reverse("login"), {"username": "alice", "password": "pw-alice-123"})
        assert r.status_code == 302
    assert not Spend.objects.filter(key__startswith="logins:").exists()


def test_a_refused_create_costs_no_render(api, alice, catalog_style, settings):
    set_rates(settings, renders="2/hour")
    as_user = api(alice)
    bad = {"photo": "00000000-0000-0000-0000-000000000000",
           "styles": [{"style": str(catalog_style.pk)}]}
    for _ in range(5):
        r = as_user.post("/api/v1/stylizations/", bad, format="json")
        assert r.status_code == 400 and r.json()["errors"]["photo"]
        assert r["RateLimit-Remaining"] == "2"  # given back
    page = client_for(Client(), alice).post(reverse("create"), {"style": catalog_style.pk})
    assert page.status_code == 400
    assert budgets.user_budgets(alice)["renders"].used == 0


def test_the_create_page_and_the_api_show_what_is_left(client, alice, catalog_style, settings,
                                                         api,
                                                         django_capture_on_commit_callbacks):
    set_rates(settings, renders="5/hour", uploads="9/hour")
    as_user = api(alice)
    with django_capture_on_commit_callbacks(execute=False):
        r = as_user.post("/api/v1/stylizations/", {"photo_file": upload(), "styles":
                     f'[{{"style": "{catalog_style.pk}"}}]'}, format="multipart")
    assert r.status_code == 202
    assert (r["RateLimit-Limit"], r["RateLimit-Remaining"]) == ("5", "4")
    assert r["RateLimit-Policy"] == "5;w=3600" and 3590 <= int(r["RateLimit-Reset"]) <= 3600
    me = as_user.get("/api/v1/me/").json()
    assert me["username"] == "alice"
    assert me["budgets"]["renders"] == {"limit": 5, "used": 1, "remaining": 4,
                                        "window_seconds": 3600,
                                        "resets_in_seconds": me["budgets"]["renders"][
                                            "resets_in_seconds"]}
    assert me["budgets"]["uploads"]["used"] == 1 and me["budgets"]["uploads"]["limit"] == 9
    page = client_for(client, alice).get(reverse("create")).content.decode()
    assert "1 of 5 renders this hour · 1 of 9 uploads" in page
    for _ in range(4):  # four more renders, spent elsewhere (the web page, another client)
        assert budgets.spend(budgets.Budget.for_scope("renders"), f"user:{alice.pk}").allowed
    page = client_for(client, alice).get(reverse("create")).content.decode()
    assert "5 of 5 renders this hour" in page and "the next one frees up in about 60 minutes" in page
    refused = as_user.post("/api/v1/stylizations/", {"photo": str(Stylization.objects.first().photo_id),
                                                 "styles": [{"style": str(catalog_style.pk)}]},
                       format="json")
    assert refused.status_code == 429 and refused["RateLimit-Remaining"] == "0"
    assert int(refused["Retry-After"]) > 3500
    assert Stylization.objects.count() == 1


def test_me_needs_a_signed_in_user(api):
    r = api(None).get("/api/v1/me/")
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"


def test_old_spends_are_pruned_by_housekeeping(alice):
    from datetime import timedelta

    from django.utils import timezone

    from gallery.tasks import housekeeping

    Spend.objects.create(key="renders:user:1", at=timezone.now() - timedelta(days=2))
    Spend.objects.create(key="renders:user:1", at=timezone.now())
    housekeeping()
    assert Spend.objects.filter(key="renders:user:1").count() == 1
    assert Spend.objects.filter(key="sweeps:all").count() == 1  # once an hour, for everyone
    housekeeping()
    assert Spend.objects.filter(key="sweeps:all").count() == 1

