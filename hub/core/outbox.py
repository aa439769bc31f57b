"""Outbox topics and keys the core writes, and the helper that builds an outbox row.

A row's payload is the changed core object as JSON (`model_dump(mode="json")`); rows with the same key are
delivered in order. Imports the standard library and core models only.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from hub.core.models import CoreModel, OutboxMessage, PartyRef
from hub.core.ports import UnitOfWork


class Topic(StrEnum):
    """What an outbox row reports; the payload is the object named in the comment."""

    SESSION_UPDATED = "session.updated"  # Session
    CDR_CREATED = "cdr.created"  # Cdr
    COMMAND_RESULT = "command.result"  # Command (with its result)
    EVSE_STATUS = "evse.status"  # {party, location_id, evse_uid, station_id, old, new, evse}
    LOCATION_UPDATED = "location.updated"  # Location
    TOKEN_UPDATED = "token.updated"  # Token  # noqa: S105 (a topic name, not a secret)
    TARIFF_UPDATED = "tariff.updated"  # Tariff
    TARIFF_DELETED = "tariff.deleted"  # {party, id}


def session_key(session_id: str) -> str:
    """Session updates and the session's CDR share one key, so the CDR follows the final session."""
    return f"session:{session_id}"


def location_key(party: PartyRef, location_id: str) -> str:
    return f"location:{party.key()}:{location_id.upper()}"


def command_key(command_id: str) -> str:
    return f"command:{command_id}"


def token_key(party: PartyRef, uid: str) -> str:
    return f"token:{party.key()}:{uid.upper()}"


def tariff_key(party: PartyRef, tariff_id: str) -> str:
    return f"tariff:{party.key()}:{tariff_id.upper()}"


def outbox_message(topic: Topic, key: str, payload: dict[str, Any], now: datetime) -> OutboxMessage:
    """An undelivered row for every receiver (`target` None: the drainer fans out), due now."""
    return OutboxMessage(topic=str(topic), key=key, payload=payload, created=now, next_attempt_at=now)


async def add_change(uow: UnitOfWork, topic: Topic, key: str, model: CoreModel, now: datetime) -> None:
    """Write, in `uow`'s transaction, the outbox row that tells receivers about `model` as it now is."""
    await uow.outbox.add(outbox_message(topic, key, model.model_dump(mode="json"), now))


def same_content(old: CoreModel | None, new: CoreModel) -> bool:
    """True when `new` only repeats `old` (ignoring `last_updated`): such a write is a no-op, gets no new
    `last_updated`, no event and no outbox row (OCPI #428)."""
    if old is None:
        return False
    return old.model_dump(exclude={"last_updated"}) == new.model_dump(exclude={"last_updated"})
