"""Core locations ↔ 互联互通 public information (spec §3, §4): StationInfo/EquipmentInfo/ConnectorInfo,
connector status, GCJ-02 ↔ WGS-84 coordinates, number formats, and tolerant reading of partner payloads (§8).

An adapter module: imports the standard library, structlog, the core and interconnect.runtime only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import structlog

from hub.core.models import (
    Capability,
    Connector,
    ConnectorFormat,
    ConnectorState,
    Evse,
    EvseStatus,
    Location,
    PartyRef,
    PowerType,
    Station,
)
from interconnect.runtime import InterconnectError, PartnerConfig, Ret, virtual_station_id

log = structlog.get_logger(__name__)

# §3 id limits.
MAX_STATION_ID, MAX_EQUIPMENT_ID, MAX_CONNECTOR_ID = 20, 23, 26
PARTNER_TIME_ZONE = "Asia/Shanghai"

# ---------------------------------------------------------------------- formats (§3)

_PLACES = {n: Decimal(1).scaleb(-n) for n in range(7)}


def quantize(value: Decimal | int, places: int) -> Decimal:
    """Exactly `places` decimals, half-up (§3 recommendation): the codec emits it as a JSON number."""
    return Decimal(value).quantize(_PLACES[places], rounding=ROUND_HALF_UP)


def money(value: Decimal | int) -> Decimal:  # 元
    return quantize(value, 2)


def price(value: Decimal | int) -> Decimal:  # 元/kWh (ElecPrice, SevicePrice)
    return quantize(value, 4)


def energy(value: Decimal | int) -> Decimal:  # kWh per order/detail
    return quantize(value, 2)


def stats_energy(value: Decimal | int) -> Decimal:  # kWh in StationStatsInfo
    return quantize(value, 1)


def power(value: Decimal | int) -> Decimal:  # kW
    return quantize(value, 1)


def coordinate(value: Decimal | int) -> Decimal:  # degrees
    return quantize(value, 6)


# ---------------------------------------------------------------------- GCJ-02 ↔ WGS-84

# The public GCJ-02 obfuscation: Krasovsky 1940 ellipsoid and polynomial + sine offsets around (105°E, 35°N),
# applied only inside a rough box around China.
_AXIS = 6378245.0
_ECC2 = 0.00669342162296594323


def in_china(lat: float, lon: float) -> bool:
    return 72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271


def _lat_shift(x: float, y: float) -> float:
    s = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    s += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    s += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    s += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return s


def _lon_shift(x: float, y: float) -> float:
    s = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    s += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    s += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    s += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return s


def _forward(lat: float, lon: float) -> tuple[float, float]:
    if not in_china(lat, lon):
        return lat, lon
    d_lat = _lat_shift(lon - 105.0, lat - 35.0)
    d_lon = _lon_shift(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1.0 - _ECC2 * math.sin(rad) ** 2
    root = math.sqrt(magic)
    d_lat = d_lat * 180.0 / ((_AXIS * (1.0 - _ECC2)) / (magic * root) * math.pi)
    d_lon = d_lon * 180.0 / (_AXIS / root * math.cos(rad) * math.pi)
    return lat + d_lat, lon + d_lon


def _inverse(lat: float, lon: float) -> tuple[float, float]:
    """Fixed-point iteration on the forward map (its offset varies slowly: converges in a few steps to far
    below 1e-6°). Near the edge of the box the forward map is not one-to-one; the point itself wins."""
    if not in_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(40):
        g_lat, g_lon = _forward(w_lat, w_lon)
        e_lat, e_lon = g_lat - lat, g_lon - lon
        if abs(e_lat) < 1e-11 and abs(e_lon) < 1e-11:
            break
        w_lat, w_lon = w_lat - e_lat, w_lon - e_lon
    return w_lat, w_lon


def _decimal_pair(lat: float, lon: float) -> tuple[Decimal, Decimal]:
    return coordinate(Decimal(repr(lat))), coordinate(Decimal(repr(lon)))


def wgs84_to_gcj02(lat: Decimal, lon: Decimal) -> tuple[Decimal, Decimal]:
    """(lat, lon) WGS-84 → GCJ-02, 6 decimals; outside China unchanged."""
    return _decimal_pair(*_forward(float(lat), float(lon)))


def gcj02_to_wgs84(lat: Decimal, lon: Decimal) -> tuple[Decimal, Decimal]:
    """(lat, lon) GCJ-02 → WGS-84, 6 decimals; outside China unchanged."""
    return _decimal_pair(*_inverse(float(lat), float(lon)))


# ---------------------------------------------------------------------- tolerant reading (§8)


def get(obj: Mapping[str, Any], name: str) -> Any:
    """A field by name, keys matched case-insensitively after trimming (old drafts); None if absent."""
    if name in obj:
        return obj[name]
    wanted = name.casefold()
    for key, value in obj.items():
        if isinstance(key, str) and key.strip().casefold() == wanted:
            return value
    return None


def bad(name: str, why: str = "missing") -> InterconnectError:
    return InterconnectError(Ret.PAYLOAD, f"{name} {why}", detail=f"{name} {why}")


def required(obj: Mapping[str, Any], name: str) -> Any:
    value = get(obj, name)
    if value is None or value == "":
        raise bad(name)
    return value


def objects(value: Any, name: str) -> list[Mapping[str, Any]]:
    """An array of objects; one object where an array is specified is a list of one (draft examples)."""
    if value is None or value == "":
        return []
    items = [value] if isinstance(value, Mapping) else value
    if not isinstance(items, list) or not all(isinstance(x, Mapping) for x in items):
        raise bad(name, "is not an object or an array of objects")
    return items


def as_decimal(value: Any, name: str) -> Decimal:
    """A number, also given as a numeric string (`"1.52"`); anything else → 4004."""
    if isinstance(value, bool):
        raise bad(name, "is not a number")
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise bad(name, "is not a number") from None
        if number.is_finite():
            return number
    raise bad(name, "is not a number")


def as_int(value: Any, name: str) -> int:
    number = as_decimal(value, name)
    if number != number.to_integral_value():
        raise bad(name, "is not an integer")
    return int(number)


def as_text(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)  # ids sent as numbers (the V1 vector's "connectorID":1)
    raise bad(name, "is not a string")


def optional_int(obj: Mapping[str, Any], name: str, default: int) -> int:
    value = get(obj, name)
    return default if value is None or value == "" else as_int(value, name)


# ---------------------------------------------------------------------- connector status (§4)

# Status: 0 离网 1 空闲 2 占用（未充电）3 占用（充电中）4 占用（预约锁定）255 故障.
# OCPI BLOCKED ("a parked car blocks the EVSE") is the nearest to 2; PLANNED/REMOVED/UNKNOWN are not online.
STATUS_OUT: Mapping[EvseStatus, int] = {
    EvseStatus.AVAILABLE: 1,
    EvseStatus.BLOCKED: 2,
    EvseStatus.CHARGING: 3,
    EvseStatus.RESERVED: 4,
    EvseStatus.OUTOFORDER: 255,
    EvseStatus.INOPERATIVE: 255,
    EvseStatus.UNKNOWN: 0,
    EvseStatus.PLANNED: 0,
    EvseStatus.REMOVED: 0,
}
STATUS_IN: Mapping[int, EvseStatus] = {
    0: EvseStatus.UNKNOWN,
    1: EvseStatus.AVAILABLE,
    2: EvseStatus.BLOCKED,
    3: EvseStatus.CHARGING,
    4: EvseStatus.RESERVED,
    255: EvseStatus.OUTOFORDER,
}


def status_code(status: EvseStatus) -> int:
    return STATUS_OUT[status]


def evse_status(code: int) -> EvseStatus:
    """A partner's Status; values outside the table are UNKNOWN (the partner's own extension)."""
    return STATUS_IN.get(code, EvseStatus.UNKNOWN)


# For `core.chargepoints.status` (hub/core/stations/evses.py STATUS_MAP): lossy, 2 (occupied, not charging)
# becomes Occupied, which the core shows as CHARGING, and 0 Unavailable (INOPERATIVE).
STATE_IN: Mapping[int, ConnectorState] = {
    0: ConnectorState.UNAVAILABLE,
    1: ConnectorState.AVAILABLE,
    2: ConnectorState.OCCUPIED,
    3: ConnectorState.CHARGING,
    4: ConnectorState.RESERVED,
    255: ConnectorState.FAULTED,
}


def connector_state(code: int) -> ConnectorState:
    """A partner's Status as an OCPP-like station state; values outside the table are Unavailable."""
    return STATE_IN.get(code, ConnectorState.UNAVAILABLE)


