"""CPOs that run their stations elsewhere, as the core sees them: an OCPI partner CPO whose locations,
sessions and CDRs our eMSP receives (the `RemoteCpos` port, implemented by the OCPI adapter, with the events
it publishes), the money of a 互联互通 order relayed from such a CPO's CDR, and the EVSE status a CPO of
another protocol reports for its own EVSE in our store (a 互联互通 partner's pile).

Nothing here is stored by the core: the port reads what the adapter keeps (for OCPI, the partner records our
eMSP's Receivers store) and maps it to core models on the way out; adapters on the other side (互联互通) see
those CPOs only through it. Imports the standard library, pydantic and the core only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from hub.core.errors import InvalidRequestError, NotFoundError
from hub.core.events import DomainEvent, EvseStatusChanged
from hub.core.models import Cdr, EvseStatus, Location, PartyRef, Session, Tariff
from hub.core.models.remote import RemoteCommand, RemoteStart
from hub.core.pricing.money import round_money
from hub.core.pricing.tou import ChargeDetail, OrderMoney
from hub.core.services import Core
from hub.core.stations.evses import write_evse_changes

__all__ = [
    "NoRemoteCpos",
    "RemoteCdrReceived",
    "RemoteCommand",
    "RemoteCommandAnswered",
    "RemoteCpos",
    "RemoteEvseStatusChanged",
    "RemoteLocationChanged",
    "RemoteSessionChanged",
    "RemoteStart",
    "relayed_order_money",
    "report_evse_status",
]


# --- the port ----------------------------------------------------------------------------------------------


class RemoteCpos(Protocol):
    """CPOs on other platforms and what they told our eMSP, in core terms. Locations are owned by the CPO
    party; their EVSEs are driven by no station of this hub (`station_id` None). Reads never raise for one
    unreadable object: it is left out (and logged by the implementation)."""

    async def locations(
        self, party: PartyRef | None = None, date_from: datetime | None = None
    ) -> Sequence[Location]:
        """Published or not, of every CPO (or one) whose platform is registered with us; `date_from`
        inclusive on the location's last_updated (which follows its EVSEs')."""
        ...

    async def location(self, party: PartyRef, location_id: str) -> Location | None: ...

    async def tariff(self, party: PartyRef, tariff_id: str) -> Tariff | None: ...

    async def session(self, party: PartyRef, session_id: str) -> Session | None: ...

    async def sessions(self, party: PartyRef, date_from: datetime | None = None) -> Sequence[Session]:
        """Sessions the CPO reported, `date_from` on their last_updated."""
        ...

    async def cdrs(self, party: PartyRef, date_from: datetime | None = None) -> Sequence[Cdr]:
        """CDRs (credit CDRs included) the CPO sent, `date_from` on their last_updated."""
        ...

    async def start_session(self, start: RemoteStart) -> RemoteCommand:
        """Send START_SESSION and return the command with the CPO's synchronous answer. Raises
        NotFoundError when no registered platform carries the CPO, UnavailableError when it cannot be
        reached now, RejectedError when this hub cannot start there at all (no eMSP of its own)."""
        ...

    async def stop_session(self, party: PartyRef, session_id: str) -> RemoteCommand:
        """Send STOP_SESSION; raises as `start_session`."""
        ...

    async def command(self, command_id: str) -> RemoteCommand | None:
        """A command sent earlier, with the result once the CPO sent it."""
        ...


class NoRemoteCpos:
    """The port when no adapter provides remote CPOs: nothing to see, nothing to start."""

    async def locations(
        self, party: PartyRef | None = None, date_from: datetime | None = None
    ) -> Sequence[Location]:
        return ()

    async def location(self, party: PartyRef, location_id: str) -> Location | None:
        return None

    async def tariff(self, party: PartyRef, tariff_id: str) -> Tariff | None:
        return None

    async def session(self, party: PartyRef, session_id: str) -> Session | None:
        return None

    async def sessions(self, party: PartyRef, date_from: datetime | None = None) -> Sequence[Session]:
        return ()

    async def cdrs(self, party: PartyRef, date_from: datetime | None = None) -> Sequence[Cdr]:
        return ()

    async def start_session(self, start: RemoteStart) -> RemoteCommand:
        raise NotFoundError(f"no platform of this hub carries the CPO {start.cpo}")

    async def stop_session(self, party: PartyRef, session_id: str) -> RemoteCommand:
        raise NotFoundError(f"no platform of this hub carries the CPO {party}")

    async def command(self, command_id: str) -> RemoteCommand | None:
        return None


def _conforms(port: NoRemoteCpos) -> RemoteCpos:
    return port  # mypy checks here that NoRemoteCpos implements the port


# --- events (published by the adapter that implements the port, after its write) ---------------------------


class RemoteLocationChanged(DomainEvent):
    """A location (or one of its EVSEs or connectors) of a remote CPO was stored anew."""

    party: PartyRef
    location_id: str


class RemoteEvseStatusChanged(DomainEvent):
    party: PartyRef
    location_id: str
    evse_uid: str
    old: EvseStatus
    new: EvseStatus
    publish: bool  # the location's


class RemoteSessionChanged(DomainEvent):
    party: PartyRef
    session_id: str
    token_uid: str | None = None


class RemoteCdrReceived(DomainEvent):
    party: PartyRef
    cdr_id: str
    session_id: str | None = None
    token_uid: str | None = None


class RemoteCommandAnswered(DomainEvent):
    """The CPO sent the asynchronous result of a command (`command.result` is set)."""

    command: RemoteCommand


# --- the money of an order relayed from a remote CPO's CDR -------------------------------------------------


def relayed_order_money(cdr: Cdr, currency: str = "CNY") -> OrderMoney:
    """Split a remote CPO's CDR into a 互联互通 order's electricity and service money.

    Such a CDR has no service-fee part (OCPI sub-totals are fixed, energy, time, parking and reservation):
    the electricity money is the energy sub-total, the service money everything else it bills (fees, time,
    parking, a min/max price). The amounts are incl. VAT when the CDR states its total incl. VAT (what the
    driver pays), else excl.; an energy sub-total without its incl.-VAT amount takes the total's VAT ratio.
    Each is rounded half-up to the cent and service = total − electricity, so the order adds up to the CDR's
    total by construction. One ChargeDetail covers the whole charge at the average prices (none for a charge
    without energy). InvalidRequestError for another currency than the order's."""
    cost = cdr.cost
    if cost.currency.upper() != currency.upper():
        raise InvalidRequestError(f"{cost.currency} is not the order currency {currency}", field="currency")
    if cost.total_incl_vat is not None:
        total = cost.total_incl_vat
        if cost.energy_incl_vat is not None:
            elec = cost.energy_incl_vat
        elif cost.total_excl_vat:
            elec = cost.energy_excl_vat * cost.total_incl_vat / cost.total_excl_vat
        else:
            elec = Decimal(0)
    else:
        total, elec = cost.total_excl_vat, cost.energy_excl_vat
    total = round_money(total, currency)
    elec = round_money(elec, currency)
    if total >= 0:
        elec = min(max(elec, Decimal(0)), total)  # a min/max price may cut below the energy sub-total
    service = total - elec
    kwh = cost.total_energy_kwh
    details: tuple[ChargeDetail, ...] = ()
    if kwh > 0:
        details = (
            ChargeDetail(
                start=cdr.start,
                end=cdr.end,
                elec_price=elec / kwh,
                service_price=service / kwh,
                power_kwh=kwh,
                elec_money=elec,
                service_money=service,
            ),
        )
    return OrderMoney(
        total_power_kwh=kwh,
        elec_money=elec,
        service_money=service,
        occupancy_money=Decimal(0),
        total_money=total,
        details=details,
    )


