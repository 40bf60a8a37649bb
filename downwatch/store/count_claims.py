"""Which stored reports count: one per identity per service per window, one reporter per network.

A report signal may carry ``evidence["claims"]`` (keyed hashes made by the API, already specific to
the service and report window)::

    {"identity": "<hash>", "network": "<hash>", "slots": 0}

Inside the storing transaction the report claims its identity key; only the first claimant counts.
A token identity (``slots`` > 0) must also take one of the network's ``slots`` token slots. A
counted report whose network key is new adds one distinct reporter. Claims are rows of
``signal_keys`` (``external_id`` prefixed ``claim:``), so concurrent writers serialise on the
primary key and a retried batch claims nothing twice. Signals without claims count as before.

Under NATS the accepting API process has already decided (``downwatch.runtime.bus.claims``, across
every API process) and says so in ``claims["counted"]``: that decision is stored as it is, so the
answer the reporter got and the count agree. Distinct reporters are still claimed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from downwatch.records import Signal

CLAIM_PREFIX = "claim:"

INSERT_CLAIMS = """
INSERT INTO signal_keys (source, external_id, observed_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
ON CONFLICT DO NOTHING
RETURNING source, external_id
"""


@dataclass(frozen=True, slots=True)
class Judged:
    counted: frozenset[str]
    """external ids of the signals that count."""
    new_reporters: frozenset[str]
    """external ids of counted signals that are the first of their network (service, window)."""


def claims_of(signal: Signal) -> dict[str, object] | None:
    claims = signal.evidence.get("claims") if signal.evidence else None
    return claims if isinstance(claims, dict) and isinstance(claims.get("identity"), str) else None


async def _claim(conn: asyncpg.Connection, wanted: Sequence[tuple[Signal, str]]) -> set[str]:
    """Insert the claim keys; return the external ids of the signals whose key was new (the first
    signal of the batch wanting a key gets it)."""
    if not wanted:
        return set()
    first: dict[tuple[str, str], Signal] = {}
    for signal, key in wanted:
        first.setdefault((signal.source, CLAIM_PREFIX + key), signal)
    keys = sorted(first)
    rows = await conn.fetch(INSERT_CLAIMS, [k[0] for k in keys], [k[1] for k in keys],
                            [first[k].observed_at for k in keys])
    return {first[(r["source"], r["external_id"])].external_id for r in rows}


async def _take_slot(conn: asyncpg.Connection, signal: Signal, base: str, slots: int) -> bool:
    for slot in range(slots):
        if await _claim(conn, [(signal, f"{base}:slot{slot}")]):
            return True
    return False


async def judge(conn: asyncpg.Connection, fresh: Sequence[Signal]) -> Judged:
    """Decide, for newly stored signals, which count and which add a distinct reporter."""
    claimed = [(s, c) for s in fresh if (c := claims_of(s)) is not None]
    if not claimed:
        ids = frozenset(s.external_id for s in fresh)
        return Judged(ids, frozenset(s.external_id for s in fresh if s.author_hash))
    plain = {s.external_id for s in fresh if claims_of(s) is None}
    decided = {s.external_id: c["counted"] for s, c in claimed if isinstance(c.get("counted"), bool)}
    won = await _claim(conn, [(s, str(c["identity"])) for s, c in claimed if s.external_id not in decided])
    counted = set(plain) | {external_id for external_id, counts in decided.items() if counts}
    for signal, claim in claimed:
        if signal.external_id in decided or signal.external_id not in won:
            continue
        slots = claim.get("slots")
        network = str(claim.get("network", ""))
        if isinstance(slots, int) and slots > 0 and not await _take_slot(conn, signal, network, slots):
            continue
        counted.add(signal.external_id)
    networks = [(s, str(c.get("network", c["identity"]))) for s, c in claimed if s.external_id in counted]
    new_networks = await _claim(conn, [(s, f"{key}:reporter") for s, key in networks])
    reporters = {s.external_id for s in fresh if s.external_id in plain and s.author_hash} | new_networks
    return Judged(frozenset(counted), frozenset(reporters))
