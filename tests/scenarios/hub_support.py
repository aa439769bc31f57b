"""Shared set-up of the hub routing scenarios (checklist §11): a running hub (hosting the CPO NL*CPO and the
eMSP NL*MSP) with three independent partner platforms on loopback — the eMSP DE*EMA ("A"), the CPO DE*CPB
("B") and the eMSP DE*EMC ("C") — registered CONNECTED, plus OCPI 2.2.1 objects those partners send and
helpers to look at what each of them received.

Test code: imports the hub's test fixtures, the fake OCPI partner and the core's models.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from hub.core.models import PartyRef, Platform, PlatformStatus
from tests.conftest import RunningHub
from tests.fakes.ocpi_partner import Call, FakePartner, HubClient, HubReply, bind_public_url, welcomed
from tests.fakes.ocpi_partner.connected import connect_platform
from tests.fakes.ocpi_partner.objects import a_cdr_location

MakeHub = Callable[..., Awaitable[RunningHub]]

HUB = "NL*HUB"  # the hub's own party (TO = the hub: broadcast, GET All)
OWN_CPO, OWN_EMSP = "NL*CPO", "NL*MSP"  # the parties hosted on the hub
EMA, CPB, EMC = "DE*EMA", "DE*CPB", "DE*EMC"  # partner A (eMSP), B (CPO), C (eMSP)
T1, T2, T3 = "2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z", "2026-03-01T12:00:00Z"
CPO_PATH, EMSP_PATH = "/ocpi/2.2.1/cpo", "/ocpi/2.2.1/emsp"
# Party → (roles of its platform, platform id); every partner platform carries exactly one party.
PARTNERS: dict[str, tuple[str, str]] = {
    EMA: ("EMSP", "platform-a"),
    CPB: ("CPO", "platform-b"),
    EMC: ("EMSP", "platform-c"),
}


def ref(party: str) -> PartyRef:
    return PartyRef.parse(party)


@dataclass
class Roaming:
    """The hub and its partners A, B and C (`net.a`, `net.b`, `net.c`)."""

    hub: RunningHub
    partners: dict[str, FakePartner]

    @property
    def a(self) -> FakePartner:
        return self.partners[EMA]

    @property
    def b(self) -> FakePartner:
        return self.partners[CPB]

    @property
    def c(self) -> FakePartner:
        return self.partners[EMC]

    def client(self, partner: FakePartner) -> HubClient:
        return partner.client(self.hub.url)

    async def platform(self, party: str) -> Platform:
        platform = await self.hub.core.platforms.get(PARTNERS[party][1])
        assert platform is not None, party
        return platform

    async def set_status(self, party: str, status: PlatformStatus) -> None:
        platform = await self.platform(party)
        await self.hub.core.platforms.put(platform.model_copy(update={"status": status}))


def hub_settings(**overrides: Any) -> dict[str, Any]:
    """Hub settings overrides: private partner URLs allowed, a short relay timeout unless given."""
    ocpi = {"allow_private_urls": True, "relay_timeout": 3.0, **overrides.pop("ocpi", {})}
    return {"ocpi": ocpi, **overrides}


@asynccontextmanager
async def roaming(
    make_hub: MakeHub, *, parties: tuple[str, ...] = (EMA, CPB, EMC), **hub: Any
) -> AsyncIterator[Roaming]:
    """A started hub (`hub` are settings overrides) with the partner platforms of `parties` CONNECTED."""
    running = await make_hub(**hub_settings(**hub))
    bind_public_url(running)
    await welcomed(
        running
    )  # what the hub pushes about its own parties at start-up is gone before partners come
    async with AsyncExitStack() as stack:
        partners: dict[str, FakePartner] = {}
        for party in parties:
            role, platform_id = PARTNERS[party]
            cc, pid = party.split("*")
            partner = await stack.enter_async_context(
                FakePartner(roles=[(cc, pid, role)], name=f"Partner {pid}")
            )
            await connect_platform(
                running,
                partner,
                hub_token=f"hub-to-{pid}",
                partner_token=f"{pid}-to-hub",
                platform_id=platform_id,
            )
            partners[party] = partner
        yield Roaming(running, partners)


# --- what the partners received ----------------------------------------------------------------------------


def routing_of(call: Call) -> tuple[str | None, str | None]:
    """(FROM, TO) of a call a partner received, as "CC*PID"."""
    h = call.headers

    def party(side: str) -> str | None:
        cc, pid = h.get(f"ocpi-{side}-country-code"), h.get(f"ocpi-{side}-party-id")
        return f"{cc}*{pid}" if cc and pid else None

    return party("from"), party("to")


def answered_routing(answer: HubReply) -> tuple[str | None, str | None]:
    """(FROM, TO) of the hub's answer."""
    h = answer.headers

    def party(side: str) -> str | None:
        cc, pid = h.get(f"ocpi-{side}-country-code"), h.get(f"ocpi-{side}-party-id")
        return f"{cc}*{pid}" if cc and pid else None

    return party("from"), party("to")