def connector_status_info(evse: Evse) -> dict[str, Any]:
    return {"ConnectorID": evse.uid, "Status": STATUS_OUT[evse.status]}


# ---------------------------------------------------------------------- our location → StationInfo


def station_modified(location: Location) -> datetime:
    """The newest modification of the station, its equipment and connectors (LastQueryTime, §4)."""
    newest = location.last_updated
    for evse in location.evses:
        newest = max(newest, evse.last_updated, *(c.last_updated for c in evse.connectors))
    return newest


def _connector_kw(connector: Connector) -> Decimal:
    if connector.max_electric_power is not None:
        return Decimal(connector.max_electric_power) / 1000
    phases = 3 if connector.power_type is PowerType.AC_3_PHASE else 1
    return Decimal(connector.max_voltage * connector.max_amperage * phases) / 1000


def _connector_type(connector: Connector) -> int:
    """1 household socket, 2 AC socket (mode 3 B), 3 AC plug with cable (mode 3 C), 4 DC gun (mode 4)."""
    if connector.power_type is PowerType.DC:
        return 4
    if connector.format is ConnectorFormat.CABLE:
        return 3
    return 1 if connector.standard.startswith("DOMESTIC") else 2


def connector_info(evse: Evse) -> dict[str, Any] | None:
    if len(evse.uid) > MAX_CONNECTOR_ID:
        log.info("interconnect_connector_skipped", connector_id=evse.uid, reason="ConnectorID over 26")
        return None
    if not evse.connectors:
        return None
    c = evse.connectors[0]
    dc = c.power_type is PowerType.DC
    info: dict[str, Any] = {
        "ConnectorID": evse.uid,
        "ConnectorType": _connector_type(c),
        "VoltageUpperLimits": c.max_voltage,
        # Equal for AC (§4); a DC gun's lower limit is not in the core: the common 200 V floor.
        "VoltageLowerLimits": min(200, c.max_voltage) if dc else c.max_voltage,
        "Current": c.max_amperage,
        "Power": power(_connector_kw(c)),
        "NationalStandard": 2,
    }
    if evse.evse_id:
        info["ConnectorName"] = evse.evse_id[:30]
    return info


