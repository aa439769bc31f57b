"""Still-alive bookkeeping (HC-08): when each partner platform last sent us anything, which platforms are due
a probe, and the probe itself (GET of the platform's versions endpoint, VE-03). The job that acts on the
answer is `hubclientinfo.still_alive`, which changes platform statuses and publishes them.

A leaf adapter module (security.authenticate calls `note_seen`): imports structlog, ocpi_modules.common and
the core only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from hub.core.models import Platform, PlatformStatus
from ocpi_modules.common.client import OcpiTransportError
from ocpi_modules.common.runtime import OcpiRuntime

log = structlog.get_logger(__name__)

# HC-08: "longer than 5 minutes" without a message from a connected party → GET its versions endpoint.
SILENCE = timedelta(minutes=5)
# The probe must not hold the job up: a partner that cannot answer versions this fast counts as OFFLINE.
PROBE_TIMEOUT_S = 5.0
# Platforms the still-alive job looks after; PLANNED ones have nothing to check, SUSPENDED ones are gone.
WATCHED = frozenset({PlatformStatus.CONNECTED, PlatformStatus.OFFLINE})

_LAST_SEEN_KEY = "ocpi.last_seen"


def _last_seen(rt: OcpiRuntime) -> dict[str, datetime]:
    seen: dict[str, datetime] = rt.extras.setdefault(_LAST_SEEN_KEY, {})
    return seen


def note_seen(rt: OcpiRuntime, platform_id: str) -> None:
    """Remember that `platform_id` just reached us (any authenticated request, or a probe it answered). Kept
    in memory per hub process: after a restart every platform counts as seen at its first check."""
    _last_seen(rt)[platform_id] = rt.clock.now()


def last_seen(rt: OcpiRuntime, platform_id: str) -> datetime | None:
    return _last_seen(rt).get(platform_id)


def due(rt: OcpiRuntime, platform: Platform, now: datetime, silence: timedelta = SILENCE) -> bool:
    """Whether `platform` gets a probe now: a CONNECTED platform silent for `silence`; an OFFLINE platform on
    every run (it may keep calling us while we cannot reach it, so its own requests prove nothing about the
    way back). A platform never seen since this process started counts as seen now."""
    if platform.status not in WATCHED or not platform.versions_url or not platform.outbound_token:
        return False
    if platform.status is PlatformStatus.OFFLINE:
        return True
    seen = _last_seen(rt).setdefault(platform.id, now)
    return now - seen >= silence


async def probe(rt: OcpiRuntime, platform: Platform) -> bool:
    """GET the platform's versions endpoint with our token towards it (encoded per the platform, AU-08): True
    when it answered success (HTTP 2xx and 1xxx), False on any failure. Only token fingerprints are logged
    (by the client)."""
    assert platform.versions_url is not None
    assert platform.outbound_token is not None
    try:
        response = await rt.http.request(
            "GET",
            platform.versions_url,
            token=platform.outbound_token,
            encode=platform.encode_token,
            timeout_s=min(PROBE_TIMEOUT_S, rt.config.request_timeout_s),
        )
    except OcpiTransportError as exc:
        log.info("ocpi_still_alive_failed", platform_id=platform.id, reason=exc.reason)
        return False
    if not response.ok:
        log.info(
            "ocpi_still_alive_failed",
            platform_id=platform.id,
            reason="status",
            http_status=response.http_status,
            status_code=response.status_code,
        )
        return False
    note_seen(rt, platform.id)
    return True
