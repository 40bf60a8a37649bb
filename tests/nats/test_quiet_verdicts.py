"""A quiet service's verdict travels as its partition's stamp: after a tick that did not change its
content, every API process shows it as of the new bucket (not stale) while its chunk is not sent
again; a changed verdict arrives in full."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from downwatch.catalog import load_catalog
from downwatch.config import Settings
from downwatch.runtime.bus.connection import connect as connect_bus
from downwatch.runtime.bus.names import partition_of
from downwatch.runtime.roles.apps import role_app
from downwatch.runtime.roles.verdict_chunks import CHUNK_VERDICTS, chunk_key, stamp_key
from tests.nats.conftest import reporter
from tests.nats.processes import wait_until

STAMPS = ("bucket", "updated_at")


def _content(verdict: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in verdict.items() if key not in STAMPS}


async def test_a_quiet_verdict_is_restamped_on_every_api_and_a_changed_one_arrives_in_full(
        nats_settings: Settings) -> None:
    settings = nats_settings.with_overrides(bucket_seconds=1, nats_partitions=2, report_window_seconds=3600)
    slugs = sorted(load_catalog().slugs)
    loud = "bt"
    quiet = next(s for s in slugs if partition_of(s, 2) != partition_of(loud, 2))
    partition = partition_of(quiet, 2)
    quiet_chunk = chunk_key(partition, [s for s in slugs if partition_of(s, 2) == partition].index(quiet)
                            // CHUNK_VERDICTS)
    apis = [TestClient(TestServer(role_app(settings, "api"))) for _ in range(2)]
    async with apis[0], apis[1], TestClient(TestServer(role_app(settings, "write"))), \
            TestClient(TestServer(role_app(settings, "detect"))):
        async def verdicts(slug: str) -> list[tuple[dict[str, Any], Any]]:
            out = []
            for api in apis:
                response = await api.get(f"/v1/services/{slug}")
                out.append((await response.json(), response.headers))
            return out

        async def all_scored() -> Any:
            seen = await verdicts(quiet)
            return seen if all(body["bucket"] for body, _ in seen) else None

        first = await wait_until("the quiet service scored on both APIs", all_scored)
        bus = await connect_bus(settings)
        try:
            kv = await bus.verdicts()
            chunk = await kv.get(quiet_chunk)
            stamp = await kv.get(stamp_key(partition))
            after = max(body["bucket"] for body, _ in first)

            async def restamped() -> Any:
                seen = await verdicts(quiet)
                return seen if all(body["bucket"] > after for body, _ in seen) else None

            assert (await apis[0].post("/v1/reports", json={"service": loud, "problem": "login"},
                                       headers=reporter("loud"))).status == 202
            later = await wait_until("the quiet verdict as of a newer bucket on both APIs", restamped)
            for (body, headers), (before, _) in zip(later, first, strict=True):
                assert _content(body) == _content(before)
                assert body["updated_at"] > before["updated_at"]
                assert "Warning" not in headers
            assert (await kv.get(quiet_chunk)).revision == chunk.revision
            assert (await kv.get(stamp_key(partition))).revision > stamp.revision

            async def reported() -> Any:
                seen = await verdicts(loud)
                return seen if all(body["observed"] >= 1 for body, _ in seen) else None

            for body, _ in await wait_until("the changed verdict on both APIs", reported):
                assert body["problems"] == {"login": 1.0} and body["sources"]["report"]["observed"] == 1.0
                assert body["explanation"] and body["bucket"] and body["service"] == loud
        finally:
            await bus.close()