def _equipment(equipment_id: str, evses: Sequence[Evse], station: Station | None) -> dict[str, Any] | None:
    if len(equipment_id) > MAX_EQUIPMENT_ID:
        log.info("interconnect_equipment_skipped", equipment_id=equipment_id, reason="EquipmentID over 23")
        return None
    connectors = [info for info in map(connector_info, evses) if info is not None]
    if not connectors:
        return None
    kinds = {c.power_type is PowerType.DC for e in evses for c in e.connectors[:1]}
    info: dict[str, Any] = {
        "EquipmentID": equipment_id,
        "EquipmentType": 3 if len(kinds) > 1 else (1 if True in kinds else 2),
        "ConnectorInfos": connectors,
        "Power": power(sum((_connector_kw(e.connectors[0]) for e in evses if e.connectors), Decimal(0))),
    }
    if station is not None:
        if station.vendor:
            info["ManufacturerName"] = station.vendor[:30]
        if station.model:
            info["EquipmentModel"] = station.model[:20]
    return info


def _station_status(location: Location) -> int:
    statuses = {e.status for e in location.evses}
    if statuses and statuses <= {EvseStatus.REMOVED}:
        return 5  # 关闭下线
    if statuses and statuses <= {EvseStatus.PLANNED}:
        return 1  # 建设中
    if statuses and statuses <= {EvseStatus.OUTOFORDER, EvseStatus.INOPERATIVE}:
        return 6  # 维护中
    return 50  # 正常使用


