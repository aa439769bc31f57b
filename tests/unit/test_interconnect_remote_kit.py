"""The remote-CPO test kit of the bridge's unit tests (test_interconnect_remote_stations and _orders): a fake
of the core's `RemoteCpos` port in memory, builders of partners and remote locations, and a rig of the core
(in-memory database) with the 互联互通 runtime on that fake; and the checks that keep the kit and the port's
defaults honest (the null port, unknown EVSEs, the order record).

Test code: imports the core test kit, the core, interconnect and hypothesis.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.errors import NotFoundError
from hub.core.models import (
    Cdr,
    CommandResultType,
    CommandType,
    Connector,
    ConnectorFormat,
    Evse,
    EvseStatus,
    Location,
    PartnerRecord,
    PartyRef,
    PowerType,
    Session,
    Tariff,
)
from hub.core.models.remote import RemoteCommand, RemoteStart
from hub.core.remote import NoRemoteCpos, RemoteCpos, report_evse_status
from interconnect import codec
from interconnect.orders import ORDERS, Order
from interconnect.runtime import Call, InterconnectConfig, InterconnectRuntime, KeySet, PartnerConfig
from interconnect.setup import all_handlers
from tests.unit.core_kit import CPO, T0, Kit, make_kit

KDN = PartyRef.parse("CN*KDN")
CPX = PartyRef.parse("DE*CPX")
CPY = PartyRef.parse("DE*CPY")
KEYS = KeySet("secret", b"1234567890abcdef", b"1234567890abcdef", b"sig")


def a_partner(**overrides: Any) -> PartnerConfig:
    values: dict[str, Any] = {
        "name": "快电",
        "operator_id": "MA005DBW1",
        "kind": "operator",
        "base_url": "http://127.0.0.1:1/evcs/",
        "ocpi_party": KDN,
        "our_operator_id": "MA24YKWR9",
        "allow_ips": (),
        "ours": KEYS,
        "theirs": KEYS,
    }
    values.update(overrides)
    return PartnerConfig(**values)


REGULATOR = a_partner(
    name="监管", operator_id="MA0REG001", kind="regulator", ocpi_party=PartyRef.parse("CN*REG")
)


@dataclass(frozen=True)
class Agreed:
    parties: tuple[str, str]
    modules: tuple[str, ...] = ("locations", "commands")


def a_remote_location(party: PartyRef, location_id: str, *uids: str, **overrides: Any) -> Location:
    connector = Connector(
        id="1",
        standard="GBT_DC",
        format=ConnectorFormat.CABLE,
        power_type=PowerType.DC,
        max_voltage=750,
        max_amperage=125,
        max_electric_power=60000,
        tariff_ids=("CNY-1",),
        last_updated=T0,
    )
    evses = tuple(
        Evse(uid=uid, status=EvseStatus.AVAILABLE, connectors=(connector,), last_updated=T0) for uid in uids
    )
    values: dict[str, Any] = {
        "id": location_id,
        "party": party,
        "address": "上海市黄浦区人民大道1号",
        "city": "上海市",
        "country": "CHN",
        "latitude": Decimal("31.23000"),
        "longitude": Decimal("121.47000"),
        "time_zone": "Asia/Shanghai",
        "evses": evses,
        "last_updated": T0,
    }
    values.update(overrides)
    return Location(**values)


@dataclass
class FakeRemoteCpos:
    """The `RemoteCpos` port in memory: what CPOs told "our eMSP", the commands sent, scripted answers."""

    located: dict[tuple[str, str], Location] = field(default_factory=dict)
    tariffs: dict[tuple[str, str], Tariff] = field(default_factory=dict)
    reported: dict[tuple[str, str], Session] = field(default_factory=dict)
    sent_cdrs: list[Cdr] = field(default_factory=list)
    commands: dict[str, RemoteCommand] = field(default_factory=dict)
    starts: list[RemoteStart] = field(default_factory=list)
    stops: list[tuple[PartyRef, str]] = field(default_factory=list)
    response: CommandResultType = CommandResultType.ACCEPTED
    result_at_once: CommandResultType | None = None  # the CPO's result arrives before its answer
    error: Exception | None = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def add(self, location: Location) -> None:
        self.located[(location.party.key(), location.id.upper())] = location

    def report(self, session: Session) -> None:
        self.reported[(session.party.key(), session.id.upper())] = session

    def answer(self, command_id: str, result: CommandResultType) -> RemoteCommand:
        command = self.commands[command_id].model_copy(update={"result": result, "answered": T0})
        self.commands[command_id] = command
        return command

    async def locations(
        self, party: PartyRef | None = None, date_from: datetime | None = None
    ) -> Sequence[Location]:
        return [
            loc
            for loc in self.located.values()
            if (party is None or loc.party.key() == party.key())
            and (date_from is None or loc.last_updated >= date_from)
        ]

    async def location(self, party: PartyRef, location_id: str) -> Location | None:
        return self.located.get((party.key(), location_id.upper()))

    async def tariff(self, party: PartyRef, tariff_id: str) -> Tariff | None:
        return self.tariffs.get((party.key(), tariff_id.upper()))

    async def session(self, party: PartyRef, session_id: str) -> Session | None:
        return self.reported.get((party.key(), session_id.upper()))

    async def sessions(self, party: PartyRef, date_from: datetime | None = None) -> Sequence[Session]:
        return [s for s in self.reported.values() if s.party.key() == party.key()]

    async def cdrs(self, party: PartyRef, date_from: datetime | None = None) -> Sequence[Cdr]:
        return [c for c in self.sent_cdrs if c.party.key() == party.key()]

    def _command(self, kind: CommandType, cpo: PartyRef, **values: Any) -> RemoteCommand:
        if self.error is not None:
            raise self.error
        command = RemoteCommand(
            id=f"cmd-{next(self._ids)}",
            type=kind,
            cpo=cpo,
            response=self.response,
            result=self.result_at_once,
            requested=T0,
            answered=T0 if self.result_at_once else None,
            **values,
        )
        self.commands[command.id] = command
        return command

    async def start_session(self, start: RemoteStart) -> RemoteCommand:
        command = self._command(CommandType.START_SESSION, start.cpo, token_uid=start.token_uid)
        self.starts.append(start)
        return command

    async def stop_session(self, party: PartyRef, session_id: str) -> RemoteCommand:
        if (party.key(), session_id.upper()) not in self.reported:
            raise NotFoundError(session_id)
        command = self._command(CommandType.STOP_SESSION, party, session_id=session_id)
        self.stops.append((party, session_id))
        return command

    async def command(self, command_id: str) -> RemoteCommand | None:
        return self.commands.get(command_id)


def _conforms(port: FakeRemoteCpos) -> RemoteCpos:
    return port


@dataclass
class Rig:
    kit: Kit
    remote: FakeRemoteCpos
    runtime: InterconnectRuntime

    async def serve(
        self, interface: str, payload: dict[str, Any], partner: PartnerConfig | None = None
    ) -> Any:
        partner = partner or self.runtime.config.partners[0]
        answer = await all_handlers()[interface](Call(self.runtime, partner, interface), payload)
        return codec.loads(codec.dumps(answer))  # what the partner reads


async def a_rig(*agreements: Agreed, partners: tuple[PartnerConfig, ...] = ()) -> Rig:
    """Our NL*CPO with LOC001 (CP001*1); remote CPOs DE*CPX (CPX-1: CPXE1, CPXE2), DE*CPY (CPY-1: CPYE1)."""
    kit = await make_kit()
    remote = FakeRemoteCpos()
    remote.add(a_remote_location(CPX, "CPX-1", "CPXE1", "CPXE2"))
    remote.add(a_remote_location(CPY, "CPY-1", "CPYE1"))
    config = InterconnectConfig(
        operator_id="MA24YKWR9",
        base_path="/evcs/v1.0",
        public_url="http://127.0.0.1",
        partners=partners or (a_partner(), REGULATOR),
        agreements=agreements,
    )
    runtime = InterconnectRuntime(config=config, clock=kit.clock, core_getter=lambda: kit.core, remote=remote)
    return Rig(kit, remote, runtime)


# ---------------------------------------------------------------------- the kit's own checks


async def test_the_fake_conforms_and_the_null_port_has_nothing_to_see_or_start() -> None:
    null: RemoteCpos = NoRemoteCpos()
    assert (await null.locations(), await null.cdrs(CPX), await null.command("c")) == ((), (), None)
    with pytest.raises(NotFoundError):
        await null.start_session(
            RemoteStart(cpo=CPX, location_id="L", evse_uid="E", token_uid="T", contract_id="C", issuer="I")
        )
    rig = await a_rig()
    assert [loc.id for loc in await rig.remote.locations(CPX)] == ["CPX-1"]


async def test_a_status_report_for_an_unknown_evse_changes_nothing() -> None:
    kit = await make_kit()
    before = len(kit.outbox())
    assert not await report_evse_status(kit.core, CPO, "LOC001", "NOPE", EvseStatus.CHARGING)
    assert not await report_evse_status(kit.core, CPX, "LOC001", "CP001*1", EvseStatus.CHARGING)
    assert await report_evse_status(kit.core, CPO, "LOC001", "CP001*1", EvseStatus.UNKNOWN)  # as it is
    assert (len(kit.outbox()), kit.events) == (before, [])


orders = st.builds(
    Order,
    seq=st.text(min_size=1, max_size=64),
    connector_id=st.text(max_size=26),
    token_uid=st.text(max_size=20),
    cpo_party=st.sampled_from(["", "DE*CPX"]),
    created=st.datetimes(timezones=st.just(UTC)),
    start_answer=st.fixed_dictionaries({"SuccStat": st.integers(0, 1), "FailReason": st.integers(0, 99)}),
    failed=st.booleans(),
    session_id=st.none() | st.text(max_size=36),
    ended=st.none() | st.datetimes(timezones=st.just(UTC)),
    total_money=st.none() | st.decimals(places=2, allow_nan=False, allow_infinity=False),
    remote=st.booleans(),
    status_pushed=st.none() | st.datetimes(timezones=st.just(UTC)),
)


@given(orders)
def test_an_order_reads_back_from_its_record_as_it_was_stored(order: Order) -> None:
    record = PartnerRecord(module=ORDERS, party=KDN, id="x", data=order.to_data(), last_updated=T0)
    assert Order.from_data(record.data) == order


def test_the_cpo_of_an_order() -> None:
    order = Order.from_data(Order("s", "c", "t", "DE*CPX", datetime(2026, 1, 1, tzinfo=UTC), {}).to_data())
    assert order.cpo == PartyRef.parse("DE*CPX")
