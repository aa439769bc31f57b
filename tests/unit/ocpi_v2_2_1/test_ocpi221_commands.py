"""Commands (CM-01…CM-08) and ChargingProfiles (CP-01…CP-05) wire models and result mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.errors import InvalidRequestError
from hub.core.models import Command, CommandResultType, CommandType
from ocpi_modules.v2_2_1.chargingprofiles import (
    SetChargingProfile,
    charging_profile_response,
    from_core_schedule,
    profile_result,
    to_core_limit,
)
from ocpi_modules.v2_2_1.commands import (
    COMMAND_RESULT_TYPES,
    OCPI_COMMANDS,
    CancelReservation,
    ReserveNow,
    StartSession,
    StopSession,
    UnlockConnector,
    command_response,
    command_result,
    parse_command,
)
from tests.unit.ocpi_v2_2_1.kit import T0, fixture, wire

URL = "https://emsp.example.com/ocpi/2.2.1/commands/START_SESSION/cmd-1"


def test_cm_01_exactly_the_five_commands_are_known() -> None:
    assert (
        frozenset({"START_SESSION", "STOP_SESSION", "RESERVE_NOW", "CANCEL_RESERVATION", "UNLOCK_CONNECTOR"})
        == OCPI_COMMANDS
    )


def test_cm_06_start_session_keeps_the_full_token_and_unknown_fields() -> None:
    body = {
        "response_url": URL,
        "token": fixture("examples/token_put.json"),
        "location_id": "GENT-SQ-01",
        "evse_uid": "GENT-1",
        "connector_id": "2",
        "authorization_reference": "ref-1",
        "x_vendor": True,
    }
    command = parse_command("START_SESSION", body)
    assert isinstance(command, StartSession)
    assert command.token == fixture("examples/token_put.json")
    assert (command.location_id, command.evse_uid, command.connector_id) == ("GENT-SQ-01", "GENT-1", "2")
    assert command.model_extra == {"x_vendor": True}


def test_cm_06_connector_without_evse_is_refused() -> None:
    body = {"response_url": URL, "token": {}, "location_id": "L", "connector_id": "1"}
    with pytest.raises(InvalidRequestError) as info:
        parse_command("START_SESSION", body)
    assert info.value.field == "evse_uid"


@pytest.mark.parametrize(
    ("name", "body", "model"),
    [
        ("stop_session", {"response_url": URL, "session_id": "S1"}, StopSession),
        ("CANCEL_RESERVATION", {"response_url": URL, "reservation_id": "R1"}, CancelReservation),
        (
            "UNLOCK_CONNECTOR",
            {"response_url": URL, "location_id": "L", "evse_uid": "E", "connector_id": "1"},
            UnlockConnector,
        ),
    ],
)
def test_cm_07_command_models(name: str, body: dict[str, Any], model: type) -> None:
    assert isinstance(parse_command(name, body), model)


def test_cm_08_reserve_now_parses_expiry_and_accepts_integer_reservation_ids() -> None:
    body = {
        "response_url": URL,
        "token": {"uid": "A"},
        "expiry_date": "2026-03-02T09:30:00",
        "reservation_id": 17,
        "location_id": "L",
    }
    command = parse_command("RESERVE_NOW", body)
    assert isinstance(command, ReserveNow)
    assert command.expiry_date == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert command.reservation_id == "17"


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("REBOOT", {"response_url": URL}, "command"),
        ("STOP_SESSION", {"session_id": "S1"}, "response_url"),
        ("STOP_SESSION", ["not", "an", "object"], "body"),
        ("START_SESSION", {"response_url": URL, "token": "abc", "location_id": "L"}, "token"),
        ("RESERVE_NOW", {"response_url": URL, "token": {}, "expiry_date": "tomorrow", "reservation_id": "R",
                         "location_id": "L"}, "expiry_date"),
    ],
)  # fmt: skip
def test_parse_command_names_the_bad_field(name: str, body: Any, field: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse_command(name, body)
    assert info.value.field == field


def test_cm_02_command_response() -> None:
    assert command_response("ACCEPTED", 30) == {"result": "ACCEPTED", "timeout": 30}
    assert command_response("REJECTED", 0, "EVSE offline") == {
        "result": "REJECTED",
        "timeout": 0,
        "message": [{"language": "en", "text": "EVSE offline"}],
    }
    with pytest.raises(ValueError, match="CommandResponseType"):
        command_response("TIMEOUT", 30)


def a_command(result: CommandResultType | None, message: str | None = None) -> Command:
    return Command(
        id="cmd-1",
        type=CommandType.START_SESSION,
        station_id="CP001",
        result=result,
        message=message,
        reply_to=URL,
        created=T0,
        last_updated=T0,
    )


@given(st.sampled_from(CommandResultType))
def test_cm_03_every_core_result_maps_to_a_command_result_type(result: CommandResultType) -> None:
    body = command_result(a_command(result))
    assert body["result"] in COMMAND_RESULT_TYPES
    if result is not CommandResultType.UNKNOWN_SESSION:
        assert body["result"] == result.value


def test_cm_03_unknown_session_becomes_rejected_with_a_message() -> None:
    assert command_result(a_command(CommandResultType.UNKNOWN_SESSION)) == {
        "result": "REJECTED",
        "message": [{"language": "en", "text": "unknown session"}],
    }
    with pytest.raises(ValueError, match="no result"):
        command_result(a_command(None))


# --- charging profiles ------------------------------------------------------------------------------------


def test_cp_05_first_period_limit_and_unit() -> None:
    profile = {
        "charging_rate_unit": "a",
        "charging_profile_period": [{"start_period": 600, "limit": 10}, {"start_period": 0, "limit": 16.5}],
    }
    assert to_core_limit(profile) == (Decimal("16.5"), "A")


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({"charging_rate_unit": "kW", "charging_profile_period": [{"limit": 1}]}, "charging_rate_unit"),
        ({"charging_rate_unit": "W", "charging_profile_period": []}, "charging_profile_period"),
        ({"charging_rate_unit": "W", "charging_profile_period": [{"start_period": 0}]}, "limit"),
        ({"charging_rate_unit": "W", "charging_profile_period": [{"start_period": 0, "limit": -5}]}, "limit"),
    ],
)  # fmt: skip
def test_to_core_limit_names_the_unusable_field(profile: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        to_core_limit(profile)
    assert info.value.field is not None
    assert info.value.field.endswith(field)


def test_cp_01_set_charging_profile_model() -> None:
    body = SetChargingProfile.model_validate(
        {"charging_profile": {"charging_rate_unit": "W", "charging_profile_period": []}, "response_url": URL}
    )
    assert body.response_url == URL


def test_cp_02_cp_03_responses_and_results() -> None:
    assert charging_profile_response("TOO_OFTEN", 15) == {"result": "TOO_OFTEN", "timeout": 15}
    with pytest.raises(ValueError, match="ChargingProfileResponseType"):
        charging_profile_response("FAILED", 15)
    assert profile_result(CommandResultType.ACCEPTED) == {"result": "ACCEPTED"}
    assert profile_result(CommandResultType.UNKNOWN_SESSION) == {"result": "UNKNOWN"}
    assert profile_result(CommandResultType.TIMEOUT) == {"result": "REJECTED"}
    assert profile_result("ACCEPTED", {"start_date_time": T0}) == {
        "result": "ACCEPTED",
        "profile": {"start_date_time": T0},
    }


def test_from_core_schedule_builds_an_active_charging_profile() -> None:
    schedule = {
        "start": T0,
        "unit": "A",
        "duration_s": 3600,
        "periods": [{"start_s": 0, "limit": Decimal("16.04")}, {"start_s": 1800, "limit": Decimal(8)}],
        "evse_no": 1,
    }
    assert wire(from_core_schedule(schedule)) == {
        "start_date_time": "2026-03-02T08:30:00Z",
        "charging_profile": {
            "start_date_time": "2026-03-02T08:30:00Z",
            "duration": 3600,
            "charging_rate_unit": "A",
            "charging_profile_period": [
                {"start_period": 0, "limit": Decimal("16.0")},
                {"start_period": 1800, "limit": 8},
            ],
        },
    }


def test_from_core_schedule_without_start_uses_now_or_refuses() -> None:
    schedule: dict[str, Any] = {"start": None, "unit": "W", "periods": []}
    assert from_core_schedule(schedule, now=T0)["start_date_time"] == T0
    with pytest.raises(InvalidRequestError):
        from_core_schedule(schedule)
