"""The public-information interfaces we serve (spec §4): query_stations_info, query_station_status,
query_station_stats as data provider, and notification_stationStatus from a partner that is CPO to us.

Which stations a partner sees: a regulator those of our own CPO parties (the ones run on this hub — it
supervises the operator it licenses, not the CPOs we roam with, who report to their own regulators); an
operator partner those of our own CPO parties and of remote CPOs (OCPI partner CPOs, `hub.core.remote`)
whose `[[agreements]]` with its party cover "locations" (all when none is configured). Our own stations win
a StationID or ConnectorID that a remote CPO uses too.

An adapter module: imports structlog, interconnect and the core only (through `call.core`).
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import structlog

from hub.core.events import EventBus, EvseStatusChanged, LocationChanged
from hub.core.models import Cdr, Evse, EvseStatus, Location, PartyProtocol, PartyRef, Role
from hub.core.remote import (
    NoRemoteCpos,
    RemoteCpos,
    RemoteEvseStatusChanged,
    RemoteLocationChanged,
    report_evse_status,
)
from hub.core.services import Core
from interconnect import codec, mapping
from interconnect.mapping import bad, get, objects, required
from interconnect.runtime import Agreement, Call, Handler, PartnerConfig, agreed, may_see

log = structlog.get_logger(__name__)

DEFAULT_PAGE_SIZE = 10  # §4
MAX_PAGE_SIZE = 100  # §4 recommendation: we cap it and compute PageCount for the capped size
MAX_STATUS_STATIONS = 50  # §4: StationIDs ≤ 50
# Changes made by another hub process (PostgreSQL) show within this; this process's own changes at once.
# Rendering 10,000 StationInfos takes seconds, and consumers poll station lists "not too often" (spec §4).
CACHE_TTL_S = 60.0
MAX_WINDOWS = 32


# ---------------------------------------------------------------------- which stations a partner sees


async def served_parties(
    core: Core, partner: PartnerConfig, agreements: Iterable[Agreement] = ()
) -> list[PartyRef]:
    """Our CPO parties (run on this hub). Regulators see all of them (§7); operator partners those that
    `[[agreements]]` allow "locations" with (all when none is configured). A partner never gets its own
    party back. Remote CPOs' locations are added by `StationPages` (operator partners only)."""
    own = partner.ocpi_party.key()
    agreements = tuple(agreements)
    return [
        p.ref
        for p in await core.parties.list()
        if p.role is Role.CPO
        and p.protocol is PartyProtocol.LOCAL
        and p.ref.key() != own
        and may_see(partner, p.ref, agreements)
    ]


