"""Small helpers of the contract suite: run one unit of work that commits, or one that only reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def committed(database: Any, action: Callable[[Any], Awaitable[T]]) -> T:
    """Run `action(uow)` in a new unit of work and commit it."""
    async with database.unit_of_work() as uow:
        result = await action(uow)
        await uow.commit()
    return result


async def read(database: Any, action: Callable[[Any], Awaitable[T]]) -> T:
    """Run `action(uow)` in a new unit of work that is left without commit."""
    async with database.unit_of_work() as uow:
        return await action(uow)


async def put_all(database: Any, repository: str, *items: Any) -> None:
    """Store items with `uow.<repository>.put` (or `.add`) in one committed unit of work."""

    async def store(uow: Any) -> None:
        repo = getattr(uow, repository)
        method = repo.add if hasattr(repo, "add") else repo.put
        for item in items:
            await method(item)

    await committed(database, store)
