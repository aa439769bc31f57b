"""Unit and property tests of the pure OCPP 2.0.1 wire <-> core mapping (hub/ocpp/v201/mapping.py)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import ocpp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.chargepoint import TransactionEventKind
from hub.core.models import (
    AuthorizationDecision,
    AuthorizationStatus,
    CommandResultType,
    ConnectorState,
    PartyRef,
    Token,
    TokenType,
)
from hub.ocpp import schemas
from hub.ocpp.v201 import VERSION, mapping

SCHEMAS = Path(ocpp.__file__).parent / "v201" / "schemas"

aware_datetimes = st.datetimes(
    min_value=datetime(1971, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by design
    max_value=datetime(2200, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def schema_enum(action: str, definition: str) -> set[str]:
    schema = json.loads((SCHEMAS / f"{action}.json").read_text())
    return set(schema["definitions"][definition]["enum"])


# --- Timestamps ---------------------------------------------------------------------------------


@given(aware_datetimes)
def test_format_then_parse_keeps_the_instant_to_the_millisecond(when: datetime) -> None:
    text = mapping.format_timestamp(when)
    assert text.endswith("Z")
    parsed = mapping.parse_timestamp(text)
    assert parsed.tzinfo is not None
    assert parsed.utcoffset() == timedelta(0)
    assert parsed == when.replace(microsecond=when.microsecond // 1000 * 1000)


@given(
    aware_datetimes,
    st.integers(min_value=-12 * 60, max_value=14 * 60),
    st.integers(min_value=0, max_value=9),
    st.sampled_from(["Z", "offset", "naive"]),
)
def test_parse_accepts_offsets_fractions_and_naive_times(
    when: datetime, offset_minutes: int, digits: int, zone: str
) -> None:
    when = when.replace(microsecond=0)
    local = when.astimezone(timezone(timedelta(minutes=offset_minutes))) if zone == "offset" else when
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + "0" * digits
    if zone == "Z":
        text += "Z"
    elif zone == "offset":
        sign = "+" if offset_minutes >= 0 else "-"
        text += f"{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"
    parsed = mapping.parse_timestamp(text)
    assert parsed == when
    assert parsed.utcoffset() == timedelta(0)


# Date-times in every shape the hub's schema check lets through (Z, offsets with or without a colon, hours
# only, comma fractions, no seconds, no zone), restricted to real calendar values.
schema_shaped_date_times = st.from_regex(
    r"\A20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9]([.,][0-9]{1,12})?)?([Zz]|[+-](0[0-9]|1[0-3])(:?[0-5][0-9])?)?\Z"
)


@given(schema_shaped_date_times)
def test_every_date_time_the_schema_check_accepts_is_parsed(text: str) -> None:
    assert schemas.check(VERSION.schema_dir, "Heartbeat", "Response", {"currentTime": text}) is None
    parsed = mapping.parse_timestamp(text)
    assert parsed.utcoffset() == timedelta(0)


def test_parse_keeps_fractional_seconds_and_truncates_nanoseconds() -> None:
    assert mapping.parse_timestamp("2026-03-01T10:00:00.5Z").microsecond == 500_000
    assert mapping.parse_timestamp("2026-03-01T10:00:00.123456789Z").microsecond == 123_456
    assert mapping.parse_timestamp("2026-03-01t10:00:00z") == datetime(2026, 3, 1, 10, tzinfo=UTC)


@given(st.text(max_size=40))
def test_parse_raises_only_wire_value_error_on_garbage(text: str) -> None:
    try:
        parsed = mapping.parse_timestamp(text)
    except mapping.WireValueError:
        return
    assert parsed.tzinfo is not None


@pytest.mark.parametrize(
    "text", ["", "2026-01-01", "yesterday", "2026-13-01T00:00:00Z", "2026-01-01T25:00:00Z"]
)
def test_parse_rejects_non_date_times(text: str) -> None:
    with pytest.raises(mapping.WireValueError):
        mapping.parse_timestamp(text)


def test_format_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        mapping.format_timestamp(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


# --- Status and token tables --------------------------------------------------------------------


def test_every_connector_status_of_the_schema_is_mapped() -> None:
    assert set(mapping.CONNECTOR_STATES) == schema_enum(
        "StatusNotificationRequest", "ConnectorStatusEnumType"
    )
    assert mapping.to_connector_state("Occupied") is ConnectorState.OCCUPIED
    with pytest.raises(mapping.WireValueError):
        mapping.to_connector_state("Charging")


def test_status_report_keeps_evse_connector_and_time() -> None:
    report = mapping.to_status_report(
        {
            "timestamp": "2026-01-01T12:00:00+01:00",
            "connectorStatus": "Faulted",
            "evseId": 2,
            "connectorId": 1,
        }
    )
    assert (report.evse_no, report.connector_no, report.state) == (2, 1, ConnectorState.FAULTED)
    assert report.timestamp == datetime(2026, 1, 1, 11, tzinfo=UTC)


def test_authorization_statuses_are_total_and_valid_on_the_wire() -> None:
    assert set(mapping.AUTHORIZATION_STATUSES) == set(AuthorizationStatus)
    wire = schema_enum("AuthorizeResponse", "AuthorizationStatusEnumType")
    assert set(mapping.AUTHORIZATION_STATUSES.values()) <= wire
    assert mapping.AUTHORIZATION_STATUSES[AuthorizationStatus.NOT_ALLOWED] == "Invalid"


def test_token_types_are_total_and_valid_on_the_wire() -> None:
    assert set(mapping.TOKEN_TYPES) == set(TokenType)
    assert set(mapping.TOKEN_TYPES.values()) <= schema_enum("AuthorizeRequest", "IdTokenEnumType")
    assert mapping.to_id_token("04A1", TokenType.RFID) == {"idToken": "04A1", "type": "ISO14443"}
    assert mapping.to_id_token("app-user-1") == {"idToken": "app-user-1", "type": "Central"}


@pytest.mark.parametrize("uid", ["", "x" * 37])
def test_id_tokens_must_fit_the_schema(uid: str) -> None:
    with pytest.raises(ValueError, match="idToken"):
        mapping.to_id_token(uid)


@pytest.mark.parametrize(
    ("id_token", "expected"),
    [
        (None, None),
        ({"idToken": "", "type": "NoAuthorization"}, None),
        ({"idToken": "abc", "type": "NoAuthorization"}, None),
        ({"idToken": "04A1B2", "type": "ISO14443"}, "04A1B2"),
        ({"idToken": "NL-MSP-C1", "type": "eMAID"}, "NL-MSP-C1"),
    ],
)
def test_token_uid(id_token: dict[str, Any] | None, expected: str | None) -> None:
    assert mapping.token_uid(id_token) == expected


def test_id_token_info_carries_expiry_group_and_language() -> None:
    token = Token(
        uid="04A1",
        party=PartyRef(country_code="NL", party_id="MSP"),
        contract_id="NL-MSP-C1",
        group_id="FLEET-7",
        language="nl",
        last_updated=datetime(2026, 1, 1, tzinfo=UTC),
    )
    decision = AuthorizationDecision(
        status=AuthorizationStatus.ALLOWED, token=token, expires_at=datetime(2026, 1, 2, tzinfo=UTC)
    )
    assert mapping.to_id_token_info(decision) == {
        "status": "Accepted",
        "cacheExpiryDateTime": "2026-01-02T00:00:00Z",
        "groupIdToken": {"idToken": "FLEET-7", "type": "Central"},
        "language1": "nl",
    }
    assert mapping.to_id_token_info(AuthorizationDecision(status=AuthorizationStatus.UNKNOWN)) == {
        "status": "Unknown"
    }


# --- Meter values -------------------------------------------------------------------------------

finite_numbers = st.one_of(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
)


@given(finite_numbers, st.integers(min_value=-3, max_value=3))
def test_energy_in_wh_becomes_kwh_with_the_multiplier_applied(value: float, multiplier: int) -> None:
    result, unit = mapping.normalise_value(value, "Wh", multiplier)
    assert unit == "kWh"
    # energy registers cannot go below zero: a negative reading is clamped (hub/ocpp/metering.py)
    assert result == max(mapping.to_decimal(value).scaleb(multiplier) / 1000, Decimal(0))


@given(finite_numbers)
def test_kwh_and_kw_normalise_consistently(value: float) -> None:
    kwh, _ = mapping.normalise_value(value, "kWh")
    wh, _ = mapping.normalise_value(value, "Wh", 3)
    assert kwh == wh
    watts, unit = mapping.normalise_value(value, "kW")
    assert unit == "W"
    assert watts == mapping.to_decimal(value) * 1000


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_to_decimal_is_exact_for_the_shortest_float_repr(value: float) -> None:
    number = mapping.to_decimal(value)
    assert float(number) == value
    assert str(number) == repr(value) or number == Decimal(repr(value))


def test_numeric_strings_are_read_for_lenient_validation() -> None:
    assert mapping.to_decimal(" 12.50 ") == Decimal("12.50")


@pytest.mark.parametrize("value", [math.nan, math.inf, True, "twelve", "NaN", "-Infinity", "", None, [1]])
def test_non_numbers_are_wire_errors(value: Any) -> None:
    with pytest.raises(mapping.WireValueError):
        mapping.to_decimal(value)


def test_meter_samples_default_units_follow_the_measurand() -> None:
    samples = mapping.to_meter_samples(
        [
            {
                "timestamp": "2026-01-01T10:00:00Z",
                "sampledValue": [
                    {"value": 1234.5},  # default measurand, default unit Wh
                    {"value": 11, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "kW"}},
                    {"value": 16, "measurand": "Current.Import", "phase": "L1"},
                    {"value": 55, "measurand": "SoC", "context": "Sample.Periodic"},
                    {
                        "value": 21,
                        "measurand": "Energy.Active.Import.Register",
                        "unitOfMeasure": {"multiplier": 3},
                    },
                    {"value": 5, "unitOfMeasure": {"unit": "kWh", "multiplier": 15}},  # absurd: dropped
                ],
            }
        ]
    )
    assert [(s.measurand, s.value, s.unit, s.phase) for s in samples] == [
        ("Energy.Active.Import.Register", Decimal("1.2345"), "kWh", None),
        ("Power.Active.Import", Decimal(11000), "W", None),
        ("Current.Import", Decimal(16), "A", "L1"),
        ("SoC", Decimal(55), "Percent", None),
        ("Energy.Active.Import.Register", Decimal(21), "kWh", None),
    ]
    assert all(s.timestamp == datetime(2026, 1, 1, 10, tzinfo=UTC) for s in samples)
    assert samples[3].context == "Sample.Periodic"


# --- Transactions -------------------------------------------------------------------------------


def a_transaction_event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventType": "Updated",
        "timestamp": "2026-01-01T10:00:00Z",
        "triggerReason": "MeterValuePeriodic",
        "seqNo": 3,
        "transactionInfo": {"transactionId": "tx-1", "chargingState": "Charging"},
        "meterValue": [{"timestamp": "2026-01-01T10:00:00Z", "sampledValue": [{"value": 2500}]}],
    }
    event.update(overrides)
    return event


def test_transaction_report_uses_the_remembered_evse_when_the_event_has_none() -> None:
    report = mapping.to_transaction_report(a_transaction_event(), known_evse=(2, 1))
    assert (report.evse_no, report.connector_no) == (2, 1)
    assert report.kind is TransactionEventKind.UPDATED
    assert (report.transaction_id, report.seq_no, report.offline) == ("tx-1", 3, False)
    assert report.meter_wh is None
    assert [(s.value, s.unit, s.measurand) for s in report.samples] == [
        (Decimal("2.5"), "kWh", "Energy.Active.Import.Register")
    ]
    assert report.charging_state == "Charging"
    assert report.id_tag is None


def test_transaction_report_prefers_the_evse_in_the_event() -> None:
    report = mapping.to_transaction_report(
        a_transaction_event(
            eventType="Ended",
            offline=True,
            evse={"id": 1},
            idToken={"idToken": "04A1", "type": "ISO14443"},
            reservationId=7,
            transactionInfo={"transactionId": "tx-1", "stoppedReason": "EVDisconnected", "remoteStartId": 42},
        ),
        known_evse=(2, 1),
    )
    assert (report.evse_no, report.connector_no) == (1, None)
    assert report.kind is TransactionEventKind.ENDED
    assert report.offline is True
    assert (report.id_tag, report.reservation_id, report.remote_start_id) == ("04A1", 7, 42)
    assert report.stop_reason == "EVDisconnected"


# --- Command answers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "action", "definition"),
    [
        (mapping.START_STOP_RESULTS, "RequestStartTransactionResponse", "RequestStartStopStatusEnumType"),
        (mapping.UNLOCK_RESULTS, "UnlockConnectorResponse", "UnlockStatusEnumType"),
        (mapping.RESERVE_RESULTS, "ReserveNowResponse", "ReserveNowStatusEnumType"),
        (mapping.START_STOP_RESULTS, "CancelReservationResponse", "CancelReservationStatusEnumType"),
        (mapping.GENERIC_RESULTS, "SetChargingProfileResponse", "ChargingProfileStatusEnumType"),
        (mapping.CLEAR_PROFILE_RESULTS, "ClearChargingProfileResponse", "ClearChargingProfileStatusEnumType"),
        (mapping.GENERIC_RESULTS, "GetCompositeScheduleResponse", "GenericStatusEnumType"),
        (mapping.SCHEDULED_RESULTS, "ResetResponse", "ResetStatusEnumType"),
        (mapping.SCHEDULED_RESULTS, "ChangeAvailabilityResponse", "ChangeAvailabilityStatusEnumType"),
        (mapping.TRIGGER_RESULTS, "TriggerMessageResponse", "TriggerMessageStatusEnumType"),
        (mapping.SET_VARIABLE_RESULTS, "SetVariablesResponse", "SetVariableStatusEnumType"),
        (mapping.LOCAL_LIST_RESULTS, "SendLocalListResponse", "SendLocalListStatusEnumType"),
        (mapping.DATA_TRANSFER_RESULTS, "DataTransferResponse", "DataTransferStatusEnumType"),
        (mapping.BASE_REPORT_RESULTS, "GetBaseReportResponse", "GenericDeviceModelStatusEnumType"),
    ],
)
def test_every_station_answer_has_a_neutral_result(
    table: Mapping[str, CommandResultType], action: str, definition: str
) -> None:
    assert set(table) == schema_enum(action, definition)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Accepted", CommandResultType.ACCEPTED),
        ("Occupied", CommandResultType.EVSE_OCCUPIED),
        ("Faulted", CommandResultType.EVSE_INOPERATIVE),
        ("Unavailable", CommandResultType.EVSE_INOPERATIVE),
        ("Rejected", CommandResultType.REJECTED),
    ],
)
def test_reserve_now_answers_follow_the_ocpi_table(status: str, expected: CommandResultType) -> None:
    assert mapping.to_command_reply({"status": status}, mapping.RESERVE_RESULTS).result is expected


def test_command_reply_message_includes_status_info() -> None:
    reply = mapping.to_command_reply(
        {"status": "UnlockFailed", "statusInfo": {"reasonCode": "Jammed", "additionalInfo": "motor stuck"}},
        mapping.UNLOCK_RESULTS,
    )
    assert reply.result is CommandResultType.FAILED
    assert reply.message == "UnlockFailed: Jammed: motor stuck"


# --- Charging schedules and variables -----------------------------------------------------------


@given(st.decimals(min_value=0, max_value=10**6, places=4))
def test_wire_limits_round_down_to_one_decimal(limit: Decimal) -> None:
    wire = mapping.to_wire_limit(limit)
    assert Decimal(repr(wire)) <= limit
    assert limit - Decimal(repr(wire)) < Decimal("0.1")
    assert Decimal(repr(wire)) == Decimal(repr(wire)).quantize(Decimal("0.1"))


def test_composite_schedule_becomes_neutral_data() -> None:
    data = mapping.to_composite_schedule(
        {
            "evseId": 1,
            "duration": 3600,
            "scheduleStart": "2026-01-01T10:00:00Z",
            "chargingRateUnit": "W",
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 11000.0},
                {"startPeriod": 1800, "limit": 7400.5, "numberPhases": 3},
            ],
        }
    )
    assert data == {
        "start": datetime(2026, 1, 1, 10, tzinfo=UTC),
        "unit": "W",
        "duration_s": 3600,
        "evse_no": 1,
        "periods": [
            {"start_s": 0, "limit": Decimal("11000.0")},
            {"start_s": 1800, "limit": Decimal("7400.5"), "number_phases": 3},
        ],
    }


names = st.text(
    alphabet=st.characters(categories=["L", "N"], include_characters="_-"), min_size=1, max_size=50
)


@given(names, st.one_of(st.none(), names), names, st.one_of(st.none(), names))
def test_variable_keys_round_trip(
    component: str, component_instance: str | None, variable: str, variable_instance: str | None
) -> None:
    wire_component: dict[str, Any] = {"name": component}
    if component_instance:
        wire_component["instance"] = component_instance
    wire_variable: dict[str, Any] = {"name": variable}
    if variable_instance:
        wire_variable["instance"] = variable_instance
    key = mapping.variable_key(wire_component, wire_variable)
    assert mapping.parse_variable_key(key) == {"component": wire_component, "variable": wire_variable}


def test_variable_key_forms() -> None:
    assert mapping.parse_variable_key("OCPPCommCtrlr.HeartbeatInterval") == {
        "component": {"name": "OCPPCommCtrlr"},
        "variable": {"name": "HeartbeatInterval"},
    }
    assert mapping.parse_variable_key("EVSE.2.Power") == {
        "component": {"name": "EVSE", "instance": "2"},
        "variable": {"name": "Power"},
    }


@pytest.mark.parametrize(
    "key", ["HeartbeatInterval", "", ".Variable", "Component.", "a.b.c.d.e", "C." + "v" * 51]
)
def test_bad_variable_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match=r"Component|characters"):
        mapping.parse_variable_key(key)
