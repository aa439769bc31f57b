"""A 互联互通 EMSP (the fake platform 快电, its own envelope code) charges at our OCPP 1.6 station: token,
equipment auth, business policy, start → start result, charge status pushes, stop → stop result, and the
order with the money of our CDR to the cent (elec + service = total). Real HTTP and websockets; both
storage backends.

Test code: imports the hub's test fixtures, the simulator, the fake platform and the core.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import time
from decimal import Decimal
from typing import Any

from hub.core.clock import FixedClock
from hub.core.pricing.tou import BusinessPolicy, PolicyPeriod, order_money, tariff_from_policy
from hub.ocpp.simulator import SimulatedStation
from tests.conftest import CP001_PASSWORD, RunningHub, base_config
from tests.fakes.interconnect_platform.platform import FakePlatform, partner_settings
from tests.scenarios.support import CPO, T0, cdrs_of, sessions_of

SEQ = "MA005DBW1202603021700000001"  # the EMSP mints it: its OperatorID + 18 digits (spec §3)
EVSE = "CP001*1"  # our ConnectorID is the EVSE uid
WAIT_S = 10.0
# T0 is 17:00 Beijing: the whole charge falls in the 08:00–24:00 period, 1.2000 + 0.8000 元/kWh.
POLICY = BusinessPolicy(
    periods=(
        PolicyPeriod(time(0), Decimal("1.0000"), Decimal("0.4000")),
        PolicyPeriod(time(8), Decimal("1.2000"), Decimal("0.8000")),
    )
)


def ok(answer: tuple[int, str, Any]) -> dict[str, Any]:
    ret, msg, data = answer
    assert ret == 0, (ret, msg)
    assert isinstance(data, dict), data
    return data


async def test_interconnect_emsp_charges_at_our_station(
    make_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    clock = FixedClock(T0)
    async with FakePlatform(clock=clock.now) as platform:
        [location] = base_config("")["locations"]
        hub = await make_hub(
            clock=clock,
            locations=[{**location, "time_zone": "Asia/Shanghai"}],
            interconnect={"partners": [{**partner_settings(platform), "charge_status_interval": 1}]},
        )
        platform.connect(hub.url)
        # Our station's tariff: the time-of-use policy as an OCPI tariff in CNY (tou.tariff_from_policy).
        await hub.core.tariffs.put(tariff_from_policy(POLICY, party=CPO, tariff_id="STD", last_updated=T0))

        station = SimulatedStation(hub.ws_url(), "CP001", "ocpp1.6", password=CP001_PASSWORD, clock=clock.now)
        await station.connect()
        try:
            await station.boot()
            await station.status(1, "Available")

            # --- query_token (inside call_hub), query_equip_auth: not plugged in, then ready --------------
            auth = {"EquipAuthSeq": SEQ, "ConnectorID": EVSE}
            assert ok(await platform.call_hub("query_equip_auth", auth)) == {
                **auth,
                "SuccStat": 1,
                "FailReason": 1,
            }
            await station.status(1, "Preparing")
            assert ok(await platform.call_hub("query_equip_auth", auth)) == {
                **auth,
                "SuccStat": 0,
                "FailReason": 0,
            }

            # --- query_equip_business_policy: our tariff as PolicyInfos ----------------------------------
            policy = ok(
                await platform.call_hub(
                    "query_equip_business_policy", {"EquipBizSeq": SEQ, "ConnectorID": EVSE}
                )
            )
            assert (policy["SuccStat"], policy["SumPeriod"]) == (0, 2)
            assert policy["PolicyInfos"] == [
                {"StartTime": "000000", "ElecPrice": Decimal("1.0000"), "SevicePrice": Decimal("0.4000")},
                {"StartTime": "080000", "ElecPrice": Decimal("1.2000"), "SevicePrice": Decimal("0.8000")},
            ]

            # --- query_start_charge → RemoteStartTransaction → notification_start_charge_result ------------
            clock.advance(minutes=1)
            start = {"StartChargeSeq": SEQ, "ConnectorID": EVSE, "QRCode": "1"}
            started = ok(await platform.call_hub("query_start_charge", start))
            assert started == {
                "StartChargeSeq": SEQ,
                "StartChargeSeqStat": 1,
                "ConnectorID": EVSE,
                "SuccStat": 0,
                "FailReason": 0,
            }
            remote = await station.wait_for_call("RemoteStartTransaction")
            assert remote["connectorId"] == 1
            assert len(remote["idTag"]) <= 20  # an OCPP 1.6 idTag, not the 27-char StartChargeSeq
            assert ok(await platform.call_hub("query_start_charge", start)) == started  # idempotent
            tx = await station.wait_for_transaction(1)
            [result] = await platform.wait_for_calls("notification_start_charge_result", within=WAIT_S)
            assert result.payload == {
                "StartChargeSeq": SEQ,
                "ConnectorID": EVSE,
                "StartChargeSeqStat": 2,
                "StartTime": "2026-03-02 17:01:00",
            }

            # --- charge status: pushed every charge_status_interval, and answered on query ------------------
            clock.advance(minutes=30)
            await station.meter(1, tx.id, 10_000)
            statuses = await platform.wait_for_calls("notification_equip_charge_status", within=WAIT_S)
            assert statuses[-1].payload["StartChargeSeqStat"] == 2
            assert statuses[-1].payload["ConnectorStatus"] == 3
            queried = ok(await platform.call_hub("query_equip_charge_status", {"StartChargeSeq": SEQ}))
            assert (queried["StartChargeSeqStat"], queried["TotalPower"]) == (2, Decimal("10.00"))
            assert queried["TotalMoney"] == queried["ElecMoney"] + queried["SeviceMoney"]
            assert queried["TotalMoney"] == Decimal("20.00")

            # --- query_stop_charge → RemoteStopTransaction → stop result and the order ----------------------
            clock.advance(minutes=30)
            await station.meter(1, tx.id, 20_000)
            stop = {"StartChargeSeq": SEQ, "ConnectorID": EVSE}
            stopped = ok(await platform.call_hub("query_stop_charge", stop))
            assert stopped == {"StartChargeSeq": SEQ, "StartChargeSeqStat": 3, "SuccStat": 0, "FailReason": 0}
            assert await station.wait_for_call("RemoteStopTransaction") == {"transactionId": int(tx.id)}
            await station.wait_for_transaction_end(tx.id)
            [stop_result] = await platform.wait_for_calls("notification_stop_charge_result", within=WAIT_S)
            assert stop_result.payload == {**stop, "StartChargeSeqStat": 4, "SuccStat": 0, "FailReason": 0}
            [order_call] = await platform.wait_for_calls("notification_charge_order_info", within=WAIT_S)
        finally:
            await station.close()

        # --- the order carries our CDR's money to the cent -------------------------------------------------
        [session] = await sessions_of(hub, "CP001")
        assert session.authorization_reference == SEQ
        [cdr] = await cdrs_of(hub, session.id)
        split = order_money(cdr.cost)
        order = order_call.payload
        assert order["TotalMoney"] == cdr.cost.total_excl_vat == Decimal("40.00")
        assert (order["TotalElecMoney"], order["TotalSeviceMoney"]) == (split.elec_money, split.service_money)
        assert order["TotalElecMoney"] + order["TotalSeviceMoney"] == order["TotalMoney"]
        assert (order["TotalPower"], order["StopReason"], order["SumPeriod"]) == (Decimal("20.00"), 1, 1)
        assert (order["StartTime"], order["EndTime"]) == ("2026-03-02 17:01:00", "2026-03-02 18:01:00")
        [detail] = order["ChargeDetails"]
        assert (detail["ElecPrice"], detail["SevicePrice"], detail["DetailPower"]) == (
            Decimal("1.2000"),
            Decimal("0.8000"),
            Decimal("20.00"),
        )
        assert (detail["DetailElecMoney"], detail["DetailSeviceMoney"]) == (
            Decimal("24.00"),
            Decimal("16.00"),
        )
        # The order's notifications in order; the connector status pushes (we are also its station
        # operator) interleave with them.
        pushed = [
            c.logical
            for c in platform.calls_to()
            if c.logical.startswith("notification_") and c.logical != "notification_stationStatus"
        ]
        assert pushed[0] == "notification_start_charge_result"
        assert pushed[-2:] == ["notification_stop_charge_result", "notification_charge_order_info"]
        assert platform.calls_to("notification_stationStatus")  # the status went out as well
