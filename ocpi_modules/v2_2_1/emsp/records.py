"""What our eMSP's Receivers share (receivers.py): the record modules, the write outcome, a lock per record,
the checks of ids and owners against the URL (CO-02, CO-03), and storing a received object as a
`PartnerRecord` unless it repeats what is stored (LO-14).

An adapter module: imports the core and ocpi_modules only; raises OcpiError subclasses for what the sender
must be told.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from enum import StrEnum
from typing import Any

from hub.core.errors import InvalidRequestError
from hub.core.errors import NotFoundError as CoreNotFoundError
from hub.core.models import PartnerRecord, PartyRef
from ocpi_modules.common import json as ocpi_json
from ocpi_modules.common.datetimes import parse_datetime
from ocpi_modules.common.errors import InvalidParametersError, NotFoundError
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.common.validation import Findings

LOCATIONS = "locations"
SESSIONS = "sessions"
CDRS = "cdrs"
TARIFFS = "tariffs"

_LOCKS_KEY = "emsp.record_locks"


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # same content as stored: nothing written, last_updated not bumped (LO-14)
    STALE = "stale"  # older than what is stored: acknowledged, not applied (CO-10)


Checker = Callable[[dict[str, Any]], list[str]]


# --- helpers ----------------------------------------------------------------------------------------


class _KeyedLocks:
    """One asyncio.Lock per record key, so read-merge-write of one object is never interleaved in this
    process (EVSE status PATCHes of one location arrive concurrently, LO-15)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


def locked(rt: OcpiRuntime, module: str, party: PartyRef, object_id: str) -> Any:
    locks = rt.extras.get(_LOCKS_KEY)
    if locks is None:
        locks = rt.extras[_LOCKS_KEY] = _KeyedLocks()
    return locks.hold(f"{module}|{party.key()}|{object_id.upper()}")


def canonical(value: Any) -> Any:
    """A JSON value normalised for comparison: numbers as Decimal, DateTimes as strings (storage may hand
    numbers back in another Python type than the one received)."""
    return ocpi_json.loads(ocpi_json.dumps(value))


def as_object(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidParametersError(f"the body must be a {what} object")
    return body


def party_of(obj: Mapping[str, Any], what: str) -> PartyRef:
    """The owner named inside a pushed object (country_code/party_id); 2001 when missing or malformed."""
    cc, pid = obj.get("country_code"), obj.get("party_id")
    if not isinstance(cc, str) or not isinstance(pid, str):
        raise InvalidParametersError(f"the {what} lacks country_code/party_id")
    try:
        return PartyRef(country_code=cc, party_id=pid)
    except ValueError:
        raise InvalidParametersError(f"the {what} has an invalid country_code/party_id") from None


def check_owner(obj: dict[str, Any], party: PartyRef, what: str, findings: Findings) -> None:
    """CO-02: the cc/pid inside the object must equal the URL's (2001); when absent they are taken from the
    URL and the omission is recorded (§22)."""
    for name, expected in (("country_code", party.country_code), ("party_id", party.party_id)):
        given = obj.get(name)
        if given is None:
            findings.add(name, "required field missing; taken from the URL")
            obj[name] = expected
        elif not isinstance(given, str) or given.upper() != expected.upper():
            raise InvalidParametersError(
                f"{name} {given!r} of the {what} differs from the URL's {expected!r}"
            )


def check_id(obj: dict[str, Any], name: str, expected: str, what: str, findings: Findings) -> None:
    """CO-03: an id inside the object that differs from the URL's is 2001; a missing one is taken from the
    URL and recorded."""
    given = obj.get(name)
    if given is None:
        findings.add(name, "required field missing; taken from the URL")
        obj[name] = expected
    elif not isinstance(given, str) or given.upper() != expected.upper():
        raise InvalidParametersError(f"{what} {name} {given!r} differs from the URL's {expected!r}")


def require_last_updated(obj: Mapping[str, Any]) -> None:
    """CO-06 / SC-02: a PATCH without last_updated is 2001."""
    if obj.get("last_updated") is None:
        raise InvalidParametersError("a PATCH must include last_updated")


def mapped(merge: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run a mapping merge helper, its core errors turned into what the sender is told."""
    try:
        return merge(*args)
    except CoreNotFoundError as exc:
        raise NotFoundError(str(exc)) from None
    except InvalidRequestError as exc:
        raise InvalidParametersError(str(exc)) from None


def find(items: Any, key: str, wanted: str) -> dict[str, Any] | None:
    if not isinstance(items, list):
        return None
    for item in items:
        if isinstance(item, dict) and isinstance(item.get(key), str) and item[key].upper() == wanted.upper():
            return item
    return None


def last_updated_of(data: Mapping[str, Any], now: datetime, findings: Findings) -> datetime:
    value = data.get("last_updated")
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            pass
    findings.add("last_updated", "missing or not a DateTime; the time of receipt is kept")
    return now


async def save(
    rt: OcpiRuntime,
    module: str,
    party: PartyRef,
    object_id: str,
    data: dict[str, Any],
    existing: PartnerRecord | None,
    findings: Findings,
    check: Checker,
) -> Outcome:
    findings.extend(check(data))
    if existing is not None and canonical(existing.data) == canonical(data):
        return Outcome.UNCHANGED
    record = PartnerRecord(
        module=module,
        party=party,
        id=object_id,
        data=data,
        last_updated=last_updated_of(data, rt.clock.now(), findings),
    )
    await rt.core.records.put(record)
    return Outcome.CREATED if existing is None else Outcome.UPDATED
