"""The compiled OCPP schemas: lookup per version, the violation -> CallError table, and agreement with the
reference validator (`jsonschema` Draft 4, what the `ocpp` package uses) on mutated payloads."""

from __future__ import annotations

import copy
import json
import os
import re
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.ocpp import schemas
from hub.ocpp.errors import (
    CALL_ERROR_CLASSES,
    CallErrorReceived,
    FormatViolationCallError,
    ProtocolCallError,
    TypeConstraintViolationCallError,
)
from hub.ocpp.protocol import dumps, fingerprint, loads

V16 = schemas.package_schema_dir("v16")
V201 = schemas.package_schema_dir("v201")

VALID_16: dict[str, dict[str, Any]] = {
    "BootNotification": {"chargePointVendor": "ACME", "chargePointModel": "X1", "firmwareVersion": "1.0"},
    "Authorize": {"idTag": "04A1B2C3D4E5F6"},
    "StatusNotification": {
        "connectorId": 1,
        "errorCode": "NoError",
        "status": "Available",
        "timestamp": "2026-01-01T00:00:00Z",
    },
    "StartTransaction": {
        "connectorId": 1,
        "idTag": "TAG",
        "meterStart": 0,
        "timestamp": "2026-01-01T00:00:00Z",
    },
    "MeterValues": {
        "connectorId": 1,
        "transactionId": 5,
        "meterValue": [
            {
                "timestamp": "2026-01-01T00:00:00Z",
                "sampledValue": [
                    {"value": "123", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
                ],
            }
        ],
    },
    "StopTransaction": {"transactionId": 5, "meterStop": 100, "timestamp": "2026-01-01T01:00:00Z"},
}


# The hub also checks `format: date-time` (with a lenient pattern); the `ocpp` package checks no formats.
_FORMATS = jsonschema.FormatChecker(formats=())


def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or re.match(schemas._DATE_TIME, value) is not None


_FORMATS.checks("date-time")(_is_date_time)


def _reference(action: str) -> jsonschema.Draft4Validator:
    path = os.path.join(V16, f"{action}.json")
    with open(path, encoding="utf-8-sig") as f:
        return jsonschema.Draft4Validator(json.load(f), format_checker=_FORMATS)


def test_lookup_per_version_and_missing_schema() -> None:
    assert schemas.get_validator(V16, "Heartbeat", "Request") is not None
    assert schemas.get_validator(V16, "Heartbeat", "Response") is not None
    assert schemas.get_validator(V201, "TransactionEvent", "Request") is not None
    assert schemas.get_validator(V16, "TransactionEvent", "Request") is None
    assert schemas.get_validator(V16, "../../etc/passwd", "Request") is None
    assert schemas.get_validator(V16, "Heartbeat", "Request") is schemas.get_validator(
        V16, "Heartbeat", "Request"
    )
    assert schemas.check(V16, "NoSuchAction", "Request", {"anything": 1}) is None


@pytest.mark.parametrize(
    ("action", "payload", "error"),
    [
        ("Authorize", {"idTag": "A", "x": 1}, FormatViolationCallError),
        ("Authorize", {}, ProtocolCallError),
        ("Authorize", {"idTag": 1}, TypeConstraintViolationCallError),
        ("Authorize", {"idTag": "A" * 21}, TypeConstraintViolationCallError),
        (
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Nope"},
            FormatViolationCallError,
        ),
        ("Heartbeat", [], TypeConstraintViolationCallError),
    ],
)
def test_violation_table(action: str, payload: Any, error: type[Exception]) -> None:
    found = schemas.check(V16, action, "Request", payload)
    assert type(found) is error
    with pytest.raises(error):
        schemas.validate(V16, action, "Request", payload)


def test_violation_details_name_the_field() -> None:
    found = schemas.check(V16, "Authorize", "Request", {"idTag": 1})
    assert found is not None
    assert found.details == {"rule": "type", "field": "idTag"}


@pytest.mark.parametrize(
    "timestamp",
    [
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00",
        "2026-01-01T00:00:00.123456789+02:00",
        "2026-01-01T00:00Z",
    ],
)
def test_timestamps_without_offset_or_with_long_fractions_pass(timestamp: str) -> None:
    payload = {**VALID_16["StartTransaction"], "timestamp": timestamp}
    assert schemas.check(V16, "StartTransaction", "Request", payload) is None


def test_limits_are_multiples_of_a_tenth_even_as_floats() -> None:
    profile = {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 21.4}],
            },
        },
    }
    assert schemas.check(V16, "SetChargingProfile", "Request", profile) is None
    profile["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = 4.11  # type: ignore[index]
    assert isinstance(schemas.check(V16, "SetChargingProfile", "Request", profile), FormatViolationCallError)


def test_every_packaged_schema_compiles() -> None:
    assert schemas.warm_up(V16) >= 70
    assert schemas.warm_up(V201) >= 120


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.text(max_size=30), st.floats(allow_nan=False)
)


