"""What the fake platform answers as a station operator, a CPO and a notification receiver (spec §4, §5):
station data with paging and LastQueryTime, scripted charging orders, default receipts for pushes.

Test support: imports the standard library and the fake's own envelope module only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tests.fakes.interconnect_platform.envelope import beijing_text
from tests.fakes.interconnect_platform.envelope import field as get

if TYPE_CHECKING:
    from tests.fakes.interconnect_platform.platform import FakePlatform

Reply = dict[str, Any]
Behaviour = Callable[["FakePlatform", Any], Reply]


def connector(
    connector_id: str, *, power: str = "7.0", connector_type: int = 3, **extra: Any
) -> dict[str, Any]:
    return {
        "ConnectorID": connector_id, "ConnectorName": connector_id, "ConnectorType": connector_type,
        "VoltageUpperLimits": 220, "VoltageLowerLimits": 220, "Current": 32, "Power": Decimal(power),
        "NationalStandard": 2, **extra,
    }  # fmt: skip


def equipment(
    equipment_id: str, connector_ids: Iterable[str], *, power: str = "7.0", **extra: Any
) -> dict[str, Any]:
    return {
        "EquipmentID": equipment_id, "EquipmentType": 2, "Power": Decimal(power),
        "ConnectorInfos": [connector(c, power=power) for c in connector_ids], **extra,
    }  # fmt: skip


def station(
    station_id: str, equipments: dict[str, Iterable[str]] | None = None, *, operator_id: str = "MA005DBW1",
    lng: str = "121.470000", lat: str = "31.230000", name: str | None = None, **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    """A complete StationInfo (all required fields, spec §4); `equipments`: EquipmentID → ConnectorIDs."""
    equipments = equipments if equipments is not None else {f"{station_id}E1": [f"{station_id}E1C1"]}
    return {
        "StationID": station_id, "OperatorID": operator_id, "EquipmentOwnerID": operator_id,
        "StationName": name or f"站 {station_id}", "CountryCode": "CN", "AreaCode": "310101",
        "Address": "上海市黄浦区测试路1号", "ServiceTel": "4000000000", "StationType": 1, "StationStatus": 50,
        "ParkNums": 0, "StationLng": Decimal(lng), "StationLat": Decimal(lat), "Construction": 255,
        "EquipmentInfos": [equipment(e, cs) for e, cs in equipments.items()], **extra,
    }  # fmt: skip


def connector_ids(info: dict[str, Any]) -> list[str]:
    return [
        str(c["ConnectorID"]) for e in info.get("EquipmentInfos", []) for c in e.get("ConnectorInfos", [])
    ]


@dataclass
class Order:
    """A charging order the fake runs as CPO; tests move it on and push its notifications."""

    seq: str
    connector_id: str
    stat: int = 1  # StartChargeSeqStat: 1 starting, 2 charging, 3 stopping, 4 ended
    start_time: str = ""
    end_time: str = ""
    power: Decimal = Decimal("0.00")
    elec_money: Decimal = Decimal("0.00")
    service_money: Decimal = Decimal("0.00")
    stop_requested: bool = False
    details: list[dict[str, Any]] = field(default_factory=list)

    def status_fields(self, connector_status: int) -> dict[str, Any]:
        """The charging-status fields (spec §5)."""
        return {
            "StartChargeSeq": self.seq, "StartChargeSeqStat": self.stat, "ConnectorID": self.connector_id,
            "ConnectorStatus": connector_status, "CurrentA": Decimal("16.0"), "VoltageA": Decimal("220.0"),
            "Soc": 0, "StartTime": self.start_time, "EndTime": self.end_time, "TotalPower": self.power,
            "ElecMoney": self.elec_money, "SeviceMoney": self.service_money,
            "TotalMoney": self.elec_money + self.service_money, "SumPeriod": len(self.details),
            "ChargeDetails": self.details,
        }  # fmt: skip

    def order_info(self, stop_reason: int = 1) -> dict[str, Any]:
        return {
            "StartChargeSeq": self.seq, "ConnectorID": self.connector_id, "StartTime": self.start_time,
            "EndTime": self.end_time, "TotalPower": self.power, "TotalElecMoney": self.elec_money,
            "TotalSeviceMoney": self.service_money, "TotalMoney": self.elec_money + self.service_money,
            "StopReason": stop_reason, "SumPeriod": len(self.details), "ChargeDetails": self.details,
        }  # fmt: skip


# --- as station operator (spec §4) ----------------------------------------------------------------------
def query_stations_info(platform: FakePlatform, payload: Any) -> Reply:
    last = str(get(payload, "LastQueryTime") or "")
    page_no = int(get(payload, "PageNo") or 1)
    page_size = int(get(payload, "PageSize") or 10)
    found = [s for s in platform.stations if not last or platform.modified.get(s["StationID"], "") >= last]
    page_count = max(1, math.ceil(len(found) / page_size))
    start = (page_no - 1) * page_size
    return {
        "PageNo": page_no, "PageCount": page_count, "ItemSize": len(found),
        "StationInfos": found[start : start + page_size],
    }  # fmt: skip


def query_station_status(platform: FakePlatform, payload: Any) -> Reply:
    wanted = get(payload, "StationIDs") or []
    infos = []
    for info in platform.stations:
        if info["StationID"] in wanted:
            statuses = [{"ConnectorID": c, "Status": platform.status_of(c)} for c in connector_ids(info)]
            infos.append({"StationID": info["StationID"], "ConnectorStatusInfos": statuses})
    return {"Total": len(infos), "StationStatusInfos": infos}


def query_station_stats(platform: FakePlatform, payload: Any) -> Reply:
    station_id = str(get(payload, "StationID") or "")
    return {
        "StationStats": {
            "StationID": station_id, "StartTime": get(payload, "StartTime"),
            "EndTime": get(payload, "EndTime"),
            "StationElectricity": Decimal("0.0"), "EquipmentStatsInfos": [],
        }
    }  # fmt: skip


# --- as CPO (spec §5): accept, the test pushes the notifications ----------------------------------------
def _known(platform: FakePlatform, connector_id: str) -> bool:
    return any(connector_id in connector_ids(s) for s in platform.stations)


def query_equip_auth(platform: FakePlatform, payload: Any) -> Reply:
    connector_id = str(get(payload, "ConnectorID") or "")
    ok = _known(platform, connector_id)
    return {
        "EquipAuthSeq": get(payload, "EquipAuthSeq"), "ConnectorID": connector_id,
        "SuccStat": 0 if ok else 1, "FailReason": 0 if ok else 2,
    }  # fmt: skip


def query_equip_business_policy(platform: FakePlatform, payload: Any) -> Reply:
    connector_id = str(get(payload, "ConnectorID") or "")
    policy = platform.policies.get(connector_id, platform.default_policy)
    return {
        "EquipBizSeq": get(payload, "EquipBizSeq"), "ConnectorID": connector_id,
        "SuccStat": 0 if policy else 1, "FailReason": 0 if policy else 1, "SumPeriod": len(policy),
        "PolicyInfos": policy,
    }  # fmt: skip


def query_start_charge(platform: FakePlatform, payload: Any) -> Reply:
    seq, connector_id = str(get(payload, "StartChargeSeq") or ""), str(get(payload, "ConnectorID") or "")
    if not _known(platform, connector_id):
        return {"StartChargeSeq": seq, "StartChargeSeqStat": 4, "ConnectorID": connector_id,
                "SuccStat": 1, "FailReason": 1}  # fmt: skip
    order = platform.orders.setdefault(seq, Order(seq, connector_id, start_time=beijing_text(platform.now())))
    return {"StartChargeSeq": seq, "StartChargeSeqStat": order.stat, "ConnectorID": connector_id,
            "SuccStat": 0, "FailReason": 0}  # fmt: skip


def query_equip_charge_status(platform: FakePlatform, payload: Any) -> Reply:
    order = platform.orders.get(str(get(payload, "StartChargeSeq") or ""))
    if order is None:
        return {"StartChargeSeq": get(payload, "StartChargeSeq"), "StartChargeSeqStat": 5}
    order.end_time = beijing_text(platform.now())
    return order.status_fields(3 if order.stat == 2 else platform.status_of(order.connector_id))


def query_stop_charge(platform: FakePlatform, payload: Any) -> Reply:
    seq = str(get(payload, "StartChargeSeq") or "")
    order = platform.orders.get(seq)
    if order is None:
        return {"StartChargeSeq": seq, "StartChargeSeqStat": 5, "SuccStat": 1, "FailReason": 1}
    if order.stat == 4:
        return {"StartChargeSeq": seq, "StartChargeSeqStat": 4, "SuccStat": 1, "FailReason": 3}
    order.stat, order.stop_requested = 3, True
    return {"StartChargeSeq": seq, "StartChargeSeqStat": 3, "SuccStat": 0, "FailReason": 0}


# --- as receiver of the hub's pushes (spec §4, §5, §7) -----------------------------------------------------
def status_receipt(_platform: FakePlatform, _payload: Any) -> Reply:
    return {"Status": 0}


def seq_receipt(_platform: FakePlatform, payload: Any) -> Reply:
    return {"StartChargeSeq": get(payload, "StartChargeSeq"), "SuccStat": 0, "FailReason": 0}


def order_receipt(_platform: FakePlatform, payload: Any) -> Reply:
    reply = {"StartChargeSeq": get(payload, "StartChargeSeq"), "ConnectorID": get(payload, "ConnectorID"),
             "ConfirmResult": 0}  # fmt: skip
    if get(payload, "OrderNo") is not None:  # regulator order pushes are answered with their OrderNo (§7)
        reply["OrderNo"] = get(payload, "OrderNo")
    return reply


def check_receipt(_platform: FakePlatform, payload: Any) -> Reply:
    return {
        "CheckOrderSeq": get(payload, "CheckOrderSeq"), "StartTime": get(payload, "StartTime"),
        "EndTime": get(payload, "EndTime"), "TotalDisputeOrder": 0, "TotalDisputePower": Decimal("0.0000"),
        "TotalDisputeMoney": Decimal("0.00"), "DisputeOrders": [],
    }  # fmt: skip


def generic_receipt(_platform: FakePlatform, _payload: Any) -> Reply:
    return {"Status": 0, "SuccStat": 0, "FailReason": 0}


DEFAULT_BEHAVIOURS: dict[str, Behaviour] = {
    "query_stations_info": query_stations_info,
    "query_station_status": query_station_status,
    "query_station_stats": query_station_stats,
    "query_equip_auth": query_equip_auth,
    "query_equip_business_policy": query_equip_business_policy,
    "query_start_charge": query_start_charge,
    "query_equip_charge_status": query_equip_charge_status,
    "query_stop_charge": query_stop_charge,
    "notification_stationStatus": status_receipt,
    "notification_stationInfo": status_receipt,
    "notification_start_charge_result": seq_receipt,
    "notification_equip_charge_status": seq_receipt,
    "notification_stop_charge_result": seq_receipt,
    "notification_charge_order_info": order_receipt,
    "check_charge_orders": check_receipt,
}
