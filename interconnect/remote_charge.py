"""The CHARGING interfaces we serve as CPO to a 互联互通 EMSP for a remote CPO's EVSE (an OCPI partner CPO's
location the partner is shown, handlers_data): equipment auth and business policy from what the CPO told our
eMSP, start and stop as START_SESSION / STOP_SESSION through `InterconnectRuntime.remote`. The start carries
a token of our eMSP standing for the partner's driver (uid from handlers_charge.token_uid, indexed back to
the order) and, when it fits OCPI's 36 characters, the StartChargeSeq as authorization_reference: the CPO's
session and CDR carry both ids. Starting needs an agreement of the pair covering "commands" besides
"locations" (all when none is configured).

The CPO is called outside the order's lock: it may POST its CommandResult (handled by cpo_notify under that
lock) before its answer arrives. A repeat of the StartChargeSeq meanwhile gets the answer stored first.

An adapter module: imports structlog, interconnect and the core only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from hub.core.errors import HubTimeoutError, NotFoundError, RejectedError, UnavailableError
from hub.core.models import CommandResultType, Evse, EvseStatus, Location, PartyRef, Tariff
from hub.core.models.remote import RemoteCommand, RemoteStart
from interconnect import handlers_data
from interconnect.orders import (
    ALREADY_STOPPED,
    AUTH_CHECK_FAILED,
    NO_DEVICE,
    NO_ORDER,
    NOT_AGREED,
    NOT_STARTED,
    OFFLINE,
    REFUSED_BY_CPO,
    Order,
    StartStat,
    load_order,
    lock_of,
    remote_session,
    save_order,
    save_ref,
    start_answer,
    stat_of,
    stop_answer,
)
from interconnect.runtime import Call, agreed

log = structlog.get_logger(__name__)

MAX_REFERENCE = 36  # OCPI authorization_reference and contract_id: CiString(36)
_UNREACHABLE = (NotFoundError, UnavailableError, HubTimeoutError, RejectedError)


@dataclass(frozen=True)
class RemoteEvse:
    location: Location
    evse: Evse

    @property
    def cpo(self) -> PartyRef:
        return self.location.party


async def remote_evse(call: Call, connector_id: str) -> RemoteEvse | None:
    """The remote CPO's EVSE the calling partner is shown under this ConnectorID, None when it sees none."""
    window = await handlers_data.partner_window(call)
    found = window.remote_evses.get(connector_id.upper())
    return RemoteEvse(*found) if found is not None else None


def auth_fail(found: RemoteEvse) -> int:
    """query_equip_auth: the CPO checks the plug when it starts; we can tell only from the status it reported
    whether the EVSE may start (AVAILABLE, or CHARGING: OCPI CPOs report a plugged-in EVSE either way)."""
    return 0 if found.evse.status in (EvseStatus.AVAILABLE, EvseStatus.CHARGING) else AUTH_CHECK_FAILED


async def remote_tariff(call: Call, found: RemoteEvse) -> Tariff | None:
    """The first tariff of the EVSE's connectors that the CPO sent our eMSP."""
    for tariff_id in dict.fromkeys(t for c in found.evse.connectors for t in c.tariff_ids):
        tariff = await call.runtime.remote.tariff(found.cpo, tariff_id)
        if tariff is not None:
            return tariff
    return None


