"""Sessions from transaction reports: idempotent starts, placeholder and unknown ids, late and offline
reports, 2.0.1 sequence numbers, remote-start correlation, energy and charging periods, and the CDR that
ends a session (priced, immutable, written with its outbox row in the session's unit of work)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.core.chargepoint import TransactionEventKind
from hub.core.errors import ConflictError
from hub.core.events import CdrCreated, SessionUpdated
from hub.core.models import (
    AuthMethod,
    AuthorizationStatus,
    Session,
    SessionStatus,
    WhitelistType,
)
from hub.core.pricing import TariffEngine
from tests.unit.core_kit import (
    CPO,
    MSP,
    OWN_UID,
    STATION,
    Kit,
    a_roaming_token,
    a_start,
    a_stop,
    a_tariff,
    a_token,
    an_event,
    at,
    energy,
    make_kit,
)

STARTED, UPDATED, ENDED = (
    TransactionEventKind.STARTED,
    TransactionEventKind.UPDATED,
    TransactionEventKind.ENDED,
)


async def online_kit(**kw: object) -> Kit:
    kit = await make_kit(**kw)  # type: ignore[arg-type]
    await kit.online()
    kit.events.clear()
    return kit


def sessions(kit: Kit) -> list[Session]:
    return kit.db.committed("sessions")


def dims(session: Session) -> list[list[tuple[str, Decimal]]]:
    return [[(str(d.type), d.volume) for d in p.dimensions] for p in session.charging_periods]


# --- starts ----------------------------------------------------------------------------------------


async def test_the_hub_numbers_a_start_and_a_retry_gets_the_same_number() -> None:
    kit = await online_kit()
    first = await kit.core.chargepoints.transaction(STATION, a_start())
    retry = await kit.core.chargepoints.transaction(STATION, a_start())
    assert first.transaction_id == "1"
    assert first.authorization is not None
    assert first.authorization.status is AuthorizationStatus.ALLOWED
    assert (retry.transaction_id, retry.duplicate, first.duplicate) == ("1", True, False)
    assert retry.authorization is not None
    assert retry.authorization.allowed
    (session,) = sessions(kit)
    assert (session.status, session.start, session.evse_uid, session.connector_id) == (
        SessionStatus.ACTIVE,
        at(0),
        "CP001*1",
        "1",
    )
    assert (session.token_uid, session.token_party, session.contract_id) == (
        OWN_UID,
        MSP,
        "NL-MSP-C12345678-X",
    )
    assert (session.location_id, session.tariff_id, session.meter_start_wh) == (
        "LOC001",
        "STD",
        Decimal(1000),
    )
    assert len(kit.outbox("session.updated")) == 1
    assert [e.created for e in kit.events_of(SessionUpdated)] == [True]


async def test_a_start_with_other_data_is_a_new_transaction() -> None:
    kit = await online_kit(evses=2)
    first = await kit.core.chargepoints.transaction(STATION, a_start())
    second = await kit.core.chargepoints.transaction(STATION, a_start(evse_no=2, meter_wh=Decimal(500)))
    assert (first.transaction_id, second.transaction_id) == ("1", "2")
    assert len(sessions(kit)) == 2


async def test_a_start_whose_token_is_refused_is_recorded_invalid_and_never_billed() -> None:
    kit = await online_kit()
    await kit.core.tokens.put(a_token("BLOCKED1", valid=False))
    outcome = await kit.core.chargepoints.transaction(STATION, a_start(id_tag="BLOCKED1"))
    assert outcome.authorization is not None
    assert outcome.authorization.status is AuthorizationStatus.BLOCKED
    assert outcome.session is not None
    assert outcome.session.status is SessionStatus.INVALID
    ended = await kit.core.chargepoints.transaction(STATION, a_stop(outcome.transaction_id, 5))
    assert ended.session is not None
    assert (ended.session.status, ended.session.end) == (SessionStatus.INVALID, at(5))
    assert kit.db.committed("cdrs") == []


async def test_an_unknown_token_is_answered_unknown_and_the_session_is_invalid() -> None:
    kit = await online_kit()
    outcome = await kit.core.chargepoints.transaction(STATION, a_start(id_tag="WHOISTHIS"))
    assert outcome.authorization is not None
    assert outcome.authorization.status is AuthorizationStatus.UNKNOWN
    assert outcome.session is not None
    assert outcome.session.status is SessionStatus.INVALID
    assert outcome.session.token_uid == "WHOISTHIS"


async def test_a_start_reported_late_keeps_its_real_time_and_is_billed_even_if_now_refused() -> None:
    kit = await online_kit()
    await kit.core.tokens.put(a_token("BLOCKED1", valid=False))
    kit.clock.advance(hours=3)
    outcome = await kit.core.chargepoints.transaction(STATION, a_start(id_tag="BLOCKED1"))
    session = outcome.session
    assert session is not None
    assert (session.start, session.offline, session.status) == (at(0), True, SessionStatus.ACTIVE)
    ended = await kit.core.chargepoints.transaction(STATION, a_stop(outcome.transaction_id, 45))
    assert ended.session is not None
    assert (ended.session.start, ended.session.end, ended.session.status) == (
        at(0),
        at(45),
        SessionStatus.COMPLETED,
    )
    assert len(kit.db.committed("cdrs")) == 1


async def test_a_new_start_on_a_busy_evse_ends_the_session_that_lost_its_stop() -> None:
    kit = await online_kit()
    old = await kit.core.chargepoints.transaction(STATION, a_start())
    await kit.core.chargepoints.meter_values(STATION, 1, old.transaction_id, (energy(20, 6000),))
    new = await kit.core.chargepoints.transaction(STATION, a_start(90, meter_wh=Decimal(9000)))
    assert old.session is not None
    assert new.session is not None
    stale = next(s for s in sessions(kit) if s.id == old.session.id)
    assert (stale.status, stale.end, stale.stop_reason) == (
        SessionStatus.COMPLETED,
        at(20),
        "SupersededByNewTransaction",
    )
    assert [c.session_id for c in kit.db.committed("cdrs")] == [old.session.id]


# --- the end and the CDR -------------------------------------------------------------------------------


async def test_a_full_session_ends_with_a_priced_cdr_in_the_same_unit_of_work() -> None:
    kit = await online_kit()
    cp = kit.core.chargepoints
    start = await cp.transaction(STATION, a_start())
    await cp.meter_values(STATION, 1, start.transaction_id, (energy(15, 6000), energy(30, 11000)))
    commits = kit.db.commits
    kit.events.clear()
    end = await cp.transaction(STATION, a_stop(start.transaction_id, 60, meter_wh=Decimal(21000)))
    assert kit.db.commits == commits + 1
    session = end.session
    assert session is not None
    assert (session.status, session.end, session.stop_reason, session.kwh) == (
        SessionStatus.COMPLETED,
        at(60),
        "Local",
        Decimal(20),
    )
    assert session.total_cost == Decimal("7.00")
    (cdr,) = kit.db.committed("cdrs")
    assert (cdr.session_id, cdr.start, cdr.end, cdr.tariff_id, cdr.token_uid) == (
        session.id,
        at(0),
        at(60),
        "STD",
        OWN_UID,
    )
    assert (cdr.cost.total_excl_vat, cdr.cost.total_incl_vat, cdr.cost.total_energy_kwh) == (
        Decimal("7.00"),
        Decimal("8.47"),
        Decimal(20),
    )
    assert cdr.charging_periods == session.charging_periods
    rows = kit.outbox()[-2:]
    assert [(r.topic, r.key) for r in rows] == [
        ("session.updated", f"session:{session.id}"),
        ("cdr.created", f"session:{session.id}"),
    ]
    assert rows[1].payload["id"] == cdr.id
    assert [type(e).__name__ for e in kit.events] == ["SessionUpdated", "CdrCreated"]
    assert kit.events_of(CdrCreated)[0].cdr == cdr


async def test_a_repeated_stop_is_answered_the_same_and_creates_nothing() -> None:
    kit = await online_kit()
    start = await kit.core.chargepoints.transaction(STATION, a_start())
    first = await kit.core.chargepoints.transaction(STATION, a_stop(start.transaction_id))
    rows = len(kit.outbox())
    again = await kit.core.chargepoints.transaction(STATION, a_stop(start.transaction_id))
    assert (again.duplicate, again.transaction_id) == (True, first.transaction_id)
    assert again.session == first.session
    assert len(kit.db.committed("cdrs")) == 1
    assert len(kit.outbox()) == rows


async def test_cdrs_are_immutable_and_roll_back_with_their_outbox_row() -> None:
    kit = await online_kit()
    start = await kit.core.chargepoints.transaction(STATION, a_start())
    end = await kit.core.chargepoints.transaction(STATION, a_stop(start.transaction_id))
    assert end.session is not None
    (cdr,) = kit.db.committed("cdrs")
    async with kit.db.unit_of_work() as uow:
        with pytest.raises(ConflictError):
            await uow.cdrs.add(cdr.model_copy(update={"remark": "changed"}))

    rows = len(kit.outbox())
    priced = TariffEngine().price(end.session, a_tariff(), "UTC")
    async with kit.db.unit_of_work() as uow:
        await kit.core.cdrs.create(uow, end.session, a_tariff(), priced)
        await uow.rollback()
    assert len(kit.db.committed("cdrs")) == 1
    assert len(kit.outbox()) == rows


async def test_a_session_without_a_tariff_gets_a_zero_priced_cdr_in_the_default_currency() -> None:
    kit = await online_kit()
    await kit.core.tariffs.delete(CPO, "STD")
    start = await kit.core.chargepoints.transaction(STATION, a_start())
    end = await kit.core.chargepoints.transaction(STATION, a_stop(start.transaction_id))
    (cdr,) = kit.db.committed("cdrs")
    assert (cdr.cost.currency, cdr.cost.total_excl_vat, cdr.tariff_id) == ("EUR", Decimal("0.00"), None)
    assert end.session is not None
    assert end.session.total_cost == Decimal("0.00")


# --- placeholder and unknown transaction ids ----------------------------------------------------------


@pytest.mark.parametrize("placeholder", ["-1", "0"])
async def test_a_placeholder_stop_finds_the_running_session(placeholder: str) -> None:
    kit = await online_kit()
    start = await kit.core.chargepoints.transaction(STATION, a_start())
    stop = a_stop(placeholder, id_tag=OWN_UID)
    end = await kit.core.chargepoints.transaction(STATION, stop)
    assert end.session is not None
    assert start.session is not None
    assert (end.session.id, end.session.status, end.duplicate) == (
        start.session.id,
        SessionStatus.COMPLETED,
        False,
    )
    retry = await kit.core.chargepoints.transaction(STATION, stop)
    assert (retry.duplicate, len(sessions(kit)), len(kit.db.committed("cdrs"))) == (True, 1, 1)


async def test_a_placeholder_stop_picks_the_session_of_its_token() -> None:
    kit = await online_kit(evses=2)
    await kit.core.tokens.put(a_token("SECOND01"))
    first = await kit.core.chargepoints.transaction(STATION, a_start())
    second = await kit.core.chargepoints.transaction(STATION, a_start(evse_no=2, id_tag="SECOND01"))
    end = await kit.core.chargepoints.transaction(STATION, a_stop("-1", id_tag="second01"))
    assert second.session is not None
    assert first.session is not None
    assert end.session is not None
    assert end.session.id == second.session.id
    still = next(s for s in sessions(kit) if s.id == first.session.id)
    assert still.status is SessionStatus.ACTIVE


async def test_a_stop_nobody_saw_start_is_rebuilt_from_its_stop_data() -> None:
    kit = await online_kit()
    kit.clock.advance(hours=2)
    samples = (energy(10, 3000, context="Transaction.Begin"), energy(40, 8000), energy(70, 13000))
    stop = a_stop("4711", 70, id_tag=OWN_UID, meter_wh=Decimal(13000), samples=samples)
    outcome = await kit.core.chargepoints.transaction(STATION, stop)
    session = outcome.session
    assert session is not None
    assert (session.reconstructed, session.offline, session.status) == (True, True, SessionStatus.COMPLETED)
    assert (session.start, session.end, session.kwh, session.token_party) == (
        at(10),
        at(70),
        Decimal(10),
        MSP,
    )
    assert session.transaction_id == "4711"
    (cdr,) = kit.db.committed("cdrs")
    assert cdr.remark is not None
    assert "reconstructed" in cdr.remark
    retry = await kit.core.chargepoints.transaction(STATION, stop)
    assert (retry.duplicate, len(sessions(kit))) == (True, 1)


async def test_a_placeholder_stop_without_any_running_session_is_rebuilt_once() -> None:
    kit = await online_kit()
    stop = a_stop("-1", 30, id_tag=OWN_UID, meter_wh=Decimal(5000))
    first = await kit.core.chargepoints.transaction(STATION, stop)
    again = await kit.core.chargepoints.transaction(STATION, stop)
    assert first.session is not None
    assert first.session.reconstructed
    assert first.session.transaction_id is None
    assert (again.duplicate, len(sessions(kit))) == (True, 1)


# --- OCPP 2.0.1 events -------------------------------------------------------------------------------


async def test_station_made_ids_with_sequence_numbers_and_the_remembered_evse() -> None:
    kit = await online_kit()
    cp = kit.core.chargepoints
    begin = energy(0, 5000, context="Transaction.Begin")
    started = await cp.transaction(
        STATION, an_event(STARTED, 0, 0, evse_no=1, connector_no=1, id_tag=OWN_UID, samples=(begin,))
    )
    assert started.transaction_id == "TX-201"
    assert started.authorization is not None
    assert started.authorization.allowed
    update = an_event(UPDATED, 1, 20, samples=(energy(20, "12.5", unit="kWh"),), charging_state="Charging")
    assert not (await cp.transaction(STATION, update)).duplicate
    assert (await cp.transaction(STATION, update)).duplicate
    assert (await cp.transaction(STATION, an_event(STARTED, 0, 0, evse_no=1, id_tag=OWN_UID))).duplicate
    ended = await cp.transaction(
        STATION, an_event(ENDED, 2, 30, samples=(energy(30, 15000),), stop_reason="EVDisconnected")
    )
    session = ended.session
    assert session is not None
    assert (session.evse_uid, session.connector_id, session.last_seq_no) == ("CP001*1", "1", 2)
    assert (session.meter_start_wh, session.kwh, session.stop_reason) == (
        Decimal(5000),
        Decimal(10),
        "EVDisconnected",
    )
    assert len(sessions(kit)) == 1
    assert len(kit.db.committed("cdrs")) == 1


async def test_an_update_for_a_transaction_never_started_creates_it() -> None:
    kit = await online_kit()
    outcome = await kit.core.chargepoints.transaction(
        STATION, an_event(UPDATED, 4, 10, transaction_id="LOST-START", evse_no=1, samples=(energy(10, 7000),))
    )
    session = outcome.session
    assert session is not None
    assert (session.status, session.reconstructed, session.transaction_id, session.evse_uid) == (
        SessionStatus.ACTIVE,
        True,
        "LOST-START",
        "CP001*1",
    )


async def test_a_token_presented_after_the_start_is_authorized_then() -> None:
    kit = await online_kit()
    cp = kit.core.chargepoints
    await cp.transaction(STATION, an_event(STARTED, 0, 0, evse_no=1))
    outcome = await cp.transaction(STATION, an_event(UPDATED, 1, 1, id_tag=OWN_UID))
    assert outcome.authorization is not None
    assert outcome.authorization.allowed
    assert outcome.session is not None
    assert (outcome.session.token_uid, outcome.session.token_party) == (OWN_UID, MSP)


# --- remote starts -------------------------------------------------------------------------------------


async def test_a_remote_start_becomes_the_pending_session_it_announced() -> None:
    kit = await online_kit()
    token = a_roaming_token("APP-USER-1", whitelist=WhitelistType.NEVER)
    command = await kit.core.commands.start_session(
        evse_uid="CP001*1", token=token, authorization_reference="auth-7", requester=token.party
    )
    done = await kit.core.commands.wait_result(command.id, 2)
    (pending,) = sessions(kit)
    assert (pending.status, pending.auth_method, pending.remote_start_id) == (
        SessionStatus.PENDING,
        AuthMethod.COMMAND,
        done.remote_start_id,
    )
    # OCPP 1.6 echoes nothing: the next start with this token on this EVSE is the one.
    kit.clock.advance(minutes=1)
    outcome = await kit.core.chargepoints.transaction(STATION, a_start(1, id_tag="app-user-1"))
    assert outcome.session is not None
    assert outcome.session.id == pending.id
    assert (outcome.session.status, outcome.session.start, outcome.session.authorization_reference) == (
        SessionStatus.ACTIVE,
        at(1),
        "auth-7",
    )
    assert outcome.authorization is not None
    assert outcome.authorization.allowed
    assert len(sessions(kit)) == 1


async def test_a_remote_start_id_links_a_201_start_to_its_pending_session() -> None:
    kit = await online_kit()
    token = a_roaming_token("APP-USER-1")
    command = await kit.core.commands.start_session(
        evse_uid="CP001*1", token=token, authorization_reference="r"
    )
    done = await kit.core.commands.wait_result(command.id, 2)
    event = an_event(STARTED, 0, 0, evse_no=1, id_tag="SOMETHING-ELSE", remote_start_id=done.remote_start_id)
    outcome = await kit.core.chargepoints.transaction(STATION, event)
    assert outcome.session is not None
    assert (outcome.session.status, outcome.session.token_uid, outcome.session.transaction_id) == (
        SessionStatus.ACTIVE,
        "APP-USER-1",
        "TX-201",
    )
    assert len(sessions(kit)) == 1


async def test_a_station_that_starts_before_its_answer_arrives_still_gets_one_session() -> None:
    kit = await online_kit()
    release = kit.gateway.hold("start_transaction")
    token = a_roaming_token("APP-USER-1")
    command = await kit.core.commands.start_session(evse_uid="CP001*1", token=token)
    await kit.gateway.wait_for_call("start_transaction")
    outcome = await kit.core.chargepoints.transaction(STATION, a_start(id_tag="APP-USER-1"))
    assert outcome.session is not None
    assert outcome.session.auth_method is AuthMethod.COMMAND
    release.set()
    done = await kit.core.commands.wait_result(command.id, 2)
    assert done.result is not None
    assert done.result.value == "ACCEPTED"
    assert [s.status for s in sessions(kit)] == [SessionStatus.ACTIVE]


# --- energy and charging periods ------------------------------------------------------------------------


async def test_charging_periods_follow_charging_and_parking() -> None:
    kit = await online_kit()
    cp = kit.core.chargepoints
    start = await cp.transaction(STATION, a_start())
    samples = (energy(15, 6000), energy(30, 11000), energy(45, 11000), energy(60, 11000))
    await cp.meter_values(STATION, 1, start.transaction_id, samples)
    end = await cp.transaction(STATION, a_stop(start.transaction_id, 70, meter_wh=Decimal(14000)))
    session = end.session
    assert session is not None
    assert [p.start_date_time for p in session.charging_periods] == [at(0), at(30), at(60)]
    assert dims(session) == [
        [("ENERGY", Decimal(10)), ("TIME", Decimal("0.500000"))],
        [("PARKING_TIME", Decimal("0.500000"))],
        [("ENERGY", Decimal(3)), ("TIME", Decimal("0.1666666667"))],
    ]
    assert session.kwh == Decimal(13)
    cost = kit.db.committed("cdrs")[0].cost
    assert (cost.total_parking_time_hours, cost.total_time_hours) == (
        Decimal("0.500000"),
        Decimal("1.1666666667"),
    )


async def test_kwh_registers_are_normalised_to_wh() -> None:
    kit = await online_kit()
    start = await kit.core.chargepoints.transaction(STATION, a_start(meter_wh=Decimal(1500)))
    await kit.core.chargepoints.meter_values(
        STATION, 1, start.transaction_id, (energy(10, "4.0", unit="kWh"),)
    )
    (session,) = sessions(kit)
    assert (session.meter_last_wh, session.kwh) == (Decimal("4000.0"), Decimal("2.5"))


async def test_backwards_and_absurd_registers_are_ignored_and_kwh_never_decreases() -> None:
    kit = await online_kit()
    cp = kit.core.chargepoints
    start = await cp.transaction(STATION, a_start())
    await cp.meter_values(STATION, 1, start.transaction_id, (energy(10, 4000),))
    await cp.meter_values(STATION, 1, start.transaction_id, (energy(20, 3000),))  # register went backwards
    await cp.meter_values(STATION, 1, start.transaction_id, (energy(21, 1_000_000_000),))  # overflow
    await cp.meter_values(STATION, 1, "-1", (energy(30, 6000),))  # placeholder id: the running session
    (session,) = sessions(kit)
    assert (session.kwh, session.meter_last_wh) == (Decimal(5), Decimal(6000))
    assert sum(v for p in dims(session) for k, v in p if k == "ENERGY") == Decimal(5)


async def test_meter_values_outside_a_transaction_change_nothing() -> None:
    kit = await online_kit()
    rows = len(kit.outbox())
    await kit.core.chargepoints.meter_values(STATION, 1, None, (energy(10, 4000),))
    assert sessions(kit) == []
    assert len(kit.outbox()) == rows


async def test_sessions_can_be_listed_like_ocpi_pages() -> None:
    kit = await online_kit(evses=2)
    await kit.core.chargepoints.transaction(STATION, a_start())
    kit.clock.advance(minutes=5)
    await kit.core.chargepoints.transaction(STATION, a_start(5, evse_no=2))
    page = await kit.core.sessions.list(CPO, date_from=at(0), date_to=at(5))
    assert len(page) == 1
    assert len(await kit.core.sessions.active(STATION)) == 2


async def test_a_tariff_published_during_the_session_prices_its_cdr() -> None:
    kit = await online_kit()
    await kit.core.tariffs.delete(CPO, "STD")
    start = await kit.core.chargepoints.transaction(STATION, a_start())
    assert start.session is not None
    assert start.session.tariff_id is None
    await kit.core.tariffs.put(a_tariff())
    end = await kit.core.chargepoints.transaction(STATION, a_stop(start.transaction_id))
    (cdr,) = kit.db.committed("cdrs")
    assert (cdr.tariff_id, cdr.cost.total_excl_vat) == ("STD", Decimal("7.00"))
    assert end.session is not None
    assert end.session.tariff_id == "STD"


async def test_a_start_session_answered_after_plug_in_takes_over_the_running_transaction() -> None:
    kit = await online_kit()
    cp = kit.core.chargepoints
    plugged = await cp.transaction(STATION, an_event(STARTED, 0, 0, evse_no=1, samples=(energy(0, 1000),)))
    command = await kit.core.commands.start_session(
        evse_uid="CP001*1", token=a_roaming_token("APP-USER-1"), authorization_reference="auth-9"
    )
    done = await kit.core.commands.wait_result(command.id, 2)
    pending = next(s for s in sessions(kit) if s.status is SessionStatus.PENDING)
    update = an_event(
        UPDATED, 1, 2, id_tag="APP-USER-1", remote_start_id=done.remote_start_id, samples=(energy(2, 1500),)
    )
    outcome = await cp.transaction(STATION, update)
    assert outcome.session is not None
    assert plugged.session is not None
    assert outcome.session.id == pending.id
    assert (outcome.session.status, outcome.session.transaction_id, outcome.session.start) == (
        SessionStatus.ACTIVE,
        "TX-201",
        at(0),
    )
    assert (outcome.session.authorization_reference, outcome.session.kwh) == ("auth-9", Decimal("0.5"))
    voided = next(s for s in sessions(kit) if s.id == plugged.session.id)
    assert (voided.status, voided.transaction_id) == (SessionStatus.INVALID, None)
    ended = await cp.transaction(STATION, an_event(ENDED, 2, 30, samples=(energy(30, 4000),)))
    assert ended.session is not None
    assert ended.session.id == pending.id
    assert [c.session_id for c in kit.db.committed("cdrs")] == [pending.id]
