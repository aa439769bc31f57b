"""A registry of the hub's background tasks: keeps a reference to each task, logs its exception when it
ends, and cancels and awaits them all at shutdown.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import structlog

from hub.core.errors import UnavailableError

log = structlog.get_logger(__name__)

T = TypeVar("T")


class TaskRegistry:
    """Background tasks that must neither be garbage-collected mid-run nor lose their exceptions."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    def spawn(self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        """Run `coro` in the background. Raises UnavailableError once the registry is closed."""
        if self._closed:
            coro.close()
            raise UnavailableError("the hub is shutting down")
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("background_task_failed", task=task.get_name(), exc_info=exc)

    def __len__(self) -> int:
        return len(self._tasks)

    @property
    def closed(self) -> bool:
        return self._closed

    async def join(self) -> None:
        """Wait until every task running now (and any they spawn) has finished; callers bound it with
        `asyncio.timeout`."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def close(self) -> None:
        """Cancel every task and wait for all of them to end."""
        self._closed = True
        while self._tasks:
            pending = set(self._tasks)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
