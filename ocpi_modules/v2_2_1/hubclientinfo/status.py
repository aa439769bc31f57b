"""HubClientInfo statuses as pure functions (checklist §12): the ClientInfo object (HC-01), each party's
ConnectionStatus derived from hosted parties, platforms, agreements and what was published before (HC-02,
HC-05), and which parties a platform may see (HC-09).

Imports the standard library, ocpi_modules.common and the core models only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from hub.core.models import PartyRef, Platform, PlatformStatus, Role
from ocpi_modules.common.datetimes import format_datetime
from ocpi_modules.common.runtime import HostedParty, OcpiRuntime


class ConnectionStatus(StrEnum):
    """HC-02."""

    CONNECTED = "CONNECTED"  # requests can be sent
    OFFLINE = "OFFLINE"  # temporarily unreachable: send nothing, queue nothing, it resyncs by GET
    PLANNED = "PLANNED"  # announced (an agreement names it) but never connected
    SUSPENDED = "SUSPENDED"  # gone for good; a removed party is reported so, never dropped (HC-05)


# A platform's parties share its status; PLANNED platforms have not told us their parties yet.
_OF_PLATFORM = {
    PlatformStatus.CONNECTED: ConnectionStatus.CONNECTED,
    PlatformStatus.OFFLINE: ConnectionStatus.OFFLINE,
    PlatformStatus.SUSPENDED: ConnectionStatus.SUSPENDED,
}
# A party carried by several platforms (say a SUSPENDED registration and its successor) takes the best.
_RANK = {ConnectionStatus.CONNECTED: 0, ConnectionStatus.OFFLINE: 1, ConnectionStatus.SUSPENDED: 2}
# The role a party only named in agreements most likely plays, from its counterpart's role.
_OPPOSITE = {Role.CPO: Role.EMSP, Role.EMSP: Role.CPO}


@dataclass(frozen=True)
class Known:
    """A party's status as derived now; `platform_id` is the platform carrying it (None: hosted on the hub,
    only named in agreements, or removed)."""

    party: PartyRef
    role: Role
    status: ConnectionStatus
    platform_id: str | None = None


@dataclass(frozen=True)
class ClientInfo:
    """HC-01, with the platform carrying the party (never shown to that platform, HC-09)."""

    party: PartyRef
    role: Role
    status: ConnectionStatus
    last_updated: datetime
    platform_id: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "party_id": self.party.party_id,
            "country_code": self.party.country_code,
            "role": str(self.role),
            "status": str(self.status),
            "last_updated": format_datetime(self.last_updated),
        }


@dataclass(frozen=True)
class Publication:
    """What `publish_changes` found: every ClientInfo, those that changed, and how many PUTs it queued."""

    current: tuple[ClientInfo, ...]
    changed: tuple[ClientInfo, ...]
    queued: int


# --- deriving the statuses (pure) --------------------------------------------------------------------------


def derive(
    *,
    hub_party: PartyRef,
    hosted: Iterable[HostedParty],
    platforms: Iterable[Platform],
    agreements: Iterable[tuple[PartyRef, PartyRef]] = (),
    published: Mapping[str, tuple[PartyRef, Role, ConnectionStatus]] | None = None,
) -> dict[str, Known]:
    """Every party's status by party key. Hosted parties are CONNECTED; a platform's parties (not its own HUB
    entry) take its status; parties only named in agreements are PLANNED; a party `published` before and
    known no more is SUSPENDED, and so is one that returns only as an agreement name (never PLANNED again)."""
    published = published or {}
    hub_key = hub_party.key()
    known: dict[str, Known] = {}
    for platform in platforms:
        status = _OF_PLATFORM.get(platform.status)
        if status is None:
            continue
        for entry in platform.roles:
            key = entry.party.key()
            held = known.get(key)
            if entry.role is Role.HUB or (held is not None and _RANK[held.status] <= _RANK[status]):
                continue
            known[key] = Known(entry.party, entry.role, status, platform.id)
    for host in hosted:
        known[host.ref.key()] = Known(host.ref, host.role, ConnectionStatus.CONNECTED)
    known.pop(hub_key, None)
    guesses: dict[str, tuple[PartyRef, set[Role]]] = {}
    for one, other in agreements:
        for party, counterpart in ((one, other), (other, one)):
            key = party.key()
            if key in known or key == hub_key:
                continue
            _, roles = guesses.setdefault(key, (party, set()))
            counter = known.get(counterpart.key())
            counter_role = counter.role if counter else published.get(counterpart.key(), (None, None))[1]
            roles.add(_OPPOSITE.get(counter_role, Role.OTHER) if counter_role else Role.OTHER)
    for key, (party, roles) in guesses.items():
        before = published.get(key)
        if before is not None and before[2] is not ConnectionStatus.PLANNED:
            continue  # removed once: stays SUSPENDED below
        # When no counterpart tells the role (or they disagree): what was published, else OTHER.
        specific = roles - {Role.OTHER}
        fallback = before[1] if before is not None else Role.OTHER
        role = next(iter(specific)) if len(specific) == 1 else fallback
        known[key] = Known(party, role, ConnectionStatus.PLANNED)
    for key, (party, role, _) in published.items():
        if key not in known:
            known[key] = Known(party, role, ConnectionStatus.SUSPENDED)
    return known


def visible_to(info: ClientInfo | Known, viewer: Platform, pairs: Sequence[frozenset[str]]) -> bool:
    """HC-09: a platform sees the parties it may talk to under the agreements (all without agreements), never
    its own."""
    if info.platform_id == viewer.id or viewer.role_of(info.party) is not None:
        return False
    if not pairs:
        return True
    key = info.party.key()
    mine = {entry.party.key() for entry in viewer.roles}
    return any(key in pair and (pair - {key}) & mine for pair in pairs)


def agreement_parties(rt: OcpiRuntime) -> tuple[tuple[PartyRef, PartyRef], ...]:
    """`[[agreements]]` (runtime extras "agreements": items with `.parties`, two "CC*PID") as party pairs."""
    pairs: list[tuple[PartyRef, PartyRef]] = []
    for agreement in rt.extras.get("agreements") or ():
        one, other = (PartyRef.parse(str(p)) for p in agreement.parties)
        pairs.append((one, other))
    return tuple(pairs)


def key_pairs(agreements: Iterable[tuple[PartyRef, PartyRef]]) -> tuple[frozenset[str], ...]:
    return tuple(frozenset((one.key(), other.key())) for one, other in agreements)
