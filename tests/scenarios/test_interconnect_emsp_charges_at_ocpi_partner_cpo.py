"""A 互联互通 EMSP (the fake platform 快电, CN*KDN, its own envelope code) charges at an OCPI partner CPO's
station (the fake OCPI platform carrying DE*CPX and DE*CPY, registered with the hub): the CPO pushes its
locations and tariff to our eMSP; the EMSP sees DE*CPX's station (the agreement covers that pair) and not
DE*CPY's (refused with FailReason 1); its query_start_charge reaches the CPO's commands endpoint as
START_SESSION with our eMSP's stand-in token and the StartChargeSeq as authorization_reference; the CPO's
CommandResult, EVSE status, Session and CDR end as notification_start_charge_result, stationStatus,
equip_charge_status, stop_charge_result and charge_order_info with the CDR's money, and the order keeps both
ids. Real HTTP on loopback throughout; both storage backends.

Test code: imports the hub's test fixtures, the fake OCPI partner, the fake 互联互通 platform and
interconnect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hub.core.clock import FixedClock
from hub.core.models import PartyRef
from interconnect.handlers_charge import token_uid
from interconnect.orders import ORDERS
from tests.conftest import RunningHub
from tests.fakes.interconnect_platform import FakePlatform, partner_settings
from tests.fakes.ocpi_partner import FakePartner, HubClient, HubReply, bind_public_url
from tests.fakes.ocpi_partner.connected import connect_platform
from tests.scenarios.support import T0

KDN = PartyRef.parse("CN*KDN")
SEQ = "MA005DBW1202603021700000001"  # the EMSP mints it: its OperatorID + 18 digits (spec §3)
SEQ_HIDDEN = "MA005DBW1202603021700000002"
HUB_TOKEN, PARTNER_TOKEN = "hub-to-cpo-token", "cpo-to-hub-token"
EMSP = "/ocpi/2.2.1/emsp"
WAIT_S = 10.0


def z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def a_location(party: str, location_id: str, evse_uid: str) -> dict[str, Any]:
    """A DC charger in Shanghai (WGS-84), its connector priced by tariff CNY-1."""
    cc, pid = party.split("*")
    connector = {
        "id": "1", "standard": "GBT_DC", "format": "CABLE", "power_type": "DC", "max_voltage": 750,
        "max_amperage": 125, "max_electric_power": 60000, "tariff_ids": ["CNY-1"], "last_updated": z(T0),
    }  # fmt: skip
    evse = {"uid": evse_uid, "status": "AVAILABLE", "connectors": [connector], "last_updated": z(T0)}
    return {
        "country_code": cc, "party_id": pid, "id": location_id, "publish": True, "name": f"{pid} 人民广场",
        "address": "上海市黄浦区人民大道1号", "city": "上海市", "postal_code": "200001", "country": "CHN",
        "coordinates": {"latitude": "31.23000", "longitude": "121.47000"}, "time_zone": "Asia/Shanghai",
        "evses": [evse], "last_updated": z(T0),
    }  # fmt: skip


def a_tariff() -> dict[str, Any]:
    return {
        "country_code": "DE", "party_id": "CPX", "id": "CNY-1", "currency": "CNY",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 1.5, "step_size": 1}]}],
        "last_updated": z(T0),
    }  # fmt: skip


def a_session(
    token: dict[str, Any], start: datetime, now: datetime, kwh: str, **extra: Any
) -> dict[str, Any]:
    cdr_token = {k: token[k] for k in ("country_code", "party_id", "uid", "type", "contract_id")}
    period = {"start_date_time": z(start), "dimensions": [{"type": "ENERGY", "volume": float(kwh)}]}
    return {
        "country_code": "DE", "party_id": "CPX", "id": "SES-1", "start_date_time": z(start),
        "kwh": float(kwh), "cdr_token": cdr_token, "auth_method": "COMMAND", "authorization_reference": SEQ,
        "location_id": "SH-LOC-1", "evse_uid": "CPXE1", "connector_id": "1", "currency": "CNY",
        "status": "ACTIVE", "charging_periods": [period], "last_updated": z(now), **extra,
    }  # fmt: skip


def a_cdr(token: dict[str, Any], start: datetime, end: datetime) -> dict[str, Any]:
    """12 kWh at 1.50 CNY/kWh plus a 2.00 CNY fee, 15 % VAT: 20.70 + 2.30 = 23.00 CNY incl. VAT."""
    session = a_session(token, start, end, "12")
    cdr_location = {
        "id": "SH-LOC-1", "address": "上海市黄浦区人民大道1号", "city": "上海市", "country": "CHN",
        "coordinates": {"latitude": "31.23000", "longitude": "121.47000"}, "evse_uid": "CPXE1",
        "evse_id": "DE*CPX*ECPXE1", "connector_id": "1", "connector_standard": "GBT_DC",
        "connector_format": "CABLE", "connector_power_type": "DC",
    }  # fmt: skip
    return {
        "country_code": "DE", "party_id": "CPX", "id": "CDR-1", "start_date_time": z(start),
        "end_date_time": z(end), "session_id": "SES-1", "cdr_token": session["cdr_token"],
        "auth_method": "COMMAND", "authorization_reference": SEQ, "cdr_location": cdr_location,
        "currency": "CNY", "charging_periods": session["charging_periods"],
        "total_cost": {"excl_vat": 20.00, "incl_vat": 23.00},
        "total_energy_cost": {"excl_vat": 18.00, "incl_vat": 20.70},
        "total_fixed_cost": {"excl_vat": 2.00, "incl_vat": 2.30},
        "total_energy": 12, "total_time": 1.0, "last_updated": z(end),
    }  # fmt: skip


def ok(answer: tuple[int, str, Any]) -> dict[str, Any]:
    ret, msg, data = answer
    assert ret == 0, (ret, msg)
    assert isinstance(data, dict), data
    return data


def stored(reply: HubReply) -> None:
    assert reply.status in (200, 201), reply.body
    assert reply.status_code == 1000, reply.body


async def push_locations(client: HubClient) -> None:
    stored(
        await client.put(f"{EMSP}/locations/DE/CPX/SH-LOC-1", json=a_location("DE*CPX", "SH-LOC-1", "CPXE1"))
    )
    stored(
        await client.put(
            f"{EMSP}/locations/DE/CPY/SH-LOC-2",
            json=a_location("DE*CPY", "SH-LOC-2", "CPYE1"),
            from_party="DE*CPY",
        )
    )
    stored(await client.put(f"{EMSP}/tariffs/DE/CPX/CNY-1", json=a_tariff()))


async def test_interconnect_emsp_charges_at_an_ocpi_partner_cpo(
    make_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    clock = FixedClock(T0)  # 17:00 in Beijing
    async with FakePlatform(clock=clock.now) as platform:
        hub = await make_hub(
            clock=clock,
            ocpi={"allow_private_urls": True},
            # The periodic charge status stays out of the way: the CPO's Session updates drive it here.
            interconnect={"partners": [{**partner_settings(platform), "charge_status_interval": 3600}]},
            # Our eMSP roams with both CPOs; the 互联互通 EMSP may use DE*CPX's stations only.
            agreements=[
                {"parties": ["NL*MSP", "DE*CPX"]},
                {"parties": ["NL*MSP", "DE*CPY"]},
                {"parties": ["CN*KDN", "DE*CPX"]},
            ],
        )
        platform.connect(hub.url)
        bind_public_url(hub)
        async with FakePartner(roles=[("DE", "CPX", "CPO"), ("DE", "CPY", "CPO")], name="Charge X") as cpo:
            await connect_platform(hub, cpo, hub_token=HUB_TOKEN, partner_token=PARTNER_TOKEN)
            client = cpo.client(hub.url)
            await push_locations(client)

            # --- the EMSP sees DE*CPX's station (its agreement), neither DE*CPY's nor our own ---------------
            page = ok(await platform.call_hub("query_stations_info", {"PageNo": 1, "PageSize": 10}))
            assert (page["ItemSize"], [i["StationID"] for i in page["StationInfos"]]) == (1, ["SH-LOC-1"])
            [info] = page["StationInfos"]
            assert (info["OperatorID"], info["StationName"], info["AreaCode"]) == (
                platform.hub_operator_id,
                "CPX 人民广场",
                "200001",
            )
            assert (info["StationLat"], info["StationLng"]) != (Decimal("31.230000"), Decimal("121.470000"))
            [equipment] = info["EquipmentInfos"]
            [connector] = equipment["ConnectorInfos"]
            assert (equipment["EquipmentID"], equipment["EquipmentType"]) == ("CPXE1", 1)
            assert (connector["ConnectorID"], connector["ConnectorType"], connector["Power"]) == (
                "CPXE1",
                4,
                Decimal("60.0"),
            )
            status = ok(
                await platform.call_hub("query_station_status", {"StationIDs": ["SH-LOC-1", "SH-LOC-2"]})
            )
            assert status == {
                "StationStatusInfos": [
                    {"StationID": "SH-LOC-1", "ConnectorStatusInfos": [{"ConnectorID": "CPXE1", "Status": 1}]}
                ]
            }

            # --- a start on the hidden CPO's connector: no such device, nothing sent -----------------------
            hidden = {"StartChargeSeq": SEQ_HIDDEN, "ConnectorID": "CPYE1", "QRCode": ""}
            assert ok(await platform.call_hub("query_start_charge", hidden)) == {
                "StartChargeSeq": SEQ_HIDDEN,
                "StartChargeSeqStat": 4,
                "ConnectorID": "CPYE1",
                "SuccStat": 1,
                "FailReason": 1,
            }
            assert not cpo.calls_to("/receiver/commands")

            # --- equipment auth and business policy from what the CPO sent ----------------------------------
            auth = {"EquipAuthSeq": SEQ, "ConnectorID": "CPXE1"}
            assert ok(await platform.call_hub("query_equip_auth", auth)) == {
                **auth,
                "SuccStat": 0,
                "FailReason": 0,
            }
            policy = ok(
                await platform.call_hub(
                    "query_equip_business_policy", {"EquipBizSeq": SEQ, "ConnectorID": "CPXE1"}
                )
            )
            assert (policy["SuccStat"], policy["PolicyInfos"]) == (
                0,
                [{"StartTime": "000000", "ElecPrice": Decimal("1.5000"), "SevicePrice": Decimal("0.0000")}],
            )

            # --- query_start_charge → START_SESSION at the CPO ----------------------------------------------
            started = clock.advance(minutes=1)
            start = {"StartChargeSeq": SEQ, "ConnectorID": "CPXE1", "QRCode": ""}
            answer = ok(await platform.call_hub("query_start_charge", start))
            assert answer == {
                "StartChargeSeq": SEQ,
                "StartChargeSeqStat": 1,
                "ConnectorID": "CPXE1",
                "SuccStat": 0,
                "FailReason": 0,
            }
            [command] = await cpo.wait_for_calls("/receiver/commands/START_SESSION", "POST", within=WAIT_S)
            assert (command.headers["ocpi-to-country-code"], command.headers["ocpi-to-party-id"]) == (
                "DE",
                "CPX",
            )
            body = command.json
            assert (body["location_id"], body["evse_uid"], body["authorization_reference"]) == (
                "SH-LOC-1",
                "CPXE1",
                SEQ,
            )
            token = body["token"]
            assert (token["country_code"], token["party_id"], token["type"], token["whitelist"]) == (
                "NL",
                "MSP",
                "APP_USER",
                "ALWAYS",
            )
            assert token["uid"] == token_uid(platform.operator_id, SEQ)
            assert ok(await platform.call_hub("query_start_charge", start)) == answer  # idempotent
            assert len(cpo.calls_to("/receiver/commands/START_SESSION")) == 1

            # --- the CommandResult → notification_start_charge_result -------------------------------------
            stored(await client.post(body["response_url"], json={"result": "ACCEPTED"}))
            [result] = await platform.wait_for_calls("notification_start_charge_result", within=WAIT_S)
            assert result.payload == {
                "StartChargeSeq": SEQ,
                "ConnectorID": "CPXE1",
                "StartChargeSeqStat": 2,
                "StartTime": "2026-03-02 17:01:00",
            }

            # --- the CPO's EVSE status → notification_stationStatus ---------------------------------------
            patch = {"status": "CHARGING", "last_updated": z(started)}
            stored(await client.patch(f"{EMSP}/locations/DE/CPX/SH-LOC-1/CPXE1", json=patch))
            [pushed] = await platform.wait_for_calls("notification_stationStatus", within=WAIT_S)
            assert pushed.payload == {"ConnectorStatusInfo": {"ConnectorID": "CPXE1", "Status": 3}}

            # --- the CPO's Session → notification_equip_charge_status while charging ----------------------
            now = clock.advance(minutes=30)
            stored(
                await client.put(f"{EMSP}/sessions/DE/CPX/SES-1", json=a_session(token, started, now, "6"))
            )
            [charging] = await platform.wait_for_calls("notification_equip_charge_status", within=WAIT_S)
            assert {
                k: charging.payload[k] for k in ("StartChargeSeqStat", "ConnectorStatus", "TotalPower")
            } == {
                "StartChargeSeqStat": 2,
                "ConnectorStatus": 3,
                "TotalPower": Decimal("6.00"),
            }
            assert (charging.payload["StartTime"], charging.payload["EndTime"]) == (
                "2026-03-02 17:01:00",
                "2026-03-02 17:31:00",
            )
            queried = ok(await platform.call_hub("query_equip_charge_status", {"StartChargeSeq": SEQ}))
            assert (queried["StartChargeSeqStat"], queried["TotalPower"]) == (2, Decimal("6.00"))

            # --- query_stop_charge → STOP_SESSION; the completed Session → the stop result ------------------
            clock.advance(minutes=29)
            stop = {"StartChargeSeq": SEQ, "ConnectorID": "CPXE1"}
            assert ok(await platform.call_hub("query_stop_charge", stop)) == {
                "StartChargeSeq": SEQ,
                "StartChargeSeqStat": 3,
                "SuccStat": 0,
                "FailReason": 0,
            }
            [stop_command] = await cpo.wait_for_calls(
                "/receiver/commands/STOP_SESSION", "POST", within=WAIT_S
            )
            assert stop_command.json["session_id"] == "SES-1"
            stored(await client.post(stop_command.json["response_url"], json={"result": "ACCEPTED"}))
            ended = clock.advance(minutes=1)
            completed = {
                "status": "COMPLETED",
                "end_date_time": z(ended),
                "kwh": 12,
                "last_updated": z(ended),
            }
            stored(await client.patch(f"{EMSP}/sessions/DE/CPX/SES-1", json=completed))
            [stop_result] = await platform.wait_for_calls("notification_stop_charge_result", within=WAIT_S)
            assert stop_result.payload == {**stop, "StartChargeSeqStat": 4, "SuccStat": 0, "FailReason": 0}

            # --- the CPO's CDR → notification_charge_order_info with its money ------------------------------
            stored(await client.post(f"{EMSP}/cdrs", json=a_cdr(token, started, ended)))
            [order_call] = await platform.wait_for_calls("notification_charge_order_info", within=WAIT_S)

        order = order_call.payload
        assert (order["StartChargeSeq"], order["ConnectorID"]) == (SEQ, "CPXE1")
        assert (order["TotalElecMoney"], order["TotalSeviceMoney"], order["TotalMoney"]) == (
            Decimal("20.70"),
            Decimal("2.30"),
            Decimal("23.00"),
        )
        assert (order["TotalPower"], order["StopReason"], order["SumPeriod"]) == (Decimal("12.00"), 1, 1)
        assert (order["StartTime"], order["EndTime"]) == ("2026-03-02 17:01:00", "2026-03-02 18:01:00")
        [detail] = order["ChargeDetails"]
        assert (detail["DetailElecMoney"], detail["DetailSeviceMoney"], detail["DetailPower"]) == (
            Decimal("20.70"),
            Decimal("2.30"),
            Decimal("12.00"),
        )
        assert (detail["ElecPrice"], detail["SevicePrice"]) == (Decimal("1.7250"), Decimal("0.1917"))
        assert order_call.answer["ConfirmResult"] == 0

        # The order keeps both ids for settlement: the StartChargeSeq (its key) and the CPO's session and CDR.
        record = await hub.core.records.get(ORDERS, KDN, SEQ)
        assert record is not None
        assert (record.data["session_id"], record.data["cdr_id"], record.data["order_notified"]) == (
            "SES-1",
            "CDR-1",
            True,
        )
        pushed_order = [c.logical for c in platform.calls_to() if c.logical.startswith("notification_")]
        assert pushed_order == [
            "notification_start_charge_result",
            "notification_stationStatus",
            "notification_equip_charge_status",
            "notification_stop_charge_result",
            "notification_charge_order_info",
        ]
        assert ended - started == timedelta(hours=1)