# --- the status a CPO of another protocol reports for its EVSE in our store --------------------------------


async def report_evse_status(
    core: Core, party: PartyRef, location_id: str, evse_uid: str, status: EvseStatus
) -> bool:
    """Set the status of one EVSE of `party`'s stored location as its CPO reported it (a 互联互通 partner's
    pile): stored with an `evse.status` outbox row and published as EvseStatusChanged, like a status of our
    own stations, so OCPI parties get the EVSE's status, not the whole location again. The status is kept
    exactly (no round trip through station connector states). False when the location or EVSE is unknown;
    True (nothing written) when the status is unchanged."""
    async with core.locations.lock(party, location_id), core.db.unit_of_work() as uow:
        location = await uow.locations.get(party, location_id)
        evse = location.evse(evse_uid) if location is not None else None
        if location is None or evse is None:
            return False
        if evse.status is status:
            return True
        now = core.clock.now()
        connectors = tuple(c.model_copy(update={"last_updated": now}) for c in evse.connectors)
        changed = evse.model_copy(update={"status": status, "connectors": connectors, "last_updated": now})
        updated = location.model_copy(
            update={
                "evses": tuple(changed if e is evse else e for e in location.evses),
                "last_updated": max(location.last_updated, now),
            }
        )
        change = EvseStatusChanged(
            location_id=location.id,
            evse_uid=evse.uid,
            station_id=evse.station_id,
            old=evse.status,
            new=status,
        )
        events = await write_evse_changes(uow, updated, [change], False, now)
        await uow.commit()
    await core.bus.publish_all(events)
    return True
