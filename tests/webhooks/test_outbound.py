"""The address policy for webhooks (gallery/webhooks/outbound.py), against real routes.

A private network namespace (``ip netns``, a veth pair) holds a listener on addresses that
are routable from here but not public: carrier-grade NAT (100.64.0.0/10), IPv6 site-local,
a 6to4 address wrapping 169.254.169.254, and NAT64 of the metadata address. A control
request proves each one reaches the listener; then the site refuses each at create (400,
with the reason) and before an attempt (the address changed after create), and the listener
sees nothing. A fake DNS answer tests what only DNS can do: a name with one bad address among
good ones, and a name that resolves elsewhere a moment after the check (the connection is
pinned to the checked address).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from gallery.models import Delivery, Stylization
from gallery.tasks import run_next_job
from gallery.webhooks import outbound
from tests.fixtures import upload
from tests.webhooks.test_webhooks import Receiver


@pytest.mark.parametrize("address, public", [
    ("93.184.216.34", True), ("2606:4700::1111", True), ("::ffff:93.184.216.34", True),
    ("2002:5db8:d822::1", True),  # 6to4 of a public address
    ("64:ff9b::5db8:d822", True),  # NAT64 of a public address
    ("100.64.0.1", False), ("100.100.100.200", False),  # carrier-grade NAT (a metadata address)
    ("169.254.169.254", False), ("10.0.0.7", False), ("127.0.0.1", False), ("0.0.0.0", False),
    ("224.0.0.1", False), ("255.255.255.255", False), ("198.18.0.1", False),
    ("240.0.0.1", False), ("192.0.0.8", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False),
    ("fec0::1", False),  # site-local: ipaddress calls it global
    ("ff0e::1", False),  # global-scope multicast: not unicast
    ("2001:db8::1", False),
    ("2002:a9fe:a9fe::1", False),  # 6to4 wrapping the metadata address
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
    ("64:ff9b::a9fe:a9fe", False), ("64:ff9b:1::5db8:d822", False),  # NAT64 (local-use too)
    ("::ffff:169.254.169.254", False), ("::169.254.169.254", False),  # mapped, compatible
    ("::ffff:0:a9fe:a9fe", False),  # IPv4-translated
    ("2606:4700::5efe:a9fe:a9fe", False), ("2606:4700::200:5efe:a9fe:a9fe", False),  # ISATAP
])
def test_only_global_unicast_addresses_are_public(address, public):
    assert outbound.is_public(address) is public


# -- a routable, non-public network next to this one --------------------------------------

LISTENER = textwrap.dedent("""
    import socket, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with open(sys.argv[1], "a") as log:
                log.write(self.headers.get("Host", "") + "\\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    class DualStack(HTTPServer):
        address_family = socket.AF_INET6

        def server_bind(self):
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            super().server_bind()

    server = DualStack(("::", 8080), Handler)
    print("ready", flush=True)
    server.serve_forever()
""")

# (host side, namespace side, prefix length): the namespace's addresses are the targets.
NETWORKS = [("100.64.0.1", "100.64.0.2", 30), ("fec0::1", "fec0::2", 64),
            ("2002:a9fe:a9fe::1", "2002:a9fe:a9fe::2", 64),
            ("64:ff9b::101:101", "64:ff9b::a9fe:a9fe", 96)]


def _ip(*args, ns=None):
    prefix = ["ip", "netns", "exec", ns] if ns else []
    subprocess.run([*prefix, "ip", *args], check=True, capture_output=True)


class Elsewhere:
    """The namespace and its listener; ``seen()``: the Host headers of requests so far."""

    def __init__(self, tmp: Path):
        tag = f"{os.getpid() % 100000}"
        self.ns, self.host_if, self.ns_if = f"nsttest{tag}", f"nsta{tag}", f"nstb{tag}"
        self.log = tmp / "seen.log"
        self.log.write_text("")
        _ip("netns", "add", self.ns)
        _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
        _ip("link", "set", self.ns_if, "netns", self.ns)
        for here, there, bits in NETWORKS:
            six = ["-6"] if ":" in here else []
            dad = ["nodad"] if six else []
            _ip(*six, "addr", "add", f"{here}/{bits}", "dev", self.host_if, *dad)
            _ip(*six, "addr", "add", f"{there}/{bits}", "dev", self.ns_if, *dad, ns=self.ns)
        _ip("link", "set", self.host_if, "up")
        _ip("link", "set", self.ns_if, "up", ns=self.ns)
        _ip("link", "set", "lo", "up", ns=self.ns)
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, sys.executable, "-c", LISTENER, str(self.log)],
            stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready"
        self.targets = [there for _, there, _ in NETWORKS]

    def url(self, address: str) -> str:
        host = f"[{address}]" if ":" in address else address
        return f"http://{host}:8080/hook"

    def seen(self) -> list[str]:
        return self.log.read_text().splitlines()

    def close(self):
        self.process.kill()
        self.process.wait()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)


@pytest.fixture
def elsewhere(tmp_path):
    found = Elsewhere(tmp_path)
    try:
        yield found
    finally:
        found.close()


def _create(client, style, callback_url):
    return client.post("/api/v1/stylizations/", {
        "photo_file": upload(), "styles": json.dumps([{"style": str(style.pk)}]),
        "max_side": 128, "callback_url": callback_url}, format="multipart")


def _post_directly(url: str) -> int:
    """The control: the same POST with no policy in the way (the address is routable)."""
    target = outbound.check(url, allow_private=True)
    return outbound.send(target, body=b"{}", headers={"Content-Type": "application/json"},
                         timeout=5)


def test_non_public_addresses_that_route_are_refused_at_create(elsewhere, api, alice,
                                                               catalog_style):
    for address in elsewhere.targets:
        assert _post_directly(elsewhere.url(address)) == 200
    assert len(elsewhere.seen()) == len(elsewhere.targets)  # every one of them reachable

    for address in elsewhere.targets:
        r = _create(api(alice), catalog_style, elsewhere.url(address))
        assert r.status_code == 400, address
        reason = r.json()["errors"]["callback_url"][0]
        assert reason == (f"The callback URL's host ({address}) is not a public address "
                          f"({address}); webhooks are only sent to the internet.")
    assert not Stylization.objects.exists() and not Delivery.objects.exists()
    assert len(elsewhere.seen()) == len(elsewhere.targets)  # nothing more arrived


def test_an_address_refused_at_send_is_never_contacted(elsewhere, api, alice, catalog_style,
                                                       settings,
                                                       django_capture_on_commit_callbacks):
    """Given while allowed (or while its name was public), refused before the attempt."""
    settings.NST_WEBHOOKS_ALLOW_PRIVATE = True
    r = _create(api(alice), catalog_style, elsewhere.url("100.64.0.2"))
    assert r.status_code == 202
    settings.NST_WEBHOOKS_ALLOW_PRIVATE = False
    while run_next_job("test") != "nothing to do":
        pass
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.error == ("Not delivered: The callback URL's host (100.64.0.2) is not a "
                              "public address (100.64.0.2); webhooks are only sent to the "
                              "internet.")
    assert elsewhere.seen() == []


class FakeDNS:
    """getaddrinfo for made-up names: ``answers[name]`` is a list of answers, one per lookup
    (the last repeats); other names resolve as usual."""

    def __init__(self, monkeypatch):
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            if host not in self.answers:
                return real(host, port, *args, **kwargs)
            self.lookups.append(host)
            queue = self.answers[host]
            addresses = queue.pop(0) if len(queue) > 1 else queue[0]
            if addresses is None:  # the resolver has no answer right now
                raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                     (a, port)) for a in addresses]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def dns(monkeypatch):
    return FakeDNS(monkeypatch)


def test_one_bad_address_among_good_ones_refuses_the_name(dns, api, alice, catalog_style):
    dns.answers["hooks.example.com"] = [["93.184.216.34", "2606:4700::1111", "100.64.0.2"]]
    r = _create(api(alice), catalog_style, "https://hooks.example.com/nst")
    assert r.status_code == 400
    assert r.json()["errors"]["callback_url"] == [
        "The callback URL's host (hooks.example.com) is not a public address (100.64.0.2); "
        "webhooks are only sent to the internet."]
    assert not Stylization.objects.exists()


def test_a_name_that_turns_private_after_create_is_refused_at_send(
        dns, elsewhere, api, alice, catalog_style, django_capture_on_commit_callbacks):
    dns.answers["rebind.example.com"] = [["93.184.216.34"], ["100.64.0.2"]]
    with django_capture_on_commit_callbacks(execute=True):
        r = _create(api(alice), catalog_style, "http://rebind.example.com:8080/hook")
    assert r.status_code == 202
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and "(100.64.0.2)" in delivery.error
    assert elsewhere.seen() == []


def test_the_connection_goes_to_the_address_that_was_checked(dns, settings, api, alice,
                                                             catalog_style,
                                                             django_capture_on_commit_callbacks):
    """A second lookup between check and connect would land on 127.0.0.2, where nothing
    listens; pinned, the request reaches the checked 127.0.0.1, with the name as Host."""
    settings.NST_WEBHOOKS_ALLOW_PRIVATE = True
    receiver = Receiver()
    try:
        dns.answers["pinned.example.com"] = [["127.0.0.1"], ["127.0.0.1"], ["127.0.0.2"]]
        with django_capture_on_commit_callbacks(execute=True):
            r = _create(api(alice), catalog_style,
                        f"http://pinned.example.com:{receiver.port}/hooks/nst?x=1")
        assert r.status_code == 202
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.last_status) == ("done", 200), delivery.error
        assert dns.lookups == ["pinned.example.com"] * 2  # at create, and at the attempt
        [sent] = receiver.requests
        assert sent["path"] == "/hooks/nst?x=1"
        assert sent["headers"]["host"] == f"pinned.example.com:{receiver.port}"
    finally:
        receiver.stop()


def test_unreachable_receivers_are_retried_not_hung(settings, api, alice, catalog_style,
                                                    django_capture_on_commit_callbacks):
    settings.NST_WEBHOOKS_ALLOW_PRIVATE = True
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens once it is closed
    began = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        _create(api(alice), catalog_style, f"http://127.0.0.1:{port}/hook")
    delivery = Delivery.objects.get()
    assert delivery.status == "queued" and delivery.attempts == 1
    assert delivery.error.startswith("Attempt 1 failed: could not connect")
    assert time.monotonic() - began < 8


def test_a_name_that_cannot_be_resolved_at_send_is_tried_again_later(
        dns, settings, api, alice, catalog_style, django_capture_on_commit_callbacks):
    settings.NST_WEBHOOK_BACKOFF = 1
    receiver = Receiver()
    settings.NST_WEBHOOKS_ALLOW_PRIVATE = True
    try:
        dns.answers["flaky.example.com"] = [["127.0.0.1"], None, ["127.0.0.1"]]
        with django_capture_on_commit_callbacks(execute=True):
            _create(api(alice), catalog_style, f"http://flaky.example.com:{receiver.port}/h")
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("queued", 1)
        assert delivery.error == ("Attempt 1 failed: the callback URL's host (flaky.example.com) "
                                  "could not be found.")
        time.sleep(1.1)  # its backoff
        run_next_job("test")
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("done", 2)
        assert len(receiver.requests) == 1
    finally:
        receiver.stop()


@pytest.mark.parametrize("url, reason", [
    ("http://[::1/hook", "is not a valid URL"),
    ("http://example.com/a path", "plain ASCII characters and no spaces"),
    ("http://example.com/caf\u00e9", "plain ASCII characters and no spaces"),
])
def test_urls_that_cannot_be_sent_are_refused_at_create(url, reason):
    with pytest.raises(outbound.Refused, match=reason):
        outbound.check(url)
