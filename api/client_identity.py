"""Who is asking: keyed hashes of the client's network and identity, never the address itself.

A client's *network* is its IPv4 /24 or IPv6 /64 (an IPv4-mapped IPv6 address counts as IPv4). Its
*identity* is the network, or — when the request carries a valid client token issued to that same
network (``api.client_tokens``) — the token. The User-Agent is never part of either: changing it
changes nothing. The address plus User-Agent only names a report *row* (so a retry after a lost
answer is stored once), never who counts.

Behind a reverse proxy every request comes from the proxy's address, so ``X-Forwarded-For`` is
believed only when the direct peer is inside ``trusted_proxies`` (addresses or CIDR networks); the
client is then the right-most forwarded address that is not itself a trusted proxy.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from collections.abc import Collection
from dataclasses import dataclass

from aiohttp import web

IPV4_PREFIX = 24
IPV6_PREFIX = 64
TOKEN_HEADER = "X-Downwatch-Client-Token"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class ReportKeys:
    """The keyed hashes one report is judged by."""

    network: str
    """The client's /24 or /64: at most one distinct reporter per network per service per window."""
    identity: str
    """The network, or a token bound to it: what one counted report per window is keyed by."""
    row: str
    """Address, User-Agent and identity: the same client's retry names the same stored row."""
    token_slot_limit: int
    """0 for a network identity; for a token, how many token identities the network may count."""


_V4_MAPPED = bytes(10) + b"\xff\xff"


def network_of(address: str) -> str:
    """The /24 or /64 holding ``address`` as text; an unparsable address stands for itself.

    The C parser first (``_packed``: under a microsecond, where ``ipaddress`` took 20 us a report);
    whatever it refuses goes the ``ipaddress`` way, which gives the same text
    (tests/api/test_client_identity_fast.py compares the two).
    """
    parsed = _packed(address)
    if parsed is None:
        return _network_of_parsed(address)
    version, packed = parsed
    if version == 4:
        return socket.inet_ntop(socket.AF_INET, packed[:3] + b"\0") + f"/{IPV4_PREFIX}"
    return socket.inet_ntop(socket.AF_INET6, packed[:8] + bytes(8)) + f"/{IPV6_PREFIX}"


def _network_of_parsed(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if isinstance(ip, ipaddress.IPv4Address) else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _parse_proxies(trusted: Collection[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in trusted if entry.strip())


def _packed(address: str) -> tuple[int, bytes] | None:
    """(IP version, the address's bytes) by the C parser, an IPv4-mapped address as IPv4; None when it
    refuses the text."""
    text = address.split("%", 1)[0]
    try:
        if ":" in text:
            packed = socket.inet_pton(socket.AF_INET6, text)
            return (4, packed[12:]) if packed[:12] == _V4_MAPPED else (6, packed)
        return 4, socket.inet_pton(socket.AF_INET, text)
    except (OSError, ValueError):
        return None


class ClientIdentifier:
    def __init__(self, hash_key: str, trusted_proxies: Collection[str] = ()) -> None:
        self._key = hash_key.encode()
        self._hmac = hmac.new(self._key, digestmod=hashlib.sha256)
        self._trusted = _parse_proxies(trusted_proxies)
        self._trusted_ints = tuple((n.version, int(n.network_address), int(n.netmask)) for n in self._trusted)

    def _is_trusted(self, address: str) -> bool:
        if not self._trusted:
            return False
        parsed = _packed(address)
        if parsed is not None:
            version, packed = parsed
            value = int.from_bytes(packed, "big")
            return any(version == v and value & mask == network for v, network, mask in self._trusted_ints)
        return self._is_trusted_parsed(address)

    def _is_trusted_parsed(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self._trusted)

    def address(self, request: web.BaseRequest) -> str:
        peer = request.remote or ""
        if not self._is_trusted(peer):
            return peer
        forwarded = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
        for hop in reversed(forwarded):
            if hop and not self._is_trusted(hop):
                return hop
        return peer

    def network_hash(self, request: web.BaseRequest) -> str:
        return self.keyed_hash(f"network\n{network_of(self.address(request))}")

    def client_hash(self, request: web.BaseRequest) -> str:
        """The identity a request is rate-limited and counted by when it has no token: its network."""
        return self.network_hash(request)

    def report_keys(self, request: web.BaseRequest, token_id: str | None = None,
                    token_slots: int = 0) -> ReportKeys:
        """Keys of a report; ``token_id`` is a token already verified as issued to this network."""
        address = self.address(request)
        network = self.keyed_hash(f"network\n{network_of(address)}")
        identity = network if token_id is None else self.keyed_hash(f"token\n{token_id}")
        agent = request.headers.get("User-Agent", "")
        row = self.keyed_hash(f"row\n{address}\n{agent}\n{identity}")
        return ReportKeys(network, identity, row, 0 if token_id is None else token_slots)

    def keyed_hash(self, text: str) -> str:
        keyed = self._hmac.copy()  # HMAC-SHA256 under the key, its key schedule made once
        keyed.update(text.encode("utf-8", "surrogatepass"))
        return keyed.hexdigest()[:32]

    def sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, b"client-token\n" + payload, hashlib.sha256).digest()
