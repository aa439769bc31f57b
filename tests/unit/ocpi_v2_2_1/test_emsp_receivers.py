"""The eMSP Receivers' storage logic against the in-memory core: what is stored, what is refused, what is only
reported (checklist §7, §13–16, §22)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from hub.core.models import PartyRef, Role
from ocpi_modules.common.errors import InvalidParametersError, NotFoundError
from ocpi_modules.common.runtime import HostedParty, OcpiConfig, OcpiRuntime
from ocpi_modules.common.validation import Findings
from ocpi_modules.v2_2_1.emsp import receivers
from ocpi_modules.v2_2_1.emsp.receivers import Outcome, canonical
from tests.unit.core_kit import MSP, T0, Kit, make_kit

CPX = PartyRef.parse("DE*CPX")
T1, T2 = "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z"


def a_runtime(kit: Kit) -> OcpiRuntime:
    config = OcpiConfig(
        public_url="https://hub.example.com",
        hub_party=PartyRef.parse("NL*HUB"),
        hub_name="Test Hub",
        hosted=(HostedParty(ref=MSP, role=Role.EMSP, name="Own eMSP"),),
    )
    return OcpiRuntime(config=config, clock=kit.clock, core_getter=lambda: kit.core)


@pytest.fixture
async def rt() -> OcpiRuntime:
    return a_runtime(await make_kit(seed=False))


def findings(object_id: str = "LOC-1") -> Findings:
    return Findings(peer="platform-cpx", module="locations", object_id=object_id)


def a_location(**overrides: Any) -> dict[str, Any]:
    connector = {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 16,
        "last_updated": T1,
    }
    evses = [
        {"uid": f"EVSE-{i}", "status": "AVAILABLE", "connectors": [dict(connector)], "last_updated": T1}
        for i in (1, 2)
    ]
    return {
        "country_code": "DE",
        "party_id": "CPX",
        "id": "LOC-1",
        "publish": True,
        "address": "Hauptstrasse 1",
        "city": "Berlin",
        "country": "DEU",
        "coordinates": {"latitude": "52.52000", "longitude": "13.40500"},
        "time_zone": "Europe/Berlin",
        "evses": evses,
        "last_updated": T1,
        **overrides,
    }


async def test_concurrent_evse_patches_of_one_location_are_both_applied(rt: OcpiRuntime) -> None:
    await receivers.put_location(rt, CPX, "LOC-1", a_location(), findings())

    await asyncio.gather(
        *(
            receivers.patch_location(
                rt, CPX, "LOC-1", {"status": "CHARGING", "last_updated": T2}, findings(), evse_uid=uid
            )
            for uid in ("EVSE-1", "EVSE-2")
        )
    )

    stored = await receivers.get_location(rt, CPX, "LOC-1")
    assert stored is not None
    assert [e["status"] for e in stored["evses"]] == ["CHARGING", "CHARGING"]
    assert rt.extras["emsp.record_locks"]._locks == {}  # no lock left behind


async def test_missing_owner_and_id_are_taken_from_the_url_and_reported(rt: OcpiRuntime) -> None:
    body = a_location()
    for name in ("country_code", "party_id", "id"):
        del body[name]
    found = findings()

    outcome = await receivers.put_location(rt, CPX, "LOC-1", body, found)

    assert outcome is Outcome.CREATED
    stored = await receivers.get_location(rt, CPX, "loc-1")
    assert stored is not None
    assert (stored["country_code"], stored["party_id"], stored["id"]) == ("DE", "CPX", "LOC-1")
    assert {f.field for f in found.items} >= {"country_code", "party_id", "id"}


async def test_a_put_without_a_usable_last_updated_keeps_the_time_of_receipt(rt: OcpiRuntime) -> None:
    found = findings()

    await receivers.put_location(rt, CPX, "LOC-1", a_location(last_updated="yesterday"), found)

    record = await rt.core.records.get("locations", CPX, "LOC-1")
    assert record is not None
    assert record.last_updated == T0
    assert any(f.field == "last_updated" for f in found.items)


async def test_a_patch_never_changes_identifiers(rt: OcpiRuntime) -> None:
    await receivers.put_location(rt, CPX, "LOC-1", a_location(), findings())

    with pytest.raises(InvalidParametersError):
        await receivers.patch_location(rt, CPX, "LOC-1", {"id": "LOC-2", "last_updated": T2}, findings())
    with pytest.raises(InvalidParametersError):
        await receivers.patch_location(rt, CPX, "LOC-1", {"party_id": "ZZZ", "last_updated": T2}, findings())
    with pytest.raises(InvalidParametersError):
        await receivers.patch_location(
            rt, CPX, "LOC-1", {"uid": "EVSE-9", "last_updated": T2}, findings(), evse_uid="EVSE-1"
        )
    await receivers.patch_location(
        rt, CPX, "LOC-1", {"id": "loc-1", "name": "Same id", "last_updated": T2}, findings()
    )
    assert (await receivers.get_location(rt, CPX, "LOC-1") or {})["name"] == "Same id"


async def test_put_connector_of_an_unknown_evse_is_not_found(rt: OcpiRuntime) -> None:
    await receivers.put_location(rt, CPX, "LOC-1", a_location(), findings())

    with pytest.raises(NotFoundError):
        await receivers.put_location(
            rt, CPX, "LOC-1", {"id": "1"}, findings(), evse_uid="NOPE", connector_id="1"
        )


def test_canonical_compares_numbers_whatever_their_python_type() -> None:
    assert canonical({"kwh": Decimal("1.50"), "n": 2}) == canonical({"kwh": 1.5, "n": 2})
    assert canonical({"kwh": Decimal("1.5")}) != canonical({"kwh": Decimal("1.6")})


async def test_a_cdr_is_stored_once_and_a_conflicting_one_is_2001_with_http_200(rt: OcpiRuntime) -> None:
    cdr = {
        "country_code": "DE",
        "party_id": "CPX",
        "id": "CDR-1",
        "total_energy": Decimal("12.5"),
        "last_updated": T1,
    }

    first = await receivers.post_cdr(rt, CPX, dict(cdr), findings("CDR-1"))
    again = await receivers.post_cdr(rt, CPX, {**cdr, "total_energy": 12.5}, findings("CDR-1"))
    with pytest.raises(InvalidParametersError) as conflict:
        await receivers.post_cdr(rt, CPX, {**cdr, "total_energy": 13}, findings("CDR-1"))

    assert (first, again) == (Outcome.CREATED, Outcome.UNCHANGED)
    assert (conflict.value.status_code, conflict.value.http_status) == (2001, 200)


async def test_session_patch_keeps_reservation_and_appends_periods(rt: OcpiRuntime) -> None:
    session = {"country_code": "DE", "party_id": "CPX", "id": "S1", "status": "reserved",
               "charging_periods": [{"start_date_time": T1}], "last_updated": T1}  # fmt: skip
    found = findings("S1")

    await receivers.put_session(rt, CPX, "S1", session, found)
    await receivers.patch_session(
        rt, CPX, "S1", {"charging_periods": [{"start_date_time": T2}], "last_updated": T2}, findings("S1")
    )

    stored = await receivers.get_session(rt, CPX, "s1")
    assert stored is not None
    assert stored["status"] == "RESERVATION"
    assert len(stored["charging_periods"]) == 2
    assert any(f.field == "status" for f in found.items)


async def test_deleting_an_unknown_tariff_says_so(rt: OcpiRuntime) -> None:
    tariff = {
        "country_code": "DE",
        "party_id": "CPX",
        "id": "T1",
        "currency": "EUR",
        "elements": [],
        "last_updated": T1,
    }

    await receivers.put_tariff(rt, CPX, "T1", tariff, findings("T1"))

    assert await receivers.delete_tariff(rt, CPX, "t1") is True
    assert await receivers.delete_tariff(rt, CPX, "T1") is False
    assert await receivers.get_tariff(rt, CPX, "T1") is None
