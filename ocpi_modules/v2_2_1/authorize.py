"""Real-time authorization at a partner eMSP (TK-02, TK-05, TK-06, TK-10): the core's `RemoteAuthorizer`,
which POSTs `{tokens SENDER url}/{uid}/authorize?type=` with LocationReferences to the platform carrying the
token's party and maps the AuthorizationInfo back to a core decision.

An adapter module: imports structlog, ocpi_modules and the core only.
"""

from __future__ import annotations

from typing import Any

import structlog

from hub.core.authorization import fingerprint
from hub.core.errors import InvalidRequestError
from hub.core.models import AuthorizationDecision, AuthorizationStatus, PartyRef, PlatformStatus, Role, Token
from ocpi_modules.common.client import OcpiTransportError, join_url
from ocpi_modules.common.routing import SENDER, Untranslatable
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.common.status import StatusCode
from ocpi_modules.v2_2_1.partner_call import call_partner
from ocpi_modules.v2_2_1.tokens import to_core_decision

log = structlog.get_logger(__name__)


class OcpiRemoteAuthorizer:
    """Implements `hub.core.ports.RemoteAuthorizer`. Returns None (the core then applies the token's whitelist
    type, TK-08) when the owner's platform is not connected, has no tokens SENDER endpoint, cannot be reached,
    does not answer in time or answers an error other than "unknown token"."""

    def __init__(self, rt: OcpiRuntime) -> None:
        self._rt = rt

    async def authorize(
        self, token: Token, location_id: str | None, evse_uid: str | None
    ) -> AuthorizationDecision | None:
        rt = self._rt
        platform = await rt.core.platforms.find_by_party(token.party)
        if platform is None or platform.status is not PlatformStatus.CONNECTED:
            return None
        base = platform.endpoint("tokens", "SENDER")
        if base is None or not platform.outbound_token:
            return None
        body: dict[str, Any] | None = None
        if location_id is not None:
            body = {"location_id": location_id}
            if evse_uid is not None:
                body["evse_uids"] = [evse_uid]
        url = join_url(base, token.uid, "authorize")
        try:
            response = await call_partner(
                rt,
                platform,
                "POST",
                url,
                body=body,
                params={"type": token.type.value},
                from_party=await self._our_cpo(location_id),
                to_party=token.party,
                role=SENDER,
                timeout_s=rt.config.authorize_timeout_s,
            )
        except Untranslatable as exc:
            log.warning("ocpi_authorize_untranslatable", token=fingerprint(token.uid), error=str(exc))
            return None
        except OcpiTransportError as exc:
            log.warning(
                "ocpi_authorize_unreachable",
                token=fingerprint(token.uid),
                platform_id=platform.id,
                reason=exc.reason,
            )
            return None
        if response.http_status == 404 or response.status_code == StatusCode.UNKNOWN_TOKEN:
            return AuthorizationDecision(
                status=AuthorizationStatus.UNKNOWN, token=token, reason="unknown to its eMSP"
            )
        if not response.ok or not isinstance(response.data, dict):
            log.warning(
                "ocpi_authorize_failed",
                token=fingerprint(token.uid),
                platform_id=platform.id,
                http_status=response.http_status,
                status_code=response.status_code,
            )
            return None
        try:
            return to_core_decision(response.data, token)
        except InvalidRequestError as exc:
            log.warning(
                "ocpi_authorize_unreadable",
                token=fingerprint(token.uid),
                platform_id=platform.id,
                error=str(exc),
            )
            return None

    async def _our_cpo(self, location_id: str | None) -> PartyRef | None:
        """The hosted CPO asking: the owner of the location when we know it, else our single CPO."""
        hosted = self._rt.config.hosted_by_role(Role.CPO)
        if location_id is not None and len(hosted) > 1:
            for candidate in hosted:
                if await self._rt.core.locations.get(candidate.ref, location_id) is not None:
                    return candidate.ref
        return hosted[0].ref if hosted else None
