"""What lives on NATS: one stream of signals partitioned by service, and the KV buckets."""

from __future__ import annotations

import zlib

STREAM = "SIGNALS"
SUBJECT_PREFIX = "signals"
VERDICTS_BUCKET = "verdicts"
CATALOG_BUCKET = "catalog"
CLAIMS_BUCKET = "claims"
"""Report claims (identity, token slot) taken by API processes: the first claimant counts."""
WRITER_DURABLE = "writer"
MSG_ID_HEADER = "Nats-Msg-Id"


def partition_of(service: str, partitions: int) -> int:
    """The partition a service's signals travel on (stable across processes and restarts)."""
    return zlib.crc32(service.encode()) % partitions


def subject_of(service: str, partitions: int) -> str:
    return f"{SUBJECT_PREFIX}.{partition_of(service, partitions)}"


def message_id(source: str, external_id: str) -> str:
    """The JetStream de-duplication id: a signal's identity in the store, so a retry counts once."""
    return f"{source}:{external_id}"
