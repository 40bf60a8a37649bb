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

A claim is only worth keeping if its report is published. When the publish fails (503: the client
may never retry), ``release`` deletes the claims this attempt created, each with "expected last
subject sequence" = its own revision, so a claim taken since by anyone else is never touched; the
identity's next report in the window then counts. A delete marker is the key's last message, so a
claim over it expects the marker's revision. A release NATS does not answer is kept and tried again
before the next report (``release_pending``); its revision guard makes a late try harmless. One case
stays open: a publish whose acknowledgement was lost (timeout) may yet be stored, and then that
identity can count twice in the window; counting a genuine report never is the worse error.
"""

from __future__ import annotations

import asyncio
from typing import Any

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from downwatch.runtime.bus.ack_mux import AckMux, PublishFailed
from downwatch.runtime.bus.names import CLAIMS_BUCKET

EXPECTED_LAST_SUBJECT_SEQUENCE = "Nats-Expected-Last-Subject-Sequence"
KV_OPERATION = "KV-Operation"
WRONG_LAST_SEQUENCE = 10071
"""JetStream's error code when the key's last revision is not the one expected."""
CLAIM_TRIES = 3
"""A claim is refused, then the key is found expired or deleted: try again over what is there now."""
PENDING_RELEASE_LIMIT = 10_000
RELEASE_BATCH = 64
"""Pending releases tried again before one report (together: one acknowledgement timeout at most)."""

Taken = list[tuple[str, int]]
"""The claims one attempt created: (key, revision)."""


class ClaimBook:
    def __init__(self, acks: AckMux, kv: KeyValue, timeout: float) -> None:
        self._acks = acks
        self._kv = kv
        self._timeout = timeout
        self.pending: Taken = []
        """Releases NATS did not answer, tried again before the next report."""
        self.released = 0

    def _subject(self, key: str) -> str:
        return f"$KV.{CLAIMS_BUCKET}.{key}"

    async def claim(self, key: str, owner: str, taken: Taken) -> bool:
        """True when ``key`` is now ``owner``'s (taken now, noted in ``taken``, or by an earlier try of
        the same report)."""
        expected = 0
        for _ in range(CLAIM_TRIES):
            answer = await self._acks.answer(self._subject(key), owner.encode(),
                                             {EXPECTED_LAST_SUBJECT_SEQUENCE: str(expected)}, self._timeout)
            error: dict[str, Any] | None = answer.get("error")
            if error is None:
                taken.append((key, int(answer["seq"])))
                return True
            if error.get("err_code") != WRONG_LAST_SEQUENCE:
                raise PublishFailed(str(error.get("description", error)))
            try:
                holder = await self._kv.get(key)
            except KeyNotFoundError as exc:  # expired (no message), or released (a delete marker)
                expected = exc.entry.revision if exc.entry is not None else 0
                continue
            except Exception as exc:
                raise PublishFailed(type(exc).__name__) from exc
            return holder.value == owner.encode()
        return False

    async def decide(self, claims: dict[str, object], report_id: str, taken: Taken) -> bool:
        """Whether the report counts: its identity is unclaimed in this window (or claimed by this same
        report), and a token identity also holds one of its network's token slots. The claims created
        are noted in ``taken`` (also when this raises), for ``release`` should the publish fail."""
        if not await self.claim(str(claims["identity"]), report_id, taken):
            return False
        slots = claims.get("slots")
        if not isinstance(slots, int) or slots <= 0:
            return True
        network = str(claims.get("network", ""))
        for slot in range(slots):
            if await self.claim(f"{network}.slot{slot}", report_id, taken):
                return True
        return False

    async def release(self, taken: Taken, *, connected: bool = True) -> None:
        """Delete the claims of a report that was not published, each only if it is still the key's
        last revision, all at once (one acknowledgement timeout at most); what NATS does not answer
        (or, not ``connected``, is not asked) is kept for ``release_pending``."""
        if not connected:
            self._keep(taken)
            return
        outcomes = await asyncio.gather(*(self._release_one(key, revision) for key, revision in taken))
        self._keep([claim for claim, released in zip(taken, outcomes, strict=True) if not released])

    async def release_pending(self) -> None:
        """Try again up to ``RELEASE_BATCH`` of the releases NATS did not answer."""
        batch, self.pending = self.pending[:RELEASE_BATCH], self.pending[RELEASE_BATCH:]
        await self.release(batch)

    async def _release_one(self, key: str, revision: int) -> bool:
        try:
            await self._acks.answer(self._subject(key), b"",
                                    {KV_OPERATION: "DEL", EXPECTED_LAST_SUBJECT_SEQUENCE: str(revision)},
                                    self._timeout)
        except PublishFailed:
            return False
        self.released += 1  # deleted, or refused: either way the key no longer holds this claim
        return True

    def _keep(self, claims: Taken) -> None:
        self.pending.extend(claims[:max(0, PENDING_RELEASE_LIMIT - len(self.pending))])
