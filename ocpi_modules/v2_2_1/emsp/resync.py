"""The resync job (OF-01): pull every CONNECTED CPO platform's Locations, Tariffs, Sessions and CDRs Sender
lists with `date_from` = our last successful pull of that platform and module, following `Link` (PG-10),
and store each object through the same receiver logic as a push.

An adapter module: imports the core and ocpi_modules only. Failures are logged, never raised.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import structlog

from hub.core.models import PartnerRecord, PartyRef, Platform, PlatformStatus, Role
from ocpi_modules.common.client import OcpiTransportError
from ocpi_modules.common.datetimes import format_datetime, parse_datetime
from ocpi_modules.common.errors import OcpiError
from ocpi_modules.common.runtime import HostedParty, OcpiRuntime
from ocpi_modules.common.validation import Findings
from ocpi_modules.v2_2_1.emsp.events import location_removed
from ocpi_modules.v2_2_1.emsp.parties import our_emsp
from ocpi_modules.v2_2_1.emsp.receivers import (
    CDRS,
    LOCATIONS,
    SESSIONS,
    TARIFFS,
    Outcome,
    party_of,
    post_cdr,
    put_location,
    put_session,
    put_tariff,
)

log = structlog.get_logger(__name__)

RESYNC_STATE = "resync.state"
RESYNC_MODULES = (LOCATIONS, TARIFFS, SESSIONS, CDRS)
# The Sessions Sender requires date_from (PG-08): a platform never pulled is asked for this much history.
FIRST_SESSIONS_WINDOW = timedelta(days=31)
# Locations and tariffs are the lists whose unfiltered pull replaces what we hold (PG-07); sessions are
# always pulled with date_from and CDRs never change.
FULL_PULL_IS_TRUTH = frozenset({LOCATIONS, TARIFFS})
SKIPPED = "skipped"  # an object of a party the platform does not carry (CO-12)
FAILED = "failed"  # an object that could not be stored (not an object, no id, a conflicting CDR)


async def resync(rt: OcpiRuntime) -> dict[str, Any]:
    """Pull every module of every CONNECTED platform that carries a CPO; returns per platform id and module
    the counts (created, updated, unchanged, stale, skipped, failed) or `error` when the pull failed (then
    the next run asks for the same `date_from` again)."""
    summary: dict[str, Any] = {}
    try:
        emsp = our_emsp(rt)
        platforms = await rt.core.platforms.list()
    except Exception:
        log.exception("ocpi_resync_failed")
        return summary
    for platform in platforms:
        if platform.status is not PlatformStatus.CONNECTED or platform.outbound_token is None:
            continue
        if not any(role.role is Role.CPO for role in platform.roles):
            continue
        modules: dict[str, Any] = {}
        summary[platform.id] = modules
        for module in RESYNC_MODULES:
            try:
                modules[module] = await pull_module(rt, emsp, platform, module)
            except Exception as exc:  # one module's failure never stops the others (logged, not raised)
                log.exception("ocpi_resync_module_failed", platform_id=platform.id, module=module)
                modules[module] = {"error": type(exc).__name__}
    return summary


def _state_id(platform: Platform, module: str) -> str:
    return f"{platform.id}|{module}"


async def pull_module(rt: OcpiRuntime, emsp: HostedParty, platform: Platform, module: str) -> dict[str, Any]:
    """One Sender list of one platform since the last successful pull; the state moves on only when the
    whole list (every page) was read."""
    url = platform.endpoint(module, "SENDER")
    if url is None or platform.outbound_token is None:
        return {"skipped_module": "no SENDER endpoint"}
    state = await rt.core.records.get(RESYNC_STATE, emsp.ref, _state_id(platform, module))
    started = rt.clock.now()
    params: dict[str, str] = {}
    last = state.data.get("last_pull") if state is not None else None
    if isinstance(last, str):
        params["date_from"] = format_datetime(parse_datetime(last))
    elif module == SESSIONS:
        params["date_from"] = format_datetime(started - FIRST_SESSIONS_WINDOW)
    cpos = [role.party for role in platform.roles if role.role is Role.CPO]
    counts: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    try:
        async for item in rt.http.iterate(
            url,
            token=platform.outbound_token,
            encode=platform.encode_token,
            params=params,
            from_party=emsp.ref,
            to_party=cpos[0] if len(cpos) == 1 else None,
        ):
            counts[await _store(rt, platform, module, item)] += 1
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                seen.add((party_of(item, module).key(), item["id"].upper()))
    except OcpiTransportError as exc:
        log.warning(
            "ocpi_resync_module",
            platform_id=platform.id,
            module=module,
            date_from=params.get("date_from"),
            error=str(exc),
            **counts,
        )
        return {"error": str(exc), **counts}
    if "date_from" not in params and module in FULL_PULL_IS_TRUTH:
        removed = await _forget_absent(rt, module, cpos, seen)
        if removed:
            counts["removed"] = removed
    await rt.core.records.put(
        PartnerRecord(
            module=RESYNC_STATE,
            party=emsp.ref,
            id=_state_id(platform, module),
            data={"platform_id": platform.id, "module": module, "last_pull": format_datetime(started)},
            last_updated=started,
        )
    )
    log.info(
        "ocpi_resync_module",
        platform_id=platform.id,
        module=module,
        date_from=params.get("date_from"),
        **counts,
    )
    return dict(counts)


async def _forget_absent(
    rt: OcpiRuntime, module: str, parties: list[PartyRef], seen: set[tuple[str, str]]
) -> int:
    """PG-07: after a complete unfiltered pull, what the CPO no longer lists is no longer valid (a location
    gone is published to the core like a changed one)."""
    removed = 0
    for party in parties:
        for record in await rt.core.records.list(module, party):
            if (record.party.key(), record.id.upper()) not in seen:
                await rt.core.records.delete(module, record.party, record.id)
                removed += 1
                if module == LOCATIONS:
                    await location_removed(rt, record.party, record.id)
    return removed


async def _store(rt: OcpiRuntime, platform: Platform, module: str, item: Any) -> str:
    object_id = item.get("id") if isinstance(item, dict) else None
    findings = Findings(
        peer=platform.id, module=module, object_id=object_id if isinstance(object_id, str) else None
    )
    try:
        if not isinstance(item, dict) or not isinstance(object_id, str) or not object_id:
            findings.add("id", "an object without an id in a list; not stored")
            return FAILED
        party = party_of(item, module)
        if platform.role_of(party) is None:
            findings.add("party_id", f"object of {party}, a party this platform does not carry; ignored")
            return SKIPPED
        outcome: Outcome
        if module == LOCATIONS:
            outcome = await put_location(rt, party, object_id, item, findings)
        elif module == SESSIONS:
            outcome = await put_session(rt, party, object_id, item, findings)
        elif module == TARIFFS:
            outcome = await put_tariff(rt, party, object_id, item, findings)
        else:
            outcome = await post_cdr(rt, party, item, findings)
        return outcome.value
    except OcpiError as exc:
        log.warning(
            "ocpi_resync_object_failed",
            platform_id=platform.id,
            module=module,
            object_id=object_id,
            error=exc.message,
        )
        return FAILED
