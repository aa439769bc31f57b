"""What every part of the OCPI pushes shares: topics and their modules, a receiver and its target, the push
failure, and the HTTP call to one receiver. Imports ocpi_modules and the core only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hub.core.models import OutboxMessage, PartyRef, Platform, Role
from hub.core.outbox import Topic
from ocpi_modules.common.client import OcpiResponse, OcpiTransportError
from ocpi_modules.common.routing import Untranslatable
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.v2_2_1.partner_call import call_partner

Deliverer = Callable[[OutboxMessage], Awaitable[None]]

PREFIX = "ocpi."

# The OCPI module each core topic feeds (the receiver's endpoint, the `[[agreements]]` module name).
MODULES: Mapping[str, str] = {
    Topic.LOCATION_UPDATED: "locations",
    Topic.EVSE_STATUS: "locations",
    Topic.TARIFF_UPDATED: "tariffs",
    Topic.TARIFF_DELETED: "tariffs",
    Topic.SESSION_UPDATED: "sessions",
    Topic.CDR_CREATED: "cdrs",
    Topic.TOKEN_UPDATED: "tokens",
    Topic.COMMAND_RESULT: "commands",
}
# Broadcasts of our CPO reach eMSPs, NSPs and OTHER parties (RT-04); our eMSP's tokens reach CPOs.
CPO_AUDIENCE = frozenset({Role.EMSP, Role.NSP, Role.OTHER})


class PushFailedError(Exception):
    """A receiver did not answer success (HTTP 2xx and a 1xxx status), or could not be reached."""


@dataclass(frozen=True)
class Receiver:
    platform: Platform
    party: PartyRef

    @property
    def target(self) -> str:
        return f"{self.platform.id}|{self.party}"


def parse_target(target: str) -> tuple[str, PartyRef]:
    """`{platform_id}|{CC*PID}` → (platform id, party)."""
    platform_id, _, party = target.partition("|")
    return platform_id, PartyRef.parse(party)


def _require_success(response: OcpiResponse, method: str, url: str) -> None:
    if not response.ok:
        raise PushFailedError(
            f"{method} {url} answered HTTP {response.http_status}, status {response.status_code}"
            + (f": {response.status_message}" if response.status_message else "")
        )


class PushBase:
    """The runtime and the HTTP call to a receiver, shared by the expansion and the pushers."""

    _rt: OcpiRuntime

    def _single_hosted(self, role: Role) -> PartyRef | None:
        candidates = self._rt.config.hosted_by_role(role)
        return candidates[0].ref if len(candidates) == 1 else None

    async def _call(
        self,
        receiver: Receiver,
        method: str,
        url: str,
        *,
        sender: PartyRef,
        body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> OcpiResponse:
        platform = receiver.platform
        if not platform.outbound_token:
            raise PushFailedError(f"no token towards platform {platform.id}")
        try:
            return await call_partner(
                self._rt,
                platform,
                method,
                url,
                from_party=sender,
                to_party=receiver.party,
                body=body,
                params=params,
                timeout_s=self._rt.config.request_timeout_s,
            )
        except Untranslatable as exc:
            raise PushFailedError(f"{method} {url}: not translatable to {platform.version}: {exc}") from exc
        except OcpiTransportError as exc:
            raise PushFailedError(f"{method} {url}: {exc}") from exc

    async def _send(
        self,
        receiver: Receiver,
        method: str,
        url: str,
        *,
        sender: PartyRef,
        body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        response = await self._call(receiver, method, url, sender=sender, body=body, params=params)
        _require_success(response, method, url)

    def _url(self, receiver: Receiver, module: str) -> str:
        url = receiver.platform.endpoint(module, "RECEIVER")
        if url is None:
            raise PushFailedError(f"platform {receiver.platform.id} has no {module} RECEIVER endpoint")
        return url
