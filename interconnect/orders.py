"""The order of a 互联互通 EMSP partner on a station we serve (spec §5): one record per StartChargeSeq with
what we have told the partner, its status (StartChargeSeqStat), the FailReasons of our answers, the lock
that serialises its handling, and the index from the stand-in token of an order at a remote CPO back to it.

An adapter module: imports the standard library, interconnect.runtime and the core only.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum
from typing import Any

from hub.core.models import PartnerRecord, PartyRef, Session, SessionStatus
from hub.core.services import Core
from interconnect.runtime import InterconnectRuntime, PartnerConfig

ORDERS = "interconnect.orders"  # PartnerRecord module: one record per (partner party, StartChargeSeq)
CHECKS = "interconnect.checks"  # PartnerRecord module: one per (partner party, Beijing day) checked
# PartnerRecord module: stand-in token uid of an order at a remote CPO → the order (partner party, seq).
REFS = "interconnect.remote_refs"
OPEN_FOR = timedelta(days=7)  # orders untouched this long are no longer scanned by the periodic job
CHECK_AFTER = time(1, 0)  # check_charge_orders for a day goes out after 01:00 Beijing the next day
CENT, KWH, ONE_DP, FOUR_DP = Decimal("0.01"), Decimal("0.01"), Decimal("0.1"), Decimal("0.0001")
_TIMES = ("created", "ended", "status_pushed")


class StartStat(IntEnum):
    """StartChargeSeqStat (spec §5)."""

    STARTING = 1
    CHARGING = 2
    STOPPING = 3
    ENDED = 4
    UNKNOWN = 5


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def places(value: Decimal, quantum: Decimal) -> Decimal:
    return value.quantize(quantum, ROUND_HALF_UP)


@dataclass
class Order:
    """A partner's StartChargeSeq on a connector we serve and what we have told the partner about it. On our
    own stations the session is the core's; on a remote CPO's (`remote`) it is the CPO's, found through
    `InterconnectRuntime.remote` by `session_id` or the stand-in token (`token_uid`)."""

    seq: str
    connector_id: str
    token_uid: str
    cpo_party: str  # key of the EVSE's CPO party ("" when the start was refused)
    created: datetime
    start_answer: dict[str, Any]
    failed: bool = False  # never started: nothing more is pushed
    command_id: str | None = None
    session_id: str | None = None
    stop_requested: bool = False
    stop_answer: dict[str, Any] | None = None
    start_notified: bool = False
    stop_notified: bool = False
    order_notified: bool = False
    ended: datetime | None = None
    total_power: Decimal | None = None
    total_money: Decimal | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    remote: bool = False  # at a CPO on another platform (OCPI), not a station of ours
    location_id: str | None = None
    evse_uid: str | None = None
    stop_command_id: str | None = None
    cdr_id: str | None = None
    status_pushed: datetime | None = None  # last charge status pushed (remote orders: session updates)
    status_version: str | None = None  # last_updated of the session that status showed

    @property
    def closed(self) -> bool:
        return self.failed or self.order_notified

    @property
    def cpo(self) -> PartyRef | None:
        return PartyRef.parse(self.cpo_party) if self.cpo_party else None

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        for name in _TIMES:
            data[name] = data[name].isoformat() if data[name] is not None else None
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Order:
        values = dict(data)
        for name in _TIMES:
            values[name] = datetime.fromisoformat(values[name]) if values.get(name) else None
        for name in ("total_power", "total_money"):
            values[name] = Decimal(str(values[name])) if values.get(name) is not None else None
        return cls(**values)

    async def session(self, core: Core) -> Session | None:
        """The order's session on our station: by id once known, else the one whose
        authorization_reference is the seq."""
        if self.session_id is not None:
            return await core.sessions.get(self.session_id)
        if not self.cpo_party:
            return None
        started = await core.sessions.list(
            party=PartyRef.parse(self.cpo_party), date_from=self.created - timedelta(minutes=1)
        )
        wanted = self.seq.casefold()
        return next((s for s in started if (s.authorization_reference or "").casefold() == wanted), None)


def order_record(partner: PartnerConfig, order: Order, now: datetime) -> PartnerRecord:
    return PartnerRecord(
        module=ORDERS, party=partner.ocpi_party, id=order.seq, data=order.to_data(), last_updated=now
    )


async def load_order(core: Core, partner: PartnerConfig, seq: str) -> Order | None:
    record = await core.records.get(ORDERS, partner.ocpi_party, seq)
    return Order.from_data(record.data) if record is not None else None


async def save_order(core: Core, partner: PartnerConfig, order: Order, now: datetime) -> None:
    await core.records.put(order_record(partner, order, now))


async def remote_session(runtime: InterconnectRuntime, order: Order) -> Session | None:
    """A remote order's session at its CPO: by id once known, else the newest of its stand-in token."""
    cpo = order.cpo
    if cpo is None:
        return None
    if order.session_id is not None:
        return await runtime.remote.session(cpo, order.session_id)
    wanted = order.token_uid.casefold()
    since = order.created - timedelta(minutes=1)
    sessions = [
        s for s in await runtime.remote.sessions(cpo, date_from=since) if s.token_uid.casefold() == wanted
    ]
    return max(sessions, key=lambda s: s.start, default=None)


