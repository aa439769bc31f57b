"""What was broadcast through the hub, kept for GET All (RT-07): the latest version of every Location, Tariff
and Token a party pushed to the hub, as PartnerRecords "hub.locations", "hub.tariffs", "hub.tokens" (owner =
the pushing party, data = the 2.2.1 object as received, merged by PATCH, `last_updated` untouched, CO-11).
Pushes addressed to a named party are never stored here.

An adapter module: imports ocpi_modules.common and the core only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from hub.core.models import PartnerRecord, PartyRef
from ocpi_modules.common.datetimes import parse_datetime
from ocpi_modules.common.routing import RelayRequest
from ocpi_modules.common.runtime import OcpiRuntime

STORED = {"locations": "hub.locations", "tariffs": "hub.tariffs", "tokens": "hub.tokens"}


def record_id(module: str, tail: tuple[str, ...], query: Any) -> str:
    """Locations and tariffs by their id; tokens by uid and type (a uid may exist for two types)."""
    if module == "tokens":
        return f"{tail[2]}|{str(query.get('type') or 'RFID').upper()}"
    return tail[2]


_LOCKS_KEY = "hub.stored_locks"


@asynccontextmanager
async def _locked(rt: OcpiRuntime, key: str) -> AsyncIterator[None]:
    """One read-merge-write of a stored object at a time in this process: a CPO's EVSE PATCHes of one
    location arrive concurrently (LO-15) and must not overwrite each other's merge."""
    locks: dict[str, tuple[asyncio.Lock, int]] = rt.extras.setdefault(_LOCKS_KEY, {})
    lock, users = locks.get(key, (asyncio.Lock(), 0))
    locks[key] = (lock, users + 1)
    try:
        async with lock:
            yield
    finally:
        lock, users = locks[key]
        if users <= 1:
            del locks[key]
        else:
            locks[key] = (lock, users - 1)


async def apply(rt: OcpiRuntime, request: RelayRequest, owner: PartyRef) -> None:
    """Store the effect of one broadcast write (PUT, PATCH, DELETE at object, EVSE or connector level)."""
    module = STORED.get(request.module)
    if module is None or len(request.tail) < 3:
        return
    key = record_id(request.module, request.tail, request.query)
    async with _locked(rt, f"{module}|{owner.key()}|{key.upper()}"):
        await _apply(rt, request, owner, module, key)


async def _apply(rt: OcpiRuntime, request: RelayRequest, owner: PartyRef, module: str, key: str) -> None:
    current = await rt.core.records.get(module, owner, key)
    if request.method == "DELETE":
        if current is not None:
            await rt.core.records.delete(module, owner, key)
        return
    body = request.body if isinstance(request.body, dict) else {}
    data = dict(current.data) if current is not None else {}
    sub = request.tail[3:] if request.module == "locations" else ()
    if not sub:
        data = dict(body) if request.method == "PUT" else {**data, **body}
    elif current is None:
        return  # an EVSE of a location the hub never saw: nothing to merge it into (CO-08)
    else:
        data = _merge_child(data, sub, body, replace=request.method == "PUT")
    stamp = body.get("last_updated")
    last_updated = parse_datetime(stamp) if isinstance(stamp, str) else rt.clock.now()
    if current is not None and current.last_updated > last_updated:
        last_updated = current.last_updated  # an object is never older than its newest part (LO-04)
    await rt.core.records.put(
        PartnerRecord(module=module, party=owner, id=key, data=data, last_updated=last_updated)
    )


def _merge_child(
    location: dict[str, Any], sub: tuple[str, ...], body: dict[str, Any], *, replace: bool
) -> dict[str, Any]:
    """`location` with the EVSE `sub[0]` (or its connector `sub[1]`) put or patched."""
    evses = [dict(e) for e in location.get("evses") or () if isinstance(e, dict)]
    evse = next((e for e in evses if str(e.get("uid", "")).lower() == sub[0].lower()), None)
    if len(sub) == 1:
        if evse is None:
            evses.append(dict(body))
        else:
            evses[evses.index(evse)] = dict(body) if replace else {**evse, **body}
    elif evse is not None:
        connectors = [dict(c) for c in evse.get("connectors") or () if isinstance(c, dict)]
        found = next((c for c in connectors if str(c.get("id", "")).lower() == sub[1].lower()), None)
        if found is None:
            connectors.append(dict(body))
        else:
            connectors[connectors.index(found)] = dict(body) if replace else {**found, **body}
        evses[evses.index(evse)] = {**evse, "connectors": connectors}
    return {**location, "evses": evses}
