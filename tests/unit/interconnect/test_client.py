"""InterconnectClient against a loopback fake partner with its own minimal envelope code (AES-128-CBC and
HMAC-MD5 through `cryptography`, independent of interconnect.codec): token fetch, reuse and refresh, one
re-token on 4002, response signatures, retryable classification and timeouts (spec §2.7, §2.8, §8)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import hashes, hmac, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from hub.core.clock import FixedClock
from hub.core.models import PartyRef
from interconnect.client import InterconnectCallError, InterconnectClient, token_expiry
from interconnect.runtime import InterconnectConfig, InterconnectRuntime, KeySet, PartnerConfig, Tolerance

KEY, IV, SIG, SECRET = "K" * 8 + "abcdefgh", "1234567890abcdef", "sig-secret-16chr", "op-secret"
OUR_ID, THEIR_ID = "MA24YKWR9", "MA005DBW1"


# --- the fake partner's own envelope code ------------------------------------------------------------------
def seal(payload: Any) -> str:
    padder = padding.PKCS7(128).padder()
    plain = padder.update(json.dumps(payload, ensure_ascii=False).encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(KEY.encode()), modes.CBC(IV.encode())).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def unseal(data: str) -> Any:
    decryptor = Cipher(algorithms.AES(KEY.encode()), modes.CBC(IV.encode())).decryptor()
    padded = decryptor.update(base64.b64decode(data)) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return json.loads(unpadder.update(padded) + unpadder.finalize())


def sign(*parts: str) -> str:
    mac = hmac.HMAC(SIG.encode(), hashes.MD5())  # noqa: S303 (the standard's signature, spec §2.5)
    mac.update("".join(parts).encode())
    return mac.finalize().hex().upper()


@dataclass
class Answer:
    """A scripted answer for the next call of `interface`."""

    interface: str
    ret: Any = 0
    msg: str | None = "请求成功"
    data: Any = None
    bad_sig: bool = False
    body: bytes | None = None  # raw body instead of an envelope
    status: int = 200
    hold: asyncio.Event | None = None


@dataclass
class FakePartner:
    token_lifetime: Any = 7200
    token_refusal: bool = False
    issued: list[str] = field(default_factory=list)
    valid: set[str] = field(default_factory=set)
    calls: list[tuple[str, str | None, Any]] = field(default_factory=list)  # interface, bearer, payload
    script: list[Answer] = field(default_factory=list)
    url: str = ""

    async def serve(self, request: web.Request) -> web.Response:
        interface = request.match_info["interface"]
        envelope = await request.json()
        assert sorted(envelope) == ["Data", "OperatorID", "Seq", "Sig", "TimeStamp"]
        assert envelope["OperatorID"] == OUR_ID
        expected = sign(envelope["OperatorID"], envelope["Data"], envelope["TimeStamp"], envelope["Seq"])
        assert envelope["Sig"] == expected
        assert len(envelope["TimeStamp"]) == 14
        assert len(envelope["Seq"]) == 4
        payload = unseal(envelope["Data"])
        auth = request.headers.get("Authorization")
        bearer = auth.removeprefix("Bearer ") if auth else None
        self.calls.append((interface, bearer, payload))
        scripted = next((a for a in self.script if a.interface == interface), None)
        if scripted is not None:
            self.script.remove(scripted)
            if scripted.hold is not None:
                await scripted.hold.wait()
            if scripted.body is not None:
                return web.Response(body=scripted.body, status=scripted.status)
            return self.envelope(scripted.ret, scripted.msg, scripted.data, bad_sig=scripted.bad_sig)
        if interface == "query_token":
            assert bearer is None
            if self.token_refusal or payload != {"OperatorID": OUR_ID, "OperatorSecret": SECRET}:
                return self.envelope(0, "", {"OperatorID": OUR_ID, "SuccStat": 1, "FailReason": 2})
            token = f"T{len(self.issued) + 1}"
            self.issued.append(token)
            self.valid.add(token)
            data = {"OperatorID": OUR_ID, "SuccStat": 0, "AccessToken": token, "FailReason": 0}
            return self.envelope(0, "请求成功", {**data, "TokenAvailableTime": self.token_lifetime})
        if bearer not in self.valid:
            return self.envelope(4002, "Token错误", None)
        return self.envelope(0, "请求成功", {"Echo": payload, "Status": 0})

    @staticmethod
    def envelope(ret: Any, msg: str | None, data: Any, *, bad_sig: bool = False) -> web.Response:
        sealed = seal(data) if data is not None else ""
        sig = sign(str(ret), msg or "", sealed)
        if bad_sig:
            sig = sign(str(ret), msg or "", sealed + "x")
        return web.json_response({"Ret": ret, "Msg": msg, "Data": sealed, "Sig": sig})


@pytest.fixture
async def partner() -> AsyncIterator[FakePartner]:
    fake = FakePartner()
    app = web.Application()
    app.router.add_post("/evcs/v1.0/{interface}", fake.serve)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}/evcs/v1.0"  # no trailing slash on purpose
    yield fake
    for answer in fake.script:
        if answer.hold is not None:
            answer.hold.set()
    await runner.cleanup()


def partner_config(url: str, **tolerance: Any) -> PartnerConfig:
    keys = KeySet(
        operator_secret=SECRET, data_secret=KEY.encode(), data_iv=IV.encode(), sig_secret=SIG.encode()
    )
    return PartnerConfig(
        name="快电",
        operator_id=THEIR_ID,
        kind="operator",
        base_url=url,
        ocpi_party=PartyRef(country_code="CN", party_id="KDN"),
        our_operator_id=OUR_ID,
        allow_ips=(),
        ours=KeySet(operator_secret="x", data_secret=b"0" * 16, data_iv=b"1" * 16, sig_secret=b"2"),
        theirs=keys,
        tolerance=Tolerance(**tolerance),
    )


@dataclass
class Kit:
    client: InterconnectClient
    partner: PartnerConfig
    fake: FakePartner
    clock: FixedClock


@pytest.fixture
async def kit(partner: FakePartner) -> AsyncIterator[Kit]:
    clock = FixedClock(datetime(2026, 3, 1, 4, 0, tzinfo=UTC))
    config = InterconnectConfig(
        operator_id=OUR_ID, base_path="/evcs/v1.0", public_url="http://hub", request_timeout_s=0.3
    )
    runtime = InterconnectRuntime(config=config, clock=clock, core_getter=lambda: None)
    async with aiohttp.ClientSession() as session:
        client = InterconnectClient(runtime, session)
        yield Kit(client, partner_config(partner.url), partner, clock)


# --- tokens ------------------------------------------------------------------------------------------------
async def test_token_is_fetched_once_and_reused(kit: Kit) -> None:
    first = await kit.client.call(
        kit.partner, "notification_stationStatus", {"ConnectorStatusInfo": {"A": 1}}
    )
    second = await kit.client.call(kit.partner, "query_station_status", {"StationIDs": ["S1"]})
    assert first == {"Echo": {"ConnectorStatusInfo": {"A": 1}}, "Status": 0}
    assert second["Echo"] == {"StationIDs": ["S1"]}
    assert [(i, b) for i, b, _ in kit.fake.calls] == [
        ("query_token", None),
        ("notification_stationStatus", "T1"),
        ("query_station_status", "T1"),
    ]
    state = kit.client.token_state(kit.partner)
    assert state["state"] == "valid"
    assert "T1" not in json.dumps(state)


async def test_concurrent_calls_share_one_token_fetch(kit: Kit) -> None:
    await asyncio.gather(*(kit.client.call(kit.partner, "notification_x", {"N": n}) for n in range(5)))
    assert [i for i, _, _ in kit.fake.calls].count("query_token") == 1


async def test_token_is_refreshed_five_minutes_before_expiry(kit: Kit) -> None:
    await kit.client.call(kit.partner, "notification_x", {})
    kit.clock.advance(seconds=7200 - 301)
    await kit.client.call(kit.partner, "notification_x", {})
    assert kit.fake.issued == ["T1"]
    kit.clock.advance(seconds=2)  # now within the last 5 minutes
    await kit.client.call(kit.partner, "notification_x", {})
    assert kit.fake.issued == ["T1", "T2"]
    assert kit.fake.calls[-1][1] == "T2"


@pytest.mark.parametrize(
    ("available", "lifetime_s"),
    [
        (3600, 3600),
        ("600", 600),
        (int(datetime(2026, 3, 1, 6, 0, tzinfo=UTC).timestamp()), 7200),  # absolute epoch seconds
        (int(datetime(2026, 3, 1, 5, 0, tzinfo=UTC).timestamp()) * 1000, 3600),  # absolute epoch ms
        (int(datetime(2020, 1, 1, tzinfo=UTC).timestamp()), 7200),  # absolute but past: assume 7200 s
        ("soon", 7200),
    ],
)
def test_token_available_time_tolerance(available: Any, lifetime_s: int) -> None:
    now = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)
    assert token_expiry(available, now) - now == timedelta(seconds=lifetime_s)


async def test_ret_4002_fetches_a_new_token_and_retries_once(kit: Kit) -> None:
    await kit.client.call(kit.partner, "notification_x", {"N": 1})
    kit.fake.valid.clear()  # the partner forgot our token
    answer = await kit.client.call(kit.partner, "notification_x", {"N": 2})
    assert answer["Echo"] == {"N": 2}
    assert [(i, b) for i, b, _ in kit.fake.calls] == [
        ("query_token", None),
        ("notification_x", "T1"),
        ("notification_x", "T1"),
        ("query_token", None),
        ("notification_x", "T2"),
    ]


async def test_second_4002_is_not_retried_again(kit: Kit) -> None:
    kit.fake.script += [Answer("notification_x", ret=4002, msg="Token错误")] * 2
    with pytest.raises(InterconnectCallError) as caught:
        await kit.client.call(kit.partner, "notification_x", {})
    assert caught.value.ret == 4002
    assert caught.value.retryable  # the outbox tries later, with backoff
    assert [i for i, _, _ in kit.fake.calls] == [
        "query_token",
        "notification_x",
        "query_token",
        "notification_x",
    ]


async def test_token_refusal_is_not_retryable(kit: Kit) -> None:
    kit.fake.token_refusal = True
    with pytest.raises(InterconnectCallError) as caught:
        await kit.client.call(kit.partner, "notification_x", {})
    assert not caught.value.retryable
    assert "FailReason 2" in caught.value.msg
    assert SECRET not in str(caught.value)
    assert kit.client.token_state(kit.partner)["state"] == "none"


# --- signatures ---------------------------------------------------------------------------------------------
async def test_bad_response_sig_fails_the_call(kit: Kit) -> None:
    kit.fake.script.append(Answer("notification_x", data={"Status": 0}, bad_sig=True))
    with pytest.raises(InterconnectCallError) as caught:
        await kit.client.call(kit.partner, "notification_x", {})
    assert caught.value.ret is None
    assert not caught.value.retryable
    assert "signature" in caught.value.msg


async def test_bad_response_sig_accepted_when_verification_is_off(kit: Kit) -> None:
    partner = partner_config(kit.fake.url, verify_response_sig=False)
    kit.fake.script.append(Answer("notification_x", data={"Status": 0}, bad_sig=True))
    assert await kit.client.call(partner, "notification_x", {}) == {"Status": 0}


async def test_ret_as_string_and_null_msg_are_tolerated(kit: Kit) -> None:
    kit.fake.script.append(Answer("notification_x", ret="0", msg=None, data={"SuccStat": "0"}))
    assert await kit.client.call(kit.partner, "notification_x", {}) == {"SuccStat": "0"}


# --- retryable or not -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "ret", "retryable"),
    [
        (Answer("notification_x", ret=-1, msg="系统繁忙"), -1, True),
        (Answer("notification_x", ret=500, msg="系统错误"), 500, True),
        (Answer("notification_x", ret=4001, msg="签名错误"), 4001, False),
        (Answer("notification_x", ret=4003, msg="POST参数不合法"), 4003, False),
        (Answer("notification_x", ret="4004", msg="请求的业务参数不合法"), 4004, False),
        (Answer("notification_x", body=b"<html>Bad Gateway</html>", status=502), None, True),
        (Answer("notification_x", body=b"", status=500), None, True),
    ],
)
async def test_failures_are_classified(kit: Kit, answer: Answer, ret: int | None, retryable: bool) -> None:
    kit.fake.script.append(answer)
    with pytest.raises(InterconnectCallError) as caught:
        await kit.client.call(kit.partner, "notification_x", {})
    assert (caught.value.ret, caught.value.retryable) == (ret, retryable)


async def test_non_200_with_an_envelope_is_read(kit: Kit) -> None:
    envelope = FakePartner.envelope(0, "", {"Status": 0})
    kit.fake.script.append(Answer("notification_x", body=envelope.body, status=500))  # type: ignore[arg-type]
    assert await kit.client.call(kit.partner, "notification_x", {}) == {"Status": 0}


async def test_unreachable_partner_is_retryable(kit: Kit) -> None:
    gone = partner_config("http://127.0.0.1:9/evcs/v1.0/")  # discard port: nothing listens
    with pytest.raises(InterconnectCallError) as caught:
        await kit.client.call(gone, "notification_x", {})
    assert caught.value.retryable
    assert caught.value.ret is None


# --- timeouts -------------------------------------------------------------------------------------------
async def test_business_call_times_out_public_information_gets_longer(kit: Kit) -> None:
    await kit.client.call(kit.partner, "notification_x", {})  # token first
    held = asyncio.Event()
    kit.fake.script += [
        Answer("notification_x", data={}, hold=held),
        Answer("query_stations_info", data={"PageNo": 1}, hold=held),
    ]
    public = asyncio.create_task(kit.client.call(kit.partner, "query_stations_info", {"PageNo": 1}))
    with pytest.raises(InterconnectCallError) as caught:
        await kit.client.call(kit.partner, "notification_x", {})  # 0.3 s
    assert caught.value.retryable
    assert "0.3" in caught.value.msg
    held.set()  # well within the public-information call's 0.9 s
    assert await public == {"PageNo": 1}
