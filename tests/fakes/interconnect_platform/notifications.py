"""The notifications the fake platform pushes to the hub when it is the CPO (spec §5): the test moves an order
on and tells the platform to send each one, so every step of a charge is under the test's control.

Test support: imports the standard library and the fake's own modules only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from tests.fakes.interconnect_platform.business import Order
from tests.fakes.interconnect_platform.envelope import beijing_text


class CpoNotifications:
    """Mixed into `FakePlatform`, which provides the attributes below."""

    operator_id: str
    orders: dict[str, Order]
    statuses: dict[str, int]

    def now(self) -> datetime:
        raise NotImplementedError

    async def call_hub(self, interface: str, payload: Any) -> tuple[int, str, Any]:
        raise NotImplementedError

    async def notify_station_status(
        self, connector_id: str, status: int, **extra: Any
    ) -> tuple[int, str, Any]:
        self.statuses[connector_id] = status
        info = {"ConnectorID": connector_id, "Status": status, **extra}
        return await self.call_hub("notification_stationStatus", {"ConnectorStatusInfo": info})

    async def notify_start_result(self, seq: str, stat: int = 2) -> tuple[int, str, Any]:
        order = self.orders[seq]
        order.stat = stat
        payload = {"StartChargeSeq": seq, "StartChargeSeqStat": stat, "ConnectorID": order.connector_id,
                   "StartTime": order.start_time, "IdentCode": "1234"}  # fmt: skip
        return await self.call_hub("notification_start_charge_result", payload)

    async def notify_charge_status(
        self, seq: str, power: str, elec_money: str = "0.00", service_money: str = "0.00"
    ) -> tuple[int, str, Any]:
        order = self.orders[seq]
        order.power, order.elec_money = Decimal(power), Decimal(elec_money)
        order.service_money, order.end_time = Decimal(service_money), beijing_text(self.now())
        return await self.call_hub("notification_equip_charge_status", order.status_fields(3))

    async def notify_stop_result(self, seq: str) -> tuple[int, str, Any]:
        order = self.orders[seq]
        order.stat = 4
        payload = {"StartChargeSeq": seq, "StartChargeSeqStat": 4, "ConnectorID": order.connector_id,
                   "SuccStat": 0, "FailReason": 0}  # fmt: skip
        return await self.call_hub("notification_stop_charge_result", payload)

    async def notify_order(
        self, seq: str, power: str, elec_money: str, service_money: str, *, stop_reason: int = 1,
        details: list[dict[str, Any]] | None = None,
    ) -> tuple[int, str, Any]:  # fmt: skip
        order = self.orders[seq]
        order.stat, order.power = 4, Decimal(power)
        order.elec_money, order.service_money = Decimal(elec_money), Decimal(service_money)
        order.end_time = order.end_time or beijing_text(self.now())
        order.details = details if details is not None else order.details
        return await self.call_hub("notification_charge_order_info", order.order_info(stop_reason))

    async def check_orders(self, seqs: list[str], start_time: str, end_time: str) -> tuple[int, str, Any]:
        orders = [self.orders[s] for s in seqs]
        payload = {
            "CheckOrderSeq": f"{self.operator_id}{self.now().strftime('%Y%m%d%H%M%S')}0001",
            "StartTime": start_time, "EndTime": end_time, "OrderCount": len(orders),
            "TotalOrderPower": sum((o.power for o in orders), Decimal("0")).quantize(Decimal("0.0001")),
            "TotalOrderMoney": sum((o.elec_money + o.service_money for o in orders), Decimal("0.00")),
            "ChargeOrders": [{"StartChargeSeq": o.seq, "TotalPower": o.power,
                              "TotalMoney": o.elec_money + o.service_money} for o in orders],
        }  # fmt: skip
        return await self.call_hub("check_charge_orders", payload)
