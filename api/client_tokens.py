"""Client tokens: a few extra identities for people who share a network (carrier-grade NAT).

``POST /v1/client-tokens`` issues ``dw1.<id>.<issued>.<signature>``: a random id, the issue time
and an HMAC (under ``hash_key``) of both *and of the keyed hash of the network it was issued to*.
The network is not in the token, so it cannot be read off it; a token presented from another
network simply does not verify there and the report counts as its network's. Tokens last
``TOKEN_LIFETIME_SECONDS``. A network is issued at most ``client_tokens_per_network_per_hour`` of them (under
NATS across every API process: ``downwatch.runtime.roles.shared_limits`` shares what each issued),
and however many it holds, at most ``client_token_slots`` of them count per service per
window — that cap is enforced in the store, across processes (``downwatch.store.count_claims``).
"""

from __future__ import annotations

import base64
import hmac
import math
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable

from aiohttp import web

from api.client_identity import ClientIdentifier
from api.ratelimit import KeyedBuckets

TOKEN_LIFETIME_SECONDS = 30 * 86_400
TOKEN_SHAPE = re.compile(r"^dw1\.([A-Za-z0-9_-]{22})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class ClientTokens:
    def __init__(self, clients: ClientIdentifier, per_network_per_hour: int,
                 clock: Callable[[], float] = time.time) -> None:
        self._clients = clients
        self._clock = clock
        self._issued = KeyedBuckets(per_network_per_hour, clock, per_seconds=3600.0)
        self._shared: Counter[str] | None = None

    def _signature(self, token_id: str, issued: int, network: str) -> str:
        return _b64(self._clients.sign(f"{token_id}.{issued}.{network}".encode())[:16])

    def issue(self, network: str) -> tuple[str, int] | int:
        """(token, expires at epoch seconds), or the seconds to wait when the network had its share."""
        now = self._clock()
        wait = self._issued.bucket(network, now).take(now)
        if wait:
            return max(1, math.ceil(wait))
        if self._shared is not None:
            self._shared[network] += 1
        token_id = _b64(secrets.token_bytes(16))
        issued = int(now)
        token = f"dw1.{token_id}.{issued}.{self._signature(token_id, issued, network)}"
        return token, issued + TOKEN_LIFETIME_SECONDS

    def share(self) -> None:
        """Start keeping what this process issues, for ``take_issued`` (other processes absorb it)."""
        self._shared = Counter()

    def take_issued(self) -> dict[str, int]:
        """Tokens issued per network since the last call (empty unless sharing)."""
        if not self._shared:
            return {}
        issued, self._shared = dict(self._shared), Counter()
        return issued

    def absorb(self, issued: dict[str, int]) -> None:
        """Debit what other processes issued to these networks."""
        self._issued.debit(issued)

    def verify(self, token: str, network: str) -> str | None:
        """The token's id when it is well formed, unexpired and was issued to ``network``."""
        match = TOKEN_SHAPE.match(token)
        if match is None:
            return None
        token_id, issued_text, signature = match.groups()
        issued = int(issued_text)
        if not issued <= self._clock() + 60 <= issued + TOKEN_LIFETIME_SECONDS + 60:
            return None
        if not hmac.compare_digest(signature, self._signature(token_id, issued, network)):
            return None
        return token_id


CLIENT_TOKENS = web.AppKey("client_tokens", ClientTokens)