_timestamps = st.one_of(
    st.sampled_from(
        ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00", "2026-01-01 00:00", "2026-13-01T00:00:00Z"]
    ),
    st.text(max_size=25),
)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, Any]:
    action = draw(st.sampled_from(sorted(VALID_16)))
    payload = copy.deepcopy(VALID_16[action])
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["drop", "add", "replace", "nested"]))
        keys = sorted(payload)
        if kind == "drop" and keys:
            payload.pop(draw(st.sampled_from(keys)))
        elif kind == "add":
            payload[draw(st.sampled_from(["extra", "idTag", "connectorId", "status"]))] = draw(_scalars)
        elif kind == "replace" and keys:
            key = draw(st.sampled_from(keys))
            payload[key] = draw(_timestamps if key == "timestamp" else _scalars)
        elif kind == "nested" and action == "MeterValues":
            sampled = VALID_16["MeterValues"]["meterValue"][0]["sampledValue"][0] | {}
            field = draw(st.sampled_from(["value", "unit", "context", "phase", "bogus"]))
            sampled[field] = draw(
                st.one_of(_scalars, st.sampled_from(["Wh", "Celcius", "Sample.Clock", "L1"]))
            )
            payload["meterValue"] = [{"timestamp": draw(_timestamps), "sampledValue": [sampled]}]
    return action, payload


@settings(max_examples=300, deadline=None)
@given(mutated())
def test_compiled_validators_agree_with_jsonschema_draft4(case: tuple[str, Any]) -> None:
    action, payload = case
    ours = schemas.check(V16, action, "Request", payload)
    reference_errors = list(_reference(action).iter_errors(payload))
    assert (ours is None) == (not reference_errors), (payload, ours, reference_errors)


def test_call_error_classes_and_received_error() -> None:
    assert CALL_ERROR_CLASSES["FormatViolation"] is FormatViolationCallError
    assert FormatViolationCallError().code == "FormatViolation"
    received = CallErrorReceived("OccurenceConstraintViolation", "odd spelling", {"a": 1})
    assert received.code == "OccurenceConstraintViolation"
    assert received.details == {"a": 1}


def test_json_codec_round_trip_and_big_integers() -> None:
    from decimal import Decimal

    assert dumps([2, "1", "X", {"limit": Decimal("21.4")}]) == '[2,"1","X",{"limit":21.4}]'
    assert loads('[3, "1", {"transactionId": 123456789012345678901234567890}]')[2]["transactionId"] > 2**64
    with pytest.raises(ValueError):  # noqa: PT011 - any ValueError subclass is a parse failure
        loads("[NaN]")


def test_fingerprint_hides_the_secret() -> None:
    secret = "cp001-secret-password"
    fp = fingerprint(secret)
    assert fp.startswith("cp00")
    assert secret not in fp
    assert fingerprint(secret) == fp != fingerprint(secret + "x")
    assert fingerprint(None) == "-"
