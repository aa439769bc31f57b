"""Our CPO's CDRs Sender (CD-01).

An adapter module: imports aiohttp, ocpi_modules and the core only.
"""

from __future__ import annotations

from aiohttp import web

from ocpi_modules.common.pagination import parse_page
from ocpi_modules.common.runtime import runtime
from ocpi_modules.v2_2_1.api.cpo.common import caller, caller_parties, page_reply
from ocpi_modules.v2_2_1.push import cdr_for_wire


async def get_cdrs(request: web.Request) -> web.Response:
    fn = await caller(request, "cdrs")
    rt = runtime(request)
    page = parse_page(request, cap=rt.config.page_limit)
    parties = caller_parties(fn)
    every = await rt.core.cdrs.list(fn.hosted.ref, page.date_from, page.date_to)
    visible = [c for c in every if c.token_party is not None and c.token_party.key() in parties]
    chosen = visible[page.offset : page.offset + page.limit]
    rendered = {c.id: await cdr_for_wire(rt.core, c) for c in chosen}
    return page_reply(request, fn, page, visible, lambda c: rendered[c.id])
