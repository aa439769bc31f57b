"""ChargePointService's read side for the operator API: `list_stations` and `get_station` return stored
stations, with this process's fresher in-memory facts (a heartbeat's last_seen not yet flushed)."""

from __future__ import annotations

from hub.core.models import BootStatus
from tests.unit.core_kit import STATION, make_kit


async def test_list_and_get_return_stored_stations_case_insensitively() -> None:
    kit = await make_kit()
    [station] = await kit.core.chargepoints.list_stations()
    assert (station.id, station.boot_status, station.registered) == (STATION, None, True)
    found = await kit.core.chargepoints.get_station(STATION.lower())
    assert found is not None
    assert found.id == STATION
    assert await kit.core.chargepoints.get_station("NO-SUCH-STATION") is None


async def test_a_heartbeat_not_yet_flushed_shows_in_the_list() -> None:
    kit = await make_kit()
    await kit.online()
    booted = await kit.core.chargepoints.list_stations()
    assert [s.boot_status for s in booted] == [BootStatus.ACCEPTED]
    first_seen = booted[0].last_seen
    kit.clock.advance(minutes=5)
    seen = await kit.core.chargepoints.heartbeat(STATION)
    [station] = await kit.core.chargepoints.list_stations()
    assert station.last_seen == seen
    assert first_seen is not None
    assert seen > first_seen
    stored = kit.db.committed("stations")[0]
    assert stored.last_seen == first_seen  # only in memory until the last-seen flush
    found = await kit.core.chargepoints.get_station(STATION)
    assert found is not None
    assert found.last_seen == seen
