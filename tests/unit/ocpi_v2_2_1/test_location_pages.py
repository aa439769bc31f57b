"""The serialized location pages behind `GET cpo/locations`: pages cut from one rendering of the window, a
location change in this process drops the rendering at once, and a change it was not told about (another hub
process) shows after the time to live."""

from __future__ import annotations

import json

import orjson

from hub.core.models import Location
from ocpi_modules.v2_2_1.location_pages import LocationPages
from tests.unit.core_kit import CPO, a_location, at, make_kit


def render(location: Location) -> dict[str, str]:
    return {"id": location.id, "name": location.name or ""}


async def test_pages_are_slices_of_the_visible_window_in_order() -> None:
    kit = await make_kit(seed=False)
    for i in range(5):
        await kit.core.locations.put(a_location(id=f"L{i}", publish=i != 2, last_updated=at(i)))
    pages = LocationPages(kit.clock, render, lambda loc: loc.publish)

    first = await pages.page(kit.core, CPO, None, None, 0, 3)
    rest = await pages.page(kit.core, CPO, None, None, 3, 3)

    assert [x["id"] for x in json.loads(orjson.dumps(first.data))] == ["L0", "L1", "L3"]
    assert [x["id"] for x in json.loads(orjson.dumps(rest.data))] == ["L4"]
    assert (first.total, first.returned, rest.returned) == (4, 3, 1)


async def test_a_location_change_in_this_process_is_served_at_once() -> None:
    kit = await make_kit(seed=False)
    await kit.core.locations.put(a_location(id="L0", name="old"))
    pages = LocationPages(kit.clock, render, lambda loc: True)
    before = await pages.page(kit.core, CPO, None, None, 0, 10)

    await kit.core.locations.put(a_location(id="L0", name="new", last_updated=at(1)))
    after = await pages.page(kit.core, CPO, None, None, 0, 10)

    assert json.loads(orjson.dumps(before.data))[0]["name"] == "old"
    assert json.loads(orjson.dumps(after.data))[0]["name"] == "new"


async def test_a_change_the_process_was_not_told_about_shows_after_the_time_to_live() -> None:
    kit = await make_kit(seed=False)
    await kit.core.locations.put(a_location(id="L0", name="old"))
    pages = LocationPages(kit.clock, render, lambda loc: True, ttl_s=5)
    await pages.page(kit.core, CPO, None, None, 0, 10)
    async with kit.db.unit_of_work() as uow:  # as another hub process would write it: no event here
        await uow.locations.put(a_location(id="L0", name="elsewhere", last_updated=at(1)))
        await uow.commit()

    kit.clock.advance(seconds=4)
    stale = await pages.page(kit.core, CPO, None, None, 0, 10)
    kit.clock.advance(seconds=2)
    fresh = await pages.page(kit.core, CPO, None, None, 0, 10)

    assert json.loads(orjson.dumps(stale.data))[0]["name"] == "old"
    assert json.loads(orjson.dumps(fresh.data))[0]["name"] == "elsewhere"
