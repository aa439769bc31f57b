"""The charge-point service (`ChargePointApi`): admission, connection, boot, heartbeat, EVSE status and
alarms of our OCPP stations, plus the seeding API `register_station`. Transactions and meter values go to
the session service. What admission and status dedup need is cached in memory (a station's connection
lives in one process), so a reconnect storm does not hit the database for every handshake.

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

import asyncio
import hmac
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import structlog

from hub.core.authorization import AuthorizationService
from hub.core.chargepoint import (
    AdmissionResult,
    BootInfo,
    BootResult,
    ChargePointEvent,
    StatusReport,
    TransactionOutcome,
    TransactionReport,
)
from hub.core.clock import Clock, IdGenerator
from hub.core.errors import InvalidRequestError, NotFoundError
from hub.core.events import (
    DomainEvent,
    EventBus,
    LocationChanged,
    StationBooted,
    StationConnected,
    StationDisconnected,
    StationNotified,
)
from hub.core.locations import LocationService
from hub.core.models import (
    AuthorizationDecision,
    BootStatus,
    Connector,
    Evse,
    EvseStatus,
    MeterSample,
    PartyRef,
    Station,
    StationNotification,
)
from hub.core.ports import Database
from hub.core.sessions import SessionService
from hub.core.stations.evses import (
    STATION_WIDE_STATES,
    StationEntry,
    Targets,
    alarm_work,
    connector_view,
    evse_changes,
    evse_uid_for,
    map_state,
    placeholder_location,
    placeholder_location_id,
    save_location_row,
    update_alarms,
    with_configured_evses,
    write_evse_changes,
)
from hub.core.stations.passwords import hash_password, keyed, verify_password

log = structlog.get_logger(__name__)

MAX_IDENTITY_LENGTH = 48  # OCPP-J: identity ≤ 48 characters, no ':' (it is the Basic-auth user name)
UNKNOWN_STATION_RECHECK = timedelta(seconds=60)


class ChargePointService:
    """Implements `hub.core.chargepoint.ChargePointApi` (see its docstrings for each method's contract)."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        clock: Clock,
        ids: IdGenerator,
        *,
        default_cpo: PartyRef,
        accept_unknown_stations: bool,
        heartbeat_interval_s: int,
        authorization: AuthorizationService,
        sessions: SessionService,
        locations: LocationService,
    ) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock
        self._ids = ids
        self._default_cpo = default_cpo
        self._accept_unknown = accept_unknown_stations
        self._heartbeat_interval_s = heartbeat_interval_s
        self._authorization = authorization
        self._sessions = sessions
        self._locations = locations
        self._entries: dict[str, StationEntry] = {}

    async def register_station(
        self,
        station_id: str,
        *,
        party: PartyRef,
        location_id: str | None = None,
        tariff_id: str | None = None,
        password: str | None = None,
        connectors: Sequence[Connector] | None = None,
    ) -> Station:
        """Configure a known station. `location_id` must exist (None: an unpublished placeholder location);
        each of `connectors` becomes EVSE `{station_id}*{n}` with that one connector (n = 1, 2, …)."""
        self._check_identity(station_id)
        now = self._clock.now()
        async with self._db.unit_of_work() as uow:
            existing = await uow.stations.get(station_id)
        password_hash: str | None = None
        if password:
            old_hash = existing.password_hash if existing is not None else None
            if old_hash is not None and await asyncio.to_thread(verify_password, password, old_hash):
                password_hash = old_hash  # same password: keep the stored hash (no needless write)
            else:
                password_hash = await asyncio.to_thread(hash_password, password)
        location_id = location_id or (existing.location_id if existing is not None else None)
        location_id = location_id or placeholder_location_id(station_id)
        base = existing or Station(id=station_id, party=party, last_updated=now)
        station = base.model_copy(
            update={
                "party": party,
                "location_id": location_id,
                "tariff_id": tariff_id,
                "password_hash": password_hash,
                "registered": True,
            }
        )
        if station != existing:
            station = station.model_copy(update={"last_updated": now})
        events: list[DomainEvent] = []
        async with self._db.unit_of_work() as uow:
            if (
                location_id != placeholder_location_id(station_id)
                and await uow.locations.get(party, location_id) is None
            ):
                raise NotFoundError(f"location {location_id} of {party} (station {station_id})")
        moved: tuple[Evse, ...] = ()
        if (
            existing is not None
            and existing.location_id
            and existing.location_id.upper() != location_id.upper()
        ):
            moved = await self._take_evses(existing, now, events)
        async with self._locations.lock(party, location_id), self._db.unit_of_work() as uow:
            location = await uow.locations.get(party, location_id)
            stored = location is not None
            if location is None:
                location = placeholder_location(station_id, party, now)
            arriving = tuple(e for e in moved if location.evse(e.uid) is None)
            if arriving:
                location = location.model_copy(
                    update={"evses": location.evses + arriving, "last_updated": now}
                )
                stored = False  # the location changed: store it
            updated = with_configured_evses(location, station, connectors or (), now)
            if updated != location or not stored:
                await save_location_row(uow, updated, now)
                events.append(LocationChanged(location=updated))
            if station != existing:
                await uow.stations.put(station)
            await uow.commit()
        entry = self._entries.get(station_id.upper())
        if entry is None:
            self._entries[station_id.upper()] = StationEntry(station=station, loaded_at=now)
        else:
            entry.station, entry.verified, entry.refused = station, None, None
            entry.forget_statuses()
        log.info("station_registered", station_id=station_id, location_id=location_id)
        await self._bus.publish_all(events)
        return station

    async def _take_evses(
        self, existing: Station, now: datetime, events: list[DomainEvent]
    ) -> tuple[Evse, ...]:
        """Remove a station's EVSEs from the location it leaves (e.g. an accepted unknown station that is
        now configured at a real site) and return them for the new one."""
        assert existing.location_id is not None
        async with (
            self._locations.lock(existing.party, existing.location_id),
            self._db.unit_of_work() as uow,
        ):
            old = await uow.locations.get(existing.party, existing.location_id)
            if old is None:
                return ()
            ours = tuple(e for e in old.evses if (e.station_id or "").upper() == existing.id.upper())
            if not ours:
                return ()
            left = old.model_copy(
                update={"evses": tuple(e for e in old.evses if e not in ours), "last_updated": now}
            )
            await save_location_row(uow, left, now)
            await uow.commit()
        events.append(LocationChanged(location=left))
        return ours

    async def admit(
        self, station_id: str, password: str | None, client_cert_cn: str | None
    ) -> AdmissionResult:
        if not station_id or len(station_id) > MAX_IDENTITY_LENGTH or ":" in station_id:
            return AdmissionResult(admitted=False, known=False, reason="invalid station identity")
        entry = await self._entry(station_id)
        station = entry.station
        if station is None:
            if not self._accept_unknown:
                log.info("station_refused", station_id=station_id, reason="unknown")
                return AdmissionResult(admitted=False, known=False, reason="unknown station")
            station = await self._create_unknown(station_id)
            return AdmissionResult(admitted=True, known=False, station=station)
        if station.password_hash is None:
            return AdmissionResult(admitted=True, known=True, station=station)
        if client_cert_cn and station.id.upper() in client_cert_cn.upper():
            # Security profile 3: the TLS layer verified the chain; the certificate names this station.
            return AdmissionResult(admitted=True, known=True, station=station)
        if not password:
            return AdmissionResult(admitted=False, known=True, reason="password required")
        if not await self._password_ok(entry, station.password_hash, password):
            log.warning("station_refused", station_id=station_id, reason="wrong password")
            return AdmissionResult(admitted=False, known=True, reason="wrong password")
        return AdmissionResult(admitted=True, known=True, station=station)

    async def _password_ok(self, entry: StationEntry, password_hash: str, password: str) -> bool:
        digest = keyed(password)
        if entry.verified is not None and hmac.compare_digest(entry.verified, digest):
            return True
        if entry.refused is not None and any(hmac.compare_digest(digest, r) for r in entry.refused):
            return False
        ok = await asyncio.to_thread(verify_password, password, password_hash)
        if ok:
            entry.verified = digest
        else:
            if entry.refused is None:
                entry.refused = deque(maxlen=8)
            entry.refused.append(digest)
        return ok

    async def connected(self, station_id: str, protocol: str) -> None:
        entry = await self._entry(station_id)
        if entry.station is None:
            log.warning("station_connected_unadmitted", station_id=station_id)
            return
        entry.connections += 1
        self._sessions.forget_station(station_id)
        now = self._clock.now()
        station = entry.station.model_copy(
            update={"connected": True, "protocol": protocol, "last_seen": now, "last_updated": now}
        )
        async with self._db.unit_of_work() as uow:
            await uow.stations.put(station)
            await uow.commit()
        entry.station, entry.last_seen_dirty = station, False
        log.info("station_connected", station_id=station_id, protocol=protocol)
        await self._bus.publish(StationConnected(station=station))

    async def disconnected(self, station_id: str) -> None:
        entry = self._entries.get(station_id.upper())
        if entry is None or entry.station is None:
            return
        entry.connections = max(0, entry.connections - 1)
        if entry.connections > 0:
            return  # an old socket closed after its replacement connected: the station is still here
        now = self._clock.now()
        station = entry.station
        station = station.model_copy(
            update={"connected": False, "last_seen": station.last_seen or now, "last_updated": now}
        )
        entry.connectors.clear()
        entry.station_fault = None
        events = await self._change_evses(entry, station, now, {}, Targets(every=EvseStatus.UNKNOWN))
        async with self._db.unit_of_work() as uow:
            await uow.stations.put(station)
            await uow.commit()
        entry.station, entry.last_seen_dirty = station, False
        log.info("station_disconnected", station_id=station_id)
        await self._bus.publish_all([*events, StationDisconnected(station_id=station.id)])

    async def boot(self, station_id: str, info: BootInfo) -> BootResult:
        now = self._clock.now()
        entry = await self._entry(station_id)
        if entry.station is None:
            return BootResult(
                status=BootStatus.REJECTED, interval_s=self._heartbeat_interval_s, current_time=now
            )
        station = entry.station.model_copy(
            update={
                "vendor": info.vendor,
                "model": info.model,
                "serial_number": info.serial_number,
                "firmware_version": info.firmware_version,
                "boot_status": BootStatus.ACCEPTED,
                "last_boot": now,
                "last_seen": now,
                "last_updated": now,
            }
        )
        async with self._db.unit_of_work() as uow:
            await uow.stations.put(station)
            await uow.commit()
        entry.station, entry.last_seen_dirty = station, False
        log.info(
            "station_booted", station_id=station_id, vendor=info.vendor, model=info.model, reason=info.reason
        )
        await self._bus.publish(StationBooted(station=station))
        return BootResult(status=BootStatus.ACCEPTED, interval_s=self._heartbeat_interval_s, current_time=now)

    async def heartbeat(self, station_id: str) -> datetime:
        now = self._clock.now()
        entry = self._entries.get(station_id.upper())
        if entry is not None and entry.station is not None:
            entry.station = entry.station.model_copy(update={"last_seen": now})
            entry.last_seen_dirty = True
        return now

    async def flush_last_seen(self) -> int:
        """Persist the last-seen times heartbeats only kept in memory; returns how many were written."""
        dirty = [e for e in self._entries.values() if e.last_seen_dirty and e.station is not None]
        if not dirty:
            return 0
        async with self._db.unit_of_work() as uow:
            for entry in dirty:
                assert entry.station is not None
                stored = await uow.stations.get(entry.station.id)
                if stored is not None:
                    await uow.stations.put(stored.model_copy(update={"last_seen": entry.station.last_seen}))
            await uow.commit()
        for entry in dirty:
            entry.last_seen_dirty = False
        return len(dirty)

    def is_accepted(self, station_id: str) -> bool:
        entry = self._entries.get(station_id.upper())
        return (
            entry is not None
            and entry.station is not None
            and entry.station.boot_status is BootStatus.ACCEPTED
        )

    def station(self, station_id: str) -> Station | None:
        """The station as this process knows it (no database read)."""
        entry = self._entries.get(station_id.upper())
        return entry.station if entry is not None else None

    async def list_stations(self) -> list[Station]:
        """Every known station (stored), with this process's fresher in-memory facts where it has them."""
        async with self._db.unit_of_work() as uow:
            stored = await uow.stations.list()
        return [self.station(s.id) or s for s in stored]

    async def get_station(self, station_id: str) -> Station | None:
        """One station by id (case-insensitive), fresher in-memory facts first; None when unknown."""
        known = self.station(station_id)
        if known is not None:
            return known
        async with self._db.unit_of_work() as uow:
            return await uow.stations.get(station_id)

    async def status(self, station_id: str, report: StatusReport) -> None:
        entry = await self._entry(station_id)
        station = entry.station
        if station is None:
            log.warning("status_from_unknown_station", station_id=station_id)
            return
        now = self._clock.now()
        mapped = map_state(report.state)
        ensure: dict[int, int | None] = {}
        if report.evse_no == 0:
            if report.state in STATION_WIDE_STATES:
                entry.station_fault = mapped
                targets = Targets(every=mapped)
            elif entry.station_fault is not None:
                # The station is back: each EVSE returns to what its connectors last reported.
                entry.station_fault = None
                views = {no: connector_view(entry, no) for no in entry.connectors}
                targets = Targets(
                    every=EvseStatus.AVAILABLE, one={n: v for n, v in views.items() if v is not None}
                )
            else:
                targets = Targets()
        else:
            connector_no = report.connector_no or 1
            entry.connectors.setdefault(report.evse_no, {})[connector_no] = mapped
            target = connector_view(entry, report.evse_no) or mapped
            ensure[report.evse_no] = connector_no
            targets = Targets(one={report.evse_no: target})
            if (
                entry.evse_status.get(report.evse_no) == target
                and (report.evse_no, connector_no) in entry.known_connectors
                and not alarm_work(entry, report)
            ):
                return  # nothing changed: no database work at all
        events = await self._change_evses(entry, station, now, ensure, targets, report=report)
        await self._bus.publish_all(events)

    async def _change_evses(
        self,
        entry: StationEntry,
        station: Station,
        now: datetime,
        ensure: Mapping[int, int | None],
        targets: Targets,
        report: StatusReport | None = None,
    ) -> list[DomainEvent]:
        """One unit of work over the station's location: create EVSEs/connectors in `ensure`, give every EVSE
        of the station its status in `targets` (if any), raise/end alarms for
        `report`. Writes and publishes only what changed."""
        # Stations always get a location (configured or placeholder); one stored without gets its placeholder.
        location_id = station.location_id or placeholder_location_id(station.id)
        try:
            async with (
                self._locations.lock(station.party, location_id),
                self._db.unit_of_work() as uow,
            ):
                location = await uow.locations.get(station.party, location_id)
                stored = location is not None
                if location is None:
                    location = placeholder_location(station.id, station.party, now, location_id)
                changes, structural, updated = evse_changes(
                    entry, station, location, now, ensure, targets, report
                )
                events: list[DomainEvent] = []
                if changes or structural:
                    events = await write_evse_changes(uow, updated, changes, structural or not stored, now)
                if report is not None:
                    events.extend(await update_alarms(self._ids, uow, entry, station, report, now))
                if events:
                    await uow.commit()
        except BaseException:
            entry.forget_statuses()  # the caches may be ahead of what was stored
            raise
        return events

    async def authorize(
        self, station_id: str, id_tag: str, evse_no: int | None = None
    ) -> AuthorizationDecision:
        station = (await self._entry(station_id)).station
        evse_uid = evse_uid_for(station_id, evse_no) if evse_no else None
        return await self._authorization.authorize(
            id_tag,
            station_id=station.id if station else station_id,
            location_id=station.location_id if station else None,
            evse_uid=evse_uid,
        )

    async def transaction(self, station_id: str, report: TransactionReport) -> TransactionOutcome:
        entry = await self._entry(station_id)
        station = entry.station
        if station is None:
            log.warning("transaction_from_unknown_station", station_id=station_id)
            return TransactionOutcome(session=None, transaction_id=report.transaction_id, authorization=None)
        evse_uid = connector_id = None
        if report.evse_no:
            evse_uid = await self._ensure_evse(entry, station, report.evse_no, report.connector_no)
            connector_id = str(report.connector_no or 1)
        return await self._sessions.on_transaction(station, evse_uid, connector_id, report)

    async def meter_values(
        self, station_id: str, evse_no: int, transaction_id: str | None, samples: tuple[MeterSample, ...]
    ) -> None:
        entry = await self._entry(station_id)
        station = entry.station
        if station is None:
            return
        evse_uid = await self._ensure_evse(entry, station, evse_no, None) if evse_no else None
        await self._sessions.on_meter_values(station, evse_uid, transaction_id, samples)

    async def _ensure_evse(
        self, entry: StationEntry, station: Station, evse_no: int, connector_no: int | None
    ) -> str:
        if (evse_no, connector_no or 1) not in entry.known_connectors:
            events = await self._change_evses(
                entry, station, self._clock.now(), {evse_no: connector_no}, Targets()
            )
            await self._bus.publish_all(events)
        return evse_uid_for(station.id, evse_no)

    async def record(self, station_id: str, event: ChargePointEvent) -> None:
        now = self._clock.now()
        notification = StationNotification(
            id=self._ids.new_id(),
            station_id=station_id,
            kind=event.kind,
            timestamp=event.timestamp or now,
            payload=event.payload,
        )
        async with self._db.unit_of_work() as uow:
            await uow.notifications.add(notification)
            await uow.commit()
        await self._bus.publish(StationNotified(notification=notification))

    @staticmethod
    def _check_identity(station_id: str) -> None:
        if not station_id or len(station_id) > MAX_IDENTITY_LENGTH or ":" in station_id:
            raise InvalidRequestError(f"invalid station identity {station_id!r}", field="station_id")

    async def _entry(self, station_id: str) -> StationEntry:
        """The cached entry (one database read per station and process; unknown ids are re-read after a
        minute so a station configured elsewhere is found)."""
        key = station_id.upper()
        now = self._clock.now()
        entry = self._entries.get(key)
        if entry is not None and (
            entry.station is not None or now - entry.loaded_at < UNKNOWN_STATION_RECHECK
        ):
            return entry
        async with self._db.unit_of_work() as uow:
            station = await uow.stations.get(station_id)
        entry = self._entries.get(key)  # another task may have loaded it meanwhile
        if entry is None or entry.station is None:
            entry = self._entries[key] = StationEntry(station=station, loaded_at=now)
        return entry

    async def _create_unknown(self, station_id: str) -> Station:
        now = self._clock.now()
        party = self._default_cpo
        location_id = placeholder_location_id(station_id)
        station = Station(
            id=station_id, party=party, location_id=location_id, registered=False, last_updated=now
        )
        async with self._locations.lock(party, location_id), self._db.unit_of_work() as uow:
            existing = await uow.stations.get(station_id)
            if existing is not None:
                station = existing
            else:
                if await uow.locations.get(party, location_id) is None:
                    await uow.locations.put(placeholder_location(station_id, party, now))
                await uow.stations.put(station)
                await uow.commit()
        self._entries[station_id.upper()] = StationEntry(station=station, loaded_at=now)
        log.info("unknown_station_accepted", station_id=station_id)
        return station
