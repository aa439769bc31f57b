"""An OCPI eMSP's token charges on a 互联互通 partner's pile: the hub pulls the partner's stations (a fake
互联互通 platform with its own envelope code), the fake OCPI eMSP sends START_SESSION for that location, the
platform gets query_equip_business_policy and query_start_charge, pushes the start result, a charge status
and the order; the eMSP receives the session and the CDR, whose money equals the order's, and the order is
confirmed (ConfirmResult 0). Real HTTP on loopback throughout; both storage backends.

Test code: imports the hub's test fixtures, the fake OCPI partner and the fake 互联互通 platform.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from hub.core.clock import FixedClock
from hub.core.models import PartyRef, SessionStatus
from hub.core.pricing.tou import order_money
from interconnect.gateway import ORDERS_MODULE
from interconnect.pull import pull_stations
from interconnect.runtime import INTERCONNECT_KEY, virtual_station_id
from tests.conftest import RunningHub
from tests.fakes.interconnect_platform import FakePlatform, partner_settings, station
from tests.fakes.interconnect_platform.envelope import beijing_text
from tests.fakes.ocpi_partner import FakePartner, HubReply
from tests.fakes.ocpi_partner.connected import connect_platform
from tests.scenarios.support import T0, cdrs_of

KDN = PartyRef.parse("CN*KDN")
TOKEN_UID = "DEPRT0000000001"
HUB_TOKEN, PARTNER_TOKEN = "hub-to-emsp-token", "emsp-to-hub-token"
CPO_BASE = "/ocpi/2.2.1/cpo"
WAIT_S = 10.0
# Two periods; T0 is 17:00 in Beijing, so the charge runs at 1.2000 + 0.6000 元/kWh.
POLICY = [
    {"StartTime": "000000", "ElecPrice": Decimal("0.8000"), "SevicePrice": Decimal("0.4000")},
    {"StartTime": "120000", "ElecPrice": Decimal("1.2000"), "SevicePrice": Decimal("0.6000")},
]


def the_token() -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "PRT",
        "uid": TOKEN_UID,
        "type": "APP_USER",
        "contract_id": "DE-PRT-C00000001-K",
        "issuer": "Fake eMSP",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2026-03-01T08:00:00Z",
    }


def ok(reply: HubReply) -> Any:
    assert (reply.status, reply.status_code) == (200, 1000), (reply.status, reply.body)
    return reply.data


def money(value: Any) -> Decimal:
    return Decimal(str(value))


async def test_ocpi_token_charges_on_interconnect_pile(
    make_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    clock = FixedClock(T0)
    async with FakePlatform(stations=[station("S1", {"E1": ["C1"]})], clock=clock.now) as platform:
        platform.policies["C1"] = POLICY
        hub = await make_hub(
            clock=clock,
            ocpi={"allow_private_urls": True},
            interconnect={"partners": [partner_settings(platform)]},
        )
        platform.connect(hub.url, hub.settings.interconnect.base_path)
        runtime = hub.app[INTERCONNECT_KEY]
        partner_config = runtime.config.partner(platform.operator_id)
        assert partner_config is not None

        # --- the partner's stations become CN*KDN's location S1 with EVSE C1 of virtual station E1 --------
        pulled = await pull_stations(runtime, partner_config)
        assert (pulled.stations, pulled.virtual_stations) == (1, 1)
        location = await hub.core.locations.get(KDN, "S1")
        assert location is not None
        [evse] = location.evses
        assert (evse.uid, evse.station_id) == ("C1", virtual_station_id(partner_config, "E1"))

        async with FakePartner(roles=[("DE", "PRT", "EMSP")], name="Fake eMSP") as emsp:
            await connect_platform(hub, emsp, hub_token=HUB_TOKEN, partner_token=PARTNER_TOKEN)
            client = emsp.client(hub.url)

            # --- START_SESSION → query_equip_business_policy + query_start_charge ----------------------
            started = clock.advance(minutes=1)
            answer = await client.post(
                f"{CPO_BASE}/commands/START_SESSION",
                to_party="CN*KDN",
                json={
                    "response_url": f"{emsp.url}/ocpi/2.2.1/sender/commands/START_SESSION/start-1",
                    "token": the_token(),
                    "location_id": "S1",
                    "evse_uid": "C1",
                    "authorization_reference": "AUTH-1",
                },
            )
            assert ok(answer)["result"] == "ACCEPTED"
            [start_call] = await platform.wait_for_calls("query_start_charge", within=WAIT_S)
            seq = start_call.payload["StartChargeSeq"]
            assert start_call.payload == {"StartChargeSeq": seq, "ConnectorID": "C1", "QRCode": "C1"}
            assert seq.startswith(platform.hub_operator_id)
            assert len(seq) == 27
            assert len(platform.calls_to("query_equip_business_policy")) == 1
            [result] = await emsp.wait_for_calls("/commands/START_SESSION/start-1", "POST", within=WAIT_S)
            assert result.json == {"result": "ACCEPTED"}

            # --- the platform reports the start, a charge status, the stop and the order -------------------
            ret, _msg, data = await platform.notify_start_result(seq, 2)
            assert (ret, data["SuccStat"]) == (0, 0)
            [put] = await emsp.wait_for_calls("/receiver/sessions/CN/KDN/", "PUT", within=WAIT_S)
            session_id = put.path.rsplit("/", 1)[1]
            assert (put.json["location_id"], put.json["evse_uid"], put.json["cdr_token"]["uid"]) == (
                "S1",
                "C1",
                TOKEN_UID,
            )
            assert put.json["authorization_reference"] == "AUTH-1"

            clock.advance(minutes=30)
            ret, _msg, data = await platform.notify_charge_status(seq, "5.00", "6.00", "3.00")
            assert (ret, data["SuccStat"]) == (0, 0)
            clock.advance(minutes=29)
            await platform.notify_stop_result(seq)
            ended = clock.advance(minutes=1)
            platform.orders[seq].end_time = beijing_text(ended)  # the order ends now, not at the last status
            ret, _msg, data = await platform.notify_order(seq, "10.00", "12.00", "6.00", stop_reason=0)
            assert (ret, data) == (0, {"StartChargeSeq": seq, "ConnectorID": "C1", "ConfirmResult": 0})

            # --- the eMSP gets the completed session and the CDR with the order's money -----------------
            [cdr_call] = await emsp.wait_for_calls("/receiver/cdrs", "POST", within=WAIT_S)
            await emsp.wait_for_calls(
                f"/receiver/sessions/CN/KDN/{session_id}", "PUT", count=2, within=WAIT_S
            )

        session = emsp.objects[f"sessions/CN/KDN/{session_id}"]
        assert session["status"] == "COMPLETED"
        assert money(session["kwh"]) == Decimal("10.00")
        cdr = cdr_call.json
        assert (cdr["country_code"], cdr["party_id"], cdr["currency"]) == ("CN", "KDN", "CNY")
        assert (cdr["session_id"], cdr["cdr_token"]["uid"], cdr["auth_method"]) == (
            session_id,
            TOKEN_UID,
            "COMMAND",
        )
        assert (cdr["cdr_location"]["id"], cdr["cdr_location"]["evse_uid"]) == ("S1", "C1")
        assert money(cdr["total_cost"]["excl_vat"]) == Decimal("18.00")  # TotalMoney = 12.00 + 6.00
        assert money(cdr["total_energy_cost"]["excl_vat"]) == Decimal("18.00")
        assert money(cdr["total_energy"]) == Decimal("10.00")
        # OCPI has no sub-total for a service fee: the CDR's remark states the order's split.
        assert cdr["remark"] == "electricity 12.00 CNY, service 6.00 CNY"
        assert cdr["start_date_time"] == started.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert cdr["end_date_time"] == ended.strftime("%Y-%m-%dT%H:%M:%SZ")
        [tariff] = cdr["tariffs"]
        assert [money(e["price_components"][0]["price"]) for e in tariff["elements"]] == [
            Decimal("1.2"),
            Decimal("1.8"),
        ]

        # The hub's own view: the CDR splits into the order's electricity and service money, the order is
        # linked to the session and the CDR, and the session is COMPLETED.
        [core_cdr] = await cdrs_of(hub, session_id)
        split = order_money(core_cdr.cost)
        assert (split.elec_money, split.service_money, split.total_money) == (
            Decimal("12.00"),
            Decimal("6.00"),
            Decimal("18.00"),
        )
        record = await hub.core.records.get(ORDERS_MODULE, KDN, seq)
        assert record is not None
        assert (record.data["session_id"], record.data["cdr_id"], record.data["confirm_result"]) == (
            session_id,
            core_cdr.id,
            0,
        )
        stored = await hub.core.sessions.get(session_id)
        assert stored is not None
        assert (stored.status, stored.transaction_id, stored.stop_reason) == (
            SessionStatus.COMPLETED,
            seq,
            "Local",
        )

        # Reconciliation the next day: the order is not disputed.
        clock.advance(hours=16)
        day = beijing_text(T0)[:10]
        ret, _msg, data = await platform.check_orders([seq], f"{day} 00:00:00", f"{day} 23:59:59")
        assert (ret, data["TotalDisputeOrder"], data["DisputeOrders"]) == (0, 0, [])
