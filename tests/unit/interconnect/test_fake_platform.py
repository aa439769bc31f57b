"""The fake 互联互通 platform checked on its own: its envelope code against the spec vectors (§9), and two
fakes talking to each other on loopback (tokens, paging, Ret codes, scripted answers, tolerance styles).

Test support checks: imports the fake and the standard library only (never `interconnect`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fakes.interconnect_platform import FakePlatform, Keys, Style, partner_settings, station
from tests.fakes.interconnect_platform.envelope import (
    decrypt,
    dumps,
    encrypt,
    loads,
    request_body,
    sig_matches,
    sign,
    wrap76,
)

VECTOR_KEY = "1234567890abcdef"
V1_PLAIN = (
    b'{"total":1,"stationStatusInfo":{"operationID":"123456789","stationID":"111111111111111",'
    b'"connectorStatusInfos":{"connectorID":1,"equipmentID":"10000000000000000000001","status":4,'
    b'"currentA":0,"currentB":0,"currentC":0,"voltageA":0,"voltageB":0,"voltageC":0,"soc":10,}}}'
)
V1_CIPHER = (
    "il7B0BSEjFdzpyKzfOFpvg/Se1CP802RItKYFPfSLRxJ3jf0bVl9hvYOEktPAYW2nd7S8MBcyHYyacHKbISq5iTmDzG+ivnR+SZJv3"
    "USNTYVMz9rCQVSxd0cLlqsJauko79NnwQJbzDTyLooYoIwz75qBOH2/xOMirpeEqRJrF/EQjWekJmGk9RtboXePu2rka+Xm51syBPh"
    "iXJAq0GfbfaFu9tNqs/e2Vjja/ltE1M0lqvxfXQ6da6HrThsm5id4ClZFIi0acRfrsPLRixS/IQYtksxghvJwbqOsbIsITail9Ayy4"
    "tKcogeEZiOO+4Ed264NSKmk7l3wKwJLAFjCFogBx8GE3OBz4pqcAn/ydA="
)
V7_PLAIN = '{"ConnectorStatusInfo":{"ConnectorID":"1","Status":1}}'
V7_DATA = "Bq+0LsmzLSCEoMjxBr7JEZiqs8Goy0eNs0xUSBu5loQUB1CIPsDgmwQ4bsnU4p7iYst47IdqHxioG1CohIl8kw=="
V7_OK_DATA = "9MVkuXXxCLW2u0cUb7YXOA=="


# --- vectors (spec §9) --------------------------------------------------------------------------------------
def test_v1_aes_both_ways() -> None:
    assert len(V1_PLAIN) == 269
    assert encrypt(V1_PLAIN, VECTOR_KEY, VECTOR_KEY) == V1_CIPHER
    assert decrypt(V1_CIPHER, VECTOR_KEY, VECTOR_KEY) == V1_PLAIN


def test_v1_wrapped_at_76_columns_with_crlf_decrypts_to_the_same_bytes() -> None:
    wrapped = wrap76(V1_CIPHER)
    assert "\r\n" in wrapped
    assert decrypt(wrapped, VECTOR_KEY, VECTOR_KEY) == V1_PLAIN


def test_v2_request_sig_and_lowercase_variant() -> None:
    sig = sign(VECTOR_KEY, "123456789", V1_CIPHER, "20160729142400", "0001")
    assert sig == "745166E8C43C84D37FFEC0F529C4136F"
    assert sig_matches(VECTOR_KEY, sig.lower(), "123456789", V1_CIPHER, "20160729142400", "0001")


def test_v5_short_aes() -> None:
    assert encrypt(b"hello world!", VECTOR_KEY, VECTOR_KEY) == "cmljobIKHDAcF9uf3mgs/w=="


def test_v7_hub_examples() -> None:
    keys = Keys("secret", VECTOR_KEY, VECTOR_KEY, VECTOR_KEY)
    body = request_body("123456789", loads(V7_PLAIN), keys, "20240101120000", "0001")
    assert body["Data"] == V7_DATA
    assert body["Sig"] == "20611157988D9CAC2025772536A46F5D"
    assert sign(VECTOR_KEY, "4002", "Token错误", "") == "4DEBB0A4054B198749F284D77FB60359"
    assert encrypt(b'{"Status":0}', VECTOR_KEY, VECTOR_KEY) == V7_OK_DATA
    assert sign(VECTOR_KEY, "0", "请求成功", V7_OK_DATA) == "60B4D099B97D6A287F771EE9A5EDC578"


@given(st.binary(max_size=600))
def test_aes_round_trip(plain: bytes) -> None:
    assert decrypt(encrypt(plain, VECTOR_KEY, "fedcba0987654321"), VECTOR_KEY, "fedcba0987654321") == plain


def test_dumps_keeps_decimals_exact_and_applies_styles() -> None:
    payload = {"TotalPower": Decimal("1.50"), "SeviceMoney": Decimal("0.10"), "SuccStat": 0, "Name": "站"}
    assert dumps(payload) == '{"TotalPower":1.50,"SeviceMoney":0.10,"SuccStat":0,"Name":"站"}'
    styled = dumps(payload, Style(numbers_as_strings=True, service_spelling="Service", pretty_json=True))
    assert "\r\n" in styled
    assert loads(styled) == {"TotalPower": "1.50", "ServiceMoney": "0.10", "SuccStat": "0", "Name": "站"}


# --- two fakes on loopback ----------------------------------------------------------------------------------
@pytest.fixture
async def pair() -> AsyncIterator[tuple[FakePlatform, FakePlatform]]:
    """`server` plays a platform, `client` plays the hub calling it (keys and ids crosswise)."""
    stations = [station(f"S{i}", operator_id="MA005DBW1") for i in range(1, 6)]
    server = FakePlatform(
        stations=stations, modified={"S4": "2024-05-01 00:00:00", "S5": "2024-06-01 08:00:00"}
    )
    client = FakePlatform(operator_id=server.hub_operator_id, hub_operator_id=server.operator_id)
    client.hub_keys, server.hub_keys = server.keys, client.keys
    async with server, client:
        client.connect(server.url, server.base_path)
        server.connect(client.url, client.base_path)
        yield server, client


async def test_token_then_paged_stations_with_last_query_time(
    pair: tuple[FakePlatform, FakePlatform],
) -> None:
    server, client = pair
    ret, _, page = await client.call_hub("query_stations_info", {"PageNo": 2, "PageSize": 2})
    assert ret == 0
    assert (page["PageNo"], page["PageCount"], page["ItemSize"]) == (2, 3, 5)
    assert [s["StationID"] for s in page["StationInfos"]] == ["S3", "S4"]
    _, _, changed = await client.call_hub("query_stations_info", {"LastQueryTime": "2024-05-15 00:00:00"})
    assert [s["StationID"] for s in changed["StationInfos"]] == ["S5"]
    assert [c.interface for c in server.calls] == [
        "query_token",
        "query_stations_info",
        "query_stations_info",
    ]
    assert server.calls[1].headers["Authorization"].startswith("Bearer ")


async def test_ret_codes_of_the_fake_server(pair: tuple[FakePlatform, FakePlatform]) -> None:
    _, client = pair
    token = await client.hub_token()
    bad_sig = {**client.envelope({"StationIDs": ["S1"]}), "Sig": "0" * 32}
    assert (await client.post_raw("query_station_status", bad_sig, token=token)).body["Ret"] == 4001
    no_token = client.envelope({"StationIDs": ["S1"]})
    assert (await client.post_raw("query_station_status", no_token)).body["Ret"] == 4002
    stranger = client.envelope({}, operator_id="MA0000000")
    answer = await client.post_raw("query_station_status", stranger, token=token)
    assert (answer.body["Ret"], answer.body["Sig"]) == (4003, "")
    garbage = {**client.envelope({}), "Data": "not base64!"}
    garbage["Sig"] = sign(client.hub_keys.sig_secret, client.operator_id, "not base64!", garbage["TimeStamp"],
                          garbage["Seq"])  # fmt: skip
    assert (await client.post_raw("query_station_status", garbage, token=token)).body["Ret"] == 4003
    assert (await client.post_raw("query_station_status", b"{", token=token)).body["Ret"] == 4003


async def test_refused_token_reasons(pair: tuple[FakePlatform, FakePlatform]) -> None:
    _, client = pair
    _, _, data = await client.call_hub("query_token", {"OperatorID": "MA0000000", "OperatorSecret": "x"})
    assert (data["SuccStat"], data["FailReason"]) == (1, 1)
    _, _, data = await client.call_hub(
        "query_token", {"OperatorID": client.operator_id, "OperatorSecret": "x"}
    )
    assert (data["SuccStat"], data["FailReason"]) == (1, 2)


async def test_expired_token_is_fetched_again_once(pair: tuple[FakePlatform, FakePlatform]) -> None:
    server, client = pair
    await client.call_hub("query_station_status", {"StationIDs": ["S1"]})
    server.expire_tokens()
    ret, _, data = await client.call_hub("query_station_status", {"StationIDs": ["S1"]})
    assert ret == 0
    assert data["StationStatusInfos"][0]["ConnectorStatusInfos"] == [{"ConnectorID": "S1E1C1", "Status": 1}]
    assert [c.ret for c in server.calls_to("query_station_status")] == [0, 4002, 0]


async def test_scripted_answers(pair: tuple[FakePlatform, FakePlatform]) -> None:
    server, client = pair
    server.script("notification_stationStatus", data={"Status": 1})
    server.script("notification_stationStatus", ret=-1)
    push = {"ConnectorStatusInfo": {"ConnectorID": "S1E1C1", "Status": 3}}
    assert (await client.call_hub("notification_stationStatus", push))[2] == {"Status": 1}
    assert (await client.call_hub("notification_stationStatus", push))[0] == -1
    assert (await client.call_hub("notification_stationStatus", push))[2] == {"Status": 0}
    assert server.calls_to("notification_stationStatus")[0].payload == push
    server.script("notification_stationStatus", garbage=True)
    token = await client.hub_token()
    raw = await client.post_raw("notification_stationStatus", client.envelope(push), token=token)
    assert raw.status == 200
    assert isinstance(raw.body, str)
    release = server.hang("notification_stationStatus")
    pending = asyncio.ensure_future(client.call_hub("notification_stationStatus", push))
    await server.wait_for_calls("notification_stationStatus", count=5)
    assert not pending.done()
    release.set()
    assert (await pending)[0] == 0


async def test_cpo_flow_with_scripted_notifications(pair: tuple[FakePlatform, FakePlatform]) -> None:
    server, client = pair
    seq = "MA24YKWR9202401011200000001"
    start = {"StartChargeSeq": seq, "ConnectorID": "S2E1C1", "QRCode": ""}
    _, _, started = await client.call_hub("query_start_charge", start)
    assert (started["SuccStat"], started["StartChargeSeqStat"]) == (0, 1)
    assert (await server.notify_start_result(seq))[2]["SuccStat"] == 0
    await server.notify_charge_status(seq, "3.20", "2.00", "1.00")
    _, _, stop = await client.call_hub("query_stop_charge", {"StartChargeSeq": seq, "ConnectorID": "S2E1C1"})
    assert stop["StartChargeSeqStat"] == 3
    await server.notify_stop_result(seq)
    _, _, confirm = await server.notify_order(seq, "5.00", "3.00", "1.50")
    assert confirm["ConfirmResult"] == 0
    order = client.calls_to("notification_charge_order_info")[0].payload
    assert (order["TotalPower"], order["TotalMoney"]) == (Decimal("5.00"), Decimal("4.50"))
    assert [c.logical for c in client.calls] == [
        "query_token", "notification_start_charge_result", "notification_equip_charge_status",
        "notification_stop_charge_result", "notification_charge_order_info",
    ]  # fmt: skip


async def test_tolerance_styles_and_custom_names(pair: tuple[FakePlatform, FakePlatform]) -> None:
    server, client = pair
    client.style = server.style = Style(lowercase_sig=True, wrapped_base64=True, pretty_json=True,
                                        numbers_as_strings=True, service_spelling="Service",
                                        plain_token_data=True)  # fmt: skip
    server.interfaces = {"notification_charge_order_info": "supervise_notification_order"}
    push = {"StartChargeSeq": "X", "TotalSeviceMoney": Decimal("1.00"), "OrderNo": "O1"}
    ret, _, answer = await client.call_hub("supervise_notification_order", push)
    assert ret == 0
    assert answer == {"StartChargeSeq": "X", "ConnectorID": None, "ConfirmResult": "0", "OrderNo": "O1"}
    got = server.calls_to("notification_charge_order_info")[0]
    assert got.payload["TotalServiceMoney"] == "1.00"
    assert "\r\n" in got.envelope["Data"]
    assert got.envelope["Sig"].islower()
    assert got.envelope["OperatorID"] == client.operator_id
    token_call = server.calls_to("query_token")[0]
    assert loads(token_call.envelope["Data"])["OperatorID"] == client.operator_id  # plain JSON Data


def test_partner_settings_give_the_hub_both_key_sets() -> None:
    platform = FakePlatform(kind="regulator", interfaces={"notification_stationStatus": "x_status"})
    platform.url = "http://127.0.0.1:1234"
    settings = partner_settings(platform)
    assert settings["base_url"] == "http://127.0.0.1:1234/evcs/v1.0/"
    assert settings["their_data_secret"] == platform.keys.data_secret
    assert settings["data_secret"] == platform.hub_keys.data_secret
    assert settings["interfaces"] == {"notification_stationStatus": "x_status"}
    assert (settings["allow_ips"], settings["kind"], settings["ocpi_party"]) == (
        ["127.0.0.1"],
        "regulator",
        "CN*KDN",
    )
