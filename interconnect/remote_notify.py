"""What we push to a 互联互通 EMSP about its order at a remote CPO (an OCPI partner CPO reached through our
eMSP, `InterconnectRuntime.remote`): the CPO's CommandResult becomes notification_start_charge_result, its
Session updates notification_equip_charge_status while charging, its completed Session
notification_stop_charge_result and its CDR notification_charge_order_info (money by
`hub.core.remote.relayed_order_money`). Each step is recorded on the order (cpo_notify writes it with its
outbox rows), so a repeat never pushes twice and the periodic job redoes what a crash lost.

An adapter module: imports interconnect and the core only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hub.core.models import CommandResultType, Session, SessionStatus
from hub.core.models.remote import RemoteCommand
from interconnect.codec import business_time
from interconnect.order_fields import charge_status_fields, order_cdr, order_info, split_money
from interconnect.orders import KWH, Order, StartStat, money, places, remote_session, stat_of
from interconnect.runtime import InterconnectRuntime, PartnerConfig

Push = tuple[str, dict[str, Any]]
_STARTED = frozenset({SessionStatus.ACTIVE, SessionStatus.COMPLETED})
# FailReason of notification_stop_charge_result (spec §5): 2 此设备离线, 3 设备已停止充电.
STOP_OFFLINE, STOP_ALREADY_STOPPED = 2, 3


def _refused(command: RemoteCommand | None) -> bool:
    return (
        command is not None
        and command.result is not None
        and command.result is not CommandResultType.ACCEPTED
    )


async def _start_step(
    runtime: InterconnectRuntime, order: Order, session: Session | None, base: dict[str, Any]
) -> list[Push]:
    """The start result: refused by the CPO (its CommandResult) or a session it declared INVALID → ended
    without charging (4); accepted, or a session that runs or ran → charging (2) or already ended (4)."""
    command = await runtime.remote.command(order.command_id) if order.command_id else None
    if _refused(command) or (session is not None and session.status is SessionStatus.INVALID):
        order.failed = order.start_notified = True
        start = business_time(session.start if session is not None else order.created)
        return [("notification_start_charge_result", {**base, "StartChargeSeqStat": 4, "StartTime": start})]
    accepted = command is not None and command.result is CommandResultType.ACCEPTED
    if not accepted and (session is None or session.status not in _STARTED):
        return []
    order.start_notified = True
    stat = StartStat.ENDED if session is not None and session.end is not None else StartStat.CHARGING
    if session is not None:
        started = session.start
    else:
        started = command.answered if command is not None and command.answered else order.created
    payload = {**base, "StartChargeSeqStat": int(stat), "StartTime": business_time(started)}
    return [("notification_start_charge_result", payload)]


async def _stop_refused_step(
    runtime: InterconnectRuntime, order: Order, session: Session | None, base: dict[str, Any]
) -> list[Push]:
    """The CPO's CommandResult refused our STOP_SESSION: say so, and let the partner ask again."""
    if not order.stop_requested or order.stop_command_id is None:
        return []
    command = await runtime.remote.command(order.stop_command_id)
    if command is None or not _refused(command):
        return []
    fail = STOP_ALREADY_STOPPED if command.result is CommandResultType.UNKNOWN_SESSION else STOP_OFFLINE
    order.stop_requested, order.stop_answer, order.stop_command_id = False, None, None
    stat = stat_of(order, session)
    payload = {**base, "StartChargeSeqStat": int(stat), "SuccStat": 1, "FailReason": fail}
    return [("notification_stop_charge_result", payload)]


async def _charge_status_step(
    runtime: InterconnectRuntime, partner: PartnerConfig, order: Order, session: Session, now: datetime
) -> list[Push]:
    """A new version of the CPO's running session → the charge status, at most once per
    `charge_status_interval_s` (the periodic job pushes in between)."""
    version = session.last_updated.isoformat()
    interval = timedelta(seconds=partner.charge_status_interval_s)
    if version == order.status_version or (
        order.status_pushed is not None and now - order.status_pushed < interval
    ):
        return []
    order.status_version, order.status_pushed = version, now
    return [("notification_equip_charge_status", await charge_status_fields(runtime, partner, order))]


async def remote_steps(
    runtime: InterconnectRuntime, partner: PartnerConfig, order: Order, now: datetime
) -> list[Push]:
    """The pushes the order's state at the remote CPO calls for and the partner has not had yet; updates
    the order's flags (the caller stores it with the pushes)."""
    session = await remote_session(runtime, order)
    if session is not None:
        order.session_id = session.id
    base = {"StartChargeSeq": order.seq, "ConnectorID": order.connector_id}
    pushes: list[Push] = []
    if not order.start_notified:
        pushes += await _start_step(runtime, order, session, base)
        if order.failed:
            return pushes
    if not order.start_notified:
        return pushes
    pushes += await _stop_refused_step(runtime, order, session, base)
    if session is None:
        return pushes
    if session.end is None:
        if session.status is SessionStatus.ACTIVE:
            pushes += await _charge_status_step(runtime, partner, order, session, now)
        return pushes
    if not order.stop_notified:
        order.stop_notified = True
        # Also for a stop at the pile: the partner learns the order ended before the order arrives.
        pushes.append(
            (
                "notification_stop_charge_result",
                {**base, "StartChargeSeqStat": 4, "SuccStat": 0, "FailReason": 0},
            )
        )
    cdr = await order_cdr(runtime, order, session)
    split = split_money(order, cdr) if cdr is not None else None
    if cdr is not None and split is not None:
        pushes.append(("notification_charge_order_info", order_info(partner, order, cdr, split, None)))
        order.order_notified = True
        order.ended = cdr.end
        order.cdr_id = cdr.id
        order.total_power = places(cdr.cost.total_energy_kwh, KWH)
        order.total_money = money(split.elec_money) + money(split.service_money)
    return pushes
