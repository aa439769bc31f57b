"""The bridge from OCPI partner CPOs to 互联互通 partners over real HTTP (both storage backends): without
`[[agreements]]` an operator partner sees our stations and the CPO's, a regulator ours only, and only the
operator hears of the CPO's EVSE status; a START_SESSION the CPO refuses, a CPO platform that is offline and
a CommandResult that fails each end the order with the right answer or notification.

Test code: imports the hub's test fixtures, the fake OCPI partner and the fake 互联互通 platform.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from hub.core.models import PlatformStatus
from tests.conftest import RunningHub
from tests.fakes.interconnect_platform import FakePlatform, partner_settings
from tests.fakes.ocpi_partner import FakePartner, HubClient, bind_public_url
from tests.fakes.ocpi_partner.connected import connect_platform

EMSP = "/ocpi/2.2.1/emsp"
WAIT_S = 10.0
LAST_UPDATED = "2026-03-02T09:00:00Z"


def a_location(evse_status: str = "AVAILABLE") -> dict[str, Any]:
    connector = {
        "id": "1", "standard": "GBT_AC", "format": "SOCKET", "power_type": "AC_1_PHASE", "max_voltage": 220,
        "max_amperage": 32, "last_updated": LAST_UPDATED,
    }  # fmt: skip
    evse = {"uid": "CPXE1", "status": evse_status, "connectors": [connector], "last_updated": LAST_UPDATED}
    return {
        "country_code": "DE", "party_id": "CPX", "id": "SH-LOC-1", "publish": True, "address": "人民大道1号",
        "city": "上海市", "country": "CHN", "coordinates": {"latitude": "31.23000", "longitude": "121.47000"},
        "time_zone": "Asia/Shanghai", "evses": [evse], "last_updated": LAST_UPDATED,
    }  # fmt: skip


@dataclass
class Bridge:
    hub: RunningHub
    operator: FakePlatform
    regulator: FakePlatform
    cpo: FakePartner
    client: HubClient

    async def start(self, seq: str) -> dict[str, Any]:
        ret, msg, data = await self.operator.call_hub(
            "query_start_charge", {"StartChargeSeq": seq, "ConnectorID": "CPXE1", "QRCode": ""}
        )
        assert ret == 0, (ret, msg)
        assert isinstance(data, dict)
        return data


@asynccontextmanager
async def a_bridge(make_hub: Callable[..., Awaitable[RunningHub]]) -> AsyncIterator[Bridge]:
    """The hub with no [[agreements]], an operator partner (快电), a regulator and the OCPI CPO DE*CPX that
    has pushed its location SH-LOC-1."""
    regulator_names = {"notification_stationStatus": "supervise_notification_station_status"}
    async with (
        FakePlatform() as operator,
        FakePlatform(
            operator_id="MA0REG001",
            name="监管",
            kind="regulator",
            ocpi_party="CN*REG",
            interfaces=regulator_names,
        ) as regulator,
    ):
        hub = await make_hub(
            ocpi={"allow_private_urls": True},
            interconnect={"partners": [partner_settings(operator), partner_settings(regulator)]},
        )
        operator.connect(hub.url)
        regulator.connect(hub.url)
        bind_public_url(hub)
        async with FakePartner(roles=[("DE", "CPX", "CPO")], name="Charge X") as cpo:
            await connect_platform(hub, cpo, hub_token="hub-to-cpx", partner_token="cpx-to-hub")
            client = cpo.client(hub.url)
            answer = await client.put(
                f"{EMSP}/locations/DE/CPX/SH-LOC-1", json=a_location(), to_party="NL*MSP"
            )
            assert (answer.status, answer.status_code) == (201, 1000), answer.body
            yield Bridge(hub, operator, regulator, cpo, client)


async def station_ids(platform: FakePlatform) -> list[str]:
    ret, msg, data = await platform.call_hub("query_stations_info", {"PageNo": 1, "PageSize": 50})
    assert ret == 0, (ret, msg)
    return sorted(s["StationID"] for s in data["StationInfos"])


async def test_operators_see_the_cpos_stations_and_status_regulators_ours_only(
    make_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    async with a_bridge(make_hub) as bridge:
        assert await station_ids(bridge.operator) == ["LOC001", "SH-LOC-1"]
        assert await station_ids(bridge.regulator) == ["LOC001"]
        patch = {"status": "OUTOFORDER", "last_updated": "2026-03-02T09:05:00Z"}
        answer = await bridge.client.patch(
            f"{EMSP}/locations/DE/CPX/SH-LOC-1/CPXE1", json=patch, to_party="NL*MSP"
        )
        assert answer.status_code == 1000, answer.body
        [pushed] = await bridge.operator.wait_for_calls("notification_stationStatus", within=WAIT_S)
        assert pushed.payload == {"ConnectorStatusInfo": {"ConnectorID": "CPXE1", "Status": 255}}
        ret, _msg, status = await bridge.operator.call_hub(
            "query_station_status", {"StationIDs": ["SH-LOC-1"]}
        )
        assert (ret, status["StationStatusInfos"][0]["ConnectorStatusInfos"]) == (
            0,
            [{"ConnectorID": "CPXE1", "Status": 255}],
        )
        assert bridge.regulator.calls_to("supervise_notification_station_status") == []


async def test_a_start_the_cpo_refuses_or_cannot_take_ends_the_order(
    make_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    async with a_bridge(make_hub) as bridge:
        bridge.cpo.command_response = {"result": "REJECTED", "timeout": 30}
        refused = await bridge.start("MA005DBW1202603021700000001")
        assert (refused["SuccStat"], refused["FailReason"], refused["StartChargeSeqStat"]) == (1, 10, 4)
        assert len(bridge.cpo.calls_to("/receiver/commands/START_SESSION")) == 1

        [cpx] = [p for p in await bridge.hub.core.platforms.list() if p.name == "Charge X"]
        await bridge.hub.core.platforms.put(cpx.model_copy(update={"status": PlatformStatus.OFFLINE}))
        offline = await bridge.start("MA005DBW1202603021700000002")
        assert (offline["SuccStat"], offline["FailReason"]) == (1, 2)
        assert len(bridge.cpo.calls_to("/receiver/commands/START_SESSION")) == 1  # nothing sent


async def test_a_failed_command_result_is_a_start_result_that_ended(
    make_hub: Callable[..., Awaitable[RunningHub]],
) -> None:
    async with a_bridge(make_hub) as bridge:
        seq = "MA005DBW1202603021700000003"
        assert (await bridge.start(seq))["SuccStat"] == 0
        [command] = await bridge.cpo.wait_for_calls("/receiver/commands/START_SESSION", "POST", within=WAIT_S)
        answer = await bridge.client.post(
            command.json["response_url"], json={"result": "FAILED"}, to_party="NL*MSP"
        )
        assert answer.status_code == 1000, answer.body
        [result] = await bridge.operator.wait_for_calls("notification_start_charge_result", within=WAIT_S)
        assert (result.payload["StartChargeSeq"], result.payload["StartChargeSeqStat"]) == (seq, 4)
        ret, _msg, stop = await bridge.operator.call_hub(
            "query_stop_charge", {"StartChargeSeq": seq, "ConnectorID": "CPXE1"}
        )
        assert (ret, stop["SuccStat"], stop["FailReason"]) == (0, 1, 3)  # it never started: already stopped
