"""Who is asking: a keyed hash of the client's address and user agent, never the address itself.

Behind a reverse proxy every request comes from the proxy's address, so ``X-Forwarded-For`` is
believed only when the direct peer is one of ``trusted_proxies``; the client is then the right-most
forwarded address that is not itself a trusted proxy.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection

from aiohttp import web


class ClientIdentifier:
    def __init__(self, hash_key: str, trusted_proxies: Collection[str] = ()) -> None:
        self._key = hash_key.encode()
        self._trusted = frozenset(trusted_proxies)

    def address(self, request: web.BaseRequest) -> str:
        peer = request.remote or ""
        if peer not in self._trusted:
            return peer
        forwarded = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
        for hop in reversed(forwarded):
            if hop and hop not in self._trusted:
                return hop
        return peer

    def client_hash(self, request: web.BaseRequest) -> str:
        agent = request.headers.get("User-Agent", "")
        return self.keyed_hash(f"client\n{self.address(request)}\n{agent}")

    def keyed_hash(self, text: str) -> str:
        return hmac.new(self._key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]
