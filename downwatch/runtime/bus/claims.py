"""Which report counts, decided by the API process that accepts it, for every API process at once.

In one process that decision is made in the storing transaction (``downwatch.store.count_claims``).
Under NATS the API process must answer ``counted`` before a writer stores the report, and the same
identity's next report may reach another API process. So the claims a report carries (its identity's
keyed hash for the service and window; for a client token, one of its network's token slots) are
created as keys of the ``claims`` KV bucket with "expected last subject sequence 0", which JetStream
grants to one publisher only. A key's value is the claiming report's id: a retry of that report
(after a lost answer) finds its own claim and still counts. Keys live twice the report window, which
outlasts the window they were claimed in.

The decision travels in the signal (``claims["counted"]``) and the writer stores it as decided.
"""

from __future__ import annotations

from typing import Any

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from downwatch.runtime.bus.ack_mux import AckMux, PublishFailed
from downwatch.runtime.bus.names import CLAIMS_BUCKET

EXPECTED_LAST_SUBJECT_SEQUENCE = "Nats-Expected-Last-Subject-Sequence"
WRONG_LAST_SEQUENCE = 10071
"""JetStream's error code when the key already has a value."""


class ClaimBook:
    def __init__(self, acks: AckMux, kv: KeyValue, timeout: float) -> None:
        self._acks = acks
        self._kv = kv
        self._timeout = timeout

    async def claim(self, key: str, owner: str) -> bool:
        """True when ``key`` is now ``owner``'s (taken now, or by an earlier try of the same report)."""
        for _ in range(2):  # a key that expires between the refusal and the read is claimed again
            answer = await self._acks.answer(f"$KV.{CLAIMS_BUCKET}.{key}", owner.encode(),
                                             {EXPECTED_LAST_SUBJECT_SEQUENCE: "0"}, self._timeout)
            error: dict[str, Any] | None = answer.get("error")
            if error is None:
                return True
            if error.get("err_code") != WRONG_LAST_SEQUENCE:
                raise PublishFailed(str(error.get("description", error)))
            try:
                holder = await self._kv.get(key)
            except KeyNotFoundError:
                continue
            except Exception as exc:
                raise PublishFailed(type(exc).__name__) from exc
            return holder.value == owner.encode()
        return False

    async def decide(self, claims: dict[str, object], report_id: str) -> bool:
        """Whether the report counts: its identity is unclaimed in this window (or claimed by this same
        report), and a token identity also holds one of its network's token slots."""
        if not await self.claim(str(claims["identity"]), report_id):
            return False
        slots = claims.get("slots")
        if not isinstance(slots, int) or slots <= 0:
            return True
        network = str(claims.get("network", ""))
        for slot in range(slots):
            if await self.claim(f"{network}.slot{slot}", report_id):
                return True
        return False