@dataclass
class _Window:
    """The StationInfos one partner sees for one LastQueryTime, rendered once, sliced into pages."""

    infos: tuple[dict[str, Any], ...]
    locations: dict[str, Location]  # StationID (upper) → location, for status and stats
    expires: datetime
    # ConnectorID (upper) → a remote CPO's location and EVSE this partner is shown (charging, remote_charge)
    remote_evses: dict[str, tuple[Location, Evse]] = field(default_factory=dict)
    remote: frozenset[str] = frozenset()  # StationIDs (upper) of remote CPOs' locations
    pages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)

    def page(self, page_no: int, size: int) -> dict[str, Any]:
        cached = self.pages.get((page_no, size))
        if cached is None:
            total = len(self.infos)
            start = (page_no - 1) * size
            cached = {
                "PageNo": page_no,  # echoed even beyond the last page (§4)
                "PageCount": -(-total // size),
                "ItemSize": total,
                "StationInfos": list(self.infos[start : start + size]),
            }
            if len(self.pages) < 1024:
                self.pages[(page_no, size)] = cached
        return cached


class StationPages:
    """Rendering 10,000 StationInfos costs far more than the rest of a page request: windows are kept
    until a location or EVSE changes in this process, at most `ttl_s` (other processes' changes)."""

    def __init__(self, ttl_s: float = CACHE_TTL_S) -> None:
        self._ttl = timedelta(seconds=ttl_s)
        self._windows: OrderedDict[tuple[str, datetime | None], _Window] = OrderedDict()
        self._generation = 0
        self._lock = asyncio.Lock()

    def invalidate(self, _event: object = None) -> None:
        self._generation += 1
        self._windows.clear()

    async def window(
        self,
        core: Core,
        partner: PartnerConfig,
        since: datetime | None,
        agreements: Iterable[Agreement] = (),
        remote: RemoteCpos | None = None,
    ) -> _Window:
        key = (partner.operator_id, since)
        now = core.clock.now()
        cached = self._windows.get(key)
        if cached is not None and cached.expires > now:
            return cached
        async with self._lock:  # one rendering per window, however many requests wait for it
            cached = self._windows.get(key)
            if cached is not None and cached.expires > now:
                return cached
            generation = self._generation
            window = await self._render(core, partner, since, tuple(agreements), remote or NoRemoteCpos())
            if generation == self._generation:  # nothing changed while it was read: keep it
                self._windows[key] = window
                self._windows.move_to_end(key)
                while len(self._windows) > MAX_WINDOWS:
                    self._windows.popitem(last=False)
            return window

    async def _render(
        self,
        core: Core,
        partner: PartnerConfig,
        since: datetime | None,
        agreements: tuple[Agreement, ...],
        remote: RemoteCpos,
    ) -> _Window:
        locations: list[Location] = []
        for party in await served_parties(core, partner, agreements):
            # A location's last_updated follows its EVSEs' (core rule), so the store can pre-filter.
            for location in await core.locations.list(party, date_from=since):
                if location.publish and (since is None or mapping.station_modified(location) >= since):
                    locations.append(location)
        stations = {s.id.upper(): s for s in await core.chargepoints.list_stations()}
        infos: list[dict[str, Any]] = []
        index: dict[str, Location] = {}
        used: set[str] = set()  # ConnectorIDs (upper) served
        for location in locations:
            info = mapping.station_info(location, stations, partner, partner.our_operator_id)
            if info is not None:
                infos.append(info)
                index[location.id.upper()] = location
                used.update(e.uid.upper() for e in _served_connectors(location))
        window = _Window(tuple(infos), index, core.clock.now() + self._ttl)
        if partner.kind == "operator":
            await self._render_remote(window, infos, used, partner, since, agreements, remote)
            window.infos = tuple(infos)
        return window

    async def _render_remote(
        self,
        window: _Window,
        infos: list[dict[str, Any]],
        used: set[str],
        partner: PartnerConfig,
        since: datetime | None,
        agreements: tuple[Agreement, ...],
        remote: RemoteCpos,
    ) -> None:
        """Remote CPOs' published locations the partner's agreements cover, without a StationID or
        ConnectorID already served (ours first, then the first remote CPO's)."""
        own = partner.ocpi_party.key()
        remote_ids: set[str] = set()
        for location in await remote.locations(date_from=since):
            if (
                not location.publish
                or location.party.key() == own
                or not agreed(partner, location.party, agreements, "locations")
                or (since is not None and mapping.station_modified(location) < since)
            ):
                continue
            if location.id.upper() in window.locations:
                log.info(
                    "interconnect_remote_station_hidden", station_id=location.id, party=str(location.party)
                )
                continue
            location = location.model_copy(
                update={"evses": tuple(e for e in location.evses if e.uid.upper() not in used)}
            )
            info = mapping.station_info(location, {}, partner, partner.our_operator_id)
            if info is None or not info["EquipmentInfos"]:
                continue
            infos.append(info)
            window.locations[location.id.upper()] = location
            remote_ids.add(location.id.upper())
            for evse in _served_connectors(location):
                used.add(evse.uid.upper())
                window.remote_evses[evse.uid.upper()] = (location, evse)
        window.remote = frozenset(remote_ids)


_PAGES: weakref.WeakKeyDictionary[EventBus, StationPages] = weakref.WeakKeyDictionary()


def station_pages(core: Core) -> StationPages:
    """The cache of one core (keyed by its event bus, which invalidates it)."""
    pages = _PAGES.get(core.bus)
    if pages is None:
        pages = _PAGES[core.bus] = StationPages()
        core.bus.subscribe(LocationChanged, pages.invalidate)
        core.bus.subscribe(EvseStatusChanged, pages.invalidate)
        core.bus.subscribe(RemoteLocationChanged, pages.invalidate)
        core.bus.subscribe(RemoteEvseStatusChanged, pages.invalidate)
    return pages


# ---------------------------------------------------------------------- the data we serve


async def partner_window(call: Call, since: datetime | None = None) -> _Window:
    """The stations the calling partner sees (changed since `since`)."""
    rt = call.runtime
    return await station_pages(call.core).window(
        call.core, call.partner, since, rt.config.agreements, rt.remote
    )


async def query_stations_info(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    text = get(payload, "LastQueryTime")
    since = codec.parse_business_time(str(text)) if text not in (None, "") else None
    page_no = mapping.optional_int(payload, "PageNo", 1)
    size = mapping.optional_int(payload, "PageSize", DEFAULT_PAGE_SIZE)
    if page_no < 1:
        raise bad("PageNo", "must be at least 1")
    if size < 1:
        raise bad("PageSize", "must be at least 1")
    window = await partner_window(call, since)
    return window.page(page_no, min(size, MAX_PAGE_SIZE))


def _served_connectors(location: Location) -> list[Evse]:
    """The EVSEs our StationInfo lists (same rules as mapping.station_info)."""
    return [
        e
        for e in location.evses
        if e.connectors
        and e.status is not EvseStatus.REMOVED
        and len(e.uid) <= mapping.MAX_CONNECTOR_ID
        and len(e.station_id or e.uid) <= mapping.MAX_EQUIPMENT_ID
    ]


def _station_ids(payload: dict[str, Any]) -> list[str]:
    value = required(payload, "StationIDs")
    items = value if isinstance(value, list) else [value]
    ids = [mapping.as_text(item, "StationIDs") for item in items]
    if len(ids) > MAX_STATUS_STATIONS:
        raise bad("StationIDs", f"over {MAX_STATUS_STATIONS}")
    return ids


async def query_station_status(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    ids = _station_ids(payload)
    window = await partner_window(call)
    infos: list[dict[str, Any]] = []
    for station_id in dict.fromkeys(ids):
        location = window.locations.get(station_id.upper())
        if location is None:
            continue  # not ours, unpublished or unknown: nothing to tell
        connectors = [mapping.connector_status_info(e) for e in _served_connectors(location)]
        infos.append({"StationID": location.id, "ConnectorStatusInfos": connectors})
    return {"StationStatusInfos": infos}


def _stats_day(payload: dict[str, Any], name: str) -> date:
    text = mapping.as_text(required(payload, name), name)
    try:
        return date.fromisoformat(text[:10])  # also `yyyy-MM-dd HH:mm:ss` from lenient peers
    except ValueError:
        raise bad(name, "is not a yyyy-MM-dd date") from None


async def query_station_stats(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """Energy of the CDRs that ended in [StartTime, EndTime] (Beijing dates, both inclusive), per station,
    equipment and connector, 1 decimal; each total is the sum of its rounded parts."""
    station_id = mapping.as_text(required(payload, "StationID"), "StationID")
    first, last = _stats_day(payload, "StartTime"), _stats_day(payload, "EndTime")
    if last < first:
        raise bad("EndTime", "is before StartTime")
    window = await partner_window(call)
    location = window.locations.get(station_id.upper())
    if location is None:
        raise bad("StationID", "is unknown")
    start = datetime.combine(first, time(), codec.BEIJING)
    end = datetime.combine(last + timedelta(days=1), time(), codec.BEIJING)
    per_evse: dict[str, Decimal] = {}
    cdrs: Sequence[Cdr]
    if location.id.upper() in window.remote:  # a remote CPO's station: the CDRs it sent our eMSP
        cdrs = await call.runtime.remote.cdrs(location.party, date_from=start)
    else:
        cdrs = await call.core.cdrs.list(location.party, date_from=start)
    for cdr in cdrs:
        if (
            not cdr.credit
            and (cdr.location_id or "").upper() == location.id.upper()
            and start <= cdr.end < end
            and cdr.evse_uid
        ):
            key = cdr.evse_uid.upper()
            per_evse[key] = per_evse.get(key, Decimal(0)) + cdr.cost.total_energy_kwh
    groups: dict[str, list[Evse]] = {}
    for evse in _served_connectors(location):
        groups.setdefault(evse.station_id or evse.uid, []).append(evse)
    equipment: list[dict[str, Any]] = []
    station_total = Decimal("0.0")
    for equipment_id, evses in groups.items():
        kwh = [mapping.stats_energy(per_evse.get(e.uid.upper(), Decimal(0))) for e in evses]
        total = sum(kwh, Decimal("0.0"))
        station_total += total
        connectors = [
            {"ConnectorID": e.uid, "ConnectorElectricity": value} for e, value in zip(evses, kwh, strict=True)
        ]
        equipment.append(
            {"EquipmentID": equipment_id, "EquipmentElectricity": total, "ConnectorStatsInfos": connectors}
        )
    return {
        "StationStats": {
            "StationID": location.id,
            "StartTime": first.isoformat(),
            "EndTime": last.isoformat(),
            "StationElectricity": mapping.stats_energy(station_total),
            "EquipmentStatsInfos": equipment,
        }
    }


# ---------------------------------------------------------------------- what a partner CPO tells us


async def _find_connector(core: Core, party: PartyRef, connector_id: str) -> Location | None:
    """The partner's location with that ConnectorID (EVSE uid). EVSE uids are unique per party, not across
    parties: when the quick lookup lands on another party's EVSE, search the partner's locations."""
    found = await core.locations.find_by_evse(connector_id)
    if found is not None and found.party.key() == party.key():
        return found
    if found is None:
        return None
    matches: Sequence[Location] = await core.locations.list(party)
    return next((loc for loc in matches if loc.evse(connector_id) is not None), None)


async def apply_status(call: Call, info: Mapping[str, Any]) -> bool:
    """One ConnectorStatusInfo → the status of the partner's EVSE in the core; False when unknown.

    Written as a status report of the EVSE's CPO (`hub.core.remote.report_evse_status`): an `evse.status`
    row (OCPI parties get the EVSE's status) and EvseStatusChanged, the status kept exactly as mapped here."""
    if not isinstance(info, Mapping):
        raise bad("ConnectorStatusInfo", "is not an object")
    connector_id = mapping.as_text(required(info, "ConnectorID"), "ConnectorID")
    status = mapping.evse_status(mapping.as_int(required(info, "Status"), "Status"))
    core, party = call.core, call.partner.ocpi_party
    location = await _find_connector(core, party, connector_id)
    evse = location.evse(connector_id) if location is not None else None
    if (
        location is None
        or evse is None
        or not await report_evse_status(core, party, location.id, evse.uid, status)
    ):
        log.info("interconnect_status_discarded", partner=call.partner.name, connector_id=connector_id)
        return False
    return True


async def notification_station_status(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """§4: one ConnectorStatusInfo (an array is accepted, §8); Status 0 when every one was applied, 1
    (discarded, the partner must not retry) when any connector is unknown to us."""
    infos = objects(required(payload, "ConnectorStatusInfo"), "ConnectorStatusInfo")
    applied = [await apply_status(call, info) for info in infos]
    return {"Status": 0 if all(applied) else 1}


HANDLERS: dict[str, Handler] = {
    "query_stations_info": query_stations_info,
    "query_station_status": query_station_status,
    "query_station_stats": query_station_stats,
    "notification_stationStatus": notification_station_status,
}
