"""互联互通 inbound envelope over real HTTP (spec §2, §8): every Ret code, query_token and its FailReasons,
the tolerated peer variants, the replay window, refusal log lines and the partner settings checks.

The envelope client here is written from the spec with `cryptography` and `hmac` directly: an independent
code path, it never imports interconnect.codec.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from structlog.testing import capture_logs

from hub.core.clock import FixedClock
from hub.core.metrics import METRICS
from hub.core.models import PartyProtocol, PartyRef, Role
from hub.settings import Settings, SettingsError
from interconnect.runtime import INTERCONNECT_KEY, Call, InterconnectError, Ret
from interconnect.server import MAX_BODY_BYTES
from tests.conftest import RunningHub

START = datetime(2026, 1, 1, tzinfo=UTC)  # 2026-01-01 08:00:00 in Beijing
BASE = "/evcs/v1.0"


@dataclass(frozen=True)
class Peer:
    """A partner as the test plays it: the keys the hub issued to it (what its calls use)."""

    operator_id: str
    operator_secret: str
    data_secret: str
    data_iv: str
    sig_secret: str


KDN = Peer(
    "MA005DBW1", "kdn-operator-secret-0001", "1234567890abcdef", "abcdef1234567890", "kdn-sig-secret01"
)
NUM = Peer("123456789", "num-operator-secret", "numdatasecret016", "numdataiv0000016", "num-sig-secret01")
SHA = Peer("MA00SHAN1", "sha-operator-secret", "shadatasecret016", "shadataiv0000016", "sha-sig-secret01")
FAR = Peer("MA00FAR01", "far-operator-secret", "fardatasecret016", "fardataiv0000016", "far-sig-secret01")


def partner_config(peer: Peer, party: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"partner {peer.operator_id}",
        "operator_id": peer.operator_id,
        "base_url": "http://127.0.0.1:9/evcs/v1.0/",
        "ocpi_party": party,
        "allow_ips": ["127.0.0.1", "::1"],
        "operator_secret": peer.operator_secret,
        "data_secret": peer.data_secret,
        "data_iv": peer.data_iv,
        "sig_secret": peer.sig_secret,
        "their_operator_secret": "ours-at-" + peer.operator_id,
        "their_data_secret": "theirdatasecret6",
        "their_data_iv": "theirdataiv00016",
        "their_sig_secret": "their-sig-secret",
        **extra,
    }


PARTNERS = [
    partner_config(KDN, "CN*KDN", token_lifetime=600, aliases={"supervise_echo": "test_echo"}),
    partner_config(NUM, "CN*NUM", replay_window=300),
    partner_config(SHA, "CN*SHA", plain_token_data=True),
    partner_config(FAR, "CN*FAR", allow_ips=["10.0.0.0/8"]),
]


# --- the independent envelope client ---------------------------------------------------------------------


def aes_encrypt(plain: bytes, peer: Peer) -> str:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(
        algorithms.AES(peer.data_secret.encode()), modes.CBC(peer.data_iv.encode())
    ).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def aes_decrypt(data: str, peer: Peer) -> bytes:
    decryptor = Cipher(
        algorithms.AES(peer.data_secret.encode()), modes.CBC(peer.data_iv.encode())
    ).decryptor()
    padded = decryptor.update(base64.b64decode(data)) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def hmac_md5(peer: Peer, *parts: str) -> str:
    return hmac.new(peer.sig_secret.encode(), "".join(parts).encode(), hashlib.md5).hexdigest().upper()


def request_body(
    peer: Peer,
    payload: Any,
    *,
    data: str | None = None,
    timestamp: str = "20260101080000",
    seq: str = "0001",
    sig: str | None = None,
) -> dict[str, Any]:
    if data is None:
        data = aes_encrypt(json.dumps(payload, separators=(",", ":")).encode(), peer)
    if sig is None:
        sig = hmac_md5(peer, peer.operator_id, data, timestamp, seq)
    return {"OperatorID": peer.operator_id, "Data": data, "TimeStamp": timestamp, "Seq": seq, "Sig": sig}


@dataclass
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def ret(self) -> int:
        return int(self.body["Ret"])

    def signed_by(self, peer: Peer) -> bool:
        expected = hmac_md5(peer, str(self.body["Ret"]), self.body["Msg"], self.body["Data"])
        return bool(self.body["Sig"] == expected)

    def payload(self, peer: Peer, plain: bool = False) -> Any:
        assert self.signed_by(peer)
        data = self.body["Data"]
        return json.loads(data if plain else aes_decrypt(data, peer))


Post = Callable[..., Awaitable[Answer]]


@pytest.fixture
async def ic_hub(make_hub: Callable[..., Awaitable[RunningHub]]) -> RunningHub:
    hub = await make_hub(clock=FixedClock(START), interconnect={"partners": PARTNERS})

    async def echo(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
        return {"Interface": call.interface, "Partner": call.partner.operator_id, "Echo": payload}

    async def crash(_call: Call, _payload: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("handler bug")

    async def refuse(_call: Call, _payload: dict[str, Any]) -> dict[str, Any]:
        raise InterconnectError(Ret.PAYLOAD, "StationIDs is not a list")

    hub.app[INTERCONNECT_KEY].handlers.update(test_echo=echo, test_crash=crash, test_refuse=refuse)
    return hub


@pytest.fixture
async def post(ic_hub: RunningHub) -> Any:
    async with aiohttp.ClientSession() as session:

        async def send(interface: str, body: Any, token: str | None = None, raw: bool = False) -> Answer:
            headers = {"Content-Type": "application/json;charset=utf-8"}
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            data = body if raw else json.dumps(body, ensure_ascii=False).encode()
            async with session.post(
                f"{ic_hub.url}{BASE}/{interface}", data=data, headers=headers
            ) as response:
                return Answer(response.status, json.loads(await response.read()))

        yield send


async def token_for(post: Post, peer: Peer) -> str:
    answer = await post(
        "query_token",
        request_body(peer, {"OperatorID": peer.operator_id, "OperatorSecret": peer.operator_secret}),
    )
    assert answer.ret == 0
    token = answer.payload(peer)["AccessToken"]
    assert isinstance(token, str)
    return token


# --- query_token ------------------------------------------------------------------------------------------


async def test_query_token_issues_a_token_with_the_partners_lifetime(post: Post) -> None:
    answer = await post(
        "query_token",
        request_body(KDN, {"OperatorID": KDN.operator_id, "OperatorSecret": KDN.operator_secret}),
    )

    assert answer.status == 200
    assert (answer.ret, answer.body["Msg"]) == (0, "请求成功")
    data = answer.payload(KDN)
    assert data["OperatorID"] == KDN.operator_id
    assert (data["SuccStat"], data["FailReason"], data["TokenAvailableTime"]) == (0, 0, 600)
    assert len(data["AccessToken"]) >= 32
    echoed = await post("test_echo", request_body(KDN, {"A": 1}), token=data["AccessToken"])
    assert echoed.ret == 0
    assert echoed.payload(KDN) == {"Interface": "test_echo", "Partner": KDN.operator_id, "Echo": {"A": 1}}


async def test_query_token_for_another_operator_is_fail_reason_1(post: Post) -> None:
    answer = await post(
        "query_token",
        request_body(KDN, {"OperatorID": NUM.operator_id, "OperatorSecret": KDN.operator_secret}),
    )

    assert answer.ret == 0
    data = answer.payload(KDN)
    assert (data["SuccStat"], data["FailReason"], data["AccessToken"]) == (1, 1, "")


async def test_query_token_with_a_wrong_secret_is_fail_reason_2(post: Post) -> None:
    answer = await post(
        "query_token", request_body(KDN, {"OperatorID": KDN.operator_id, "OperatorSecret": "guess"})
    )

    assert answer.ret == 0
    data = answer.payload(KDN)
    assert (data["SuccStat"], data["FailReason"], data["AccessToken"]) == (1, 2, "")


async def test_query_token_without_its_fields_is_4004(post: Post) -> None:
    answer = await post("query_token", request_body(KDN, {"OperatorID": KDN.operator_id}))

    assert (answer.ret, answer.body["Data"]) == (4004, "")
    assert answer.signed_by(KDN)


async def test_plain_json_query_token_with_the_partner_flag(post: Post) -> None:
    plain = json.dumps({"OperatorID": SHA.operator_id, "OperatorSecret": SHA.operator_secret})
    answer = await post("query_token", request_body(SHA, None, data=plain))

    assert answer.ret == 0
    data = answer.payload(SHA, plain=True)
    assert (data["SuccStat"], data["TokenAvailableTime"]) == (0, 7200)
    # Lenient in: the same partner may still send encrypted Data; the answer stays plain (strict out).
    encrypted = await post(
        "query_token",
        request_body(SHA, {"OperatorID": SHA.operator_id, "OperatorSecret": SHA.operator_secret}),
    )
    assert encrypted.payload(SHA, plain=True)["SuccStat"] == 0


# --- Ret codes ---------------------------------------------------------------------------------------------


async def test_wrong_sig_is_4001_signed(post: Post) -> None:
    with capture_logs() as logs:
        answer = await post("query_token", request_body(KDN, {"OperatorID": KDN.operator_id}, sig="0" * 32))

    assert answer.status == 200
    assert (answer.ret, answer.body["Msg"], answer.body["Data"]) == (4001, "签名错误", "")
    assert answer.signed_by(KDN)
    refused = [e for e in logs if e["event"] == "interconnect_refused"]
    assert len(refused) == 1
    assert refused[0]["ret"] == 4001
    assert refused[0]["operator_id"] == KDN.operator_id
    assert refused[0]["interface"] == "query_token"
    assert KDN.sig_secret not in json.dumps(refused, default=str)


async def test_missing_bearer_token_is_4002(post: Post) -> None:
    answer = await post("test_echo", request_body(KDN, {}))

    assert (answer.ret, answer.body["Msg"], answer.body["Data"]) == (4002, "Token错误", "")
    assert answer.signed_by(KDN)


async def test_unknown_and_expired_tokens_are_4002(post: Post, ic_hub: RunningHub) -> None:
    token = await token_for(post, KDN)

    with capture_logs() as logs:
        unknown = await post("test_echo", request_body(KDN, {}), token="not-a-token-we-issued")
    assert unknown.ret == 4002
    assert "not-a-token-we-issued" not in json.dumps(logs, default=str)
    assert [e["token_fingerprint"] for e in logs if e["event"] == "interconnect_refused"]

    assert (await post("test_echo", request_body(KDN, {}), token=token)).ret == 0
    clock = ic_hub.app[INTERCONNECT_KEY].clock
    assert isinstance(clock, FixedClock)
    clock.advance(seconds=601)  # KDN's tokens live 600 s
    with capture_logs() as logs:
        expired = await post("test_echo", request_body(KDN, {}), token=token)
    assert expired.ret == 4002
    assert token not in json.dumps(logs, default=str)


async def test_a_token_works_only_with_the_operator_it_was_issued_to(post: Post) -> None:
    kdn_token = await token_for(post, KDN)

    answer = await post("test_echo", request_body(NUM, {}), token=kdn_token)

    assert answer.ret == 4002
    assert answer.signed_by(NUM)


@pytest.mark.parametrize("missing", ["Data", "TimeStamp", "Seq", "Sig"])
async def test_a_missing_envelope_field_is_4003(post: Post, missing: str) -> None:
    body = request_body(KDN, {"OperatorID": KDN.operator_id, "OperatorSecret": KDN.operator_secret})
    del body[missing]

    answer = await post("query_token", body)

    assert (answer.ret, answer.body["Msg"], answer.body["Data"]) == (4003, "POST参数不合法", "")
    assert answer.signed_by(KDN)  # the caller is known by its OperatorID


async def test_unknown_operator_id_is_4003_unsigned(post: Post) -> None:
    stranger = Peer("MA0000000", "x", KDN.data_secret, KDN.data_iv, KDN.sig_secret)
    with capture_logs() as logs:
        answer = await post("query_token", request_body(stranger, {"OperatorID": "MA0000000"}))

    assert answer.body == {"Ret": 4003, "Msg": "POST参数不合法", "Data": "", "Sig": ""}
    refused = [e for e in logs if e["event"] == "interconnect_refused"]
    assert refused[0]["operator_id"] == "MA0000000"


async def test_a_disallowed_address_is_4003_unsigned(post: Post) -> None:
    answer = await post(
        "query_token",
        request_body(FAR, {"OperatorID": FAR.operator_id, "OperatorSecret": FAR.operator_secret}),
    )

    assert answer.body == {"Ret": 4003, "Msg": "POST参数不合法", "Data": "", "Sig": ""}


@pytest.mark.parametrize(
    "data",
    [
        "bm90IGNpcGhlcnRleHQ=",  # Base64, but not whole AES blocks
        "this is not base64!",
        base64.b64encode(bytes(32)).decode(),  # whole blocks that do not unpad
    ],
)
async def test_undecryptable_data_is_4003(post: Post, data: str) -> None:
    answer = await post("query_token", request_body(KDN, None, data=data))

    assert (answer.ret, answer.body["Data"]) == (4003, "")
    assert answer.signed_by(KDN)


@pytest.mark.parametrize("body", [b"not json", b"", b"[1, 2]", b'{"OperatorID": 1'])
async def test_a_body_that_is_no_envelope_is_4003_unsigned(post: Post, body: bytes) -> None:
    answer = await post("query_token", body, raw=True)

    assert answer.status == 200
    assert answer.body == {"Ret": 4003, "Msg": "POST参数不合法", "Data": "", "Sig": ""}


async def test_an_oversized_body_is_4003_unsigned(post: Post) -> None:
    body = request_body(KDN, None, data="A" * (MAX_BODY_BYTES + 16))

    answer = await post("query_token", body)

    assert answer.status == 200
    assert answer.body == {"Ret": 4003, "Msg": "POST参数不合法", "Data": "", "Sig": ""}


async def test_a_payload_that_is_not_json_is_4004(post: Post) -> None:
    data = aes_encrypt(b'{"total":1,"soc":10,}', KDN)  # the V1 plaintext style: trailing comma

    answer = await post("query_token", request_body(KDN, None, data=data))

    assert (answer.ret, answer.body["Msg"], answer.body["Data"]) == (4004, "请求的业务参数不合法", "")
    assert answer.signed_by(KDN)


async def test_an_unknown_interface_is_4004_signed(post: Post) -> None:
    token = await token_for(post, KDN)

    answer = await post("query_everything", request_body(KDN, {}), token=token)

    assert (answer.ret, answer.body["Msg"], answer.body["Data"]) == (4004, "unknown interface", "")
    assert answer.signed_by(KDN)


async def test_a_handler_refusal_carries_its_ret_and_msg(post: Post) -> None:
    token = await token_for(post, KDN)

    answer = await post("test_refuse", request_body(KDN, {}), token=token)

    assert (answer.ret, answer.body["Msg"]) == (4004, "StationIDs is not a list")
    assert answer.signed_by(KDN)


async def test_a_handler_crash_is_500_and_logged(post: Post) -> None:
    token = await token_for(post, KDN)
    labels = {"interface": "test_crash", "ret": "500"}
    before = METRICS.counter("interconnect_requests_total").value(labels)

    with capture_logs() as logs:
        answer = await post("test_crash", request_body(KDN, {}), token=token)

    assert (answer.status, answer.ret, answer.body["Msg"], answer.body["Data"]) == (200, 500, "系统错误", "")
    assert answer.signed_by(KDN)
    assert "handler bug" not in json.dumps(answer.body, ensure_ascii=False)
    assert [e["interface"] for e in logs if e["event"] == "interconnect_failed"] == ["test_crash"]
    assert METRICS.counter("interconnect_requests_total").value(labels) == before + 1


# --- tolerance (spec §8) -----------------------------------------------------------------------------------


async def test_lowercase_sig_is_accepted(post: Post) -> None:
    body = request_body(KDN, {"OperatorID": KDN.operator_id, "OperatorSecret": KDN.operator_secret})
    body["Sig"] = body["Sig"].lower()

    answer = await post("query_token", body)

    assert answer.ret == 0
    assert answer.body["Sig"] == answer.body["Sig"].upper()


async def test_base64_with_crlf_line_breaks_is_accepted(post: Post) -> None:
    token = await token_for(post, KDN)
    payload = {"StationIDs": [f"STATION-{i:04d}" for i in range(20)]}
    one_line = aes_encrypt(json.dumps(payload).encode(), KDN)
    wrapped = "\r\n".join(one_line[i : i + 76] for i in range(0, len(one_line), 76))
    assert "\r\n" in wrapped

    answer = await post("test_echo", request_body(KDN, None, data=wrapped), token=token)

    assert answer.ret == 0
    assert answer.payload(KDN)["Echo"] == payload


async def test_pretty_printed_crlf_payload_with_bom_is_accepted(post: Post) -> None:
    token = await token_for(post, KDN)
    pretty = "\ufeff" + json.dumps({"StationID": "S1", "Name": "站"}, indent=4, ensure_ascii=False).replace(
        "\n", "\r\n"
    )

    answer = await post(
        "test_echo", request_body(KDN, None, data=aes_encrypt(pretty.encode(), KDN)), token=token
    )

    assert answer.ret == 0
    assert answer.payload(KDN)["Echo"] == {"StationID": "S1", "Name": "站"}


async def test_numbers_as_json_numbers_in_the_envelope_are_accepted(post: Post) -> None:
    data = aes_encrypt(
        json.dumps({"OperatorID": NUM.operator_id, "OperatorSecret": NUM.operator_secret}).encode(), NUM
    )
    # Signed over the decimal text of each number, as a peer that sends numbers signs them.
    sig = hmac_md5(NUM, "123456789", data, "20260101080000", "1")
    body = {"OperatorID": 123456789, "Data": data, "TimeStamp": 20260101080000, "Seq": 1, "Sig": sig}

    answer = await post("query_token", body)

    assert answer.ret == 0
    assert answer.payload(NUM)["SuccStat"] == 0


async def test_an_alias_reaches_our_handler_and_a_trailing_slash_is_tolerated(post: Post) -> None:
    token = await token_for(post, KDN)

    answer = await post("supervise_echo/", request_body(KDN, {"PageNo": 1}), token=token)

    assert answer.ret == 0
    assert answer.payload(KDN)["Interface"] == "test_echo"


# --- replay window ------------------------------------------------------------------------------------------


async def test_the_replay_window_refuses_far_off_timestamps(post: Post) -> None:
    payload = {"OperatorID": NUM.operator_id, "OperatorSecret": NUM.operator_secret}
    near = await post("query_token", request_body(NUM, payload, timestamp="20260101080400"))  # +4 min
    assert near.ret == 0

    with capture_logs() as logs:
        far = await post("query_token", request_body(NUM, payload, timestamp="20260101070000"))  # -1 h
    assert (far.ret, far.body["Data"]) == (4003, "")
    assert far.signed_by(NUM)
    assert [e["ret"] for e in logs if e["event"] == "interconnect_refused"] == [4003]
    # Partners without the flag: TimeStamp is only signed, never interpreted.
    kdn = {"OperatorID": KDN.operator_id, "OperatorSecret": KDN.operator_secret}
    assert (await post("query_token", request_body(KDN, kdn, timestamp="20200101000000"))).ret == 0


# --- wiring ------------------------------------------------------------------------------------------------


SERVED = {
    "query_token",
    # part 2 (data provider and consumer)
    "query_stations_info",
    "query_station_status",
    "query_station_stats",
    "notification_stationStatus",
    # part 3, we are the CPO
    "query_equip_auth",
    "query_equip_business_policy",
    "query_start_charge",
    "query_equip_charge_status",
    "query_stop_charge",
    # part 3, we are the EMSP
    "notification_start_charge_result",
    "notification_equip_charge_status",
    "notification_stop_charge_result",
    "notification_charge_order_info",
    "check_charge_orders",
}


async def test_every_interface_of_issue_5_has_a_handler(ic_hub: RunningHub) -> None:
    assert SERVED - set(ic_hub.app[INTERCONNECT_KEY].handlers) == set()


async def test_each_partner_is_a_cpo_party_of_protocol_interconnect(ic_hub: RunningHub) -> None:
    party = await ic_hub.core.parties.get(PartyRef(country_code="CN", party_id="KDN"))

    assert party is not None
    assert (party.role, party.protocol, party.name) == (
        Role.CPO,
        PartyProtocol.INTERCONNECT,
        "partner MA005DBW1",
    )


# --- settings -----------------------------------------------------------------------------------------------


def settings_with(partner: dict[str, Any], environ: dict[str, str] | None = None) -> Settings:
    return Settings.from_mapping({"interconnect": {"partners": [partner]}}, environ=environ or {})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("data_iv", "abcdef123456789"),  # 15 bytes
        ("data_secret", "密钥密钥密钥1234"),  # 10 characters, 22 bytes
        ("their_data_secret", ""),
        ("their_data_iv", "0123456789abcdef0"),
    ],
)
def test_aes_keys_must_be_16_bytes_and_the_error_names_the_key(key: str, value: str) -> None:
    with pytest.raises(SettingsError, match=rf"interconnect\.partners\[0\]\.{key}: must be exactly 16 bytes"):
        settings_with(partner_config(KDN, "CN*KDN", **{key: value}))


@pytest.mark.parametrize("operator_id", ["ma005dbw1", "MA005DBW", "MA005-DBW"])
def test_operator_ids_are_nine_digits_or_capitals(operator_id: str) -> None:
    with pytest.raises(SettingsError, match=r"interconnect\.partners\.0\.operator_id"):
        settings_with(partner_config(KDN, "CN*KDN", operator_id=operator_id))


def test_bad_partner_settings_are_named() -> None:
    with pytest.raises(SettingsError, match=r"allow_ips.*'10\.0\.0\.300' is not an IP address"):
        settings_with(partner_config(KDN, "CN*KDN", allow_ips=["10.0.0.300"]))
    with pytest.raises(SettingsError, match=r"interconnect\.partners\[0\]\.sig_secret: must not be empty"):
        settings_with(partner_config(KDN, "CN*KDN", sig_secret=""))
    with pytest.raises(SettingsError, match=r"unknown key 'interconnect\.partners\.0\.replay_windw'"):
        settings_with(partner_config(KDN, "CN*KDN", replay_windw=5))
    two = {"interconnect": {"partners": [partner_config(KDN, "CN*KDN"), partner_config(KDN, "CN*KD2")]}}
    with pytest.raises(SettingsError, match=r"partners\[1\]\.operator_id: duplicate"):
        Settings.from_mapping(two, environ={})


def test_partner_secrets_come_from_the_environment() -> None:
    partner = partner_config(KDN, "CN*KDN", data_secret="", their_sig_secret="")
    settings = settings_with(
        partner,
        {
            "HUB_INTERCONNECT_MA005DBW1_DATA_SECRET": "fromtheenv123456",
            "HUB_INTERCONNECT_MA005DBW1_THEIR_SIG_SECRET": "env-sig",
        },
    )

    loaded = settings.interconnect.partners[0]
    assert (loaded.data_secret, loaded.their_sig_secret) == ("fromtheenv123456", "env-sig")
    assert "fromtheenv123456" not in repr(loaded)
    assert (loaded.replay_window, loaded.token_lifetime, loaded.service_spelling) == (0, 7200, "Sevice")
    assert (settings.interconnect.request_timeout, settings.interconnect.pull_interval) == (10.0, 3600.0)


# --- answers of unchanged pages ----------------------------------------------------------------------------


async def test_a_page_is_answered_again_from_its_sealed_bytes_until_a_station_changes(
    post: Post, ic_hub: RunningHub
) -> None:
    """An unchanged page is the same envelope byte for byte (the IV is fixed); a changed station gives a
    new page at once, never the cached one."""
    token = await token_for(post, KDN)
    ask = {"LastQueryTime": "", "PageNo": 1, "PageSize": 10}

    first = await post("query_stations_info", request_body(KDN, ask), token=token)
    again = await post("query_stations_info", request_body(KDN, ask, seq="0002"), token=token)
    [location] = await ic_hub.core.locations.list()
    await ic_hub.core.locations.put(location.model_copy(update={"name": "Renamed station"}))
    changed = await post("query_stations_info", request_body(KDN, ask, seq="0003"), token=token)

    assert first.body == again.body
    assert [s["StationName"] for s in first.payload(KDN)["StationInfos"]] != ["Renamed station"]
    assert [s["StationName"] for s in changed.payload(KDN)["StationInfos"]] == ["Renamed station"]
