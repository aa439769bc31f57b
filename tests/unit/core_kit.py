"""Builders for the core unit tests: a core on the in-memory database and the fake gateway, seeded like the
default config (CPO NL*CPO, eMSP NL*MSP, location LOC001, station CP001, tariff STD, one own token), plus
report and sample builders with keyword overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from hub.core.chargepoint import BootInfo, TransactionEventKind, TransactionReport
from hub.core.clock import FixedClock, SequentialIds
from hub.core.events import DomainEvent, EventBus
from hub.core.models import (
    Connector,
    Location,
    MeterSample,
    Party,
    PartyRef,
    PriceComponent,
    PriceComponentType,
    Role,
    Session,
    SessionStatus,
    Tariff,
    TariffElement,
    Token,
    WhitelistType,
)
from hub.core.ports import RemoteAuthorizer
from hub.core.services import Core, CoreOptions, build_core
from tests.fakes.gateway import FakeGateway
from tests.fakes.memory import InMemoryDatabase

CPO = PartyRef.parse("NL*CPO")
MSP = PartyRef.parse("NL*MSP")
ROAMER = PartyRef.parse("DE*ABC")
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday
OWN_UID = "04A1B2C3D4E5F6"
STATION = "CP001"
PASSWORD = "cp001-secret-password"

E = TypeVar("E", bound=DomainEvent)


def at(minutes: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes)


def a_location(**overrides: Any) -> Location:
    values: dict[str, Any] = {
        "id": "LOC001",
        "party": CPO,
        "name": "Depot Noord",
        "address": "Stationsplein 1",
        "city": "Amsterdam",
        "postal_code": "1012AB",
        "country": "NLD",
        "latitude": Decimal("52.37900"),
        "longitude": Decimal("4.90000"),
        "time_zone": "Europe/Amsterdam",
        "last_updated": T0 - timedelta(days=1),
    }
    values.update(overrides)
    return Location(**values)


def a_token(uid: str = OWN_UID, **overrides: Any) -> Token:
    values: dict[str, Any] = {
        "uid": uid,
        "party": MSP,
        "contract_id": "NL-MSP-C12345678-X",
        "issuer": "Own eMSP",
        "own": True,
        "last_updated": T0 - timedelta(days=1),
    }
    values.update(overrides)
    return Token(**values)


def a_roaming_token(
    uid: str = "DEABC0001", whitelist: WhitelistType = WhitelistType.ALLOWED, **kw: Any
) -> Token:
    return a_token(uid, party=ROAMER, contract_id="DE-ABC-C0001", own=False, whitelist=whitelist, **kw)


def a_tariff(**overrides: Any) -> Tariff:
    values: dict[str, Any] = {
        "id": "STD",
        "party": CPO,
        "currency": "EUR",
        "elements": (
            TariffElement(
                price_components=(
                    PriceComponent(type=PriceComponentType.ENERGY, price=Decimal("0.25"), vat=Decimal(21)),
                    PriceComponent(type=PriceComponentType.FLAT, price=Decimal("2.00"), vat=Decimal(21)),
                )
            ),
        ),
        "last_updated": T0 - timedelta(days=1),
    }
    values.update(overrides)
    return Tariff(**values)


def a_session(id: str = "ses-1", **overrides: Any) -> Session:
    values: dict[str, Any] = {
        "id": id,
        "party": CPO,
        "status": SessionStatus.ACTIVE,
        "start": T0,
        "location_id": "LOC001",
        "evse_uid": "CP001*1",
        "connector_id": "1",
        "station_id": STATION,
        "transaction_id": "17",
        "token_uid": OWN_UID,
        "token_party": MSP,
        "last_updated": T0,
    }
    values.update(overrides)
    return Session(**values)


def energy(minutes: float, value: str | int, unit: str = "Wh", **kw: Any) -> MeterSample:
    return MeterSample(timestamp=at(minutes), value=Decimal(value), unit=unit, **kw)


def a_start(minutes: float = 0, **overrides: Any) -> TransactionReport:
    """An OCPP 1.6 StartTransaction in neutral form (the hub numbers the transaction)."""
    values: dict[str, Any] = {
        "kind": TransactionEventKind.STARTED,
        "timestamp": at(minutes),
        "evse_no": 1,
        "id_tag": OWN_UID,
        "meter_wh": Decimal(1000),
    }
    values.update(overrides)
    return TransactionReport(**values)


def a_stop(transaction_id: str | None, minutes: float = 60, **overrides: Any) -> TransactionReport:
    """An OCPP 1.6 StopTransaction in neutral form."""
    values: dict[str, Any] = {
        "kind": TransactionEventKind.ENDED,
        "timestamp": at(minutes),
        "transaction_id": transaction_id,
        "meter_wh": Decimal(21000),
        "stop_reason": "Local",
    }
    values.update(overrides)
    return TransactionReport(**values)


def an_event(kind: TransactionEventKind, seq_no: int, minutes: float, **overrides: Any) -> TransactionReport:
    """An OCPP 2.0.1 TransactionEvent in neutral form (the station names the transaction)."""
    values: dict[str, Any] = {
        "kind": kind,
        "timestamp": at(minutes),
        "transaction_id": "TX-201",
        "seq_no": seq_no,
    }
    values.update(overrides)
    return TransactionReport(**values)


@dataclass
class Kit:
    core: Core
    db: InMemoryDatabase
    gateway: FakeGateway
    clock: FixedClock
    events: list[DomainEvent] = field(default_factory=list)

    def events_of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]

    def outbox(self, topic: str | None = None) -> list[Any]:
        return [m for m in self.db.committed("outbox") if topic is None or m.topic == topic]

    async def online(self, station_id: str = STATION, password: str | None = None) -> None:
        """Admit, connect and boot a station."""
        admission = await self.core.chargepoints.admit(station_id, password, None)
        assert admission.admitted, admission.reason
        await self.core.chargepoints.connected(station_id, "ocpp1.6")
        await self.core.chargepoints.boot(station_id, BootInfo(vendor="ACME", model="Fast-1"))


async def make_kit(
    *,
    remote: RemoteAuthorizer | None = None,
    accept_unknown: bool = True,
    command_timeout_s: float = 5.0,
    password: str | None = None,
    evses: int = 1,
    seed: bool = True,
) -> Kit:
    db = InMemoryDatabase()
    bus = EventBus()
    clock = FixedClock(T0)
    gateway = FakeGateway(connected=[STATION])
    options = CoreOptions(
        default_cpo=CPO,
        accept_unknown_stations=accept_unknown,
        command_timeout_s=command_timeout_s,
        remote_authorization_timeout_s=0.2,
    )
    core = build_core(
        db,
        bus,
        options=options,
        gateway=gateway,
        clock=clock,
        ids=SequentialIds("id"),
        remote_authorizer=remote,
    )
    kit = Kit(core=core, db=db, gateway=gateway, clock=clock)
    bus.subscribe(DomainEvent, kit.events.append)
    if seed:
        await core.parties.ensure(Party(ref=CPO, role=Role.CPO, name="Own CPO", last_updated=T0))
        await core.parties.ensure(Party(ref=MSP, role=Role.EMSP, name="Own eMSP", last_updated=T0))
        await core.locations.put(a_location())
        await core.tariffs.put(a_tariff())
        await core.tokens.put(a_token())
        spec = Connector(id="1", last_updated=T0)
        await core.chargepoints.register_station(
            STATION,
            party=CPO,
            location_id="LOC001",
            tariff_id="STD",
            password=password,
            connectors=[spec] * evses,
        )
    kit.events.clear()
    return kit
