"""One address policy for every request the site sends out (webhooks today).

Only globally routable unicast addresses are reached. ``ipaddress``'s ``is_global`` alone
is not enough: it knows carrier-grade NAT (100.64.0.0/10) but calls IPv6 site-local
(fec0::/10) and multicast global, and an IPv6 address can *wrap* an IPv4 one — IPv4-mapped
(::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d), 6to4
(2002:AABB:CCDD::), Teredo (2001:0::/32, server and client), NAT64 (64:ff9b::/96, and the
local-use 64:ff9b:1::/48), ISATAP (…:0:5efe:a.b.c.d) — that a tunnel or a translator delivers
to 169.254.169.254 or 10.0.0.1. Every embedded IPv4 address is unwrapped and must be global
too.

The same check runs when a URL is given and again before every request, after DNS, for
every address the name resolves to (one bad one refuses the URL: which one a client picks
is not ours to know). The request then goes to an address from that very lookup — the
connection is pinned, so a name that resolves differently a moment later (DNS rebinding)
changes nothing. Redirects are never followed (``send`` returns the status).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local use, never global
_COMPATIBLE = ipaddress.ip_network("::/96")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
# IANA special-purpose blocks, named here too: which of them ``is_global`` knows changed
# between Python patch releases (3.11.7 calls 192.0.0.8 global).
_NEVER = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
    "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "5f00::/16", "fc00::/7",
    "fec0::/10"))


class Refused(ValueError):
    """The URL may not be reached; ``str()`` says why, for the person who gave it."""


class Unresolvable(Refused):
    """Its host could not be found now (DNS may answer again later)."""


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address ``ip`` carries inside it, by any of the standard wrappings."""
    found: list[ipaddress.IPv4Address] = []
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64 or ip in _TRANSLATED or (ip in _COMPATIBLE and int(ip) > 1):
        found.append(low32)
    if (int(ip) >> 32) & 0xFDFFFFFF == 0x00005EFE:  # ISATAP interface id, either u/l bit
        found.append(low32)
    return found


def _global_unicast(ip: IPAddress) -> bool:
    if not ip.is_global or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return False
    if ip.is_loopback or ip.is_link_local or ip.is_private:
        return False
    if ip.version == 6 and ip in _NAT64_LOCAL:
        return False
    return not any(ip.version == net.version and ip in net for net in _NEVER)


def is_public(address: str | IPAddress) -> bool:
    """True only for a globally routable unicast address that wraps no other kind."""
    ip = ipaddress.ip_address(str(address).split("%")[0])
    if ip.version == 6:
        inner = embedded_ipv4(ip)
        # Judged by the IPv4 address inside alone: whether ipaddress calls the outer form
        # global differs between Python builds (Debian's 3.11.2 calls 2002::/16 private).
        if (ip.ipv4_mapped is not None or ip.sixtofour is not None or ip in _NAT64
                or ip in _TRANSLATED or (ip in _COMPATIBLE and int(ip) > 1)):
            return all(_global_unicast(v4) for v4 in inner)  # an IPv4 address in IPv6 clothes
        if not all(_global_unicast(v4) for v4 in inner):
            return False
    return _global_unicast(ip)


@dataclass(frozen=True)
class Target:
    """A checked URL and the addresses its host resolved to in that check."""

    url: str
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def check(url: str, *, allow_private: bool = False, what: str = "The URL") -> Target:
    """The URL's parts and addresses if it may be reached, else ``Refused`` saying why."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        raise Refused(f"{what} is not a valid URL (its host or port cannot be read).") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"{what} must be an http:// or https:// URL.")
    if parts.username or parts.password:
        raise Refused(f"{what} must not carry a user name or password.")
    if any(c.isspace() or not c.isprintable() or ord(c) > 127 for c in url):
        raise Refused(f"{what} must be written with plain ASCII characters and no spaces "
                      "(percent-encode the rest).")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(host, port, what=what)
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise Refused(f"{what}'s host ({host}) is not a public address ({address}); "
                              "webhooks are only sent to the internet.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(url, parts.scheme, host, port, path, tuple(addresses))


def resolve(host: str, port: int, *, what: str = "The URL") -> list[str]:
    """Every address ``host`` resolves to now (one DNS lookup)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Unresolvable(f"{what}'s host ({host}) could not be found.") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise Unresolvable(f"{what}'s host ({host}) could not be found.")
    return addresses


MAX_ADDRESSES = 3  # tried in turn, each with the full timeout: a name cannot stall a worker


def _connect(addresses: tuple[str, ...], port: int, timeout: float) -> socket.socket:
    error: OSError | None = None
    for address in addresses[:MAX_ADDRESSES]:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.version == 6 and ip.ipv4_mapped is not None:
            address = str(ip.ipv4_mapped)  # what the check judged is what we connect to
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            error = exc
    raise error or OSError("no address to connect to")


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._addresses = target.addresses

    def connect(self):
        self.sock = _connect(self._addresses, self.port, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout,
                         context=ssl.create_default_context())
        self._addresses = target.addresses

    def connect(self):
        sock = _connect(self._addresses, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def send(target: Target, *, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` to a checked target over a connection to one of its checked
    addresses; the answer's status (a 3xx is an answer, never followed)."""
    connection_class = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = connection_class(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read(64 * 1024)  # the body is not ours to keep; a little, to end cleanly
        return answer.status
    finally:
        connection.close()
