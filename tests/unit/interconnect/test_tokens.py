"""The access tokens we issue (spec §2.7/§2.8): stateless, bound to one OperatorID, expiring, opaque, and the
query_token handler's answers (SuccStat, FailReason, TokenAvailableTime)."""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.clock import FixedClock
from hub.core.models import PartyRef
from interconnect.runtime import (
    Call,
    InterconnectConfig,
    InterconnectError,
    InterconnectRuntime,
    KeySet,
    PartnerConfig,
    Ret,
)
from interconnect.tokens import fingerprint, issue_token, query_token, token_valid

KEY = b"the-hub-secret-key-0123456789"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
OPERATOR = "MA005DBW1"
SECRET = "kdn-operator-secret"

operator_ids = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=9, max_size=9)
secrets_text = st.text(min_size=1, max_size=64)


@given(operator_ids, secrets_text, st.integers(min_value=1, max_value=7 * 86400))
def test_a_token_is_valid_for_its_operator_until_it_expires(
    operator_id: str, secret: str, lifetime: int
) -> None:
    expires = NOW + timedelta(seconds=lifetime)
    token = issue_token(KEY, operator_id, secret, expires)

    assert token_valid(KEY, token, operator_id, secret, NOW)
    assert token_valid(KEY, token, operator_id, secret, expires - timedelta(seconds=1))
    assert not token_valid(KEY, token, operator_id, secret, expires)
    assert base64.urlsafe_b64encode(base64.urlsafe_b64decode(token)).decode() == token  # URL-safe text


@given(operator_ids, operator_ids)
def test_a_token_is_refused_for_any_other_operator(issued_to: str, presented_by: str) -> None:
    token = issue_token(KEY, issued_to, SECRET, LATER)

    assert token_valid(KEY, token, presented_by, SECRET, NOW) == (issued_to == presented_by)


@given(st.data())
def test_any_altered_byte_makes_a_token_invalid(data: st.DataObject) -> None:
    raw = bytearray(base64.urlsafe_b64decode(issue_token(KEY, OPERATOR, SECRET, LATER)))
    index = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    raw[index] ^= data.draw(st.integers(min_value=1, max_value=255))

    assert not token_valid(KEY, base64.urlsafe_b64encode(bytes(raw)).decode(), OPERATOR, SECRET, NOW)


@given(st.text(max_size=80))
def test_arbitrary_text_is_never_a_valid_token(text: str) -> None:
    assert not token_valid(KEY, text, OPERATOR, SECRET, NOW)


def test_another_hub_key_or_a_rotated_operator_secret_ends_a_token() -> None:
    token = issue_token(KEY, OPERATOR, SECRET, LATER)

    assert token_valid(KEY, token, OPERATOR, SECRET, NOW)
    assert not token_valid(b"another-hub-secret-key-0000", token, OPERATOR, SECRET, NOW)
    assert not token_valid(KEY, token, OPERATOR, "rotated-secret", NOW)


def test_tokens_are_unique_and_fingerprints_reveal_nothing() -> None:
    tokens = {issue_token(KEY, OPERATOR, SECRET, LATER) for _ in range(50)}

    assert len(tokens) == 50
    token = next(iter(tokens))
    assert len(fingerprint(token)) == 8
    assert fingerprint(token) not in token


# --- query_token ------------------------------------------------------------------------------------------


def a_call(token_lifetime_s: int = 7200) -> Call:
    keys = KeySet(
        operator_secret=SECRET, data_secret=b"1234567890abcdef", data_iv=b"abcdef1234567890", sig_secret=b"s"
    )
    partner = PartnerConfig(
        name="快电",
        operator_id=OPERATOR,
        kind="operator",
        base_url="http://partner.invalid/evcs/v1.0/",
        ocpi_party=PartyRef(country_code="CN", party_id="KDN"),
        our_operator_id="MA24YKWR9",
        allow_ips=(),
        ours=keys,
        theirs=keys,
        token_lifetime_s=token_lifetime_s,
    )
    config = InterconnectConfig(
        operator_id="MA24YKWR9",
        base_path="/evcs/v1.0",
        public_url="http://hub",
        partners=(partner,),
        secret_key=KEY,
    )
    runtime = InterconnectRuntime(config=config, clock=FixedClock(NOW), core_getter=lambda: None)
    return Call(runtime=runtime, partner=partner, interface="query_token")


async def test_query_token_answers_a_token_for_the_caller() -> None:
    call = a_call(token_lifetime_s=900)

    answer = await query_token(call, {"OperatorID": OPERATOR, "OperatorSecret": SECRET})

    assert {k: v for k, v in answer.items() if k != "AccessToken"} == {
        "OperatorID": OPERATOR,
        "SuccStat": 0,
        "TokenAvailableTime": 900,
        "FailReason": 0,
    }
    token = answer["AccessToken"]
    assert token_valid(KEY, token, OPERATOR, SECRET, NOW + timedelta(seconds=899))
    assert not token_valid(KEY, token, OPERATOR, SECRET, NOW + timedelta(seconds=900))


async def test_query_token_matches_keys_loosely_and_takes_numbers() -> None:
    call = a_call()
    numeric = dataclasses.replace(call.partner, operator_id="123456789")

    answer = await query_token(
        Call(runtime=call.runtime, partner=numeric, interface="query_token"),
        {" operatorid ": 123456789, "operatorSecret": SECRET},
    )

    assert (answer["SuccStat"], answer["OperatorID"]) == (0, "123456789")


@pytest.mark.parametrize(
    ("payload", "fail_reason"),
    [
        ({"OperatorID": "MA999999X", "OperatorSecret": SECRET}, 1),
        ({"OperatorID": OPERATOR, "OperatorSecret": SECRET + "x"}, 2),
        ({"OperatorID": OPERATOR, "OperatorSecret": ""}, 2),
    ],
)
async def test_query_token_refusals_are_succ_stat_1(payload: dict[str, Any], fail_reason: int) -> None:
    answer = await query_token(a_call(), payload)

    assert answer == {
        "OperatorID": payload["OperatorID"],
        "SuccStat": 1,
        "AccessToken": "",
        "TokenAvailableTime": 0,
        "FailReason": fail_reason,
    }


@pytest.mark.parametrize(
    "payload", [{}, {"OperatorID": OPERATOR}, {"OperatorID": [1], "OperatorSecret": SECRET}]
)
async def test_query_token_without_its_fields_is_ret_4004(payload: dict[str, Any]) -> None:
    with pytest.raises(InterconnectError) as raised:
        await query_token(a_call(), payload)

    assert raised.value.ret is Ret.PAYLOAD
