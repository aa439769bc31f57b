"""OCPI 2.2.1 Commands (mod_commands.asciidoc): permissive request models (CM-06…CM-08), `parse_command`, the
synchronous CommandResponse (CM-02) and the asynchronous CommandResult from a core Command (CM-03).

An adapter module: imports pydantic, the core and the sibling `types` module only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from hub.core.errors import InvalidRequestError
from hub.core.models import Command, CommandResultType
from ocpi_modules.v2_2_1.types import display_text, parse_datetime

COMMAND_RESPONSE_TYPES = frozenset({"ACCEPTED", "NOT_SUPPORTED", "REJECTED", "UNKNOWN_SESSION"})
COMMAND_RESULT_TYPES = frozenset(
    {
        "ACCEPTED",
        "CANCELED_RESERVATION",
        "EVSE_OCCUPIED",
        "EVSE_INOPERATIVE",
        "FAILED",
        "NOT_SUPPORTED",
        "REJECTED",
        "TIMEOUT",
        "UNKNOWN_RESERVATION",
    }
)


def _aware(value: Any) -> Any:
    """DateTimes per §5 (no designator = UTC); pydantic reports a ValueError with the field's location."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return parse_datetime(value)


WireDateTime = Annotated[datetime, BeforeValidator(_aware)]


class _Request(BaseModel):
    """Inbound command body: unknown fields kept (§22), numbers accepted where ids are strings (2.1.1's
    integer reservation_id)."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    response_url: str


class StartSession(_Request):
    token: dict[str, Any]
    location_id: str
    evse_uid: str | None = None
    connector_id: str | None = None
    authorization_reference: str | None = None


class StopSession(_Request):
    session_id: str


class ReserveNow(_Request):
    token: dict[str, Any]
    expiry_date: WireDateTime
    reservation_id: str
    location_id: str
    evse_uid: str | None = None
    authorization_reference: str | None = None


class CancelReservation(_Request):
    reservation_id: str


class UnlockConnector(_Request):
    location_id: str
    evse_uid: str
    connector_id: str


CommandRequest = StartSession | StopSession | ReserveNow | CancelReservation | UnlockConnector

COMMAND_MODELS: dict[str, type[_Request]] = {
    "START_SESSION": StartSession,
    "STOP_SESSION": StopSession,
    "RESERVE_NOW": ReserveNow,
    "CANCEL_RESERVATION": CancelReservation,
    "UNLOCK_CONNECTOR": UnlockConnector,
}
OCPI_COMMANDS = frozenset(COMMAND_MODELS)


def parse_command(command_type: str, data: dict[str, Any]) -> Any:
    """The request model for `command_type` (case-insensitive, CM-01): one of the `CommandRequest` classes
    (typed Any so callers dispatching on the command name need no narrowing). Raises InvalidRequestError
    naming the field for an unknown command, a missing/ill-typed field, or connector_id without evse_uid."""
    model = COMMAND_MODELS.get(command_type.upper()) if isinstance(command_type, str) else None
    if model is None:
        raise InvalidRequestError(f"command: unknown command {command_type!r}", field="command")
    if not isinstance(data, dict):
        raise InvalidRequestError("expected a JSON object", field="body")
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "body"
        raise InvalidRequestError(f"{field}: {error['msg']}", field=field) from None
    if isinstance(parsed, StartSession) and parsed.connector_id is not None and parsed.evse_uid is None:
        raise InvalidRequestError("evse_uid: required when connector_id is set", field="evse_uid")
    return parsed


def command_response(result: str, timeout: int, message: str | None = None) -> dict[str, Any]:
    """A CommandResponse (CM-02); raises ValueError for a result outside CommandResponseType."""
    value = str(result)
    if value not in COMMAND_RESPONSE_TYPES:
        raise ValueError(f"not a CommandResponseType: {value!r}")
    response: dict[str, Any] = {"result": value, "timeout": int(timeout)}
    if message:
        response["message"] = [display_text(message)]
    return response


def command_result(command: Command) -> dict[str, Any]:
    """The CommandResult POSTed to `response_url` (CM-03). UNKNOWN_SESSION exists only as a synchronous
    CommandResponse, so it is sent as REJECTED with a message. Raises ValueError while the command has no
    result yet."""
    if command.result is None:
        raise ValueError(f"command {command.id} has no result yet")
    message = command.message
    if command.result is CommandResultType.UNKNOWN_SESSION:
        result = CommandResultType.REJECTED.value
        message = message or "unknown session"
    else:
        result = command.result.value
    body: dict[str, Any] = {"result": result}
    if message:
        body["message"] = [display_text(message)]
    return body
