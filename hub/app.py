"""Composition root: builds the aiohttp application from Settings — storage, core, OCPP central system,
operator endpoints and scheduled jobs — and seeds what config.toml declares.

May import anything (ARCHITECTURE.md, layer 1).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog
from aiohttp import web

from hub.core.agreements import Agreements
from hub.core.chargepoint import ChargePointApi
from hub.core.clock import Clock, SystemClock
from hub.core.errors import InvalidRequestError
from hub.core.events import (
    CdrCreated,
    CommandResultReceived,
    DomainEvent,
    EventBus,
    EvseStatusChanged,
    LocationChanged,
    SessionUpdated,
    TariffChanged,
    TokenChanged,
)
from hub.core.gateways import RoutingGateway
from hub.core.metrics import METRICS
from hub.core.models import (
    Connector,
    ConnectorFormat,
    Location,
    Party,
    PartyProtocol,
    PartyRef,
    Platform,
    PlatformStatus,
    PowerType,
    Role,
    Token,
    TokenType,
    WhitelistType,
)
from hub.core.ports import Database, StationGateway
from hub.core.pricing import RoundingPolicy, TariffEngine
from hub.core.pricing.validation import validate_tariff
from hub.core.services import Core, CoreOptions, build_core
from hub.ocpp.gateway import OcppGateway
from hub.ocpp.server import OcppServerConfig, setup_ocpp
from hub.scheduler import HubScheduler
from hub.settings import Settings, SettingsError
from hub.storage.db import open_database
from hub.storage.secrets import load_secret_key
from hub.web import setup_operator_routes
from hub.web_admin import setup_admin_routes
from interconnect.gateway import InterconnectGateway, is_virtual_station
from interconnect.runtime import InterconnectConfig, InterconnectRuntime, KeySet, PartnerConfig, Tolerance
from interconnect.setup import setup_interconnect, start_interconnect
from ocpi_modules.common.runtime import HostedParty, OcpiConfig
from ocpi_modules.setup import setup_ocpi
from ocpi_modules.v2_2_1.emsp.remote import OcpiRemoteCpos
from ocpi_modules.v2_2_1.tariffs import to_core_tariff

log = structlog.get_logger(__name__)

SETTINGS_KEY = web.AppKey("settings", Settings)
CORE_KEY = web.AppKey("core", Core)
DB_KEY = web.AppKey("db", Database)
GATEWAY_KEY = web.AppKey("gateway", OcppGateway)
SCHEDULER_KEY = web.AppKey("scheduler", HubScheduler)


class _LateChargePointApi:
    """The OCPP route is registered before the core exists (the core is built once the database is open,
    inside the app's cleanup context); this forwards to the core's service once it does."""

    def __init__(self) -> None:
        self.target: ChargePointApi | None = None

    def __getattr__(self, name: str) -> Any:
        if self.target is None:
            raise RuntimeError("the core is not started yet")
        return getattr(self.target, name)


@dataclass(frozen=True)
class Seeded:
    parties: int
    locations: int
    stations: int
    tariffs: int
    tokens: int


def ocpp_config(settings: Settings) -> OcppServerConfig:
    o = settings.ocpp
    return OcppServerConfig(
        path=o.path,
        heartbeat_interval_s=o.heartbeat_interval,
        compression=o.compression,
        max_message_bytes=o.max_message_bytes,
        call_timeout_s=o.call_timeout,
        ws_ping_interval_s=o.ws_ping_interval,
        validation=o.validation,
        protocols=tuple(o.protocols),
    )


def default_cpo(settings: Settings) -> PartyRef:
    for party in settings.parties:
        if party.role == "CPO":
            return PartyRef(country_code=party.country_code, party_id=party.party_id)
    return PartyRef(country_code=settings.hub.country_code, party_id="CPO")


def rounding_policy(settings: Settings) -> RoundingPolicy:
    p = settings.pricing
    return RoundingPolicy(scope=p.rounding, mode=p.rounding_mode, places=p.rounding_places)


def ocpi_config(settings: Settings) -> OcpiConfig:
    o = settings.ocpi
    return OcpiConfig(
        public_url=settings.hub.public_url.rstrip("/"),
        hub_party=PartyRef(country_code=settings.hub.country_code, party_id=settings.hub.party_id),
        hub_name=settings.hub.name,
        hosted=tuple(
            HostedParty(
                ref=PartyRef(country_code=p.country_code, party_id=p.party_id), role=Role(p.role), name=p.name
            )
            for p in settings.parties
        )
        # Each 互联互通 partner is a CPO on this hub towards OCPI eMSPs: they see its stations as Locations.
        + tuple(
            HostedParty(ref=PartyRef.parse(p.ocpi_party), role=Role.CPO, name=p.name)
            for p in settings.interconnect.partners
        ),
        allow_private_urls=o.allow_private_urls,
        page_limit=o.page_limit,
        request_timeout_s=o.request_timeout,
        callback_timeout_s=o.callback_timeout,
        relay_timeout_s=o.relay_timeout,
        authorize_timeout_s=o.authorize_timeout,
        token_grace_s=o.token_grace,
        resync_interval_s=o.resync_interval,
    )


def interconnect_config(settings: Settings, secret_key: bytes | None = None) -> InterconnectConfig:
    """[interconnect] as the adapter's config; `secret_key` (default: the hub's, load_secret_key, read only
    when partners are configured) signs the access tokens we issue to partners."""
    ic = settings.interconnect
    if secret_key is None:
        key_file = settings.resolve(settings.ocpi.secret_key_file)
        secret_key = load_secret_key(os.environ, key_file) if ic.partners else b""
    return InterconnectConfig(
        operator_id=ic.operator_id,
        base_path=ic.base_path,
        agreements=settings.agreements,
        public_url=settings.hub.public_url.rstrip("/"),
        partners=tuple(
            PartnerConfig(
                name=p.name,
                operator_id=p.operator_id,
                kind=p.kind,
                base_url=p.base_url,
                ocpi_party=PartyRef.parse(p.ocpi_party),
                our_operator_id=p.our_operator_id or ic.operator_id,
                allow_ips=tuple(p.allow_ips),
                ours=KeySet(
                    operator_secret=p.operator_secret,
                    data_secret=p.data_secret.encode("utf-8"),
                    data_iv=p.data_iv.encode("utf-8"),
                    sig_secret=p.sig_secret.encode("utf-8"),
                ),
                theirs=KeySet(
                    operator_secret=p.their_operator_secret,
                    data_secret=p.their_data_secret.encode("utf-8"),
                    data_iv=p.their_data_iv.encode("utf-8"),
                    sig_secret=p.their_sig_secret.encode("utf-8"),
                ),
                interfaces=dict(p.interfaces),
                aliases=dict(p.aliases),
                tolerance=Tolerance(
                    service_spelling=p.service_spelling,
                    plain_token_data=p.plain_token_data,
                    verify_response_sig=p.verify_response_sig,
                    replay_window_s=p.replay_window or None,
                ),
                charge_status_interval_s=p.charge_status_interval,
                token_lifetime_s=p.token_lifetime,
            )
            for p in ic.partners
        ),
        request_timeout_s=ic.request_timeout,
        secret_key=secret_key,
    )


def station_gateway(ocpp: OcppGateway, interconnect: InterconnectRuntime) -> StationGateway:
    """The core's StationGateway: a 互联互通 partner's equipment (a virtual station) is reached through the
    interconnect adapter, every other station over OCPP."""
    return RoutingGateway(ocpp, [(is_virtual_station, InterconnectGateway(interconnect))])


CUSTOMER_TARIFF_ID = "CUSTOMER"  # id of a customer tariff whose file names none

# Core events after which the outbox holds something for a partner: the drainer runs at once.
OUTBOX_EVENTS: tuple[type[DomainEvent], ...] = (
    EvseStatusChanged,
    LocationChanged,
    SessionUpdated,
    CdrCreated,
    TariffChanged,
    TokenChanged,
    CommandResultReceived,
)


def create_app(settings: Settings, *, clock: Clock | None = None) -> web.Application:
    clock = clock or SystemClock()
    app = web.Application(client_max_size=1024 * 1024)
    app[SETTINGS_KEY] = settings
    late_api = _LateChargePointApi()
    gateway = setup_ocpp(app, late_api, ocpp_config(settings))
    app[GATEWAY_KEY] = gateway
    ocpi = setup_ocpi(
        app,
        ocpi_config(settings),
        clock=clock,
        core_getter=lambda: app.get(CORE_KEY),
        admin_token=settings.admin.token,
    )
    ocpi.runtime.extras["agreements"] = settings.agreements
    ocpi.runtime.agreements = Agreements.of(settings.agreements)
    interconnect = setup_interconnect(
        app,
        interconnect_config(settings),
        clock=clock,
        core_getter=lambda: app.get(CORE_KEY),
        admin_token=settings.admin.token,
        remote=OcpiRemoteCpos(ocpi.runtime),  # OCPI partner CPOs, seen by 互联互通 through the core's port
    )

    async def health() -> dict[str, object]:
        db = app.get(DB_KEY)
        reachable = bool(db and await db.ping())
        return {
            "status": "ok" if reachable else "unavailable",
            "database": "reachable" if reachable else "unreachable",
            "connected_stations": gateway.connected_count(),
            "version": "0.1.0",
        }

    setup_operator_routes(app, health)
    setup_admin_routes(app, settings.admin.token, lambda: app.get(CORE_KEY), gateway)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        secret_key = load_secret_key(os.environ, settings.resolve(settings.ocpi.secret_key_file))
        db = await open_database(settings.hub.database_url, secret_key=secret_key)
        app[DB_KEY] = db
        bus = EventBus()
        core = build_core(
            db,
            bus,
            options=CoreOptions(
                default_cpo=default_cpo(settings),
                accept_unknown_stations=settings.ocpp.accept_unknown_stations,
                heartbeat_interval_s=settings.ocpp.heartbeat_interval,
                command_timeout_s=settings.ocpp.call_timeout + 5,
            ),
            gateway=station_gateway(gateway, interconnect),
            clock=clock,
            pricing=TariffEngine(rounding_policy(settings)),
            remote_authorizer=ocpi.authorizer,
        )
        app[CORE_KEY] = core
        late_api.target = core.chargepoints
        seeded = await seed_from_settings(core, settings, clock.now())
        METRICS.gauge("ocpp_connected_stations", "Stations with an open websocket").set_function(
            gateway.connected_count
        )
        scheduler = HubScheduler(core)
        app[SCHEDULER_KEY] = scheduler
        for prefix, deliverer in ocpi.deliverers():
            scheduler.drainer.register(prefix, deliverer)
        scheduler.add_job("ocpi-resync", ocpi.resync, settings.ocpi.resync_interval)
        ocpi.set_kick(scheduler.kick)
        scheduler.add_job("ocpi-hub-purge", ocpi.purge, 86_400)
        scheduler.add_job("ocpi-still-alive", ocpi.still_alive, 60)
        await ocpi.publish_client_info()
        start_interconnect(
            interconnect,
            scheduler,
            bus,
            agreements=settings.agreements,
            pull_interval_s=settings.interconnect.pull_interval,
        )
        for event_type in OUTBOX_EVENTS:
            bus.subscribe(event_type, lambda _event: scheduler.kick())
        scheduler.start()
        log.info(
            "hub_started",
            listen=settings.hub.listen,
            public_url=settings.hub.public_url,
            database=redact_url(settings.hub.database_url),
            **seeded.__dict__,
        )
        try:
            yield
        finally:
            log.info("hub_stopping")
            await scheduler.shutdown()
            await gateway.close()
            await core.tasks.close()
            await db.close()
            log.info("hub_stopped")

    app.cleanup_ctx.append(lifecycle)
    return app


async def seed_customer_tariffs(core: Core, settings: Settings) -> None:
    """Each eMSP party's `customer_tariff` file becomes that party's tariff (party = the eMSP, id from the
    file or CUSTOMER) and the one re-rating prices partner CDRs with."""
    for i, p in enumerate(settings.parties):
        party = PartyRef(country_code=p.country_code, party_id=p.party_id)
        if p.customer_tariff is None:
            core.ratings.use_customer_tariff(party, None)
            continue
        path = settings.resolve(p.customer_tariff)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object (an OCPI Tariff)")
            data.setdefault("id", CUSTOMER_TARIFF_ID)
            tariff = to_core_tariff(data, default_party=party).model_copy(update={"party": party})
            validate_tariff(tariff)
        except (OSError, ValueError, InvalidRequestError) as exc:  # JSONDecodeError is a ValueError
            raise SettingsError(f"parties[{i}].customer_tariff ({party}): {path}: {exc}") from None
        await core.tariffs.put(tariff)
        core.ratings.use_customer_tariff(party, tariff.id)


def redact_url(url: str) -> str:
    """Drop a password from a database URL before it is logged."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else f"{scheme}://{user}@{host}"