def station_info(
    location: Location,
    stations_by_id: Mapping[str, Station],
    partner: PartnerConfig,
    our_operator_id: str,
    *,
    service_tel: str = "",
) -> dict[str, Any] | None:
    """Our location as a StationInfo (None when its id is over 20 chars). EVSEs of one OCPP station are one
    equipment (EquipmentID = station id, keys upper-cased in `stations_by_id`); EVSEs without a station are
    one equipment each (EquipmentID = EVSE uid)."""
    if len(location.id) > MAX_STATION_ID:
        log.info("interconnect_station_skipped", station_id=location.id, partner=partner.name)
        return None
    groups: dict[str, list[Evse]] = {}
    for evse in location.evses:
        if evse.status is EvseStatus.REMOVED:
            continue
        groups.setdefault(evse.station_id or evse.uid, []).append(evse)
    equipment = [
        info
        for equipment_id, evses in groups.items()
        if (info := _equipment(equipment_id, evses, stations_by_id.get(equipment_id.upper()))) is not None
    ]
    lat, lon = wgs84_to_gcj02(location.latitude, location.longitude)
    postal = location.postal_code or ""
    return {
        "StationID": location.id,
        "OperatorID": our_operator_id,
        "EquipmentOwnerID": our_operator_id,
        "StationName": (location.name or location.id)[:50],
        "CountryCode": "CN",
        "AreaCode": postal if postal.isdigit() and len(postal) == 6 else "000000",
        "Address": f"{location.address}"[:50],
        "ServiceTel": service_tel,
        "StationType": 1,
        "StationStatus": _station_status(location),
        "ParkNums": 0,
        "StationLng": lon,
        "StationLat": lat,
        "Construction": 255,
        "EquipmentInfos": equipment,
    }


# ---------------------------------------------------------------------- a partner's StationInfo → core

_CITY = re.compile(r"^(?:.{1,10}?[省区])?(.{1,10}?市)")


def _city(address: str, area_code: str) -> str:
    """StationInfo has no city: the first "…市" of the address, else the GB/T 2260 area code."""
    found = _CITY.match(address)
    return found.group(1) if found else area_code


def _evse_id(party: PartyRef, connector_id: str) -> str | None:
    cleaned = re.sub(r"[^A-Za-z0-9]", "", connector_id)
    return f"{party.country_code}*{party.party_id}*E{cleaned}".upper() if cleaned else None


def _partner_connector(c: Mapping[str, Any], equipment_type: int, now: datetime) -> Connector:
    kind = as_int(required(c, "ConnectorType"), "ConnectorType")
    voltage = as_int(required(c, "VoltageUpperLimits"), "VoltageUpperLimits")
    current = as_int(required(c, "Current"), "Current")
    kw = as_decimal(required(c, "Power"), "Power")
    dc = kind == 4 or (equipment_type == 1 and kind not in (1, 2, 3))
    if dc:
        power_type, standard = PowerType.DC, "GBT_DC"
    else:
        power_type = PowerType.AC_1_PHASE if voltage <= 250 else PowerType.AC_3_PHASE
        standard = "DOMESTIC_I" if kind == 1 else "GBT_AC"  # China's household plug is type I
    return Connector(
        id="1",
        standard=standard,
        format=ConnectorFormat.SOCKET if kind in (1, 2) else ConnectorFormat.CABLE,
        power_type=power_type,
        max_voltage=voltage,
        max_amperage=current,
        max_electric_power=int((kw * 1000).to_integral_value(rounding=ROUND_HALF_UP)),
        last_updated=now,
    )


