"""A process-local cache of rows the OCPP hot path reads on every message (locations, tariffs, tokens), used
only where this process is the database's one writer (SQLite: ARCHITECTURE "SQLite serves one process").

Repositories fill it from their reads and write their puts through it; a transaction's writes are staged in
the transaction and reach the cache only when it commits (dropped on rollback). Entries expire after
`ttl_s`, so what another process (an operator's CLI) writes to the file is seen within seconds. A write
the repositories cannot attribute to a key (raw SQL on a cached table) clears the whole cache at commit.
Imports the standard library only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any

DEFAULT_TTL_S = 5.0
MAX_ENTRIES = 50_000  # beyond this the cache starts over (a bound, not an eviction policy)
SWEEP_EVERY = 1024  # stores between sweeps of expired entries (idle stations' rows do not stay for ever)

Key = tuple[str, Hashable]

_MISSING = object()
DROP = object()  # staged value: forget the key at commit (the next read goes to the database)


class RowCache:
    """Key → value (None caches "no such row"), with a generation that moves at every committed write so a
    read that raced with a commit does not store what it saw."""

    __slots__ = ("_clock", "_entries", "_stores", "generation", "ttl_s")

    def __init__(self, ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[Key, tuple[Any, float]] = {}
        self._stores = 0
        self.generation = 0

    @staticmethod
    def missing() -> Any:
        """The value `get` returns for a key it does not hold."""
        return _MISSING

    def get(self, key: Key) -> Any:
        """The cached value, or `missing()` (test with `is_missing`)."""
        entry = self._entries.get(key)
        if entry is None:
            return _MISSING
        if entry[1] < self._clock():
            del self._entries[key]
            return _MISSING
        return entry[0]

    def fill(self, key: Key, value: Any, generation: int) -> None:
        """Store what a read returned, unless a write committed since the read began (`generation`)."""
        if generation == self.generation:
            self._store(key, value)

    def apply(self, staged: dict[Key, Any]) -> None:
        """A transaction committed these writes (values, or `DROP`)."""
        self.generation += 1
        for key, value in staged.items():
            if value is DROP:
                self._entries.pop(key, None)
            else:
                self._store(key, value)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()

    def _store(self, key: Key, value: Any) -> None:
        now = self._clock()
        self._stores += 1
        if self._stores >= SWEEP_EVERY:
            self._stores = 0
            self._entries = {k: entry for k, entry in self._entries.items() if entry[1] >= now}
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (value, now + self.ttl_s)


def is_missing(value: Any) -> bool:
    return value is _MISSING
