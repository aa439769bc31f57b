"""Our eMSP's Receiver interfaces as storage logic: Locations, Sessions, CDRs and Tariffs pushed (or pulled)
from CPO partners, kept verbatim as `PartnerRecord`s with the PUT/PATCH semantics of checklist §7 and §13–16;
each change of a location, session or CDR is then published to the core (`emsp.events`, the remote-CPO
events of `hub.core.remote`). The shared pieces are in `emsp.records`.

Shared by the routes (api/emsp.py) and the resync job. An adapter module: imports the core and ocpi_modules
only; raises OcpiError subclasses for what the sender must be told.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from hub.core.models import PartyRef, Role
from ocpi_modules.common.errors import InvalidParametersError, NotFoundError, UnknownLocationError
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.common.validation import Findings
from ocpi_modules.v2_2_1.cdrs import check_cdr, to_core_cdr
from ocpi_modules.v2_2_1.emsp import events
from ocpi_modules.v2_2_1.emsp.records import (
    CDRS,
    LOCATIONS,
    SESSIONS,
    TARIFFS,
    Checker,
    Outcome,
    as_object,
    canonical,
    check_id,
    check_owner,
    find,
    locked,
    mapped,
    party_of,
    require_last_updated,
    save,
)
from ocpi_modules.v2_2_1.locations import check_location, merge_location, put_connector, put_evse
from ocpi_modules.v2_2_1.sessions import check_session, merge_session
from ocpi_modules.v2_2_1.tariffs import check_tariff
from ocpi_modules.v2_2_1.types import is_stale

log = structlog.get_logger(__name__)

__all__ = [
    "CDRS",
    "LOCATIONS",
    "SESSIONS",
    "TARIFFS",
    "Checker",
    "Outcome",
    "as_object",
    "canonical",
    "cdr_id",
    "delete_tariff",
    "get_cdr",
    "get_location",
    "get_session",
    "get_tariff",
    "locked",
    "party_of",
    "patch_location",
    "patch_session",
    "post_cdr",
    "put_location",
    "put_session",
    "put_tariff",
]

CHANGED = frozenset({Outcome.CREATED, Outcome.UPDATED})

# --- Locations (LO-02, LO-04, CO-01…CO-10) -------------------------------------------------------------


async def put_location(
    rt: OcpiRuntime,
    party: PartyRef,
    location_id: str,
    body: Any,
    findings: Findings,
    *,
    evse_uid: str | None = None,
    connector_id: str | None = None,
) -> Outcome:
    """PUT a Location, or one EVSE / Connector of a stored Location (LO-04: the new last_updated bubbles
    up). An EVSE or Connector of an unknown Location is HTTP 404 + 2003 (the sender PUTs the Location)."""
    obj = as_object(body, "Connector" if connector_id else "EVSE" if evse_uid else "Location")
    async with locked(rt, LOCATIONS, party, location_id):
        existing = await rt.core.records.get(LOCATIONS, party, location_id)
        if evse_uid is None:
            check_owner(obj, party, "Location", findings)
            check_id(obj, "id", location_id, "Location", findings)
            if existing is not None and is_stale(existing.data.get("last_updated"), obj.get("last_updated")):
                return Outcome.STALE
            data = obj
        else:
            if existing is None:
                raise UnknownLocationError(f"unknown location {location_id}", http_status=404)
            stored_evse = find(existing.data.get("evses"), "uid", evse_uid)
            if connector_id is None:
                check_id(obj, "uid", evse_uid, "EVSE", findings)
                target = stored_evse
                data = mapped(put_evse, existing.data, obj)
            else:
                if stored_evse is None:
                    raise NotFoundError(f"unknown EVSE {evse_uid}", status_code=2001)
                check_id(obj, "id", connector_id, "Connector", findings)
                target = find(stored_evse.get("connectors"), "id", connector_id)
                data = mapped(put_connector, existing.data, evse_uid, obj)
            if target is not None and is_stale(target.get("last_updated"), obj.get("last_updated")):
                return Outcome.STALE
        outcome = await save(rt, LOCATIONS, party, location_id, data, existing, findings, check_location)
    if outcome in CHANGED:
        await events.location_stored(rt, party, location_id, existing, data)
    return outcome


async def patch_location(
    rt: OcpiRuntime,
    party: PartyRef,
    location_id: str,
    body: Any,
    findings: Findings,
    *,
    evse_uid: str | None = None,
    connector_id: str | None = None,
) -> Outcome:
    """PATCH a Location / EVSE / Connector: last_updated required (2001), unknown object → HTTP 404 so the
    sender falls back to PUT (CO-08), stale → acknowledged, not applied (CO-10)."""
    obj = as_object(body, "patch")
    require_last_updated(obj)
    async with locked(rt, LOCATIONS, party, location_id):
        existing = await rt.core.records.get(LOCATIONS, party, location_id)
        if existing is None:
            raise NotFoundError(f"unknown location {location_id}")
        target: dict[str, Any] | None = existing.data
        if evse_uid is not None:
            target = find(existing.data.get("evses"), "uid", evse_uid)
            if target is None:
                raise NotFoundError(f"unknown EVSE {evse_uid}")
            if connector_id is not None:
                target = find(target.get("connectors"), "id", connector_id)
                if target is None:
                    raise NotFoundError(f"unknown connector {connector_id}")
        assert target is not None
        id_field = "id" if evse_uid is None or connector_id is not None else "uid"
        expected = connector_id or evse_uid or location_id
        given = obj.get(id_field)
        if given is not None and (not isinstance(given, str) or given.upper() != expected.upper()):
            raise InvalidParametersError(f"{id_field} {given!r} differs from the URL's {expected!r}")
        if evse_uid is None:
            for name, ours in (("country_code", party.country_code), ("party_id", party.party_id)):
                value = obj.get(name)
                if value is not None and (not isinstance(value, str) or value.upper() != ours.upper()):
                    raise InvalidParametersError(f"{name} {value!r} differs from the URL's {ours!r}")
        if is_stale(target.get("last_updated"), obj.get("last_updated")):
            return Outcome.STALE
        data = mapped(merge_location, existing.data, obj, evse_uid, connector_id)
        outcome = await save(rt, LOCATIONS, party, location_id, data, existing, findings, check_location)
    if outcome in CHANGED:
        await events.location_stored(rt, party, location_id, existing, data)
    return outcome


async def get_location(
    rt: OcpiRuntime,
    party: PartyRef,
    location_id: str,
    *,
    evse_uid: str | None = None,
    connector_id: str | None = None,
) -> dict[str, Any] | None:
    record = await rt.core.records.get(LOCATIONS, party, location_id)
    if record is None:
        return None
    if evse_uid is None:
        return record.data
    evse = find(record.data.get("evses"), "uid", evse_uid)
    if evse is None or connector_id is None:
        return evse
    return find(evse.get("connectors"), "id", connector_id)


# --- Sessions (SE-03…SE-07, SE-12) --------------------------------------------------------------------


def _session_status(data: dict[str, Any], findings: Findings) -> None:
    """SE-07: the spec once says RESERVED; accept it and keep RESERVATION."""
    status = data.get("status")
    if isinstance(status, str) and status.upper() == "RESERVED":
        findings.add("status", "RESERVED stored as RESERVATION")
        data["status"] = "RESERVATION"


async def put_session(
    rt: OcpiRuntime, party: PartyRef, session_id: str, body: Any, findings: Findings
) -> Outcome:
    """PUT replaces the whole Session, charging_periods included (SE-04)."""
    obj = as_object(body, "Session")
    async with locked(rt, SESSIONS, party, session_id):
        existing = await rt.core.records.get(SESSIONS, party, session_id)
        check_owner(obj, party, "Session", findings)
        check_id(obj, "id", session_id, "Session", findings)
        if existing is not None and is_stale(existing.data.get("last_updated"), obj.get("last_updated")):
            return Outcome.STALE
        _session_status(obj, findings)
        outcome = await save(rt, SESSIONS, party, session_id, obj, existing, findings, check_session)
    if outcome in CHANGED:
        await events.session_stored(rt, party, session_id, obj)
    return outcome


async def patch_session(
    rt: OcpiRuntime, party: PartyRef, session_id: str, body: Any, findings: Findings
) -> Outcome:
    """PATCH: last_updated required, unknown → 404, charging_periods appended (SE-05)."""
    obj = as_object(body, "patch")
    require_last_updated(obj)
    async with locked(rt, SESSIONS, party, session_id):
        existing = await rt.core.records.get(SESSIONS, party, session_id)
        if existing is None:
            raise NotFoundError(f"unknown session {session_id}")
        given = obj.get("id")
        if given is not None and (not isinstance(given, str) or given.upper() != session_id.upper()):
            raise InvalidParametersError(f"id {given!r} differs from the URL's {session_id!r}")
        if is_stale(existing.data.get("last_updated"), obj.get("last_updated")):
            return Outcome.STALE
        data = mapped(merge_session, existing.data, obj)
        _session_status(data, findings)
        outcome = await save(rt, SESSIONS, party, session_id, data, existing, findings, check_session)
    if outcome in CHANGED:
        await events.session_stored(rt, party, session_id, data)
    return outcome


async def get_session(rt: OcpiRuntime, party: PartyRef, session_id: str) -> dict[str, Any] | None:
    record = await rt.core.records.get(SESSIONS, party, session_id)
    return None if record is None else record.data


# --- CDRs (CD-02, CD-13) ------------------------------------------------------------------------------


# CiString(39) per spec; longer ids are stored and reported (§22), but one that would not fit in a `Location`
# header URL (most HTTP clients stop at 8 KiB of headers) could never be acknowledged: refused.
MAX_ADDRESSABLE_ID = 255


def cdr_id(obj: Mapping[str, Any]) -> str:
    value = obj.get("id")
    if not isinstance(value, str) or not value:
        raise InvalidParametersError("the CDR lacks its id")
    if len(value) > MAX_ADDRESSABLE_ID:
        raise InvalidParametersError(f"the CDR id is {len(value)} characters long (at most 39 expected)")
    return value


async def post_cdr(rt: OcpiRuntime, party: PartyRef, body: dict[str, Any], findings: Findings) -> Outcome:
    """Store a CDR once per (country_code, party_id, id): an identical re-POST is UNCHANGED (answered like
    the first), the same key with other content is 2001 and logged as an alert (CD-13). A new CDR is then
    rated for our eMSP (its CPO price beside our customer tariff's price) and published to the core."""
    object_id = cdr_id(body)
    async with locked(rt, CDRS, party, object_id):
        existing = await rt.core.records.get(CDRS, party, object_id)
        if existing is not None and canonical(existing.data) != canonical(body):
            log.warning("ocpi_cdr_conflict", party=str(party), cdr_id=object_id)
            raise InvalidParametersError(
                f"CDR {object_id} was already received with different content", http_status=200
            )
        outcome = await save(rt, CDRS, party, object_id, body, existing, findings, check_cdr)
        if outcome is Outcome.CREATED:
            await _rate_cdr(rt, party, body)
    if outcome is Outcome.CREATED:
        await events.cdr_stored(rt, party, object_id, body)
    return outcome


async def _rate_cdr(rt: OcpiRuntime, party: PartyRef, body: dict[str, Any]) -> None:
    """Re-rate a stored CDR. The CDR is kept whatever happens here: a CDR we cannot rate (unmappable,
    unpriceable periods, a storage hiccup) must not make the CPO resend it, so the failure is logged for the
    operator (`python -m hub emsp cdrs` then lacks it) and the POST still succeeds."""
    try:
        cdr = to_core_cdr(body, default_party=party)
        emsp = _receiving_emsp(rt, cdr.token_party)
        if emsp is None:
            log.info("cdr_not_rated", party=str(party), cdr_id=cdr.id, reason="the token is not our eMSP's")
            return
        time_zone: str | None = None
        if cdr.location_id is not None:
            location = await rt.core.records.get(LOCATIONS, cdr.party, cdr.location_id)
            zone = location.data.get("time_zone") if location is not None else None
            time_zone = zone if isinstance(zone, str) and zone else None
        await rt.core.ratings.rate(cdr, emsp, time_zone)
    except Exception:  # deliberately broad: see the docstring
        log.exception("cdr_rating_failed", party=str(party), cdr_id=body.get("id"))


def _receiving_emsp(rt: OcpiRuntime, token_party: PartyRef | None) -> PartyRef | None:
    """Our eMSP that owns the CDR's token (CdrToken country_code/party_id); without them, our only eMSP."""
    if token_party is not None:
        hosted = rt.config.hosted_party(token_party)
        return hosted.ref if hosted is not None and hosted.role is Role.EMSP else None
    emsps = rt.config.hosted_by_role(Role.EMSP)
    return emsps[0].ref if len(emsps) == 1 else None


async def get_cdr(rt: OcpiRuntime, party: PartyRef, object_id: str) -> dict[str, Any] | None:
    record = await rt.core.records.get(CDRS, party, object_id)
    return None if record is None else record.data


# --- Tariffs (TA-01) ----------------------------------------------------------------------------------


async def put_tariff(
    rt: OcpiRuntime, party: PartyRef, tariff_id: str, body: Any, findings: Findings
) -> Outcome:
    obj = as_object(body, "Tariff")
    async with locked(rt, TARIFFS, party, tariff_id):
        existing = await rt.core.records.get(TARIFFS, party, tariff_id)
        check_owner(obj, party, "Tariff", findings)
        check_id(obj, "id", tariff_id, "Tariff", findings)
        if existing is not None and is_stale(existing.data.get("last_updated"), obj.get("last_updated")):
            return Outcome.STALE
        return await save(rt, TARIFFS, party, tariff_id, obj, existing, findings, check_tariff)


async def delete_tariff(rt: OcpiRuntime, party: PartyRef, tariff_id: str) -> bool:
    async with locked(rt, TARIFFS, party, tariff_id):
        return await rt.core.records.delete(TARIFFS, party, tariff_id)


async def get_tariff(rt: OcpiRuntime, party: PartyRef, tariff_id: str) -> dict[str, Any] | None:
    record = await rt.core.records.get(TARIFFS, party, tariff_id)
    return None if record is None else record.data
