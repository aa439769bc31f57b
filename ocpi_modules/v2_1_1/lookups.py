"""What a 2.1.1 translation must know beyond the object (checklist §21): the token behind a 2.1.1 `auth_id`
and the Location a 2.1.1 Session or CDR embeds.

- The token directory: every token the hub sees pass to or from a 2.1.1 partner (pushes, lists, commands,
  authorizations) is kept as PartnerRecords — "ocpi211.auth_ids" (under the hub's party, by auth_id) and
  "ocpi211.tokens" (under the owner, by `uid|TYPE`), the 2.2.1 Token as data — so a 2.1.1 CPO's Session or
  CDR, which names its token by auth_id only, can be routed to the token's eMSP (RT-12), and a 2.1.1 eMSP's
  AuthorizationInfo, which has no Token, can be completed. Tokens of the hub's own eMSPs come from the core.
- Locations: a hosted CPO's from the core; a partner CPO's fetched through the router (GET on its Locations
  Sender), once per `Lookups`.

An adapter module: imports ocpi_modules.common, structlog and the core only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import structlog

from hub.core.models import Location, PartnerRecord, PartyRef, Platform, Token, TokenType
from ocpi_modules.common import json as ocpi_json
from ocpi_modules.common.client import OcpiTransportError, join_url
from ocpi_modules.common.errors import OcpiError
from ocpi_modules.common.routing import SENDER, RelayRequest, Untranslatable
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.common.status import is_success

log = structlog.get_logger(__name__)

TOKENS = "ocpi211.tokens"
AUTH_IDS = "ocpi211.auth_ids"


def party_of(platform: Platform) -> PartyRef:
    """The one party of a 2.1.1 platform (its credentials name one); the hub's party for none."""
    if not platform.roles:
        raise ValueError(f"platform {platform.id} carries no party")
    return platform.roles[0].party


def json_values(value: Any) -> Any:
    """`value` as plain JSON values (datetimes as OCPI text), ready for a PartnerRecord."""
    return ocpi_json.loads(ocpi_json.dumps(value))


def token_key(uid: str, token_type: str) -> str:
    return f"{uid}|{token_type.upper()}"


def core_token_221(token: Token) -> dict[str, Any]:
    """A core Token (one of the hub's own eMSPs) as a 2.2.1 Token."""
    out: dict[str, Any] = {
        "country_code": token.party.country_code,
        "party_id": token.party.party_id,
        "uid": token.uid,
        "type": token.type.value,
        "contract_id": token.contract_id,
        "issuer": token.issuer,
        "valid": token.valid,
        "whitelist": token.whitelist.value,
        "last_updated": token.last_updated,
    }
    for name in ("visual_number", "group_id", "language"):
        if getattr(token, name) is not None:
            out[name] = getattr(token, name)
    data: dict[str, Any] = json_values(out)
    return data


def _coordinate(value: Decimal) -> str:
    """Six decimals (2.1.1's and 2.2.1's common ground), more only when the core has more."""
    exponent = value.as_tuple().exponent
    places = max(-exponent if isinstance(exponent, int) else 6, 6)
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


def core_location_221(loc: Location) -> dict[str, Any]:
    """A hosted CPO's core Location as a 2.2.1 Location (what its own 2.2.1 Sender serves)."""
    evses = []
    for evse in loc.evses:
        connectors = []
        for c in evse.connectors:
            connector: dict[str, Any] = {
                "id": c.id,
                "standard": c.standard,
                "format": c.format.value,
                "power_type": c.power_type.value,
                "max_voltage": c.max_voltage,
                "max_amperage": c.max_amperage,
            }
            if c.max_electric_power is not None:
                connector["max_electric_power"] = c.max_electric_power
            if c.tariff_ids:
                connector["tariff_ids"] = list(c.tariff_ids)
            connector["last_updated"] = c.last_updated
            connectors.append(connector)
        item: dict[str, Any] = {"uid": evse.uid, "status": evse.status.value}
        if evse.evse_id is not None:
            item["evse_id"] = evse.evse_id
        item["capabilities"] = [cap.value for cap in evse.capabilities]
        item["connectors"] = connectors
        item["last_updated"] = evse.last_updated
        evses.append(item)
    out: dict[str, Any] = {
        "country_code": loc.party.country_code,
        "party_id": loc.party.party_id,
        "id": loc.id,
        "publish": loc.publish,
        "address": loc.address,
        "city": loc.city,
        "country": loc.country,
        "coordinates": {"latitude": _coordinate(loc.latitude), "longitude": _coordinate(loc.longitude)},
        "time_zone": loc.time_zone,
        "evses": evses,
        "last_updated": loc.last_updated,
    }
    if loc.name is not None:
        out["name"] = loc.name
    if loc.postal_code is not None:
        out["postal_code"] = loc.postal_code
    data: dict[str, Any] = json_values(out)
    return data


