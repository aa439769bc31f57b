"""The core's composition: `CoreOptions`, the `Core` bundle of services and `build_core`, which the
composition root calls once with the storage, event bus and station gateway.

Imports the standard library and the core only.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.core.alarms import AlarmService
from hub.core.authorization import AuthorizationService, InjectedTokens
from hub.core.cdrs import CdrService
from hub.core.clock import Clock, IdGenerator, SystemClock, UuidGenerator
from hub.core.commands import CommandService
from hub.core.events import EventBus
from hub.core.locations import LocationService
from hub.core.models import PartyRef
from hub.core.parties import PartyService
from hub.core.platforms import PlatformService
from hub.core.ports import Database, PricingPort, RemoteAuthorizer, StationGateway
from hub.core.pricing import TariffEngine
from hub.core.rating import RatingService
from hub.core.roaming import PartnerRecordService
from hub.core.sessions import SessionService
from hub.core.stations import ChargePointService
from hub.core.tariffs import TariffService
from hub.core.tasks import TaskRegistry
from hub.core.tokens import TokenService


@dataclass(frozen=True)
class CoreOptions:
    default_cpo: PartyRef  # owner of stations that connect without configuration
    accept_unknown_stations: bool = True
    heartbeat_interval_s: int = 300
    command_timeout_s: float = 30.0
    remote_authorization_timeout_s: float = 3.0
    currency: str = "EUR"  # of sessions without a tariff


@dataclass
class Core:
    chargepoints: ChargePointService
    authorization: AuthorizationService
    sessions: SessionService
    cdrs: CdrService
    ratings: RatingService
    commands: CommandService
    locations: LocationService
    tariffs: TariffService
    tokens: TokenService
    parties: PartyService
    alarms: AlarmService
    platforms: PlatformService
    records: PartnerRecordService
    tasks: TaskRegistry
    bus: EventBus
    clock: Clock
    db: Database
    options: CoreOptions


def build_core(
    db: Database,
    bus: EventBus,
    *,
    options: CoreOptions,
    gateway: StationGateway,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    pricing: PricingPort | None = None,
    remote_authorizer: RemoteAuthorizer | None = None,
) -> Core:
    clock = clock or SystemClock()
    ids = ids or UuidGenerator()
    tasks = TaskRegistry()
    authorization = AuthorizationService(
        db, clock, remote_authorizer, options.remote_authorization_timeout_s, InjectedTokens(clock)
    )
    pricing = pricing or TariffEngine()
    cdrs = CdrService(db, clock, ids, pricing, bus)
    sessions = SessionService(db, bus, clock, ids, authorization, cdrs, options.currency)
    locations = LocationService(db, bus, clock)
    chargepoints = ChargePointService(
        db,
        bus,
        clock,
        ids,
        default_cpo=options.default_cpo,
        accept_unknown_stations=options.accept_unknown_stations,
        heartbeat_interval_s=options.heartbeat_interval_s,
        authorization=authorization,
        sessions=sessions,
        locations=locations,
    )
    commands = CommandService(
        db, bus, clock, ids, gateway, tasks, authorization, sessions, options.command_timeout_s
    )
    return Core(
        chargepoints=chargepoints,
        authorization=authorization,
        sessions=sessions,
        cdrs=cdrs,
        ratings=RatingService(db, clock, pricing),
        commands=commands,
        locations=locations,
        tariffs=TariffService(db, bus, clock),
        tokens=TokenService(db, bus, clock),
        parties=PartyService(db),
        alarms=AlarmService(db),
        platforms=PlatformService(db, clock),
        records=PartnerRecordService(db, clock),
        tasks=tasks,
        bus=bus,
        clock=clock,
        db=db,
        options=options,
    )
