"""What every OCPI route and job shares: the configuration (`OcpiConfig`), the core (bound once the
database is open), the outbound HTTP client and the clock, stored on the aiohttp app under `OCPI_KEY`.

An adapter module: imports aiohttp and the core only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from hub.core.agreements import Agreements
from hub.core.clock import Clock
from hub.core.models import PartyRef, Role
from hub.core.services import Core


@dataclass(frozen=True)
class HostedParty:
    """A party run on this hub (our CPO for the OCPP stations, our eMSP for our drivers' tokens)."""

    ref: PartyRef
    role: Role
    name: str


@dataclass(frozen=True)
class OcpiConfig:
    public_url: str  # no trailing slash; every URL we hand out starts with it (PG-04)
    hub_party: PartyRef  # the hub's own identity, role HUB (CR-11)
    hub_name: str
    hosted: tuple[HostedParty, ...] = ()
    base_path: str = "/ocpi"
    allow_private_urls: bool = False  # partner URLs on loopback/private ranges (tests, demos, VPNs)
    page_limit: int = 100  # X-Limit: the largest page we serve (PG-02, PG-05)
    request_timeout_s: float = 10.0  # outbound calls (pushes, pulls)
    relay_timeout_s: float = 10.0  # the hub's onward leg of a relayed request (RT-09: 4002 after it)
    callback_timeout_s: float = 5.0  # the GETs made inside a partner's POST/PUT credentials (CR-04)
    authorize_timeout_s: float = 2.5  # real-time authorization, inside the station's 3 s budget (TK-10)
    token_grace_s: float = 3600.0  # the previous token still works this long after a PUT credentials (CR-07)
    resync_interval_s: float = 3600.0  # pull partners' lists with date_from (OF-01, OF-03)

    def hosted_party(self, ref: PartyRef) -> HostedParty | None:
        key = ref.key()
        return next((h for h in self.hosted if h.ref.key() == key), None)

    def hosted_by_role(self, role: Role) -> tuple[HostedParty, ...]:
        return tuple(h for h in self.hosted if h.role is role)

    def url(self, path: str) -> str:
        """Absolute public URL of an OCPI path (`/2.2.1/cpo/locations` → `{public_url}/ocpi/2.2.1/…`)."""
        return f"{self.public_url}{self.base_path}{path}"


@dataclass
class OcpiRuntime:
    """Lives on the app from `create_app`; `core` and `http` are set when the app starts."""

    config: OcpiConfig
    clock: Clock
    core_getter: Callable[[], Core | None]
    http: Any = None  # ocpi_modules.common.client.OcpiClient once started
    extras: dict[str, Any] = field(default_factory=dict)
    # The hub role (ocpi_modules.common.routing): the router, and how each OCPI version's platforms are
    # reached ({"2.2.1": link, "2.1.1": link}); both set by ocpi_modules.setup.
    router: Any = None
    agreements: Agreements = field(default_factory=lambda: Agreements({}))
    links: dict[str, Any] = field(default_factory=dict)

    @property
    def core(self) -> Core:
        core = self.core_getter()
        if core is None:
            raise RuntimeError("the core is not started yet")
        return core


OCPI_KEY = web.AppKey("ocpi", OcpiRuntime)


def runtime(request: web.Request) -> OcpiRuntime:
    return request.app[OCPI_KEY]
