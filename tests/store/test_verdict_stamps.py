"""A quiet verdict is not rewritten each tick: its scope's stamp moves, and it reads with that stamp."""

from __future__ import annotations

from datetime import UTC, datetime

from downwatch.store.detector_output import TickOutput, read_verdicts, write_tick
from downwatch.store.pool import connect

T1, T2 = "2025-02-04T08:00:00Z", "2025-02-04T08:00:10Z"


def _verdict(service: str, bucket: str, status: str = "up") -> dict[str, object]:
    return {"service": service, "status": status, "since": None, "score": 0.1, "bucket": bucket,
            "updated_at": bucket}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


async def test_a_quiet_verdict_reads_with_its_scopes_newer_stamp(fresh_database_url: str) -> None:
    conn = await connect(fresh_database_url)
    try:
        await write_tick(conn, TickOutput(verdicts={"bt": _verdict("bt", T1), "ee": _verdict("ee", T1)},
                                          scope="p0", stamp=(T1, T1), only=["bt", "ee"]))
        await write_tick(conn, TickOutput(verdicts={"ee": _verdict("ee", T2, "down")}, scope="p0",
                                          stamp=(T2, T2)))
        assert await read_verdicts(conn) == {"bt": _verdict("bt", T2), "ee": _verdict("ee", T2, "down")}
        assert await read_verdicts(conn, ["bt"]) == {"bt": _verdict("bt", T2)}
        body = await conn.fetchval("SELECT body FROM verdicts WHERE service = 'bt'")
        assert body["bucket"] == T1  # the row itself was not rewritten
    finally:
        await conn.close()


async def test_a_verdict_left_out_of_a_full_write_keeps_its_last_stamp(fresh_database_url: str) -> None:
    """A service gone from the scope (out of the catalog) does not look scored by the later ticks."""
    conn = await connect(fresh_database_url)
    try:
        await write_tick(conn, TickOutput(verdicts={"bt": _verdict("bt", T1), "ee": _verdict("ee", T1)},
                                          scope="p0", stamp=(T1, T1), only=["bt", "ee"]))
        await write_tick(conn, TickOutput(verdicts={"bt": _verdict("bt", T2)}, scope="p0", stamp=(T2, T2),
                                          only=["bt"]))
        await write_tick(conn, TickOutput(scope="p0", stamp=("2025-02-04T08:00:20Z", "2025-02-04T08:00:20Z")))
        verdicts = await read_verdicts(conn)
        assert verdicts["ee"] == _verdict("ee", T1)
        assert verdicts["bt"]["bucket"] == "2025-02-04T08:00:20Z"
        assert await conn.fetchval("SELECT updated_at FROM verdicts WHERE service = 'ee'") == _at(T1)
    finally:
        await conn.close()
