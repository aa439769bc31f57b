"""Alarms (告警), recorded station notifications and outbox messages.

Imports the standard library, pydantic and the other model modules only.
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime

from hub.core.models.base import CoreModel


class Alarm(CoreModel):
    """A station alarm (告警): a fault code on a station or one of its EVSEs, open until `ended`."""

    id: str
    station_id: str
    evse_uid: str | None = None
    code: str
    description: str | None = None
    severity: str = "fault"
    started: AwareDatetime
    ended: AwareDatetime | None = None
    last_updated: AwareDatetime


class StationNotification(CoreModel):
    """Recorded station-side facts the core does not act on (firmware, diagnostics, logs, security events,
    NotifyEvent, DataTransfer)."""

    id: str
    station_id: str
    kind: str
    timestamp: AwareDatetime
    payload: dict[str, Any]


class OutboxMessage(CoreModel):
    """Something a partner must be told, written in the same transaction as the state it reports.

    `topic` names the kind (e.g. `session.updated`), `key` orders delivery (one key is delivered in
    order), `target` names the receiving party or adapter route."""

    id: int | None = None
    topic: str
    key: str
    target: str | None = None
    payload: dict[str, Any]
    created: AwareDatetime
    attempts: int = 0
    next_attempt_at: AwareDatetime
    delivered_at: AwareDatetime | None = None
    last_error: str | None = None
