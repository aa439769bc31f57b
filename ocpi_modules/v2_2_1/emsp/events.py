"""What our eMSP tells the core after it stored a partner CPO's object: the remote-CPO events of
`hub.core.remote` (a location and its EVSE status changes, a session, a CDR, a command result), published on
the core's bus once the record is written. Whoever charges through such a CPO on another protocol's behalf
(the 互联互通 adapter) reads them; a failing subscriber never fails the partner's request (the bus logs it).

An adapter module: imports the core and ocpi_modules only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core.events import DomainEvent
from hub.core.models import EvseStatus, PartnerRecord, PartyRef
from hub.core.models.remote import RemoteCommand
from hub.core.remote import (
    RemoteCdrReceived,
    RemoteCommandAnswered,
    RemoteEvseStatusChanged,
    RemoteLocationChanged,
    RemoteSessionChanged,
)
from ocpi_modules.common.runtime import OcpiRuntime


def _status(evse: Mapping[str, Any]) -> EvseStatus:
    value = evse.get("status")
    try:
        return EvseStatus(str(value).strip().upper())
    except ValueError:
        return EvseStatus.UNKNOWN


def _evses(location: Mapping[str, Any] | None) -> dict[str, tuple[str, EvseStatus]]:
    """EVSE uid (upper) → (uid as sent, status)."""
    found: dict[str, tuple[str, EvseStatus]] = {}
    evses = location.get("evses") if location is not None else None
    for evse in evses if isinstance(evses, list) else ():
        uid = evse.get("uid") if isinstance(evse, dict) else None
        if isinstance(uid, str) and uid:
            found[uid.upper()] = (uid, _status(evse))
    return found


def location_events(
    party: PartyRef, location_id: str, old: Mapping[str, Any] | None, new: Mapping[str, Any]
) -> list[DomainEvent]:
    """RemoteLocationChanged, then one RemoteEvseStatusChanged per EVSE whose status changed (a new EVSE's
    status is news only with its location: partners learn of it by pulling the station)."""
    before, after = _evses(old), _evses(new)
    publish = new.get("publish") is not False
    events: list[DomainEvent] = [RemoteLocationChanged(party=party, location_id=location_id)]
    for key, (uid, status) in after.items():
        previous = before.get(key)
        if previous is not None and previous[1] is not status:
            events.append(
                RemoteEvseStatusChanged(
                    party=party,
                    location_id=location_id,
                    evse_uid=uid,
                    old=previous[1],
                    new=status,
                    publish=publish,
                )
            )
    return events


def _token_uid(data: Mapping[str, Any]) -> str | None:
    token = data.get("cdr_token")
    uid = token.get("uid") if isinstance(token, dict) else None
    return uid if isinstance(uid, str) and uid else None


async def _publish(rt: OcpiRuntime, events: list[DomainEvent]) -> None:
    await rt.core.bus.publish_all(events)


async def location_stored(
    rt: OcpiRuntime,
    party: PartyRef,
    location_id: str,
    existing: PartnerRecord | None,
    data: Mapping[str, Any],
) -> None:
    old = existing.data if existing is not None else None
    await _publish(rt, location_events(party, location_id, old, data))


async def location_removed(rt: OcpiRuntime, party: PartyRef, location_id: str) -> None:
    await _publish(rt, [RemoteLocationChanged(party=party, location_id=location_id)])


async def session_stored(rt: OcpiRuntime, party: PartyRef, session_id: str, data: Mapping[str, Any]) -> None:
    event = RemoteSessionChanged(party=party, session_id=session_id, token_uid=_token_uid(data))
    await _publish(rt, [event])


async def cdr_stored(rt: OcpiRuntime, party: PartyRef, cdr_id: str, data: Mapping[str, Any]) -> None:
    session_id = data.get("session_id")
    event = RemoteCdrReceived(
        party=party,
        cdr_id=cdr_id,
        session_id=session_id if isinstance(session_id, str) else None,
        token_uid=_token_uid(data),
    )
    await _publish(rt, [event])


async def command_answered(rt: OcpiRuntime, command: RemoteCommand) -> None:
    await _publish(rt, [RemoteCommandAnswered(command=command)])
