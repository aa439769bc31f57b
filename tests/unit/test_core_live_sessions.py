"""What the session service remembers between reports (hub/core/sessions/common.py LiveSessions): a running
session's meter values need no read, yet a reconnect re-reads what another process may have changed, and a
station once seen without a PENDING session still finds one a later START_SESSION made. Core models still
refuse naive datetimes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from pydantic import ValidationError

from hub.core.chargepoint import TransactionEventKind, TransactionReport
from hub.core.models import Party, Role, SessionStatus, WhitelistType
from tests.unit.core_kit import (
    CPO,
    STATION,
    T0,
    Kit,
    a_roaming_token,
    a_session,
    a_start,
    a_stop,
    at,
    energy,
    make_kit,
)


async def online_kit() -> Kit:
    kit = await make_kit()
    await kit.online()
    kit.events.clear()
    return kit


async def test_a_reconnect_rereads_a_session_another_process_changed() -> None:
    kit = await online_kit()
    cp = kit.core.chargepoints
    start = await cp.transaction(STATION, a_start(0))
    assert start.session is not None
    assert start.transaction_id is not None
    await cp.meter_values(STATION, 1, start.transaction_id, (energy(10, 3000),))
    # Another hub process (the station was connected there meanwhile) stored a newer state of the session.
    async with kit.db.unit_of_work() as uow:
        stored = await uow.sessions.get(start.session.id)
        assert stored is not None
        await uow.sessions.put(stored.model_copy(update={"authorization_reference": "from-elsewhere"}))
        await uow.commit()
    await cp.disconnected(STATION)
    await cp.connected(STATION, "ocpp1.6")
    await cp.meter_values(STATION, 1, start.transaction_id, (energy(20, 6000),))
    async with kit.db.unit_of_work() as uow:
        session = await uow.sessions.get(start.session.id)
    assert session is not None
    assert (session.authorization_reference, session.meter_last_wh) == ("from-elsewhere", 6000)


async def test_a_pending_session_made_after_a_plain_charge_is_taken_up_by_the_next_start() -> None:
    kit = await online_kit()
    cp = kit.core.chargepoints
    first = await cp.transaction(STATION, a_start(0))  # the station is seen without a PENDING session
    await cp.transaction(STATION, a_stop(first.transaction_id, 30))
    kit.clock.advance(minutes=60)
    token = a_roaming_token("APP-USER-1", whitelist=WhitelistType.NEVER)
    command = await kit.core.commands.start_session(
        evse_uid="CP001*1", token=token, authorization_reference="auth-7", requester=token.party
    )
    await kit.core.commands.wait_result(command.id, 2)
    kit.clock.advance(minutes=6)  # the injected token has expired (5 min); the PENDING session has not (10)
    outcome = await cp.transaction(STATION, a_start(66, id_tag="app-user-1"))
    assert outcome.session is not None
    assert (outcome.session.status, outcome.session.authorization_reference, outcome.session.start) == (
        SessionStatus.ACTIVE,
        "auth-7",
        at(66),
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda when: Party(ref=CPO, role=Role.CPO, name="Own CPO", last_updated=when),
        lambda when: a_session(start=when),
        lambda when: a_session(end=when),
        lambda when: TransactionReport(kind=TransactionEventKind.UPDATED, transaction_id="1", timestamp=when),
    ],
)
def test_core_models_refuse_naive_datetimes(build: Callable[[datetime], object]) -> None:
    """Every datetime field is `AwareDatetime` (no per-field Python validator on the hot path any more)."""
    build(T0)
    with pytest.raises(ValidationError):
        build(T0.replace(tzinfo=None))
