"""TaskRegistry keeps background tasks alive, logs their failures and cancels them at shutdown."""

from __future__ import annotations

import asyncio
import gc

import pytest
from structlog.testing import capture_logs

from hub.core.errors import UnavailableError
from hub.core.tasks import TaskRegistry


async def test_a_spawned_task_runs_to_completion_without_outside_references() -> None:
    tasks = TaskRegistry()
    done = asyncio.Event()

    async def work() -> None:
        done.set()

    tasks.spawn(work(), name="work")
    gc.collect()
    async with asyncio.timeout(1):
        await done.wait()
    await tasks.join()
    assert len(tasks) == 0


async def test_a_failing_task_is_logged_with_its_name() -> None:
    tasks = TaskRegistry()

    async def broken() -> None:
        raise RuntimeError("boom")

    with capture_logs() as logs:
        tasks.spawn(broken(), name="broken-job")
        async with asyncio.timeout(1):
            await tasks.join()
    failures = [entry for entry in logs if entry["event"] == "background_task_failed"]
    assert failures
    assert failures[0]["task"] == "broken-job"


async def test_close_cancels_and_awaits_everything_then_refuses_new_work() -> None:
    tasks = TaskRegistry()
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def forever() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    task = tasks.spawn(forever(), name="forever")
    async with asyncio.timeout(1):
        await started.wait()
    await tasks.close()
    assert task.cancelled()
    assert cancelled.is_set()
    assert len(tasks) == 0

    async def late() -> None:
        return None

    with pytest.raises(UnavailableError):
        tasks.spawn(late(), name="late")
