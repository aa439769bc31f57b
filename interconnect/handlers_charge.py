"""The CHARGING interfaces we serve as CPO to a 互联互通 EMSP (spec §5): equipment auth, business policy,
start, charge status and stop, each idempotent per StartChargeSeq through an order record — on our own
stations here, on a remote CPO's EVSE the partner is shown (an OCPI partner CPO's) in remote_charge.

An adapter module: imports structlog, interconnect and the core only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import structlog

from hub.core.errors import InvalidRequestError, NotFoundError
from hub.core.models import (
    CommandResultType,
    Evse,
    EvseStatus,
    Location,
    Tariff,
    Token,
    TokenType,
    WhitelistType,
)
from hub.core.pricing.tou import policy_from_tariff
from hub.core.tariffs import find_tariff
from interconnect import remote_charge
from interconnect.order_fields import charge_status_fields
from interconnect.orders import (
    ALREADY_STOPPED,
    AUTH_CHECK_FAILED,
    AUTH_NOT_PLUGGED,
    NO_DEVICE,
    NO_ORDER,
    OFFLINE,
    POLICY_MISSING,
    Order,
    StartStat,
    load_order,
    order_lock,
    save_order,
    start_answer,
    stat_of,
)
from interconnect.pull import field_of
from interconnect.runtime import (
    Call,
    Handler,
    InterconnectError,
    Ret,
    parse_virtual_station_id,
)

log = structlog.get_logger(__name__)

MAX_SEQ = 64  # spec §8: sequence numbers are opaque strings ≤ 64 chars
MAX_CONNECTOR_ID = 64  # we emit ≤ 26 (spec §3); tolerate longer ids as opaque text
# The core token of an order: an OCPP 1.6 idTag holds 20 chars, so not the 27-char StartChargeSeq itself.
TOKEN_PREFIX = "HL"  # noqa: S105 (a uid prefix, not a secret)
PRICE = Decimal("0.0001")  # ElecPrice / SevicePrice 4 dp (spec §3)


def _text(payload: dict[str, Any], name: str, max_len: int, required: bool = True) -> str:
    """A string field (numbers tolerated, spec §8); missing, empty or over-long → Ret 4004 naming it."""
    value = field_of(payload, name)
    if value is None and not required:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InterconnectError(Ret.PAYLOAD, f"请求的业务参数不合法: {name}", f"{name} missing or not text")
    text = str(value).strip()
    if (required and not text) or len(text) > max_len:
        raise InterconnectError(Ret.PAYLOAD, f"请求的业务参数不合法: {name}", f"{name} empty or too long")
    return text


def token_uid(operator_id: str, seq: str) -> str:
    """The uid of the core token that starts an order: stable per (partner, StartChargeSeq) so a repeat maps
    to the same token, and 20 chars because an OCPP 1.6 idTag holds no more."""
    digest = hashlib.sha256(f"{operator_id}|{seq.upper()}".encode()).hexdigest()
    return TOKEN_PREFIX + digest[:18].upper()


@dataclass(frozen=True)
class OurEvse:
    location: Location
    evse: Evse
    station_id: str


async def our_evse(call: Call, connector_id: str) -> OurEvse | None:
    """The EVSE a ConnectorID names, when one of our own stations drives it (ConnectorID = EVSE uid, design);
    a partner's virtual station is never charged through the partner itself."""
    location = await call.core.locations.find_by_evse(connector_id)
    evse = location.evse(connector_id) if location is not None else None
    if location is None or evse is None or evse.station_id is None or evse.station_evse_no is None:
        return None
    if parse_virtual_station_id(evse.station_id) is not None:
        return None
    if call.runtime.config.partner_of_party(location.party) is not None:
        return None
    return OurEvse(location, evse, evse.station_id)


async def _online(call: Call, station_id: str) -> bool:
    station = await call.core.chargepoints.get_station(station_id)
    return station is not None and station.connected


# --- query_equip_auth -------------------------------------------------------------------------------------