async def seed_from_settings(core: Core, settings: Settings, now: datetime) -> Seeded:
    """Make the database match what config.toml declares (idempotent: run at every start)."""
    for p in settings.parties:
        await core.parties.ensure(
            Party(
                ref=PartyRef(country_code=p.country_code, party_id=p.party_id),
                role=Role(p.role),
                name=p.name,
                last_updated=now,
            )
        )
    for partner in settings.interconnect.partners:
        await core.parties.ensure(
            Party(
                ref=PartyRef.parse(partner.ocpi_party),
                role=Role.CPO,
                name=partner.name,
                protocol=PartyProtocol.INTERCONNECT,
                last_updated=now,
            )
        )
    for loc in settings.locations:
        party = PartyRef.parse(loc.party)
        existing = await core.locations.get(party, loc.id)
        location = Location(
            id=loc.id,
            party=party,
            name=loc.name,
            address=loc.address,
            city=loc.city,
            postal_code=loc.postal_code,
            country=loc.country,
            latitude=Decimal(loc.latitude),
            longitude=Decimal(loc.longitude),
            time_zone=loc.time_zone,
            publish=loc.publish,
            evses=existing.evses if existing else (),
            last_updated=existing.last_updated if existing else now,
        )
        if existing is None or location.model_dump(exclude={"last_updated"}) != existing.model_dump(
            exclude={"last_updated"}
        ):
            await core.locations.put(location.model_copy(update={"last_updated": now}))
    for i, t in enumerate(settings.tariffs):
        path = settings.resolve(t.file)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data.setdefault("id", t.id)
            tariff = to_core_tariff(data, default_party=PartyRef.parse(t.party))
        except (OSError, ValueError, InvalidRequestError) as exc:  # JSONDecodeError is a ValueError
            raise SettingsError(f"tariffs[{i}] ({t.id}): {path}: {exc}") from None
        await core.tariffs.put(tariff.model_copy(update={"id": t.id, "party": PartyRef.parse(t.party)}))
    await seed_customer_tariffs(core, settings)
    for s in settings.ocpp.stations:
        connectors = tuple(
            Connector(
                id=str(i),
                standard=c.standard,
                format=ConnectorFormat(c.format),
                power_type=PowerType(c.power_type),
                max_voltage=c.max_voltage,
                max_amperage=c.max_amperage,
                max_electric_power=c.max_electric_power,
                tariff_ids=(s.tariff_id,) if s.tariff_id else (),
                last_updated=now,
            )
            for i, c in enumerate(s.connectors, start=1)
        )
        await core.chargepoints.register_station(
            s.id,
            party=PartyRef.parse(s.party),
            location_id=s.location_id,
            tariff_id=s.tariff_id,
            password=s.password,
            connectors=connectors,
        )
    # An invitation is used once: after a partner registered with it (its Token A is then dead, CR-03) a
    # restart must not revive it, so a platform of the same name means "already handed out".
    names = {p.name for p in await core.platforms.list()}
    for invitation in settings.ocpi.invitations:
        if invitation.name not in names:
            await core.platforms.put(
                Platform(
                    id=uuid.uuid4().hex,
                    name=invitation.name,
                    status=PlatformStatus.PLANNED,
                    invitation_token=invitation.token,
                    invited_role=Role(invitation.role) if invitation.role else None,
                    last_updated=now,
                )
            )
    for tok in settings.tokens:
        await core.tokens.put(
            Token(
                uid=tok.uid,
                party=PartyRef.parse(tok.party),
                type=TokenType(tok.type),
                contract_id=tok.contract_id,
                visual_number=tok.visual_number,
                issuer=tok.issuer or settings.hub.name,
                group_id=tok.group_id,
                valid=tok.valid,
                whitelist=WhitelistType(tok.whitelist),
                language=tok.language,
                own=True,
                last_updated=now,
            )
        )
    return Seeded(
        parties=len(settings.parties),
        locations=len(settings.locations),
        stations=len(settings.ocpp.stations),
        tariffs=len(settings.tariffs),
        tokens=len(settings.tokens),
    )
