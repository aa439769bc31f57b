"""Our CPO's Locations Sender (LO-01, LO-07, LO-04), its pages cut by `location_pages`.

An adapter module: imports aiohttp, ocpi_modules and the core only.
"""

from __future__ import annotations

from aiohttp import web

from hub.core.models import Evse, Location
from ocpi_modules.common.errors import NotFoundError
from ocpi_modules.common.pagination import page_headers, parse_page
from ocpi_modules.common.runtime import OcpiRuntime, runtime
from ocpi_modules.v2_2_1.api.cpo.common import caller, reply
from ocpi_modules.v2_2_1.location_pages import LocationPages
from ocpi_modules.v2_2_1.locations import from_core_connector, from_core_evse, from_core_location
from ocpi_modules.v2_2_1.security import Functional


def visible_location(location: Location) -> bool:
    """LO-07: an unpublished location is shown to holders of a matching `publish_allowed_to` entry only; the
    core has no such list yet, so unpublished locations are shown to nobody."""
    return location.publish


def bubbled(location: Location) -> Location:
    """`last_updated` bubbles connector → EVSE → location (LO-04): never older than what it contains."""
    evses = []
    for evse in location.evses:
        newest = max([evse.last_updated, *(c.last_updated for c in evse.connectors)])
        evses.append(
            evse if newest == evse.last_updated else evse.model_copy(update={"last_updated": newest})
        )
    newest = max([location.last_updated, *(e.last_updated for e in evses)])
    return location.model_copy(update={"evses": tuple(evses), "last_updated": newest})


async def _location(request: web.Request, fn: Functional) -> Location:
    location_id = request.match_info["location_id"]
    location = await runtime(request).core.locations.get(fn.hosted.ref, location_id)
    if location is None or not visible_location(location):
        raise NotFoundError(f"Unknown location {location_id}")
    return bubbled(location)


def _evse(request: web.Request, location: Location) -> Evse:
    evse_uid = request.match_info["evse_uid"]
    evse = location.evse(evse_uid)
    if evse is None:
        raise NotFoundError(f"Unknown EVSE {evse_uid}")
    return evse


async def get_locations(request: web.Request) -> web.Response:
    fn = await caller(request, "locations")
    rt = runtime(request)
    page = parse_page(request, cap=rt.config.page_limit)
    # The core filters by owner and window; visibility (LO-07) is applied before paging so X-Total-Count
    # counts only what this caller may see (PG-02). Pages are cut from serialized windows (location_pages).
    pages = _location_pages(rt)
    result = await pages.page(rt.core, fn.hosted.ref, page.date_from, page.date_to, page.offset, page.limit)
    headers = page_headers(
        request,
        public_url=rt.config.public_url,
        total=result.total,
        offset=page.offset,
        limit=page.limit,
        cap=rt.config.page_limit,
        returned=result.returned,
    )
    return reply(request, fn, result.data, headers=headers)


LOCATION_PAGES = "location_pages"


def _location_pages(rt: OcpiRuntime) -> LocationPages:
    pages = rt.extras.get(LOCATION_PAGES)
    if pages is None:
        pages = rt.extras[LOCATION_PAGES] = LocationPages(
            rt.clock, lambda loc: from_core_location(bubbled(loc)), visible_location
        )
    assert isinstance(pages, LocationPages)
    return pages


async def get_location(request: web.Request) -> web.Response:
    fn = await caller(request, "locations")
    return reply(request, fn, from_core_location(await _location(request, fn)))


async def get_evse(request: web.Request) -> web.Response:
    fn = await caller(request, "locations")
    location = await _location(request, fn)
    return reply(request, fn, from_core_evse(_evse(request, location), location))


async def get_connector(request: web.Request) -> web.Response:
    fn = await caller(request, "locations")
    evse = _evse(request, await _location(request, fn))
    connector_id = request.match_info["connector_id"]
    connector = next((c for c in evse.connectors if c.id.lower() == connector_id.lower()), None)
    if connector is None:
        raise NotFoundError(f"Unknown connector {connector_id}")
    return reply(request, fn, from_core_connector(connector))