async def start(call: Call, seq: str, connector_id: str, found: RemoteEvse, token_uid: str) -> dict[str, Any]:
    """query_start_charge on a remote CPO's EVSE: SuccStat 0 once the CPO accepted START_SESSION (its
    CommandResult follows as notification_start_charge_result); FailReason 11 without an agreement covering
    "commands", 1 when no platform carries the CPO, 2 when it cannot be reached, 10 when it refused."""
    partner, rt = call.partner, call.runtime
    core, now = rt.core, rt.clock.now()
    async with lock_of(partner, seq):
        known = await load_order(core, partner, seq)
        if known is not None:
            return dict(known.start_answer)
        fail = 0 if agreed(partner, found.cpo, rt.config.agreements, "commands") else NOT_AGREED
        order = Order(
            seq=seq,
            connector_id=connector_id,
            token_uid=token_uid,
            cpo_party=found.cpo.key(),
            created=now,
            start_answer=start_answer(seq, connector_id, fail),
            failed=bool(fail),
            remote=True,
            location_id=found.location.id,
            evse_uid=found.evse.uid,
        )
        if not fail:
            await save_ref(core, partner, token_uid, seq, now)
        await save_order(core, partner, order, now)
    if fail:
        log.info("interconnect_start_refused", partner=partner.name, fail_reason=fail, cpo=str(found.cpo))
        return dict(order.start_answer)
    reference = seq if len(seq) <= MAX_REFERENCE else token_uid
    request = RemoteStart(
        cpo=found.cpo,
        location_id=found.location.id,
        evse_uid=found.evse.uid,
        token_uid=token_uid,
        contract_id=reference,
        issuer=partner.name,
        authorization_reference=reference,
    )
    command: RemoteCommand | None = None
    try:
        command = await rt.remote.start_session(request)
        fail = 0 if command.response is CommandResultType.ACCEPTED else REFUSED_BY_CPO
    except NotFoundError:
        fail = NO_DEVICE
    except (UnavailableError, HubTimeoutError):
        fail = OFFLINE
    except RejectedError:
        fail = REFUSED_BY_CPO
    except Exception:
        # The partner gets Ret 500 (server.py); a repeat of the seq gets the stored refusal, never a start.
        await _fail(call, seq, connector_id, order, OFFLINE)
        raise
    async with lock_of(partner, seq):
        order = await load_order(core, partner, seq) or order
        if command is not None:
            order.command_id = command.id
        if fail:
            order.start_answer = start_answer(seq, connector_id, fail)
            order.failed = True
        await save_order(core, partner, order, rt.clock.now())
    if fail:
        log.info("interconnect_start_refused", partner=partner.name, fail_reason=fail, cpo=str(found.cpo))
    elif rt.order_changed is not None:
        await rt.order_changed(partner, seq)  # a CommandResult that came before the answer
    return dict(order.start_answer)


async def _fail(call: Call, seq: str, connector_id: str, order: Order, fail: int) -> None:
    async with lock_of(call.partner, seq):
        order.start_answer = start_answer(seq, connector_id, fail)
        order.failed = True
        await save_order(call.core, call.partner, order, call.runtime.clock.now())


async def stop(call: Call, seq: str, connector_id: str) -> dict[str, Any]:
    """query_stop_charge of an order at a remote CPO: STOP_SESSION of the CPO's session. No order → 4,
    another connector → 1, ended or never started → 3, no session reported yet → 12, the CPO unreachable
    or refusing → 2. The first accepted stop is remembered: a repeat gets the same answer."""
    partner, rt = call.partner, call.runtime
    async with lock_of(partner, seq):
        order = await load_order(rt.core, partner, seq)
        if order is None:
            return stop_answer(seq, StartStat.UNKNOWN, NO_ORDER)
        if order.connector_id.casefold() != connector_id.casefold():
            return stop_answer(seq, stat_of(order, None), NO_DEVICE)
        if order.stop_answer is not None:
            return dict(order.stop_answer)
        session = await remote_session(rt, order)
        stat = stat_of(order, session)
        cpo = order.cpo
        if order.failed or (session is not None and session.end is not None) or cpo is None:
            return stop_answer(seq, StartStat.ENDED, ALREADY_STOPPED)
        if session is None:
            return stop_answer(seq, stat, NOT_STARTED)
    try:
        command = await rt.remote.stop_session(cpo, session.id)
    except _UNREACHABLE as exc:
        log.info("interconnect_stop_unsent", partner=partner.name, error=str(exc)[:200])
        return stop_answer(seq, stat, OFFLINE)
    if command.response is CommandResultType.UNKNOWN_SESSION:
        return stop_answer(seq, StartStat.ENDED, ALREADY_STOPPED)
    if command.response is not CommandResultType.ACCEPTED:
        return stop_answer(seq, stat, OFFLINE)
    async with lock_of(partner, seq):
        order = await load_order(rt.core, partner, seq) or order
        order.stop_requested = True
        order.session_id = session.id
        order.stop_command_id = command.id
        order.stop_answer = stop_answer(seq, StartStat.STOPPING, 0)
        await save_order(rt.core, partner, order, rt.clock.now())
    if rt.order_changed is not None:
        await rt.order_changed(partner, seq)  # a CommandResult that came before the answer
    return dict(order.stop_answer)
