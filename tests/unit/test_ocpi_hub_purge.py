"""The hub's routing memory is purged: proxy URLs and remembered routes older than 35 days go, newer ones and
other records stay. In-memory core (tests/unit/core_kit), no HTTP."""

from __future__ import annotations

from datetime import timedelta

from hub.core.models import PartnerRecord, PartyRef
from ocpi_modules.common.runtime import OcpiConfig, OcpiRuntime
from ocpi_modules.hub.purge import PAGE, purge
from tests.unit.core_kit import T0, make_kit

HUB = PartyRef.parse("NL*HUB")


def record(module: str, record_id: str, days_old: float, party: PartyRef = HUB) -> PartnerRecord:
    return PartnerRecord(
        module=module, party=party, id=record_id, data={"x": 1}, last_updated=T0 - timedelta(days=days_old)
    )


async def test_expired_proxy_urls_and_routes_go_the_rest_stays() -> None:
    kit = await make_kit()
    rt = OcpiRuntime(
        config=OcpiConfig(public_url="https://hub.example", hub_party=HUB, hub_name="Hub"),
        clock=kit.clock,
        core_getter=lambda: kit.core,
    )
    old = [record("hub.proxy", f"old{i}", 36) for i in range(PAGE + 3)]  # more than one page
    kept = [
        record("hub.proxy", "fresh", 1),
        record("hub.routes", "session|S1", 34),
        record("locations", "L1", 400, PartyRef.parse("DE*CPX")),
    ]
    for item in [*old, record("hub.routes", "session|S0", 40), *kept]:
        await kit.core.records.put(item)

    removed = await purge(rt)

    assert removed == PAGE + 4
    assert await kit.core.records.count("hub.proxy", HUB) == 1
    assert await kit.core.records.get("hub.routes", HUB, "session|S0") is None
    for item in kept:
        assert await kit.core.records.get(item.module, item.party, item.id) is not None
