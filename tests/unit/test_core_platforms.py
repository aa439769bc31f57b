"""Partner platforms and partner records in the core: `Platform.endpoint`/`role_of`, what
`PartnerRecord.data` accepts, and the `platforms`/`records` services of `build_core` over the in-memory
database."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from hub.core.clock import FixedClock
from hub.core.models import Endpoint, PartnerRecord, PartyRef, Platform, PlatformRole, PlatformStatus, Role
from hub.core.platforms import PlatformService
from hub.core.roaming import PartnerRecordService
from tests.fakes.memory import InMemoryDatabase
from tests.unit.core_kit import ROAMER, T0, at, make_kit

PARTNER_MSP = PartyRef.parse("DE*Xyz")


def a_platform(platform_id: str = "p1", **overrides: Any) -> Platform:
    values: dict[str, Any] = {
        "id": platform_id,
        "name": "Partner",
        "status": PlatformStatus.CONNECTED,
        "endpoints": (
            Endpoint(identifier="credentials", role="RECEIVER", url="https://p.example/credentials"),
            Endpoint(identifier="Locations", role="RECEIVER", url="https://p.example/locations-in"),
            Endpoint(identifier="locations", role="SENDER", url="https://p.example/locations-out"),
        ),
        "roles": (
            PlatformRole(party=ROAMER, role=Role.CPO),
            PlatformRole(party=PARTNER_MSP, role=Role.EMSP, name="Xyz"),
        ),
        "inbound_token": f"in-{platform_id}",
        "last_updated": T0,
    }
    return Platform(**(values | overrides))


def a_record(record_id: str = "LOC1", when: datetime = T0, **data: Any) -> PartnerRecord:
    return PartnerRecord(
        module="locations", party=ROAMER, id=record_id, data={"id": record_id, **data}, last_updated=when
    )


def test_endpoint_picks_the_url_of_a_module_in_a_role() -> None:
    platform = a_platform()

    assert platform.endpoint("locations", "RECEIVER") == "https://p.example/locations-in"
    assert platform.endpoint("LOCATIONS", "sender") == "https://p.example/locations-out"
    assert platform.endpoint("tokens", "RECEIVER") is None
    assert platform.endpoint("credentials", "SENDER") == "https://p.example/credentials"  # role ignored


def test_role_of_finds_a_carried_party_case_insensitively() -> None:
    platform = a_platform()

    found = platform.role_of(PartyRef.parse("de*xyz"))

    assert found is not None
    assert (found.role, found.name) == (Role.EMSP, "Xyz")
    assert platform.role_of(PartyRef.parse("NL*CPO")) is None


def test_record_data_keeps_json_values_and_turns_floats_into_decimals() -> None:
    record = a_record(power=11.5, levels=(1, Decimal("2.50")), nested={"ok": None, "flag": True})

    assert record.data == {
        "id": "LOC1",
        "power": Decimal("11.5"),
        "levels": [1, Decimal("2.50")],
        "nested": {"ok": None, "flag": True},
    }
    assert isinstance(record.data["power"], Decimal)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (T0, "nested.bad: datetime is not a JSON value"),
        (Decimal("NaN"), "nested.bad: NaN is not a JSON number"),
        (float("inf"), "nested.bad: inf is not a JSON number"),
        ({1: "x"}, "nested.bad: object key 1 is not a string"),
    ],
)
def test_record_data_refuses_what_json_cannot_hold(value: Any, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        a_record(nested={"bad": value})


async def test_the_core_wires_the_platform_service() -> None:
    core = (await make_kit(seed=False)).core
    platform = a_platform(previous_inbound_token="older")

    assert await core.platforms.put(platform) == platform

    assert await core.platforms.get("p1") == platform
    assert await core.platforms.list() == [platform]
    assert await core.platforms.find_by_token("older") == platform
    assert await core.platforms.find_by_token("unknown") is None
    assert await core.platforms.find_by_party(PartyRef.parse("de*abc")) == platform


async def test_a_suspended_platform_is_not_found_by_party() -> None:
    service = PlatformService(InMemoryDatabase(), FixedClock(T0))
    await service.put(a_platform(status=PlatformStatus.SUSPENDED))

    assert await service.find_by_party(ROAMER) is None
    assert (await service.find_by_token("in-p1")) is not None  # the caller decides what SUSPENDED means


async def test_the_core_wires_the_partner_record_service() -> None:
    core = (await make_kit(seed=False)).core
    first, second = a_record("LOC1", at(1)), a_record("LOC2", at(2), name="two")
    await core.records.put(second)
    await core.records.put(first)

    assert await core.records.get("locations", PartyRef.parse("de*abc"), "loc2") == second
    assert await core.records.list("locations") == [first, second]
    assert await core.records.list("locations", ROAMER, date_from=at(2)) == [second]
    assert await core.records.count("locations", ROAMER, date_to=at(2)) == 1
    assert await core.records.delete("locations", ROAMER, "LOC1") is True
    assert await core.records.delete("locations", ROAMER, "LOC1") is False
    assert await core.records.list("locations") == [second]


async def test_a_record_service_write_is_one_committed_unit_of_work() -> None:
    db = InMemoryDatabase()
    service = PartnerRecordService(db, FixedClock(T0))

    await service.put(a_record())

    assert db.commits == 1
    assert db.committed("records") == [a_record()]


async def test_token_lookups_are_cached_until_a_write_or_the_time_to_live() -> None:
    db, clock = InMemoryDatabase(), FixedClock(T0)
    service = PlatformService(db, clock)
    await service.put(a_platform("p1"))
    assert await service.find_by_token("in-p2") is None  # a miss is remembered too

    async with db.unit_of_work() as uow:  # another hub process registers p2: this one is not told
        await uow.platforms.put(a_platform("p2"))
        await uow.commit()
    assert await service.find_by_token("in-p2") is None
    clock.advance(seconds=3)
    found = await service.find_by_token("in-p2")
    assert found is not None
    assert found.id == "p2"

    await service.put(a_platform("p2", status=PlatformStatus.SUSPENDED, inbound_token=None))
    assert await service.find_by_token("in-p2") is None  # a write through the service clears at once
