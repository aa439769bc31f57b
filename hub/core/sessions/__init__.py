"""Charging sessions from station transaction reports (OCPP 1.6 Start/Stop and 2.0.1 TransactionEvent in
neutral form): idempotent starts, remote-start correlation, placeholder and unknown transaction ids, late
reports, meter values, and the CDR when a session ends (ocpp.md §5).

Session states: PENDING (accepted START_SESSION) → ACTIVE (the station started) → COMPLETED (ended, CDR made).
A start whose token is not allowed is recorded as INVALID (never billed, no CDR), except a start the station
made while offline: it charged on its own authority, so the session is ACTIVE and billed as usual.
Imports the standard library, structlog and the core only.
"""

from hub.core.sessions.common import (
    LATE_REPORT_AFTER,
    REMOTE_START_WINDOW,
    is_placeholder,
    save_session,
    start_key,
    stop_key,
)
from hub.core.sessions.service import SessionService

__all__ = [
    "LATE_REPORT_AFTER",
    "REMOTE_START_WINDOW",
    "SessionService",
    "is_placeholder",
    "save_session",
    "start_key",
    "stop_key",
]
