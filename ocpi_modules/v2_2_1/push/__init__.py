"""Pushes of our hosted parties' objects to partner platforms (design "Outbox and pushes"): core outbox rows
are expanded into one `ocpi.<topic>` row per receiver, then each is pushed to its one receiver (retried until
it answers success). A package of adapter modules: they import structlog, ocpi_modules and the core only."""

from ocpi_modules.v2_2_1.push.base import (
    CPO_AUDIENCE,
    MODULES,
    PREFIX,
    Deliverer,
    PushFailedError,
    Receiver,
    parse_target,
)
from ocpi_modules.v2_2_1.push.pushers import cdr_for_wire
from ocpi_modules.v2_2_1.push.receivers import LOCATION_LEDGER, TARGETED_STATUSES
from ocpi_modules.v2_2_1.push.service import DROPPED_WHEN_OFFLINE, OcpiPushService
from ocpi_modules.v2_2_1.push.session_ledger import FINAL_SESSION, SESSION_LEDGER

__all__ = [
    "CPO_AUDIENCE",
    "DROPPED_WHEN_OFFLINE",
    "FINAL_SESSION",
    "LOCATION_LEDGER",
    "MODULES",
    "PREFIX",
    "SESSION_LEDGER",
    "TARGETED_STATUSES",
    "Deliverer",
    "OcpiPushService",
    "PushFailedError",
    "Receiver",
    "cdr_for_wire",
    "parse_target",
]
