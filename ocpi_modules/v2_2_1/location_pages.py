"""Our CPO's published locations as serialized OCPI JSON, ready to be sliced into pages: the Locations Sender
is what every eMSP pulls in full, and rendering 1,000 locations on each page request would cost more than
everything else the route does.

An entry is the whole ordered window (owner, date_from, date_to) as one JSON object per location; a page
joins a slice of them. Entries are dropped whenever the core reports a location or EVSE change in this
process, and live at most `ttl_s` so changes made by another hub process (PostgreSQL) show up too.

An adapter module: imports ocpi_modules and the core only.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson

from hub.core.clock import Clock
from hub.core.events import EvseStatusChanged, LocationChanged
from hub.core.models import Location, PartyRef
from hub.core.services import Core
from ocpi_modules.common import json as ocpi_json

WindowKey = tuple[str, datetime | None, datetime | None]
MAX_PAGES_PER_WINDOW = 256


@dataclass(frozen=True)
class _Window:
    items: tuple[bytes, ...]  # one serialized Location per visible location, in list order
    expires: datetime
    pages: dict[tuple[int, int], bytes] = field(default_factory=dict)  # (offset, limit) → JSON array

    def page(self, offset: int, limit: int) -> bytes:
        cached = self.pages.get((offset, limit))
        if cached is None:
            if len(self.pages) >= MAX_PAGES_PER_WINDOW:
                self.pages.clear()
            cached = self.pages[(offset, limit)] = (
                b"[" + b",".join(self.items[offset : offset + limit]) + b"]"
            )
        return cached


@dataclass(frozen=True)
class Page:
    data: orjson.Fragment  # the JSON array of this page, embedded as is in the envelope
    total: int  # visible locations in the window (X-Total-Count)
    returned: int


class LocationPages:
    def __init__(
        self,
        clock: Clock,
        render: Callable[[Location], object],
        visible: Callable[[Location], bool],
        *,
        ttl_s: float = 5.0,
        max_windows: int = 64,
    ) -> None:
        self._clock = clock
        self._render = render
        self._visible = visible
        self._ttl = timedelta(seconds=ttl_s)
        self._max = max_windows
        self._windows: OrderedDict[WindowKey, _Window] = OrderedDict()
        self._generation = 0
        self._lock = asyncio.Lock()
        self._subscribed = False

    def invalidate(self, _event: object = None) -> None:
        self._generation += 1
        self._windows.clear()

    def _subscribe(self, core: Core) -> None:
        if not self._subscribed:
            core.bus.subscribe(LocationChanged, self.invalidate)
            core.bus.subscribe(EvseStatusChanged, self.invalidate)
            self._subscribed = True

    async def page(
        self,
        core: Core,
        owner: PartyRef,
        date_from: datetime | None,
        date_to: datetime | None,
        offset: int,
        limit: int,
    ) -> Page:
        self._subscribe(core)
        window = await self._window(core, (owner.key(), date_from, date_to), owner)
        total = len(window.items)
        returned = max(0, min(limit, total - offset))
        return Page(data=orjson.Fragment(window.page(offset, limit)), total=total, returned=returned)

    async def _window(self, core: Core, key: WindowKey, owner: PartyRef) -> _Window:
        now = self._clock.now()
        cached = self._windows.get(key)
        if cached is not None and cached.expires > now:
            return cached
        async with self._lock:  # one rendering per window, however many requests wait for it
            cached = self._windows.get(key)
            if cached is not None and cached.expires > now:
                return cached
            generation = self._generation
            locations = await core.locations.list(owner, key[1], key[2])
            items = tuple(ocpi_json.dumps(self._render(loc)) for loc in locations if self._visible(loc))
            window = _Window(items=items, expires=self._clock.now() + self._ttl)
            if generation == self._generation:  # nothing changed while it was read: keep it
                self._windows[key] = window
                self._windows.move_to_end(key)
                while len(self._windows) > self._max:
                    self._windows.popitem(last=False)
            return window
