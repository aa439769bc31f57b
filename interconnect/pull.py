"""Pulling a partner's stations into the core (spec §4): page through query_stations_info since the last
successful pull, store each StationInfo as a Location of the partner's party with one virtual station per
EquipmentInfo, then query_station_status for what was pulled so EVSE statuses are live. Also the scheduled
pull job for every operator partner.

An adapter module: imports structlog, interconnect and the core only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

import structlog

from hub.core.errors import HubError
from hub.core.models import Location, PartnerRecord
from interconnect import handlers_data, mapping
from interconnect.client import InterconnectCallError
from interconnect.runtime import Call, InterconnectError, InterconnectRuntime, PartnerConfig

log = structlog.get_logger(__name__)

PULL_MODULE = "interconnect.pull"  # PartnerRecord module: the partner's LastQueryTime (its record id)
PAGE_SIZE = 100  # spec §4: no maximum is given; we cap ours at 100, partners may cap lower
STATUS_BATCH = 50  # query_station_status takes at most 50 StationIDs (spec §4)
MAX_PAGES = 10_000  # a partner echoing PageNo forever must not keep us here
BEIJING = timezone(timedelta(hours=8))  # business times are Beijing time (spec §3)
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class PageProgress:
    page_no: int
    page_count: int
    stations: int  # on this page
    item_size: int  # the partner's total


@dataclass
class PullReport:
    partner: str
    since: str  # the LastQueryTime sent ("" = everything)
    until: str  # the next pull's LastQueryTime (when this one started)
    pages: int = 0
    stations: int = 0  # StationInfos stored as locations
    virtual_stations: int = 0
    statuses: int = 0  # connector statuses applied
    skipped: list[str] = field(default_factory=list)  # StationIDs that could not be mapped or stored
    status_error: str | None = None  # query_station_status failed (the stations are stored all the same)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


Progress = Callable[[PageProgress], None]


def beijing_text(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime(TIME_FORMAT)


def as_list(value: Any) -> list[Any]:
    """An object where an array is specified (draft examples) is one element (spec §8)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def as_int(value: Any, default: int) -> int:
    """Numbers may arrive as strings (spec §8)."""
    try:
        return int(str(value).strip())
    except ValueError:
        return default


def field_of(data: Any, name: str) -> Any:
    """A field matched case-insensitively after trimming (spec §8)."""
    if not isinstance(data, dict):
        return None
    if name in data:
        return data[name]
    wanted = name.casefold()
    return next((v for k, v in data.items() if str(k).strip().casefold() == wanted), None)


async def last_query_time(runtime: InterconnectRuntime, partner: PartnerConfig) -> str:
    record = await runtime.core.records.get(PULL_MODULE, partner.ocpi_party, partner.operator_id)
    return str(record.data.get("last_query_time", "")) if record is not None else ""


async def pull_stations(
    runtime: InterconnectRuntime,
    partner: PartnerConfig,
    *,
    full: bool = False,
    page_size: int = PAGE_SIZE,
    progress: Progress | None = None,
) -> PullReport:
    """Pull stations changed since the last successful pull (everything with `full`); raises
    InterconnectCallError when query_stations_info fails (nothing is remembered then, so the next pull
    asks again from the same time)."""
    if runtime.client is None:
        raise InterconnectCallError(None, "the interconnect client is not started", retryable=True)
    started = runtime.clock.now()
    since = "" if full else await last_query_time(runtime, partner)
    report = PullReport(partner=partner.name, since=since, until=beijing_text(started))
    interface = partner.interface("query_stations_info") or "query_stations_info"
    pulled: list[str] = []
    page_no = 1
    while page_no <= MAX_PAGES:
        request = {"LastQueryTime": since, "PageNo": page_no, "PageSize": page_size}
        data = await runtime.client.call(partner, interface, request)
        infos = as_list(field_of(data, "StationInfos"))
        page_count = as_int(field_of(data, "PageCount"), 1)
        answered_page = as_int(field_of(data, "PageNo"), page_no)
        report.pages += 1
        for info in infos:
            station_id = await _store_station(runtime, partner, info, report)
            if station_id is not None:
                pulled.append(station_id)
        if progress is not None:
            progress(PageProgress(page_no, page_count, len(infos), as_int(field_of(data, "ItemSize"), 0)))
        # A PageNo beyond the last page is echoed with no stations (spec §4): stop there too.
        if not infos or page_no >= page_count or answered_page != page_no:
            break
        page_no += 1
    try:
        report.statuses = await pull_statuses(runtime, partner, pulled)
    except InterconnectCallError as exc:
        report.status_error = str(exc)
        log.warning("interconnect_status_pull_failed", partner=partner.name, ret=exc.ret)
    await runtime.core.records.put(
        PartnerRecord(
            module=PULL_MODULE,
            party=partner.ocpi_party,
            id=partner.operator_id,
            data={"last_query_time": report.until, "stations": report.stations},
            last_updated=started,
        )
    )
    log.info(
        "interconnect_stations_pulled",
        partner=partner.name,
        pages=report.pages,
        stations=report.stations,
        skipped=len(report.skipped),
        statuses=report.statuses,
    )
    return report


