"""What every OCPP version package builds on: the handler context and signature, the version spec, the one
table from core errors to CallErrors, RPC options, JSON encoding and the secret fingerprint for logs.

Imports the standard library, orjson, hub.core and hub.ocpp.errors/schemas only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import orjson

from hub.core.errors import (
    ConflictError,
    HubError,
    HubTimeoutError,
    InvalidRequestError,
    NotFoundError,
    RejectedError,
    UnavailableError,
)
from hub.ocpp.errors import (
    FormatViolationCallError,
    GenericCallError,
    InternalCallError,
    OcppCallError,
    PropertyConstraintViolationCallError,
    SecurityCallError,
)

if TYPE_CHECKING:
    from hub.core.chargepoint import ChargePointApi
    from hub.ocpp.rpc import Connection


def fingerprint(secret: str | bytes | None) -> str:
    """The only way a password or token appears in a log line: first 4 characters + sha256[:8]."""
    if secret is None:
        return "-"
    raw = secret.encode() if isinstance(secret, str) else secret
    head = secret[:4] if isinstance(secret, str) else raw[:4].hex()
    return f"{head}…{hashlib.sha256(raw).hexdigest()[:8]}"


# --- Types the version packages build on -----------------------------------------------------------


@dataclass(frozen=True)
class HandlerContext:
    station_id: str
    api: ChargePointApi
    connection: Connection
    message_id: str


Handler = Callable[[HandlerContext, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class VersionSpec:
    """Everything the RPC layer needs to know about one OCPP version. Version differences are data here."""

    protocol: str  # the websocket subprotocol: "ocpp1.6" / "ocpp2.0.1"
    schema_dir: str  # the `ocpp` package's schema folder for this version
    handlers: Mapping[str, Handler]  # station -> CSMS actions the hub answers (MappingProxyType)
    actions: frozenset[str]  # every action of the version, both directions (NotImplemented vs NotSupported)
    boot_exempt: frozenset[str]  # actions allowed before an accepted BootNotification
    commands: Any  # the version's StationCommands instance
    format_violation_code: str = "FormatViolation"
    policy: Any = None  # free-form version data (the version's policy module)
    # Before an accepted boot: True answers SecurityError (2.0.1 B02/B03), False processes leniently (1.6).
    reject_before_boot: bool = False
    # Frame-level errors (OCPP-J §4.2): unparsable JSON, a JSON value that is not an RPC frame, a frame
    # with an unknown MessageTypeId (None: ignore it with a log line; 2.0.1 has MessageTypeNotSupported).
    invalid_json_code: str = "FormatViolation"
    invalid_frame_code: str = "ProtocolError"
    unknown_message_type_code: str | None = None

    def wire_code(self, code: str) -> str:
        return self.format_violation_code if code == FormatViolationCallError.default_code else code


# Core errors -> CallError (the adapter's one mapping table, ARCHITECTURE.md "Errors").
CORE_ERRORS: Mapping[type[HubError], type[OcppCallError]] = MappingProxyType(
    {
        InvalidRequestError: PropertyConstraintViolationCallError,
        NotFoundError: PropertyConstraintViolationCallError,
        ConflictError: GenericCallError,
        RejectedError: SecurityCallError,
        UnavailableError: InternalCallError,
        HubTimeoutError: InternalCallError,
        HubError: GenericCallError,
    }
)


def call_error_for(exc: HubError) -> OcppCallError:
    for cls in type(exc).__mro__:
        target = CORE_ERRORS.get(cls)
        if target is not None:
            details = {"field": exc.field} if isinstance(exc, InvalidRequestError) and exc.field else None
            return target(str(exc) or None, details)
    return GenericCallError(str(exc) or None)


@dataclass(frozen=True)
class RpcOptions:
    call_timeout_s: float = 30.0
    strict: bool = True  # False: log schema violations of station messages and go on
    max_queued_calls: int = 64  # incoming CALLs waiting for the worker (back-pressure beyond that)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    return orjson.dumps(value, default=_json_default).decode()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # orjson refuses integers beyond 64 bits, which the stdlib parses; anything else fails here too.
        return json.loads(text, parse_constant=_reject_constant)
