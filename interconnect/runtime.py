"""What every 互联互通 route, client call and job shares: partner configuration with its key sets and
tolerance flags, the Ret-code exception, the handler signature, and the runtime stored on the aiohttp app.

An adapter module: imports aiohttp and the core only (spec notes ../shared/specs/interconnect.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol

from aiohttp import web

from hub.core.clock import Clock
from hub.core.models import PartyRef
from hub.core.remote import NoRemoteCpos, RemoteCpos
from hub.core.services import Core

if TYPE_CHECKING:
    from interconnect.client import InterconnectClient


class Ret(IntEnum):
    """Envelope result codes (spec §2.6)."""

    BUSY = -1
    OK = 0
    SIGNATURE = 4001
    TOKEN = 4002
    ENVELOPE = 4003
    PAYLOAD = 4004
    SYSTEM = 500


RET_TEXT = {
    Ret.BUSY: "系统繁忙，此时请求方稍后重试",
    Ret.OK: "请求成功",
    Ret.SIGNATURE: "签名错误",
    Ret.TOKEN: "Token错误",
    Ret.ENVELOPE: "POST参数不合法",
    Ret.PAYLOAD: "请求的业务参数不合法",
    Ret.SYSTEM: "系统错误",
}


class InterconnectError(Exception):
    """Answered as an envelope with this Ret (never an HTTP error); `msg` is safe to show the partner
    (no secrets); the log line carries `detail`."""

    def __init__(self, ret: Ret, msg: str | None = None, detail: str | None = None) -> None:
        super().__init__(msg or RET_TEXT[ret])
        self.ret = ret
        self.msg = msg or RET_TEXT[ret]
        self.detail = detail


@dataclass(frozen=True)
class KeySet:
    """One direction's secrets (spec §1.2/§1.3): raw UTF-8 text; data_secret and data_iv are 16 bytes."""

    operator_secret: str
    data_secret: bytes
    data_iv: bytes
    sig_secret: bytes

    def __repr__(self) -> str:  # secrets never reach logs
        return "KeySet(***)"


@dataclass(frozen=True)
class Tolerance:
    """Per-partner switches for known peer variants (spec §8): strict out, lenient in."""

    service_spelling: Literal["Sevice", "Service"] = "Sevice"  # how we emit *SeviceMoney/*SevicePrice
    plain_token_data: bool = False  # query_token Data as plain JSON, both directions (Shanghai)
    verify_response_sig: bool = True  # refuse partner responses whose Sig does not verify
    replay_window_s: int | None = None  # refuse TimeStamps further than this from our clock (None: off)


@dataclass(frozen=True)
class PartnerConfig:
    name: str
    operator_id: str  # the partner's 9-char OperatorID (envelope OperatorID of its calls)
    kind: Literal["operator", "regulator"]
    base_url: str  # opaque prefix ending in "/", interface names are appended
    ocpi_party: PartyRef  # how this partner appears in the core and to OCPI parties
    our_operator_id: str  # our OperatorID towards this partner
    allow_ips: tuple[str, ...]  # empty: any address
    ours: KeySet  # what we issued: the partner's calls to us, and our answers to them
    theirs: KeySet  # what the partner issued to us: our calls to it, and its answers
    # Outbound: logical push name → the partner's interface name, or "" when off (regulators, spec §7).
    interfaces: Mapping[str, str] = field(default_factory=dict)
    # Inbound: a name the partner calls on us → our interface (e.g. supervise_query_stations_info).
    aliases: Mapping[str, str] = field(default_factory=dict)
    tolerance: Tolerance = field(default_factory=Tolerance)
    charge_status_interval_s: float = 50.0  # periodic notification_equip_charge_status while charging
    token_lifetime_s: int = 7200  # lifetime of the tokens we issue to this partner (spec §2.8)

    def interface(self, logical: str) -> str | None:
        """The partner's name for a call we make; None when this partner does not take it."""
        name = self.interfaces.get(logical)
        if name is not None:
            return name or None
        return None if self.kind == "regulator" else logical


class Agreement(Protocol):
    """A `[[agreements]]` entry: which two parties may exchange which modules."""

    @property
    def parties(self) -> tuple[str, str]: ...
    @property
    def modules(self) -> tuple[str, ...]: ...


