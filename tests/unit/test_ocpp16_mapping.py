"""OCPP 1.6 wire <-> core mapping: timestamps, statuses, idTagInfo, transaction reports, sampled values
(strings, Wh default, Celcius, clamping, overflow dropped), charging limits and command answers; plus
the dispatch table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

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
)
from hub.ocpp import schemas
from hub.ocpp.v16 import VERSION, mapping, policy
from hub.ocpp.v16.handlers import HANDLERS

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


# --- timestamps ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-01T12:00:00Z", NOW),
        ("2026-01-01T12:00:00", NOW),  # no offset: UTC
        ("2026-01-01T14:00:00+02:00", NOW),
        ("2026-01-01T12:00:00.123456789Z", NOW + timedelta(microseconds=123456)),
        ("2026-01-01T12:00:00,5Z", NOW + timedelta(milliseconds=500)),
        ("2026-01-01 12:00", NOW),
    ],
)
def test_parse_timestamp(text: str, expected: datetime) -> None:
    parsed = mapping.parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", ["yesterday", "2026-02-30T00:00:00Z", "", 5, None])
def test_parse_timestamp_rejects_garbage(text: object) -> None:
    with pytest.raises(mapping.WireValueError):
        mapping.parse_timestamp(text)


def test_format_timestamp_is_utc_with_z() -> None:
    cet = timezone(timedelta(hours=1))
    assert mapping.format_timestamp(datetime(2026, 1, 1, 13, tzinfo=cet)) == "2026-01-01T12:00:00.000Z"


@given(st.datetimes(timezones=st.just(UTC)))
def test_timestamp_round_trip_to_the_millisecond(when: datetime) -> None:
    back = mapping.parse_timestamp(mapping.format_timestamp(when))
    assert back == when.replace(microsecond=when.microsecond // 1000 * 1000)


# --- boot, status, authorization ------------------------------------------------------------------------


def test_boot_info_takes_either_serial_number() -> None:
    info = mapping.to_boot_info(
        {"chargePointVendor": "V", "chargePointModel": "M", "chargeBoxSerialNumber": "S1"}
    )
    assert (info.vendor, info.model, info.serial_number, info.firmware_version) == ("V", "M", "S1", None)


@pytest.mark.parametrize("status", list(mapping.CONNECTOR_STATES))
def test_every_1_6_status_maps(status: str) -> None:
    report = mapping.to_status_report(
        {"connectorId": 2, "errorCode": "NoError", "status": status, "timestamp": "2026-01-01T12:00:00Z"}
    )
    assert report.state is ConnectorState(status)
    assert report.evse_no == 2
    assert report.timestamp == NOW


def test_status_report_keeps_fault_details() -> None:
    report = mapping.to_status_report(
        {
            "connectorId": 0,
            "errorCode": "GroundFailure",
            "status": "Faulted",
            "info": "RCD",
            "vendorErrorCode": "E1",
        }
    )
    assert (report.evse_no, report.error_code, report.info, report.vendor_error_code) == (
        0,
        "GroundFailure",
        "RCD",
        "E1",
    )
    assert report.timestamp is None


@pytest.mark.parametrize(
    ("status", "wire"),
    [
        (AuthorizationStatus.ALLOWED, "Accepted"),
        (AuthorizationStatus.BLOCKED, "Blocked"),
        (AuthorizationStatus.EXPIRED, "Expired"),
        (AuthorizationStatus.NO_CREDIT, "Invalid"),
        (AuthorizationStatus.NOT_ALLOWED, "Invalid"),
        (AuthorizationStatus.UNKNOWN, "Invalid"),
    ],
)
def test_id_tag_info_status(status: AuthorizationStatus, wire: str) -> None:
    assert mapping.to_id_tag_info(AuthorizationDecision(status=status)) == {"status": wire}


def test_id_tag_info_expiry_parent_and_concurrent_tx() -> None:
    token = Token(
        uid="T1",
        party=PartyRef(country_code="NL", party_id="MSP"),
        contract_id="C",
        group_id="GROUP1",
        last_updated=NOW,
    )
    decision = AuthorizationDecision(status=AuthorizationStatus.ALLOWED, token=token, expires_at=NOW)
    info = mapping.to_id_tag_info(decision)
    assert info == {"status": "Accepted", "expiryDate": "2026-01-01T12:00:00.000Z", "parentIdTag": "GROUP1"}
    assert mapping.to_id_tag_info(decision, concurrent_tx=True)["status"] == "ConcurrentTx"
    long_group = token.model_copy(update={"group_id": "G" * 21})
    assert "parentIdTag" not in mapping.to_id_tag_info(decision.model_copy(update={"token": long_group}))


# --- transactions -----------------------------------------------------------------------------------


def test_start_report() -> None:
    report = mapping.to_start_report(
        {
            "connectorId": 1,
            "idTag": "TAG",
            "meterStart": 1234,
            "timestamp": "2026-01-01T12:00:00Z",
            "reservationId": 9,
        }
    )
    assert report.kind is TransactionEventKind.STARTED
    assert report.transaction_id is None
    assert (report.evse_no, report.id_tag, report.meter_wh, report.reservation_id) == (
        1,
        "TAG",
        Decimal(1234),
        9,
    )


def test_stop_report_with_transaction_data_and_default_reason() -> None:
    report = mapping.to_stop_report(
        {
            "transactionId": -1,
            "meterStop": 5000,
            "timestamp": "2026-01-01T13:00:00Z",
            "transactionData": [
                {
                    "timestamp": "2026-01-01T12:30:00Z",
                    "sampledValue": [{"value": "2500", "context": "Sample.Periodic"}],
                }
            ],
        }
    )
    assert report.kind is TransactionEventKind.ENDED
    assert report.transaction_id == "-1"  # placeholder passed on for the core to resolve
    assert report.stop_reason == "Local"
    assert report.meter_wh == Decimal(5000)
    assert [(s.value, s.unit, s.context) for s in report.samples] == [
        (Decimal("2.5"), "kWh", "Sample.Periodic")
    ]


def test_huge_transaction_ids_and_meter_values_are_handled() -> None:
    report = mapping.to_stop_report(
        {"transactionId": 9223372036854775807, "meterStop": 10**20, "timestamp": "2026-01-01T13:00:00Z"}
    )
    assert report.transaction_id == "9223372036854775807"
    assert report.meter_wh == policy.METER_WH_MAX
    assert mapping.meter_wh(-5) == 0
    assert mapping.wire_transaction_id("17") == 17
    assert mapping.wire_transaction_id("abc") is None
    assert mapping.wire_transaction_id(str(2**70)) is None


# --- meter values -------------------------------------------------------------------------------------


def _mv(*sampled: dict[str, object]) -> list[dict[str, object]]:
    return [{"timestamp": "2026-01-01T12:00:00Z", "sampledValue": list(sampled)}]


def test_energy_defaults_to_the_import_register_in_wh() -> None:
    (sample,) = mapping.to_meter_samples(_mv({"value": "12345"}))
    assert (sample.measurand, sample.value, sample.unit, sample.timestamp) == (
        "Energy.Active.Import.Register",
        Decimal("12.345"),
        "kWh",
        NOW,
    )


def test_units_are_normalised() -> None:
    samples = mapping.to_meter_samples(
        _mv(
            {"value": "1.5", "unit": "kWh"},
            {"value": "7.4", "measurand": "Power.Active.Import", "unit": "kW"},
            {"value": "16", "measurand": "Current.Import", "phase": "L1"},
            {"value": "230.1", "measurand": "Voltage"},
            {"value": "25", "measurand": "Temperature", "unit": "Celcius"},
            {"value": "300.15", "measurand": "Temperature", "unit": "K"},
            {"value": "80", "measurand": "SoC", "unit": "Percent"},
            {"value": "2000", "measurand": "Energy.Reactive.Import.Register", "unit": "varh"},
        )
    )
    assert [(s.value, s.unit) for s in samples] == [
        (Decimal("1.5"), "kWh"),
        (Decimal("7400.0"), "W"),
        (Decimal(16), "A"),
        (Decimal("230.1"), "V"),
        (Decimal(25), "Celsius"),
        (Decimal("27.00"), "Celsius"),
        (Decimal(80), "Percent"),
        (Decimal(2), "kvarh"),
    ]
    assert samples[2].phase == "L1"


def test_unusable_and_absurd_values_are_skipped_implausible_ones_clamped() -> None:
    samples = mapping.to_meter_samples(
        _mv(
            {"value": "not a number"},
            {"value": "NaN"},
            {"value": "Infinity"},
            {"value": "AB12CD", "format": "SignedData"},
            {"value": "1850000000000000"},  # firmware overflow (lbbrhzn/ocpp#1997)
            {"value": "-5"},
            {"value": "140", "measurand": "SoC", "unit": "Percent"},
        )
    )
    assert [(s.value, s.unit) for s in samples] == [
        (Decimal(0), "kWh"),  # a register below zero is clamped; the overflow is dropped
        (Decimal(100), "Percent"),
    ]


@given(st.integers(min_value=0, max_value=10**12))
def test_wh_register_strings_become_exact_kwh(wh: int) -> None:
    (sample,) = mapping.to_meter_samples(_mv({"value": str(wh), "unit": "Wh"}))
    assert sample.value * 1000 == Decimal(wh)


# --- commands -----------------------------------------------------------------------------------------


@given(st.decimals(min_value=0, max_value=100000, allow_nan=False, allow_infinity=False, places=4))
def test_limits_round_down_to_a_tenth(limit: Decimal) -> None:
    rounded = mapping.round_limit(limit)
    assert rounded <= limit
    assert limit - rounded < Decimal("0.1")
    assert rounded == rounded.quantize(Decimal("0.1"))
    number = mapping.limit_json(limit)
    assert Decimal(repr(number)) == rounded


@pytest.mark.parametrize(
    ("table", "status", "result", "message"),
    [
        (mapping.START_RESULTS, "Accepted", CommandResultType.ACCEPTED, None),
        (mapping.START_RESULTS, "Rejected", CommandResultType.REJECTED, "Rejected"),
        (mapping.UNLOCK_RESULTS, "Unlocked", CommandResultType.ACCEPTED, "Unlocked"),
        (mapping.UNLOCK_RESULTS, "UnlockFailed", CommandResultType.FAILED, "UnlockFailed"),
        (mapping.UNLOCK_RESULTS, "NotSupported", CommandResultType.NOT_SUPPORTED, "NotSupported"),
        (mapping.RESERVE_RESULTS, "Occupied", CommandResultType.EVSE_OCCUPIED, "Occupied"),
        (mapping.RESERVE_RESULTS, "Faulted", CommandResultType.EVSE_INOPERATIVE, "Faulted"),
        (mapping.RESERVE_RESULTS, "Unavailable", CommandResultType.EVSE_INOPERATIVE, "Unavailable"),
        (mapping.AVAILABILITY_RESULTS, "Scheduled", CommandResultType.ACCEPTED, "Scheduled"),
        (
            mapping.CHANGE_CONFIGURATION_RESULTS,
            "RebootRequired",
            CommandResultType.ACCEPTED,
            "RebootRequired",
        ),
        (mapping.LOCAL_LIST_RESULTS, "VersionMismatch", CommandResultType.REJECTED, "VersionMismatch"),
        (mapping.TRIGGER_RESULTS, "NotImplemented", CommandResultType.NOT_SUPPORTED, "NotImplemented"),
        (mapping.START_RESULTS, "SomethingNew", CommandResultType.FAILED, "SomethingNew"),
    ],
)
def test_command_answers(
    table: dict[str, CommandResultType], status: str, result: CommandResultType, message: str | None
) -> None:
    reply = mapping.to_reply(table, status)
    assert (reply.result, reply.message) == (result, message)


def test_composite_schedule_to_neutral_form() -> None:
    data = mapping.to_composite_schedule(
        {
            "status": "Accepted",
            "connectorId": 1,
            "scheduleStart": "2026-01-01T12:00:00Z",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "duration": 3600,
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": 16.0},
                    {"startPeriod": 1800, "limit": 10.5, "numberPhases": 3},
                ],
            },
        }
    )
    assert data is not None
    assert data["start"] == NOW
    assert data["unit"] == "A"
    assert data["periods"] == [
        {"start_s": 0, "limit": Decimal("16.0")},
        {"start_s": 1800, "limit": Decimal("10.5"), "phases": 3},
    ]
    assert mapping.to_composite_schedule({"status": "Rejected"}) is None


def test_configuration_answer() -> None:
    values, unknown = mapping.to_configuration(
        {
            "configurationKey": [
                {"key": "A", "readonly": False, "value": "1"},
                {"key": "B", "readonly": True},
            ],
            "unknownKey": ["C"],
        }
    )
    assert values == {"A": "1", "B": None}
    assert unknown == ["C"]


# --- the version bundle ---------------------------------------------------------------------------------


def test_every_station_message_has_a_handler() -> None:
    required = {
        "BootNotification",
        "Heartbeat",
        "StatusNotification",
        "Authorize",
        "StartTransaction",
        "StopTransaction",
        "MeterValues",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "SecurityEventNotification",
        "LogStatusNotification",
        "SignedFirmwareStatusNotification",
    }
    assert required <= set(HANDLERS)
    assert set(HANDLERS) <= policy.STATION_TO_CSMS_ACTIONS
    assert VERSION.handlers is HANDLERS
    with pytest.raises(TypeError):
        HANDLERS["X"] = HANDLERS["Heartbeat"]  # type: ignore[index]


def test_every_action_of_the_version_has_schemas() -> None:
    for action in policy.ACTIONS:
        assert schemas.has_schema(VERSION.schema_dir, action, "Request"), action
        assert schemas.has_schema(VERSION.schema_dir, action, "Response"), action