def keep_known(location: Location, existing: Location | None) -> Location:
    """The pulled location keeping what it cannot know: each EVSE's live status, and the previous
    `last_updated` of EVSEs and of the location when nothing else changed, so an unchanged station is no
    write and no OCPI push."""
    if existing is None:
        return location
    evses = []
    for evse in location.evses:
        old = existing.evse(evse.uid)
        if old is None:
            evses.append(evse)
            continue
        kept = evse.model_copy(update={"status": old.status})
        if len(kept.connectors) == len(old.connectors):
            connectors = tuple(
                c.model_copy(update={"last_updated": o.last_updated})
                for c, o in zip(kept.connectors, old.connectors, strict=True)
            )
            same = kept.model_copy(update={"connectors": connectors, "last_updated": old.last_updated})
            kept = old if same == old else kept
        evses.append(kept)
    return location.model_copy(update={"evses": tuple(evses)})


async def _store_station(
    runtime: InterconnectRuntime, partner: PartnerConfig, info: Any, report: PullReport
) -> str | None:
    """One StationInfo → the core: the Location, then its virtual stations. Returns the StationID stored."""
    core = runtime.core
    station_id = str(field_of(info, "StationID") or "?")
    try:
        if not isinstance(info, dict):
            raise TypeError("a StationInfo is not an object")
        location = mapping.location_from_station_info(info, partner, now=runtime.clock.now())
        stations = mapping.stations_from_station_info(info, partner)
        existing = await core.locations.get(location.party, location.id)
        await core.locations.put(keep_known(location, existing))
        for station in stations:
            await core.chargepoints.register_station(
                station.station_id, party=station.party, location_id=station.location_id
            )
    # pydantic's ValidationError is a ValueError; mapping raises InterconnectError for bad fields.
    except (ValueError, TypeError, InterconnectError, HubError) as exc:
        log.warning(
            "interconnect_station_skipped",
            partner=partner.name,
            station_id=station_id,
            error=(getattr(exc, "detail", None) or str(exc))[:200],
        )
        report.skipped.append(station_id)
        return None
    report.stations += 1
    report.virtual_stations += len(stations)
    return location.id


async def pull_statuses(
    runtime: InterconnectRuntime, partner: PartnerConfig, station_ids: Iterable[str]
) -> int:
    """query_station_status in batches of 50; each ConnectorStatusInfo becomes the EVSE's status in the
    core. Returns how many connector statuses were applied."""
    assert runtime.client is not None
    interface = partner.interface("query_station_status") or "query_station_status"
    ids = list(dict.fromkeys(station_ids))
    applied = 0
    for start in range(0, len(ids), STATUS_BATCH):
        data = await runtime.client.call(
            partner, interface, {"StationIDs": ids[start : start + STATUS_BATCH]}
        )
        for station in as_list(field_of(data, "StationStatusInfos")):
            for info in as_list(field_of(station, "ConnectorStatusInfos")):
                if await apply_connector_status(runtime, partner, info):
                    applied += 1
    return applied


async def apply_connector_status(runtime: InterconnectRuntime, partner: PartnerConfig, info: Any) -> bool:
    """One ConnectorStatusInfo → the partner's EVSE status in the core, the same way as a status the partner
    pushes us (handlers_data.apply_status). False when the connector is unknown or the entry unreadable."""
    try:
        return await handlers_data.apply_status(Call(runtime, partner, "query_station_status"), info)
    except InterconnectError as exc:
        log.info("interconnect_status_unreadable", partner=partner.name, error=exc.detail or exc.msg)
        return False


# --- the scheduled job -------------------------------------------------------------------------------------


class JobScheduler(Protocol):
    def add_job(self, job_id: str, job: Callable[[], Awaitable[None]], interval_s: float) -> None: ...


def pull_job(runtime: InterconnectRuntime) -> Callable[[], Awaitable[None]]:
    """Pull every operator partner in turn; one partner failing never stops the others."""

    async def run() -> None:
        for partner in runtime.config.partners:
            if partner.kind != "operator":
                continue
            try:
                await pull_stations(runtime, partner)
            except InterconnectCallError as exc:
                log.warning("interconnect_pull_failed", partner=partner.name, ret=exc.ret, error=exc.msg)
            except Exception:
                log.exception("interconnect_pull_crashed", partner=partner.name)

    return run


def register_pull_job(runtime: InterconnectRuntime, scheduler: JobScheduler, interval_s: float) -> None:
    """Every `[interconnect] pull_interval` seconds (HubScheduler.add_job), when operator partners exist."""
    if any(p.kind == "operator" for p in runtime.config.partners) and interval_s > 0:
        scheduler.add_job("interconnect-pull", pull_job(runtime), interval_s)
