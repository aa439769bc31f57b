"""Our CPO's Tariffs Sender (TA-01).

An adapter module: imports aiohttp, ocpi_modules and the core only.
"""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from ocpi_modules.common.pagination import PageRequest, parse_page
from ocpi_modules.common.runtime import runtime
from ocpi_modules.v2_2_1.api.cpo.common import caller, page_reply
from ocpi_modules.v2_2_1.tariffs import from_core_tariff


def _in_window(when: datetime, page: PageRequest) -> bool:
    if page.date_from is not None and when < page.date_from:
        return False
    return page.date_to is None or when < page.date_to


async def get_tariffs(request: web.Request) -> web.Response:
    fn = await caller(request, "tariffs")
    rt = runtime(request)
    page = parse_page(request, cap=rt.config.page_limit)
    every = await rt.core.tariffs.list(fn.hosted.ref)
    visible = sorted(
        (t for t in every if _in_window(t.last_updated, page)), key=lambda t: (t.last_updated, t.id.upper())
    )
    return page_reply(request, fn, page, visible, from_core_tariff)