def location_from_station_info(info: Mapping[str, Any], partner: PartnerConfig, *, now: datetime) -> Location:
    """A partner's StationInfo as a core Location of `partner.ocpi_party` (coordinates GCJ-02 → WGS-84).
    Each ConnectorInfo is one EVSE (uid = ConnectorID) of virtual station `virtual_station_id(partner,
    EquipmentID)`, numbered 1.. within its equipment; statuses start UNKNOWN (status calls set them)."""
    station_id = as_text(required(info, "StationID"), "StationID")
    lat = as_decimal(required(info, "StationLat"), "StationLat")
    lon = as_decimal(required(info, "StationLng"), "StationLng")
    lat, lon = gcj02_to_wgs84(lat, lon)
    address = as_text(get(info, "Address") or "", "Address")
    area = as_text(get(info, "AreaCode") or "", "AreaCode")
    evses: list[Evse] = []
    for equipment in objects(get(info, "EquipmentInfos"), "EquipmentInfos"):
        equipment_id = as_text(required(equipment, "EquipmentID"), "EquipmentID")
        equipment_type = optional_int(equipment, "EquipmentType", 5)
        for number, c in enumerate(objects(get(equipment, "ConnectorInfos"), "ConnectorInfos"), start=1):
            connector_id = as_text(required(c, "ConnectorID"), "ConnectorID")
            evses.append(
                Evse(
                    uid=connector_id,
                    evse_id=_evse_id(partner.ocpi_party, connector_id),
                    capabilities=(Capability.REMOTE_START_STOP_CAPABLE,),
                    connectors=(_partner_connector(c, equipment_type, now),),
                    station_id=virtual_station_id(partner, equipment_id),
                    station_evse_no=number,
                    last_updated=now,
                )
            )
    return Location(
        id=station_id,
        party=partner.ocpi_party,
        name=as_text(get(info, "StationName") or station_id, "StationName"),
        address=address,
        city=_city(address, area),
        country="CHN",
        latitude=lat,
        longitude=lon,
        time_zone=PARTNER_TIME_ZONE,
        publish=True,
        evses=tuple(evses),
        last_updated=now,
    )


@dataclass(frozen=True)
class VirtualStation:
    """What `core.chargepoints.register_station(station_id, party=…, location_id=…)` needs for one of the
    partner's equipment. Register after the location is stored and without `connectors`: the location
    already carries the EVSEs (uid = ConnectorID), and `connectors` would add `{station_id}*{n}` ones."""

    station_id: str
    party: PartyRef
    location_id: str
    equipment_id: str
    connector_ids: tuple[str, ...]


def stations_from_station_info(info: Mapping[str, Any], partner: PartnerConfig) -> list[VirtualStation]:
    location_id = as_text(required(info, "StationID"), "StationID")
    stations: list[VirtualStation] = []
    for equipment in objects(get(info, "EquipmentInfos"), "EquipmentInfos"):
        equipment_id = as_text(required(equipment, "EquipmentID"), "EquipmentID")
        connectors = objects(get(equipment, "ConnectorInfos"), "ConnectorInfos")
        stations.append(
            VirtualStation(
                station_id=virtual_station_id(partner, equipment_id),
                party=partner.ocpi_party,
                location_id=location_id,
                equipment_id=equipment_id,
                connector_ids=tuple(as_text(required(c, "ConnectorID"), "ConnectorID") for c in connectors),
            )
        )
    return stations
