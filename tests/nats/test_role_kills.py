"""kill -9 of a writer and of an API process in the middle of a stream of reports: every report
answered 202 is stored once, a retry of an unanswered one counts at most once, nothing is doubled."""

from __future__ import annotations

import asyncio
from functools import partial

import aiohttp
import asyncpg
from aiohttp.test_utils import TestClient, TestServer

from downwatch.config import Settings
from downwatch.runtime.roles.apps import role_app
from tests.nats.conftest import reporter
from tests.nats.processes import RoleProcess, free_port, role_environment
from tests.nats.processes import wait_until as poll_until

wait_until = partial(poll_until, attempts=600)


async def stored(conn: asyncpg.Connection) -> tuple[set[str], int]:
    async with conn.transaction(isolation="repeatable_read", readonly=True):  # one snapshot
        ids = {r[0] for r in await conn.fetch("SELECT external_id FROM signals WHERE kind = 'report'")}
        counted = await conn.fetchval("SELECT coalesce(sum(n), 0) FROM counts WHERE kind = 'report'")
    return ids, int(counted)


async def test_writer_killed_mid_stream_is_replaced_without_loss_or_double_count(
        nats_settings: Settings) -> None:
    assert nats_settings.database_url
    env = role_environment(nats_settings)
    conn = await asyncpg.connect(nats_settings.database_url)
    accepted: set[str] = set()
    stop = asyncio.Event()
    first = RoleProcess("write", env)
    second: RoleProcess | None = None
    try:
        async with TestClient(TestServer(role_app(nats_settings, "api"))) as api:
            async def send() -> None:
                n = 0
                while not stop.is_set():
                    answers = await asyncio.gather(*(api.post(
                        "/v1/reports", json={"service": "bt", "problem": "login"},
                        headers=reporter(f"w-{n}-{i}")) for i in range(20)))
                    for answer in answers:
                        assert answer.status == 202
                        accepted.add((await answer.json())["id"])
                    n += 1

            sender = asyncio.create_task(send())

            async def some_stored() -> bool:
                return len((await stored(conn))[0]) >= 100

            await wait_until("the first writer storing", some_stored)
            first.kill9()
            second = RoleProcess("write", env)
            await asyncio.sleep(1.0)
            stop.set()
            await sender

            async def all_stored() -> bool:
                return (await stored(conn))[0] >= accepted

            await wait_until("every accepted report stored", all_stored)
        ids, counted = await stored(conn)
        assert ids == accepted and counted == len(accepted)
    finally:
        stop.set()
        first.stop()
        if second is not None:
            second.stop()
        await conn.close()


async def test_api_killed_mid_stream_loses_no_accepted_report_and_retries_count_once(
        nats_settings: Settings) -> None:
    assert nats_settings.database_url
    env = role_environment(nats_settings)
    conn = await asyncpg.connect(nats_settings.database_url)
    port = free_port()
    api = RoleProcess("api", env, port)
    replacement: RoleProcess | None = None
    accepted: set[str] = set()
    unanswered: list[str] = []
    url = f"http://127.0.0.1:{port}/v1/reports"
    try:
        async with TestClient(TestServer(role_app(nats_settings, "write"))), aiohttp.ClientSession() as http:
            async def post(agent: str) -> str | None:
                try:
                    async with http.post(url, json={"service": "bt", "problem": "login"},
                                         headers=reporter(agent)) as answer:
                        if answer.status != 202:
                            return None
                        return str((await answer.json())["id"])
                except aiohttp.ClientError:
                    return None

            async def ready() -> bool:
                return await post("probe") is not None

            await wait_until("the API process answering", ready)
            accepted.add(str(await post("probe")))
            for n in range(11):  # ten rounds answered, the eleventh cut by the kill
                agents = [f"a-{n}-{i}" for i in range(20 if n < 10 else 200)]
                tasks = [asyncio.create_task(post(agent)) for agent in agents]
                if n == 10:  # killed once the first answer is in: the rest are in flight
                    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                    api.kill9()
                results = await asyncio.gather(*tasks)
                for agent, report_id in zip(agents, results, strict=True):
                    if report_id is None:
                        unanswered.append(agent)
                    else:
                        accepted.add(report_id)
            assert unanswered, "the kill came after every request was answered; nothing was tested"
            replacement = RoleProcess("api", env, port)
            await wait_until("the replacement API answering", ready)
            for agent in unanswered:  # the same client again: the same report id in this window
                report_id = await post(agent)
                assert report_id is not None
                accepted.add(report_id)

            async def all_stored() -> bool:
                return (await stored(conn))[0] >= accepted

            await wait_until("every accepted report stored", all_stored)
            await asyncio.sleep(0.5)
        ids, counted = await stored(conn)
        assert ids == accepted and counted == len(accepted)
    finally:
        api.stop()
        if replacement is not None:
            replacement.stop()
        await conn.close()