def agreed(partner: PartnerConfig, owner: PartyRef, agreements: Iterable[Agreement], module: str) -> bool:
    """Whether `[[agreements]]` let the partner's party and `owner` exchange `module` ("locations",
    "commands", …): everything when none is configured (CONTRACT.md)."""
    agreements = list(agreements)
    if not agreements:
        return True
    pair = {owner.key(), partner.ocpi_party.key()}
    return any(
        {PartyRef.parse(str(p)).key() for p in a.parties} == pair and module in a.modules for a in agreements
    )


def may_see(partner: PartnerConfig, owner: PartyRef, agreements: Iterable[Agreement]) -> bool:
    """Regulators see every station of ours; an operator partner what `[[agreements]]` allow for
    "locations" between the owner and its party (everything when none is configured, CONTRACT.md)."""
    return partner.kind == "regulator" or agreed(partner, owner, agreements, "locations")


@dataclass(frozen=True)
class InterconnectConfig:
    operator_id: str  # ours
    base_path: str  # we serve {public_url}{base_path}/{interface}
    public_url: str
    partners: tuple[PartnerConfig, ...] = ()
    request_timeout_s: float = 10.0  # business calls; public-information calls get 3×
    secret_key: bytes = b""  # signs the access tokens we issue (the hub's secret key)
    agreements: tuple[Agreement, ...] = ()  # [[agreements]]: which of our stations an operator partner sees

    def partner(self, operator_id: str) -> PartnerConfig | None:
        return next((p for p in self.partners if p.operator_id == operator_id), None)

    def partner_named(self, name: str) -> PartnerConfig | None:
        wanted = name.casefold()
        return next(
            (p for p in self.partners if p.name.casefold() == wanted or p.operator_id.casefold() == wanted),
            None,
        )

    def partner_of_party(self, party: PartyRef) -> PartnerConfig | None:
        key = party.key()
        return next((p for p in self.partners if p.ocpi_party.key() == key), None)


@dataclass
class Call:
    """One inbound call, after the envelope checks: who called which interface."""

    runtime: InterconnectRuntime
    partner: PartnerConfig
    interface: str  # our interface name (an alias already resolved)

    @property
    def core(self) -> Core:
        return self.runtime.core


Handler = Callable[[Call, dict[str, Any]], Awaitable[dict[str, Any]]]


OrderHook = Callable[[PartnerConfig, str], Awaitable[None]]


@dataclass
class InterconnectRuntime:
    """Lives on the app from `create_app`; `core` is bound when the database is open, `client` when the app
    starts. `remote` reaches CPOs on other platforms (OCPI partner CPOs, whose stations we serve too);
    `order_changed` (set by cpo_notify.register) re-examines a partner's order after a handler changed it."""

    config: InterconnectConfig
    clock: Clock
    core_getter: Callable[[], Core | None]
    handlers: dict[str, Handler] = field(default_factory=dict)
    client: InterconnectClient | None = None
    remote: RemoteCpos = field(default_factory=NoRemoteCpos)
    order_changed: OrderHook | None = None

    @property
    def core(self) -> Core:
        core = self.core_getter()
        if core is None:
            raise InterconnectError(Ret.BUSY, detail="the core is not started yet")
        return core


INTERCONNECT_KEY = web.AppKey("interconnect", InterconnectRuntime)


def runtime(request: web.Request) -> InterconnectRuntime:
    return request.app[INTERCONNECT_KEY]


# A 互联互通 partner's equipment is a virtual station in the core (its connectors are the EVSEs), so OCPI
# commands and sessions on it run through the same core services as on our OCPP stations.
VIRTUAL_STATION_PREFIX = "HLHT."


def virtual_station_id(partner: PartnerConfig, equipment_id: str) -> str:
    return f"{VIRTUAL_STATION_PREFIX}{partner.operator_id}.{equipment_id}"


def parse_virtual_station_id(station_id: str) -> tuple[str, str] | None:
    """(partner OperatorID, EquipmentID) of a virtual station, None for any other station."""
    if not station_id.startswith(VIRTUAL_STATION_PREFIX):
        return None
    operator_id, _, equipment_id = station_id[len(VIRTUAL_STATION_PREFIX) :].partition(".")
    return (operator_id, equipment_id) if operator_id and equipment_id else None
