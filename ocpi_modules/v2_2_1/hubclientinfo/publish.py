"""Publishing HubClientInfo (HC-05): the published state kept per party as a PartnerRecord (module
"hub.clientinfo", id = party key, data = {role, status}) and per platform whether it already holds the full
list (module "hub.clientinfo.audience"); `publish_changes` stores what changed and queues one outbox row per
(receiving platform, party); the deliverer PUTs each row to its platform's Receiver.

Imports structlog, ocpi_modules and the core only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import structlog

from hub.core.models import OutboxMessage, PartnerRecord, PartyRef, Platform, PlatformStatus, Role
from ocpi_modules.common.client import join_url
from ocpi_modules.common.runtime import OcpiRuntime
from ocpi_modules.v2_2_1.hubclientinfo.status import (
    ClientInfo,
    ConnectionStatus,
    agreement_parties,
    derive,
    key_pairs,
    visible_to,
)
from ocpi_modules.v2_2_1.push import Deliverer

log = structlog.get_logger(__name__)

MODULE = "hubclientinfo"
TOPIC = "ocpi.clientinfo"  # one outbox row per (receiving platform, party): a PUT of one ClientInfo
PUBLISHED = "hub.clientinfo"
AUDIENCE = "hub.clientinfo.audience"
_LOCK_KEY = "ocpi.clientinfo_lock"


@dataclass(frozen=True)
class Publication:
    """What `publish_changes` found: every ClientInfo, those that changed, and how many PUTs it queued."""

    current: tuple[ClientInfo, ...]
    changed: tuple[ClientInfo, ...]
    queued: int


@dataclass(frozen=True)
class State:
    """What was published and what is true now."""

    platforms: tuple[Platform, ...]
    agreements: tuple[frozenset[str], ...]
    records: dict[str, PartnerRecord]
    infos: dict[str, ClientInfo]  # by party key; last_updated of a change not yet published is now
    changed: tuple[str, ...]  # keys whose (role, status) differ from what was published


def _published(record: PartnerRecord) -> tuple[PartyRef, Role, ConnectionStatus]:
    return record.party, Role(record.data["role"]), ConnectionStatus(record.data["status"])


async def current_state(rt: OcpiRuntime, now: datetime) -> State:
    platforms = tuple(await rt.core.platforms.list())
    records = {r.id.upper(): r for r in await rt.core.records.list(PUBLISHED)}
    agreements = agreement_parties(rt)
    known = derive(
        hub_party=rt.config.hub_party,
        hosted=rt.config.hosted,
        platforms=platforms,
        agreements=agreements,
        published={key: _published(record) for key, record in records.items()},
    )
    infos: dict[str, ClientInfo] = {}
    changed: list[str] = []
    for key, k in sorted(known.items()):
        record = records.get(key)
        same = record is not None and _published(record)[1:] == (k.role, k.status)
        if not same:
            changed.append(key)
        when = record.last_updated if same and record is not None else now
        infos[key] = ClientInfo(k.party, k.role, k.status, when, k.platform_id)
    return State(platforms, key_pairs(agreements), records, infos, tuple(changed))


def ordered(infos: Iterable[ClientInfo]) -> list[ClientInfo]:
    """Stable order for pages (PG-06): oldest change first, then by party."""
    return sorted(infos, key=lambda i: (i.last_updated, i.party.key()))


def _receives(platform: Platform) -> bool:
    return platform.status is PlatformStatus.CONNECTED and platform.endpoint(MODULE, "RECEIVER") is not None


async def publish_changes(rt: OcpiRuntime) -> Publication:
    """Compare every party's status with what was last published; store the changes (new `last_updated`)
    and queue, in the same transaction, a PUT of each change to every CONNECTED platform with a
    `hubclientinfo` RECEIVER that may see it (HC-05, HC-09; not to the party's own platform). A platform
    that has just become such a receiver (registered, back from OFFLINE, endpoint added) gets the full list
    instead (partners treat it as a resync trigger). Serialised per process; running it twice is harmless."""
    async with rt.extras.setdefault(_LOCK_KEY, asyncio.Lock()):
        now = rt.clock.now()
        state = await current_state(rt, now)
        changed = [state.infos[key] for key in state.changed]
        audience = {r.id: r for r in await rt.core.records.list(AUDIENCE)}
        queued = 0
        async with rt.core.db.unit_of_work() as uow:
            for info in changed:
                data = {"role": str(info.role), "status": str(info.status)}
                await uow.records.put(
                    PartnerRecord(
                        module=PUBLISHED, party=info.party, id=info.party.key(), data=data, last_updated=now
                    )
                )
            for platform in state.platforms:
                receives = _receives(platform)
                was = audience.get(platform.id)
                fresh = receives and (was is None or not was.data.get("receiver"))
                wanted = ordered(state.infos.values()) if fresh else changed if receives else []
                for info in wanted:
                    if visible_to(info, platform, state.agreements):
                        await uow.outbox.add(_put_row(platform, info, now))
                        queued += 1
                if was is None or bool(was.data.get("receiver")) != receives:
                    await uow.records.put(
                        PartnerRecord(
                            module=AUDIENCE,
                            party=rt.config.hub_party,
                            id=platform.id,
                            data={"receiver": receives},
                            last_updated=now,
                        )
                    )
                if fresh:
                    log.info("ocpi_clientinfo_full_list_queued", platform_id=platform.id)
            await uow.commit()
    for info in changed:
        before = state.records.get(info.party.key())
        log.info(
            "ocpi_clientinfo_changed",
            party=str(info.party),
            role=str(info.role),
            old=before.data.get("status") if before is not None else None,
            new=str(info.status),
        )
    return Publication(tuple(ordered(state.infos.values())), tuple(changed), queued)


def _put_row(platform: Platform, info: ClientInfo, now: datetime) -> OutboxMessage:
    target = f"{platform.id}|{info.party}"
    return OutboxMessage(
        topic=TOPIC,
        key=f"clientinfo:{platform.id}|{info.party.key()}",
        target=target,
        payload=info.to_wire(),
        created=now,
        next_attempt_at=now,
    )


# --- pushing one ClientInfo to one platform ----------------------------------------------------------------


class ClientInfoPushError(Exception):
    """The receiver did not answer success (HTTP 2xx and 1xxx): the outbox retries the PUT."""


def deliverers(rt: OcpiRuntime) -> list[tuple[str, Deliverer]]:
    """(topic prefix, deliverer) for the outbox drainer. Register it after the push service's "ocpi." prefix
    (the drainer lets the latest matching registration win)."""

    async def deliver(message: OutboxMessage) -> None:
        await push_client_info(rt, message)

    return [(TOPIC, deliver)]


async def push_client_info(rt: OcpiRuntime, message: OutboxMessage) -> None:
    """PUT `{url}/{country_code}/{party_id}` to the row's platform without routing headers (HC-06). A
    platform no longer CONNECTED gets nothing (HC-02: nothing is queued for an OFFLINE party; it receives the
    full list when it is back). Raises ClientInfoPushError or OcpiTransportError on failure."""
    platform_id = (message.target or "").partition("|")[0]
    platform = await rt.core.platforms.get(platform_id)
    url = platform.endpoint(MODULE, "RECEIVER") if platform is not None else None
    if platform is None or platform.status is not PlatformStatus.CONNECTED or not url:
        state = platform.status if platform is not None else "unknown"
        log.info("ocpi_clientinfo_push_dropped", platform_id=platform_id, reason=str(state))
        return
    if not platform.outbound_token:
        raise ClientInfoPushError(f"no token towards platform {platform.id}")
    payload = message.payload
    url = join_url(url, payload["country_code"], payload["party_id"])
    response = await rt.http.request(
        "PUT",
        url,
        token=platform.outbound_token,
        encode=platform.encode_token,
        json=payload,
        timeout_s=rt.config.request_timeout_s,
    )
    if not response.ok:
        raise ClientInfoPushError(
            f"PUT {url} answered HTTP {response.http_status}, status {response.status_code}"
        )
