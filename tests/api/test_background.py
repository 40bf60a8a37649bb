"""A background task stops with its block even when its code swallows a cancellation."""

from __future__ import annotations

import asyncio

import pytest

from api.background import running


async def swallows_the_first_cancel(rounds: list[str]) -> None:
    """What Python 3.11's ``asyncio.wait_for`` does to a cancel racing its inner future."""
    try:
        while True:
            await asyncio.sleep(0.01)
    except asyncio.CancelledError:
        rounds.append("swallowed")
    while True:
        rounds.append("polling")
        await asyncio.sleep(0.01)


async def test_a_task_that_swallows_a_cancel_is_cancelled_again_until_it_ends() -> None:
    rounds: list[str] = []
    block = asyncio.create_task(_run_block(rounds))
    done, _ = await asyncio.wait({block}, timeout=30)  # a guard against a hang, not a speed bound
    assert block in done, "the block never ended: the task's second life was not cancelled"
    assert rounds[0] == "swallowed" and "polling" in rounds


async def _run_block(rounds: list[str]) -> None:
    async with running(swallows_the_first_cancel(rounds), "stubborn") as task:
        await asyncio.sleep(0.05)
    assert task.cancelled()


async def test_a_task_that_failed_raises_its_error_on_the_way_out() -> None:
    async def fails() -> None:
        raise LookupError("broken")

    with pytest.raises(LookupError, match="broken"):
        async with running(fails(), "failing"):
            await asyncio.sleep(0.05)