async def query_equip_auth(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """Whether the connector is ready for a start. The core maps OCPP Preparing (plugged in) to CHARGING, so
    a connector AVAILABLE is not plugged in (FailReason 1); CHARGING without a running session is plugged in
    and ready (0); anything else — unknown, offline, faulted, reserved or busy — failed the check (2)."""
    seq = _text(payload, "EquipAuthSeq", MAX_SEQ)
    connector_id = _text(payload, "ConnectorID", MAX_CONNECTOR_ID)
    fail = AUTH_CHECK_FAILED
    found = await our_evse(call, connector_id)
    if found is None:
        remote = await remote_charge.remote_evse(call, connector_id)
        fail = remote_charge.auth_fail(remote) if remote is not None else fail
    elif await _online(call, found.station_id):
        if found.evse.status is EvseStatus.AVAILABLE:
            fail = AUTH_NOT_PLUGGED
        elif found.evse.status is EvseStatus.CHARGING:
            busy = await call.core.sessions.active(found.station_id, found.evse.uid)
            fail = AUTH_CHECK_FAILED if busy else 0
    return {
        "EquipAuthSeq": seq,
        "ConnectorID": connector_id,
        "SuccStat": 1 if fail else 0,
        "FailReason": fail,
    }


# --- query_equip_business_policy ------------------------------------------------------------------------


async def query_equip_business_policy(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """The time-of-use prices of the connector: its tariff (the connector's, else the station's; at a remote
    CPO the tariff it sent our eMSP) as a business policy. No tariff, a tariff not in CNY or one a policy
    cannot express → FailReason 1. The occupancy fee has no field in the standard and is not shown here (it
    is in the order's service money)."""
    seq = _text(payload, "EquipBizSeq", MAX_SEQ)
    connector_id = _text(payload, "ConnectorID", MAX_CONNECTOR_ID)
    answer: dict[str, Any] = {"EquipBizSeq": seq, "ConnectorID": connector_id}
    refused = {**answer, "SuccStat": 1, "FailReason": POLICY_MISSING, "SumPeriod": 0, "PolicyInfos": []}
    found = await our_evse(call, connector_id)
    tariff: Tariff | None = None
    if found is not None:
        station = await call.core.chargepoints.get_station(found.station_id)
        tariff_ids: list[str | None] = [t for c in found.evse.connectors for t in c.tariff_ids]
        tariff_ids.append(station.tariff_id if station is not None else None)
        async with call.core.db.unit_of_work() as uow:
            tariff = await find_tariff(uow, found.location.party, tariff_ids, at=call.runtime.clock.now())
    elif (remote := await remote_charge.remote_evse(call, connector_id)) is not None:
        tariff = await remote_charge.remote_tariff(call, remote)
    if tariff is None or tariff.currency.upper() != "CNY":
        return refused
    try:
        policy = policy_from_tariff(tariff)
    except InvalidRequestError as exc:
        log.info("interconnect_policy_not_expressible", tariff_id=tariff.id, field=exc.field)
        return refused
    service = f"{call.partner.tolerance.service_spelling}Price"
    infos = [
        {
            "StartTime": f"{p.start:%H%M%S}",
            "ElecPrice": p.elec_price.quantize(PRICE, ROUND_HALF_UP),
            service: p.service_price.quantize(PRICE, ROUND_HALF_UP),
        }
        for p in policy.periods
    ]
    return {**answer, "SuccStat": 0, "FailReason": 0, "SumPeriod": len(infos), "PolicyInfos": infos}


# --- query_start_charge -----------------------------------------------------------------------------------


async def query_start_charge(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """A remote start on our station with a core token of the partner's party (uid from the seq, type OTHER,
    whitelist ALWAYS: the partner vouches for its user) and authorization_reference = StartChargeSeq, which
    links the session to the order. Success means the command was sent; the outcome follows in
    notification_start_charge_result. A repeat of a StartChargeSeq gets the first answer (spec §2.8)."""
    seq = _text(payload, "StartChargeSeq", MAX_SEQ)
    connector_id = _text(payload, "ConnectorID", MAX_CONNECTOR_ID)
    _text(payload, "QRCode", 256, required=False)  # the QR text's custom part: not needed to start
    partner, core, now = call.partner, call.core, call.runtime.clock.now()
    found = await our_evse(call, connector_id)
    if found is None and (remote := await remote_charge.remote_evse(call, connector_id)) is not None:
        uid = token_uid(partner.operator_id, seq)
        return await remote_charge.start(call, seq, connector_id, remote, uid)
    async with order_lock(f"{partner.operator_id}|{seq.upper()}"):
        known = await load_order(core, partner, seq)
        if known is not None:
            return dict(known.start_answer)
        fail = NO_DEVICE if found is None else 0
        if found is not None and not await _online(call, found.station_id):
            fail = OFFLINE
        order = Order(
            seq=seq,
            connector_id=connector_id,
            token_uid=token_uid(partner.operator_id, seq),
            cpo_party=found.location.party.key() if found is not None else "",
            created=now,
            start_answer=start_answer(seq, connector_id, fail),
            failed=bool(fail),
        )
        # The order is stored before the station is asked, so the events of a fast start find it.
        await save_order(core, partner, order, now)
        if fail:
            log.info("interconnect_start_refused", partner=partner.name, fail_reason=fail)
            return dict(order.start_answer)
        token = await core.tokens.put(
            Token(
                uid=order.token_uid,
                party=partner.ocpi_party,
                type=TokenType.OTHER,
                contract_id=seq,
                issuer=partner.name,
                whitelist=WhitelistType.ALWAYS,
                last_updated=now,
            )
        )
        try:
            command = await core.commands.start_session(
                evse_uid=connector_id,
                token=token,
                authorization_reference=seq,
                requester=partner.ocpi_party,
            )
        except NotFoundError:
            fail = NO_DEVICE
        else:
            if command.result is not None and command.result is not CommandResultType.ACCEPTED:
                fail = OFFLINE  # refused before any station call: the station went offline meanwhile
            order.command_id = command.id
        if fail:
            order.start_answer = start_answer(seq, connector_id, fail)
            order.failed = True
        await save_order(core, partner, order, call.runtime.clock.now())
        return dict(order.start_answer)


# --- query_equip_charge_status ---------------------------------------------------------------------------


async def query_equip_charge_status(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """The charging-status fields of the order (spec §5), money priced by our tariff so far. An unknown
    StartChargeSeq is a business refusal: StartChargeSeqStat 5 (未知) with SuccStat 1, FailReason 4."""
    seq = _text(payload, "StartChargeSeq", MAX_SEQ)
    order = await load_order(call.core, call.partner, seq)
    if order is None:
        return {
            "StartChargeSeq": seq,
            "StartChargeSeqStat": int(StartStat.UNKNOWN),
            "SuccStat": 1,
            "FailReason": NO_ORDER,
        }
    return await charge_status_fields(call.runtime, call.partner, order)


# --- query_stop_charge -----------------------------------------------------------------------------------


async def query_stop_charge(call: Call, payload: dict[str, Any]) -> dict[str, Any]:
    """A remote stop of the order's session. An order that never started or has ended → FailReason 3; an
    offline station → 2; another connector than the order's → 1; an unknown seq → 4 (custom). The first
    accepted stop is remembered: a repeat gets the same answer and no second command."""
    seq = _text(payload, "StartChargeSeq", MAX_SEQ)
    connector_id = _text(payload, "ConnectorID", MAX_CONNECTOR_ID)
    partner, core = call.partner, call.core
    known = await load_order(core, partner, seq)
    if known is not None and known.remote:
        return await remote_charge.stop(call, seq, connector_id)

    def answer(stat: StartStat, fail: int) -> dict[str, Any]:
        return {
            "StartChargeSeq": seq,
            "StartChargeSeqStat": int(stat),
            "SuccStat": 1 if fail else 0,
            "FailReason": fail,
        }

    async with order_lock(f"{partner.operator_id}|{seq.upper()}"):
        order = await load_order(core, partner, seq)
        if order is None:
            return answer(StartStat.UNKNOWN, NO_ORDER)
        if order.connector_id.casefold() != connector_id.casefold():
            return answer(stat_of(order, None), NO_DEVICE)
        if order.stop_answer is not None:
            return dict(order.stop_answer)
        session = await order.session(core)
        stat = stat_of(order, session)
        if session is None or stat is StartStat.ENDED:
            return answer(StartStat.ENDED if order.failed or session else stat, ALREADY_STOPPED)
        command = await core.commands.stop_session(session_id=session.id, requester=partner.ocpi_party)
        if command.result is CommandResultType.UNKNOWN_SESSION:
            return answer(StartStat.ENDED, ALREADY_STOPPED)
        if command.result is not None and command.result is not CommandResultType.ACCEPTED:
            return answer(stat, OFFLINE)
        order.stop_requested = True
        order.session_id = session.id
        order.stop_answer = answer(StartStat.STOPPING, 0)
        await save_order(core, partner, order, call.runtime.clock.now())
        return dict(order.stop_answer)


HANDLERS: Mapping[str, Handler] = {
    "query_equip_auth": query_equip_auth,
    "query_equip_business_policy": query_equip_business_policy,
    "query_start_charge": query_start_charge,
    "query_equip_charge_status": query_equip_charge_status,
    "query_stop_charge": query_stop_charge,
}
