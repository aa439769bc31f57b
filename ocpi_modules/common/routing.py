"""The hub role's vocabulary, shared by every OCPI version (checklist §11): a functional request in the hub's
canonical form (`RelayRequest`, bodies in OCPI 2.2.1 shapes), the answer to it (`RelayAnswer`), the router
that decides where it goes (`Router`) and how one partner platform is reached in its own version
(`PlatformLink`).

A version adapter turns its wire requests into `RelayRequest`s and hands them to `rt.router`; the router
answers from a party hosted on the hub, relays to the platform carrying the TO party through that platform's
link, fans a broadcast out, or merges a GET All. A link for an older version translates the canonical body
to its wire shapes and back, and raises `Untranslatable` for what it cannot carry.

Imports the core models and the standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from hub.core.models import PartyRef, Platform

# Functional modules (RT-02): routing headers are used on these and on no others.
FUNCTIONAL_MODULES = frozenset(
    {"cdrs", "chargingprofiles", "commands", "locations", "sessions", "tariffs", "tokens"}
)
SENDER = "SENDER"
RECEIVER = "RECEIVER"


class Untranslatable(ValueError):  # noqa: N818 (named for what it is: a refusal, not a crash)
    """A payload an older version cannot carry (V211-02): refused with a clear message, never forwarded
    untranslated. `path` names the field."""

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


@dataclass(frozen=True)
class RelayRequest:
    """One functional request as the hub routes it.

    `module` and `role` name the interface at the receiver (`locations` + SENDER is the CPO's Locations
    Sender); `tail` holds the path segments after that interface's URL (`("NL", "CPO", "LOC1")`), `query` the
    query parameters, `body` the parsed JSON in 2.2.1 shapes (None without a body). `platform` is the calling
    platform, `from_party` the party it speaks for (already checked to be its own), `to_party` the TO party or
    None (open routing). `correlation_id` is kept end to end (ID-03)."""

    module: str
    role: str
    method: str
    tail: tuple[str, ...]
    from_party: PartyRef
    to_party: PartyRef | None
    platform: Platform
    correlation_id: str
    request_id: str = ""
    query: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    # The aiohttp request this came in on: parties hosted on the hub answer through it, in process.
    origin: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class RelayAnswer:
    """What came back, in 2.2.1 shapes: the HTTP status, the OCPI status code and message, `data`, and the
    headers the requester needs (X-Total-Count, X-Limit, Link and Location, already pointing at the hub)."""

    http_status: int
    status_code: int
    status_message: str | None = None
    data: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # The party that answered (FROM on the answer's leg to the requester).
    responder: PartyRef | None = None


class PlatformLink(Protocol):
    """How the hub sends one canonical request to a platform speaking one OCPI version. `url` is the
    receiver's interface URL with the tail already joined. Transport failures raise
    `ocpi_modules.common.client.OcpiTransportError`; a payload the version cannot carry raises
    `Untranslatable`."""

    async def send(self, platform: Platform, request: RelayRequest, url: str) -> RelayAnswer: ...


class LocalParties(Protocol):
    """The parties hosted on the hub, answering a canonical request in process exactly as they answer a
    partner (their own OCPI handlers, the same checks)."""

    async def answer(self, hosted: PartyRef, request: RelayRequest) -> RelayAnswer: ...


class Router(Protocol):
    """The hub's routing decision for one canonical request (checklist §11 decision table): answers from a
    hosted party, relays, broadcasts, merges a GET All, or raises an `OcpiError` (4001, 4002, 4003, 4000,
    2001 …)."""

    async def route(self, request: RelayRequest) -> RelayAnswer: ...
