"""GET All via the hub (RT-02 table, RT-15): one paginated list merging the objects of every party the
requester may see for the module — the hosted parties' own lists (answered in process, with the same date
filters) followed by what partner parties broadcast to the hub (`stored`) — each object keeping its owner's
country_code/party_id. Offsets run over the concatenation, so paging is stable while nothing changes.

An adapter module: imports ocpi_modules.common and the core only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from hub.core.models import PartyRef
from ocpi_modules.common.datetimes import parse_datetime
from ocpi_modules.common.errors import InvalidParametersError
from ocpi_modules.common.routing import LocalParties, RelayAnswer, RelayRequest
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.common.status import StatusCode
from ocpi_modules.hub import owners
from ocpi_modules.hub.stored import STORED


@dataclass(frozen=True)
class Source:
    """One part of the merged list: how many objects it has and how to read a slice of them."""

    total: int
    read: Callable[[int, int], Awaitable[list[Any]]]


def _int(query: Any, name: str, default: int) -> int:
    value = query.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise InvalidParametersError(f"{name} must be a whole number") from exc
    if number < 0:
        raise InvalidParametersError(f"{name} must not be negative")
    return number


def _date(query: Any, name: str) -> datetime | None:
    value = query.get(name)
    if not value:
        return None
    try:
        return parse_datetime(str(value))
    except ValueError as exc:
        raise InvalidParametersError(f"{name} is not a valid DateTime") from exc


async def get_all(rt: OcpiRuntime, local: LocalParties, request: RelayRequest) -> RelayAnswer:
    cap = rt.config.page_limit
    offset = _int(request.query, "offset", 0)
    limit = min(_int(request.query, "limit", cap) or cap, cap)
    hosted = await _hosted_sources(rt, local, request)
    if isinstance(hosted, RelayAnswer):
        return hosted  # the request itself is wrong (a missing date_from, say): the party's own answer
    sources = hosted + await _stored_sources(rt, request)
    total = sum(s.total for s in sources)
    data: list[Any] = []
    skip, need = offset, limit
    for source in sources:
        if need <= 0:
            break
        if skip >= source.total:
            skip -= source.total
            continue
        chunk = await source.read(skip, min(need, source.total - skip))
        data.extend(chunk)
        need -= len(chunk)
        skip = 0
    return RelayAnswer(
        http_status=200,
        status_code=StatusCode.SUCCESS,
        data=data,
        headers={"X-Total-Count": str(total), "X-Limit": str(limit)},
        responder=rt.config.hub_party,
    )


async def _hosted_sources(
    rt: OcpiRuntime, local: LocalParties, request: RelayRequest
) -> list[Source] | RelayAnswer:
    role = owners.answering_role(request.module, request.role)
    dates = {k: str(v) for k, v in request.query.items() if k in ("date_from", "date_to")}
    sources: list[Source] = []
    for hosted in rt.config.hosted_by_role(role):
        if not rt.agreements.allows(request.from_party, hosted.ref, request.module):
            continue
        leg = replace(request, to_party=hosted.ref)

        async def read(
            offset: int, limit: int, leg: RelayRequest = leg, hosted: PartyRef = hosted.ref
        ) -> list[Any]:
            answer = await local.answer(
                hosted, replace(leg, query={**dates, "offset": str(offset), "limit": str(limit)})
            )
            return (
                list(answer.data)
                if answer.status_code == StatusCode.SUCCESS and isinstance(answer.data, list)
                else []
            )

        probe = await local.answer(hosted.ref, replace(leg, query={**dates, "offset": "0", "limit": "1"}))
        if probe.status_code != StatusCode.SUCCESS:
            return probe
        count = {k.lower(): v for k, v in probe.headers.items()}.get("x-total-count")
        total = int(count) if count and count.isdigit() else len(probe.data or [])
        if total:
            sources.append(Source(total, read))
    return sources


async def _stored_sources(rt: OcpiRuntime, request: RelayRequest) -> list[Source]:
    module = STORED.get(request.module)
    if module is None:
        return []
    date_from, date_to = _date(request.query, "date_from"), _date(request.query, "date_to")
    records = rt.core.records

    def reader(party: PartyRef | None) -> Callable[[int, int], Awaitable[list[Any]]]:
        async def read(offset: int, limit: int) -> list[Any]:
            return [r.data for r in await records.list(module, party, date_from, date_to, offset, limit)]

        return read

    if not rt.agreements.configured:
        total = await records.count(module, None, date_from, date_to)
        return [Source(total, reader(None))] if total else []
    role = owners.answering_role(request.module, request.role)
    sources: list[Source] = []
    seen: set[str] = set()
    for party in await owners.remote_parties(rt, role):
        if party.key() in seen or not rt.agreements.allows(request.from_party, party, request.module):
            continue
        seen.add(party.key())
        total = await records.count(module, party, date_from, date_to)
        if total:
            sources.append(Source(total, reader(party)))
    return sources
