"""EVSE facts of our stations: the status table (ocpp.md §1), multi-connector and station-wide status,
EVSE/connector creation, the location changes a status report makes with their outbox rows, and alarms.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import structlog

from hub.core.chargepoint import StatusReport
from hub.core.clock import IdGenerator
from hub.core.events import AlarmCleared, AlarmRaised, DomainEvent, EvseStatusChanged, LocationChanged
from hub.core.models import (
    Alarm,
    Capability,
    Connector,
    ConnectorState,
    Evse,
    EvseStatus,
    Location,
    PartyRef,
    Station,
)
from hub.core.outbox import Topic, add_change, location_key, outbox_message
from hub.core.ports import UnitOfWork

log = structlog.get_logger(__name__)

# ocpp.md §1 status table; "disconnected" → UNKNOWN is handled by `disconnected`.
STATUS_MAP: Mapping[ConnectorState, EvseStatus] = {
    ConnectorState.AVAILABLE: EvseStatus.AVAILABLE,
    ConnectorState.PREPARING: EvseStatus.CHARGING,
    ConnectorState.CHARGING: EvseStatus.CHARGING,
    ConnectorState.SUSPENDED_EV: EvseStatus.CHARGING,
    ConnectorState.SUSPENDED_EVSE: EvseStatus.CHARGING,
    ConnectorState.FINISHING: EvseStatus.CHARGING,
    ConnectorState.OCCUPIED: EvseStatus.CHARGING,
    ConnectorState.RESERVED: EvseStatus.RESERVED,
    ConnectorState.UNAVAILABLE: EvseStatus.INOPERATIVE,
    ConnectorState.FAULTED: EvseStatus.OUTOFORDER,
}
STATION_WIDE_STATES = frozenset({ConnectorState.FAULTED, ConnectorState.UNAVAILABLE})
# An EVSE with several connectors shows the most useful state of any of them.
_EVSE_PRECEDENCE = (
    EvseStatus.CHARGING,
    EvseStatus.RESERVED,
    EvseStatus.AVAILABLE,
    EvseStatus.INOPERATIVE,
    EvseStatus.OUTOFORDER,
    EvseStatus.BLOCKED,
    EvseStatus.UNKNOWN,
)
DEFAULT_CAPABILITIES = (
    Capability.REMOTE_START_STOP_CAPABLE,
    Capability.UNLOCK_CAPABLE,
    Capability.RESERVABLE,
    Capability.RFID_READER,
    Capability.CHARGING_PROFILE_CAPABLE,
)
NO_ERROR = frozenset({"", "NOERROR"})
PLACEHOLDER_COUNTRY = "ZZZ"  # ISO 3166 user-assigned code: the real address is not known


def evse_uid_for(station_id: str, evse_no: int) -> str:
    return f"{station_id}*{evse_no}"


def placeholder_location_id(station_id: str) -> str:
    return f"ST-{station_id}"[:36]


def emi3_evse_id(party: PartyRef, station_id: str, evse_no: int) -> str | None:
    """An eMI3 EVSE ID (`NL*CPO*ECP001*1`) when the station id fits its alphabet, else None."""
    if not station_id.isascii() or not station_id.isalnum():
        return None
    return f"{party.country_code}*{party.party_id}*E{station_id}*{evse_no}".upper()


def map_state(state: ConnectorState) -> EvseStatus:
    return STATUS_MAP[state]


def aggregate(statuses: Sequence[EvseStatus]) -> EvseStatus:
    present = set(statuses)
    return next((s for s in _EVSE_PRECEDENCE if s in present), EvseStatus.UNKNOWN)


def fault_code(report: StatusReport) -> str | None:
    """The alarm a status report raises, or None when it reports no fault."""
    code = (report.error_code or "").strip()
    if code.upper() not in NO_ERROR:
        return code
    return "Faulted" if report.state is ConnectorState.FAULTED else None


@dataclass(frozen=True)
class Targets:
    """The status the EVSEs of one station should get: `one` names EVSEs by number, `every` covers the
    others (None: leave them as they are)."""

    one: Mapping[int, EvseStatus] = field(default_factory=dict)
    every: EvseStatus | None = None

    def for_evse(self, evse_no: int) -> EvseStatus | None:
        return self.one.get(evse_no, self.every)


@dataclass(slots=True)
class StationEntry:
    """What this process knows about one station between database reads (one per station: kept small)."""

    station: Station | None
    loaded_at: datetime
    verified: bytes | None = None  # keyed digest of the password that last verified
    refused: deque[bytes] | None = None  # keyed digests of recently refused passwords (made at the first)
    last_seen_dirty: bool = False
    connections: int = 0
    connectors: dict[int, dict[int, EvseStatus]] = field(
        default_factory=dict
    )  # evse no → connector no → status
    station_fault: EvseStatus | None = None  # set by an evse-0 Faulted/Unavailable
    evse_status: dict[int, EvseStatus] = field(default_factory=dict)  # as stored, evse no → status
    known_connectors: set[tuple[int, int]] = field(default_factory=set)
    open_alarms: list[Alarm] | None = None  # None until loaded

    def forget_statuses(self) -> None:
        self.evse_status.clear()
        self.known_connectors.clear()
        self.open_alarms = None


def connector_view(entry: StationEntry, evse_no: int) -> EvseStatus | None:
    connectors = entry.connectors.get(evse_no)
    return aggregate(list(connectors.values())) if connectors else None


def alarm_work(entry: StationEntry, report: StatusReport) -> bool:
    if fault_code(report) is not None:
        return True
    if entry.open_alarms is None:
        return True
    uid = evse_uid_for(entry.station.id, report.evse_no).upper() if entry.station else ""
    return any(report.evse_no == 0 or (a.evse_uid or "").upper() == uid for a in entry.open_alarms)


def placeholder_location(
    station_id: str, party: PartyRef, now: datetime, location_id: str | None = None
) -> Location:
    """An unpublished location for a station nobody configured, named after the station."""
    return Location(
        id=location_id or placeholder_location_id(station_id),
        party=party,
        name=station_id,
        address="unknown",
        city="unknown",
        country=PLACEHOLDER_COUNTRY,
        latitude=Decimal(0),
        longitude=Decimal(0),
        publish=False,
        last_updated=now,
    )


def new_connector(station: Station, connector_id: str, now: datetime) -> Connector:
    tariff_ids = (station.tariff_id,) if station.tariff_id else ()
    return Connector(id=connector_id, tariff_ids=tariff_ids, last_updated=now)


def new_evse(
    station: Station, evse_no: int, connectors: tuple[Connector, ...], status: EvseStatus, now: datetime
) -> Evse:
    return Evse(
        uid=evse_uid_for(station.id, evse_no),
        evse_id=emi3_evse_id(station.party, station.id, evse_no),
        status=status,
        capabilities=DEFAULT_CAPABILITIES,
        connectors=connectors,
        station_id=station.id,
        station_evse_no=evse_no,
        last_updated=now,
    )


def with_configured_evses(
    location: Location, station: Station, connectors: Sequence[Connector], now: datetime
) -> Location:
    evses = list(location.evses)
    for number, spec in enumerate(connectors, start=1):
        uid = evse_uid_for(station.id, number)
        tariff_ids = spec.tariff_ids or ((station.tariff_id,) if station.tariff_id else ())
        connector = spec.model_copy(update={"id": "1", "tariff_ids": tariff_ids, "last_updated": now})
        index = next((i for i, e in enumerate(evses) if e.uid.upper() == uid.upper()), None)
        if index is None:
            evses.append(new_evse(station, number, (connector,), EvseStatus.UNKNOWN, now))
            continue
        current = evses[index]
        old = current.connectors[0] if current.connectors else None
        if old is None or old.model_copy(update={"last_updated": now}) != connector:
            evses[index] = current.model_copy(update={"connectors": (connector,), "last_updated": now})
    if evses == list(location.evses):
        return location
    return location.model_copy(update={"evses": tuple(evses), "last_updated": now})


def evse_changes(
    entry: StationEntry,
    station: Station,
    location: Location,
    now: datetime,
    ensure: Mapping[int, int | None],
    targets: Targets,
    report: StatusReport | None,
) -> tuple[list[EvseStatusChanged], bool, Location]:
    """The location with EVSEs created and statuses changed; the status changes; whether EVSEs or
    connectors were added. Status changes bubble `last_updated` connector → EVSE → location."""
    evses = list(location.evses)
    structural = False
    for evse_no, connector_no in ensure.items():
        uid = evse_uid_for(station.id, evse_no)
        # An EVSE of this station is found by its number too: a 互联互通 partner's EVSEs (virtual stations)
        # are named by their ConnectorID, not `{station}*{n}`.
        index = next(
            (
                i
                for i, e in enumerate(evses)
                if e.uid.upper() == uid.upper()
                or (
                    e.station_evse_no == evse_no
                    and e.station_id is not None
                    and e.station_id.upper() == station.id.upper()
                )
            ),
            None,
        )
        connector_id = str(connector_no or 1)
        if index is None:
            connector = new_connector(station, connector_id, now)
            evses.append(new_evse(station, evse_no, (connector,), EvseStatus.UNKNOWN, now))
            structural = True
        elif all(c.id != connector_id for c in evses[index].connectors):
            evse = evses[index]
            connectors = (*evse.connectors, new_connector(station, connector_id, now))
            evses[index] = evse.model_copy(update={"connectors": connectors, "last_updated": now})
            structural = True
        entry.known_connectors.add((evse_no, connector_no or 1))
    changes: list[EvseStatusChanged] = []
    touched = str((report.connector_no or 1) if report is not None else "")
    for index, evse in enumerate(evses):
        if (
            evse.station_id is None
            or evse.station_id.upper() != station.id.upper()
            or evse.station_evse_no is None
        ):
            continue
        wanted = targets.for_evse(evse.station_evse_no)
        if wanted is None or wanted is evse.status:
            entry.evse_status[evse.station_evse_no] = evse.status
            continue
        connectors = tuple(
            c.model_copy(update={"last_updated": now}) if c.id == touched else c for c in evse.connectors
        )
        evses[index] = evse.model_copy(
            update={"status": wanted, "connectors": connectors, "last_updated": now}
        )
        entry.evse_status[evse.station_evse_no] = wanted
        changes.append(
            EvseStatusChanged(
                location_id=location.id,
                evse_uid=evse.uid,
                station_id=station.id,
                old=evse.status,
                new=wanted,
            )
        )
    if not changes and not structural:
        return [], False, location
    return changes, structural, location.model_copy(update={"evses": tuple(evses), "last_updated": now})


async def write_evse_changes(
    uow: UnitOfWork,
    location: Location,
    changes: list[EvseStatusChanged],
    structural: bool,
    now: datetime,
) -> list[DomainEvent]:
    """Store the location: an `evse.status` row per status change, `location.updated` when EVSEs or
    connectors were added. Returns the status events and one LocationChanged."""
    await uow.locations.put(location)
    key = location_key(location.party, location.id)
    if structural:
        await add_change(uow, Topic.LOCATION_UPDATED, key, location, now)
    for change in changes:
        evse = location.evse(change.evse_uid)
        assert evse is not None
        payload = {
            "party": str(location.party),
            "location_id": location.id,
            "evse_uid": evse.uid,
            "station_id": change.station_id,
            "old": str(change.old),
            "new": str(change.new),
            "publish": location.publish,
            "evse": evse.model_dump(mode="json"),
        }
        await uow.outbox.add(outbox_message(Topic.EVSE_STATUS, key, payload, now))
    return [*changes, LocationChanged(location=location)]


async def update_alarms(
    ids: IdGenerator,
    uow: UnitOfWork,
    entry: StationEntry,
    station: Station,
    report: StatusReport,
    now: datetime,
) -> list[DomainEvent]:
    if entry.open_alarms is None:
        entry.open_alarms = list(await uow.alarms.open_alarms(station.id))
    code = fault_code(report)
    evse_uid = None if report.evse_no == 0 else evse_uid_for(station.id, report.evse_no)
    when = report.timestamp or now
    events: list[DomainEvent] = []
    if code is not None:
        same_place = [a for a in entry.open_alarms if (a.evse_uid or "").upper() == (evse_uid or "").upper()]
        if any(a.code == code for a in same_place):
            return []
        description = " / ".join(x for x in (report.info, report.vendor_error_code) if x) or None
        alarm = Alarm(
            id=ids.new_id(),
            station_id=station.id,
            evse_uid=evse_uid,
            code=code,
            description=description,
            started=when,
            last_updated=now,
        )
        await uow.alarms.put(alarm)
        entry.open_alarms.append(alarm)
        log.warning("alarm_raised", station_id=station.id, evse_uid=evse_uid, code=code)
        return [AlarmRaised(alarm=alarm)]
    still_open: list[Alarm] = []
    for alarm in entry.open_alarms:
        if report.evse_no == 0 or (alarm.evse_uid or "").upper() == (evse_uid or "").upper():
            ended = alarm.model_copy(update={"ended": max(when, alarm.started), "last_updated": now})
            await uow.alarms.put(ended)
            events.append(AlarmCleared(alarm=ended))
            log.info("alarm_cleared", station_id=station.id, evse_uid=alarm.evse_uid, code=alarm.code)
        else:
            still_open.append(alarm)
    entry.open_alarms = still_open
    return events


async def save_location_row(uow: UnitOfWork, location: Location, now: datetime) -> None:
    await uow.locations.put(location)
    await add_change(uow, Topic.LOCATION_UPDATED, location_key(location.party, location.id), location, now)
