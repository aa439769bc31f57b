"""Constants, errors and small helpers shared by the simulated station, the fleet runner and the CLI.

Imports the standard library and aiohttp only.
"""

from __future__ import annotations

import base64
import json
import os
import ssl as ssl_module
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

OCPP16 = "ocpp1.6"
OCPP201 = "ocpp2.0.1"
PROTOCOLS = (OCPP16, OCPP201)
DEFAULT_ID_TAG = "04A1B2C3D4E5F6"
LATENCY_SAMPLES = 200_000
ENERGY_REGISTER = "Energy.Active.Import.Register"
RFID_TOKEN_TYPE = "ISO14443"  # noqa: S105 -- 2.0.1 IdTokenEnumType of a plain RFID card

# OCPP-J message type ids (OCPP-J 1.6 §4.1, 2.0.1 Part 4 §4.1)
CALL, CALLRESULT, CALLERROR = 2, 3, 4

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

Handler = Callable[[dict[str, Any]], "Awaitable[dict[str, Any]] | dict[str, Any]"]
AfterHook = Callable[[dict[str, Any], dict[str, Any]], "Awaitable[None] | None"]

# 1.6 connector states that 2.0.1 reports as one "Occupied" connectorStatus (spec notes §1)
_OCCUPIED_16 = frozenset({"Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing"})


class StationCallError(Exception):
    """The hub answered a CALL with a CALLERROR (or a handler wants to answer one)."""

    def __init__(self, code: str, description: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {description}" if description else code)
        self.code = code
        self.description = description
        self.details = details or {}


class StationClosedError(ConnectionError):
    """The websocket is not open (never connected, closed by us or by the hub)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds and `Z`, as both OCPP versions expect."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def basic_auth(username: str, password: str) -> str:
    """The `Authorization` header value of HTTP Basic auth (RFC 7617, UTF-8)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def client_ssl_context(
    ca_file: str | os.PathLike[str] | None = None,
    cert_file: str | os.PathLike[str] | None = None,
    key_file: str | os.PathLike[str] | None = None,
) -> ssl_module.SSLContext:
    """A TLS ≥ 1.2 client context trusting `ca_file` (profile 2), with a client certificate (profile 3)."""
    context = ssl_module.create_default_context(cafile=os.fspath(ca_file) if ca_file else None)
    context.minimum_version = ssl_module.TLSVersion.TLSv1_2
    if cert_file is not None:
        context.load_cert_chain(os.fspath(cert_file), os.fspath(key_file) if key_file else None)
    return context


@dataclass
class SimTransaction:
    """A transaction as the simulated station knows it."""

    id: str  # 1.6: the hub's integer as text; 2.0.1: the station's own uuid
    evse: int
    id_tag: str
    meter_start_wh: int
    register_wh: int
    started_at: datetime
    seq_no: int = 0  # 2.0.1: the next TransactionEvent's seqNo
    remote_start_id: int | None = None
    start_response: dict[str, Any] = field(default_factory=dict)
    ended: bool = False
    stop_response: dict[str, Any] | None = None