async def order_session(runtime: InterconnectRuntime, order: Order) -> Session | None:
    return await remote_session(runtime, order) if order.remote else await order.session(runtime.core)


def stat_of(order: Order, session: Session | None) -> StartStat:
    if order.failed or (session is not None and session.end is not None):
        return StartStat.ENDED
    if order.remote and order.start_notified and (session is None or session.status is SessionStatus.PENDING):
        return StartStat.CHARGING  # the CPO accepted the start; its session has not shown yet
    if session is None or session.status is SessionStatus.PENDING:
        return StartStat.STARTING
    return StartStat.STOPPING if order.stop_requested else StartStat.CHARGING


# --- FailReasons of the charging interfaces (spec §5; 3–99 are free for our own) -------------------------

AUTH_NOT_PLUGGED = 1  # query_equip_auth: 此设备尚未插枪
AUTH_CHECK_FAILED = 2  # query_equip_auth: 设备检测失败
POLICY_MISSING = 1  # query_equip_business_policy: 此充电桩业务策略不存在
NO_DEVICE = 1  # query_start_charge / query_stop_charge: 此设备不存在
OFFLINE = 2  # 此设备离线
ALREADY_STOPPED = 3  # query_stop_charge: 设备已停止充电
NO_ORDER = 4  # custom, query_stop_charge / query_equip_charge_status: no order with this StartChargeSeq
REFUSED_BY_CPO = 10  # custom, query_start_charge: the CPO that runs the device refused the start
NOT_AGREED = 11  # custom, query_start_charge: no agreement lets this partner charge at the device's CPO
NOT_STARTED = 12  # custom, query_stop_charge: the CPO has not reported the charge yet, nothing to stop


def start_answer(seq: str, connector_id: str, fail: int) -> dict[str, Any]:
    """The query_start_charge answer. A refused start ends the order at once: StartChargeSeqStat 4 (已结束),
    nothing will follow."""
    stat = StartStat.ENDED if fail else StartStat.STARTING
    return {
        "StartChargeSeq": seq,
        "StartChargeSeqStat": int(stat),
        "ConnectorID": connector_id,
        "SuccStat": 1 if fail else 0,
        "FailReason": fail,
    }


def stop_answer(seq: str, stat: StartStat, fail: int) -> dict[str, Any]:
    return {
        "StartChargeSeq": seq,
        "StartChargeSeqStat": int(stat),
        "SuccStat": 1 if fail else 0,
        "FailReason": fail,
    }


_locks: dict[str, asyncio.Lock] = {}


def order_lock(order_key: str) -> asyncio.Lock:
    """One order is handled by one coroutine at a time in this process: a repeated start must not start
    twice, an event must not race the handler that is creating the order."""
    return _locks.setdefault(order_key, asyncio.Lock())


def lock_of(partner: PartnerConfig, seq: str) -> asyncio.Lock:
    return order_lock(f"{partner.operator_id}|{seq.upper()}")


# --- the stand-in token index of remote orders -------------------------------------------------------------


async def save_ref(core: Core, partner: PartnerConfig, token_uid: str, seq: str, now: datetime) -> None:
    await core.records.put(
        PartnerRecord(
            module=REFS,
            party=partner.ocpi_party,
            id=token_uid,
            data={"operator_id": partner.operator_id, "seq": seq},
            last_updated=now,
        )
    )


async def find_ref(runtime: InterconnectRuntime, token_uid: str) -> tuple[PartnerConfig, str] | None:
    """The (partner, StartChargeSeq) whose stand-in token this is, None for any other token."""
    for partner in runtime.config.partners:
        record = await runtime.core.records.get(REFS, partner.ocpi_party, token_uid)
        if record is not None:
            return partner, str(record.data["seq"])
    return None
