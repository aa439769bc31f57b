"""The hub's routing memory does not grow forever: proxy URLs (`hub.proxy`) and remembered routes
(`hub.routes`) older than their lifetime are deleted by a daily job, a page at a time.

An adapter module: imports ocpi_modules.common and the core only.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from ocpi_modules.common.runtime import OcpiRuntime

log = structlog.get_logger(__name__)

LIFETIMES = {"hub.proxy": timedelta(days=35), "hub.routes": timedelta(days=35)}
PAGE = 500


async def purge(rt: OcpiRuntime) -> int:
    """Delete expired proxy URLs and routes; returns how many went."""
    removed = 0
    for module, lifetime in LIFETIMES.items():
        cutoff = rt.clock.now() - lifetime
        while True:
            batch = await rt.core.records.list(module, rt.config.hub_party, None, cutoff, 0, PAGE)
            for record in batch:
                await rt.core.records.delete(module, record.party, record.id)
            removed += len(batch)
            if len(batch) < PAGE:
                break
    if removed:
        log.info("ocpi_hub_purged", records=removed)
    return removed
