"""The hub's routing decision for one functional request (checklist §11 decision table):

| TO                          | request                       | the hub                                   |
|-----------------------------|-------------------------------|-------------------------------------------|
| a hosted party              | any                           | answers in process (`LocalParties`)       |
| a partner's party           | any                           | relays to its platform (`relay`)          |
| unknown party               | any                           | 4001                                      |
| the hub or none             | GET list on a Sender          | GET All (`getall`)                        |
| the hub                     | GET on a Receiver             | 2001 (a GET is never broadcast, RT-03)    |
| the hub or none             | GET one object, POST, PUT …   | open routing: the owner from the content  |
| the hub or none, no owner   | write of locations/tariffs/tokens | broadcast (`broadcast`)               |
| none, no owner              | anything else                 | the single hosted party of the answering  |
|                             |                               | role, else 2001                           |

Every hop checks `[[agreements]]` (4000 with a clear message when the pair may not exchange the module).

An adapter module: imports ocpi_modules.common and the core only.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from hub.core.models import PartyRef
from ocpi_modules.common.errors import HubGenericError, InvalidParametersError, UnknownReceiverError
from ocpi_modules.common.routing import SENDER, LocalParties, RelayAnswer, RelayRequest
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.hub import owners
from ocpi_modules.hub.broadcast import BROADCAST_MODULES, broadcast
from ocpi_modules.hub.getall import get_all
from ocpi_modules.hub.relay import relay

log = structlog.get_logger(__name__)


class HubRouter:
    """`rt.router`: see the module docstring. `local` answers for hosted parties; `kick` starts an outbox
    drain (broadcasts are delivered through the outbox)."""

    def __init__(self, rt: OcpiRuntime, local: LocalParties, kick: Callable[[], None] | None = None) -> None:
        self._rt = rt
        self._local = local
        self.kick = kick

    async def route(self, request: RelayRequest) -> RelayAnswer:
        rt = self._rt
        to = request.to_party
        if to is not None and to.key() != rt.config.hub_party.key():
            return await self.to_party(request, to)
        if request.method == "GET" and not request.tail and request.role == SENDER:
            return await get_all(rt, self._local, request)
        if to is not None and request.method == "GET" and request.role != SENDER:
            # RT-03: GET is never broadcast; without this a GET to the hub reached our single hosted party.
            raise InvalidParametersError("GET is never broadcast: name the receiver in OCPI-to-*")
        owner = await owners.owner(rt, request)
        if owner is not None:
            return await self.to_party(request, owner)
        if (
            request.module in BROADCAST_MODULES
            and request.method != "GET"
            and (request.role != SENDER or to is not None)
        ):
            return await broadcast(rt, self._local, request, self.kick)
        single = rt.config.hosted_by_role(owners.answering_role(request.module, request.role))
        if len(single) == 1:
            return await self.to_party(request, single[0].ref)
        if to is not None:
            raise InvalidParametersError(f"{request.method} {request.module} cannot be addressed to the hub")
        raise InvalidParametersError("OCPI-to-country-code/OCPI-to-party-id are required: no owner found")

    async def to_party(self, request: RelayRequest, party: PartyRef) -> RelayAnswer:
        """Answer from `party`: in process when hosted, else relayed to its platform."""
        rt = self._rt
        if not rt.agreements.allows(request.from_party, party, request.module):
            log.info(
                "ocpi_relay_refused",
                reason="no agreement",
                sender=str(request.from_party),
                receiver=str(party),
                module=request.module,
            )
            raise HubGenericError(
                f"No roaming agreement between {request.from_party} and {party} for {request.module}"
            )
        if rt.config.hosted_party(party) is not None:
            hosted = rt.config.hosted_party(party)
            assert hosted is not None
            answer = await self._local.answer(hosted.ref, request)
        elif party.key() == rt.config.hub_party.key():
            raise UnknownReceiverError(f"{request.module} is not served by the hub itself")
        else:
            answer = await relay(rt, request, party)
        if answer.status_code == 1000:
            await owners.learn(rt, request, party)
        return answer