class Lookups:
    """Lookups for translating what goes to or comes from one 2.1.1 platform (`platform`, whose party is
    `party`), within one request (`correlation_id`); found Locations are kept for the request's lifetime."""

    def __init__(
        self, rt: OcpiRuntime, platform: Platform, *, correlation_id: str, origin: Any = None
    ) -> None:
        self.rt = rt
        self.platform = platform
        self.party = party_of(platform)
        self.correlation_id = correlation_id
        self.origin = origin
        self._locations: dict[str, dict[str, Any] | None] = {}

    # --- tokens ---------------------------------------------------------------------------------------------

    async def remember_token(self, token: Any) -> None:
        """Keep a 2.2.1 Token (or CdrToken) that passed by; incomplete ones are ignored."""
        if not isinstance(token, dict):
            return
        try:
            owner = PartyRef(country_code=str(token["country_code"]), party_id=str(token["party_id"]))
            uid, kind, auth_id = (
                str(token["uid"]),
                str(token.get("type") or "RFID"),
                str(token["contract_id"]),
            )
        except (KeyError, ValueError):
            return
        data = json_values(token)
        now = self.rt.clock.now()
        records = self.rt.core.records
        await records.put(
            PartnerRecord(module=TOKENS, party=owner, id=token_key(uid, kind), data=data, last_updated=now)
        )
        await records.put(
            PartnerRecord(
                module=AUTH_IDS, party=self.rt.config.hub_party, id=auth_id, data=data, last_updated=now
            )
        )

    async def remember_auth_id(self, cdr_token: Any) -> None:
        """Keep the CdrToken of a Session or CDR sent to a 2.1.1 eMSP under its auth_id, unless a full Token
        is known already: reading the CDR back (its `Location`) names the token by auth_id only."""
        if not isinstance(cdr_token, dict) or not isinstance(cdr_token.get("contract_id"), str):
            return
        hub = self.rt.config.hub_party
        if await self.rt.core.records.get(AUTH_IDS, hub, cdr_token["contract_id"]) is not None:
            return
        data = json_values(cdr_token)
        now = self.rt.clock.now()
        await self.rt.core.records.put(
            PartnerRecord(
                module=AUTH_IDS, party=hub, id=cdr_token["contract_id"], data=data, last_updated=now
            )
        )

    async def token_by_auth_id(self, auth_id: Any) -> dict[str, Any] | None:
        """The 2.2.1 Token (or CdrToken) whose contract_id is the 2.1.1 `auth_id`, if the hub has seen it."""
        if not isinstance(auth_id, str) or not auth_id:
            return None
        record = await self.rt.core.records.get(AUTH_IDS, self.rt.config.hub_party, auth_id)
        return dict(record.data) if record is not None else None

    async def token(self, owner: PartyRef | None, uid: str, token_type: str) -> dict[str, Any] | None:
        """The 2.2.1 Token (owner, uid, type): a hosted eMSP's from the core, a partner's from the directory;
        with `owner` None, any owner's."""
        try:
            wanted = TokenType(token_type.upper())
        except ValueError:
            return None
        if owner is not None and self.rt.config.hosted_party(owner) is not None:
            found = await self.rt.core.tokens.get(uid, owner, wanted)
            return core_token_221(found) if found is not None else None
        if owner is not None:
            record = await self.rt.core.records.get(TOKENS, owner, token_key(uid, wanted.value))
            return dict(record.data) if record is not None else None
        return None

    # --- locations ------------------------------------------------------------------------------------------

    async def location(self, owner: PartyRef, location_id: Any) -> dict[str, Any] | None:
        """The 2.2.1 Location `location_id` of the CPO `owner`, or None when it cannot be had."""
        if not isinstance(location_id, str) or not location_id:
            return None
        key = f"{owner.key()}|{location_id.upper()}"
        if key not in self._locations:
            self._locations[key] = await self._find_location(owner, location_id)
        return self._locations[key]

    async def _find_location(self, owner: PartyRef, location_id: str) -> dict[str, Any] | None:
        if self.rt.config.hosted_party(owner) is not None:
            found = await self.rt.core.locations.get(owner, location_id)
            return core_location_221(found) if found is not None else None
        if self.platform.role_of(owner) is not None:
            return await self._own_location(owner, location_id)
        if self.rt.router is None:
            return None
        request = RelayRequest(
            module="locations",
            role=SENDER,
            method="GET",
            tail=(location_id,),
            from_party=self.party,
            to_party=owner,
            platform=self.platform,
            correlation_id=self.correlation_id,
            origin=self.origin,
        )
        try:
            answer = await self.rt.router.route(request)
        except OcpiError as exc:
            log.info(
                "ocpi211_location_lookup_failed", owner=str(owner), location_id=location_id, error=exc.message
            )
            return None
        if not is_success(answer.status_code) or not isinstance(answer.data, dict):
            log.info(
                "ocpi211_location_lookup_failed",
                owner=str(owner),
                location_id=location_id,
                status_code=answer.status_code,
            )
            return None
        return dict(answer.data)

    async def _own_location(self, owner: PartyRef, location_id: str) -> dict[str, Any] | None:
        """A Location of the 2.1.1 CPO these lookups serve (its own CDR read back): asked of it directly, the
        router would see a loop."""
        link = self.rt.links.get(self.platform.version or "")
        base = self.platform.endpoint("locations", SENDER)
        if link is None or base is None:
            return None
        request = RelayRequest(
            module="locations",
            role=SENDER,
            method="GET",
            tail=(location_id,),
            from_party=self.rt.config.hub_party,
            to_party=owner,
            platform=self.platform,
            correlation_id=self.correlation_id,
        )
        try:
            answer = await link.send(self.platform, request, join_url(base, location_id))
        except (OcpiTransportError, Untranslatable) as exc:
            log.info(
                "ocpi211_location_lookup_failed", owner=str(owner), location_id=location_id, error=str(exc)
            )
            return None
        return dict(answer.data) if is_success(answer.status_code) and isinstance(answer.data, dict) else None