def ids(request_id: str, correlation_id: str) -> dict[str, str]:
    """Headers fixing the ids of a request to the hub."""
    return {"X-Request-ID": request_id, "X-Correlation-ID": correlation_id}


async def settle(seconds: float = 0.2) -> None:
    """Give a request that must NOT reach a partner the time it would need to get there."""
    await asyncio.sleep(seconds)


# --- OCPI 2.2.1 objects ------------------------------------------------------------------------------------


def _cc_pid(party: str) -> dict[str, str]:
    cc, pid = party.split("*")
    return {"country_code": cc, "party_id": pid}


def a_location(
    location_id: str, party: str = CPB, last_updated: str = T1, **overrides: Any
) -> dict[str, Any]:
    connector = {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 16,
        "last_updated": last_updated,
    }
    evse = {
        "uid": f"{location_id}-E1",
        "status": "AVAILABLE",
        "connectors": [connector],
        "last_updated": last_updated,
    }
    return {
        **_cc_pid(party),
        "id": location_id,
        "publish": True,
        "address": "Hauptstrasse 1",
        "city": "Berlin",
        "country": "DEU",
        "coordinates": {"latitude": "52.52000", "longitude": "13.40500"},
        "time_zone": "Europe/Berlin",
        "evses": [evse],
        "last_updated": last_updated,
        **overrides,
    }


def a_token(uid: str, party: str = EMA, **overrides: Any) -> dict[str, Any]:
    return {
        **_cc_pid(party),
        "uid": uid,
        "type": "RFID",
        "contract_id": f"{party.replace('*', '-')}-C{uid[-6:]}",
        "issuer": "Partner",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": T1,
        **overrides,
    }


def a_cdr_token(uid: str = "DEEMA000001", party: str = EMA) -> dict[str, Any]:
    return {**_cc_pid(party), "uid": uid, "type": "RFID", "contract_id": f"{party.replace('*', '-')}-C000001"}


def a_session(session_id: str, emsp: str = EMA, party: str = CPB, **overrides: Any) -> dict[str, Any]:
    return {
        **_cc_pid(party),
        "id": session_id,
        "start_date_time": T1,
        "kwh": 0,
        "cdr_token": a_cdr_token(party=emsp),
        "auth_method": "WHITELIST",
        "location_id": "LOC-B1",
        "evse_uid": "LOC-B1-E1",
        "connector_id": "1",
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": T1,
        **overrides,
    }


def a_cdr(cdr_id: str, emsp: str = EMA, party: str = CPB, **overrides: Any) -> dict[str, Any]:
    return {
        **_cc_pid(party),
        "id": cdr_id,
        "start_date_time": T1,
        "end_date_time": T2,
        "session_id": "SES-B1",
        "cdr_token": a_cdr_token(party=emsp),
        "auth_method": "WHITELIST",
        "cdr_location": a_cdr_location("LOC-B1", evse_uid="LOC-B1-E1", evse_id="DE*CPB*E1"),
        "currency": "EUR",
        "charging_periods": [{"start_date_time": T1, "dimensions": [{"type": "ENERGY", "volume": 12.5}]}],
        "total_cost": {"excl_vat": 5.13, "incl_vat": 6.21},
        "total_energy": 12.5,
        "total_time": 1.0,
        "last_updated": T2,
        **overrides,
    }


def a_start_session(response_url: str, location_id: str = "LOC-B1", emsp: str = EMA) -> dict[str, Any]:
    return {
        "response_url": response_url,
        "token": a_token("DEEMA000001", emsp),
        "location_id": location_id,
        "evse_uid": f"{location_id}-E1",
    }
