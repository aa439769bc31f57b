"""Credit CDRs and re-rating over real HTTP (both storage backends): a partner CPO POSTs CDRs to our eMSP,
which prices them again with its configured customer tariff and shows both prices through the operator
API and `python -m hub emsp cdrs`; a CDR of our CPO credited with `python -m hub cdr credit` reaches the
partner eMSP as a credit CDR (CD-10). Also the `[pricing]` and `customer_tariff` configuration."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog.testing

from hub.app import rounding_policy, seed_customer_tariffs
from hub.cli import build_parser
from hub.core.clock import FixedClock
from hub.core.models import PartyRef
from hub.core.pricing import RoundingPolicy
from hub.ocpp.simulator import SimulatedStation
from hub.settings import Settings, SettingsError
from tests.conftest import CP001_PASSWORD, RunningHub
from tests.fakes.ocpi_partner import FakePartner, bind_public_url, welcomed
from tests.fakes.ocpi_partner.connected import connect_platform
from tests.fakes.ocpi_partner.objects import a_cdr_location
from tests.unit.core_kit import make_kit

ADMIN_TOKEN = "admin-secret-credit-and-rating"
PARTNER_TOKEN = "partner-to-hub-token-rating"
HUB_TOKEN = "hub-to-partner-token-rating"
TOKEN_A = "hub-invitation-token-A-credit"
CPX = PartyRef(country_code="DE", party_id="CPX")
MSP = PartyRef(country_code="NL", party_id="MSP")
EMSP = "/ocpi/2.2.1/emsp"
PARTNER_CDRS = "/ocpi/2.2.1/receiver/cdrs"
T1, T2 = "2025-03-01T09:00:00Z", "2025-03-01T10:00:00Z"  # 10:00-11:00 in Berlin

MakeHub = Callable[..., Awaitable[RunningHub]]

# The driver's price: 0.50/kWh from 10:00 local time, 0.20/kWh before; 21 % VAT.
CUSTOMER_TARIFF = {
    "id": "DRIVER",
    "currency": "EUR",
    "elements": [
        {
            "price_components": [{"type": "ENERGY", "price": 0.50, "vat": 21, "step_size": 1}],
            "restrictions": {"start_time": "10:00", "end_time": "22:00"},
        },
        {"price_components": [{"type": "ENERGY", "price": 0.20, "vat": 21, "step_size": 1}]},
    ],
    "last_updated": "2025-01-01T00:00:00Z",
}


async def run_cli(hub: RunningHub, *argv: str) -> int:
    args = build_parser().parse_args([*argv, "--url", hub.url, "--token", ADMIN_TOKEN])
    return int(await args.run(args))


def printed_json(out: str) -> Any:
    """The JSON document a command printed (the hub runs in-process: its log lines share stdout)."""
    lines = out.splitlines()
    start = lines.index("{")
    end = lines.index("}", start)
    return json.loads("\n".join(lines[start : end + 1]))


async def admin_get(hub: RunningHub, path: str, **params: str) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{hub.url}{path}", params=params, headers=headers) as response,
    ):
        return response.status, await response.json()


# --- our eMSP rates a partner CPO's CDRs -------------------------------------------------------------------


def parties(customer_tariff: Path) -> list[dict[str, Any]]:
    return [
        {"country_code": "NL", "party_id": "CPO", "role": "CPO", "name": "Own CPO"},
        {
            "country_code": "NL",
            "party_id": "MSP",
            "role": "EMSP",
            "name": "Own eMSP",
            "customer_tariff": str(customer_tariff),
        },
    ]


@pytest.fixture
async def emsp_side(make_hub: MakeHub, tmp_path: Path) -> AsyncIterator[tuple[RunningHub, FakePartner]]:
    tariff_file = tmp_path / "driver.json"
    tariff_file.write_text(json.dumps(CUSTOMER_TARIFF), encoding="utf-8")
    hub = await make_hub(
        parties=parties(tariff_file),
        admin={"token": ADMIN_TOKEN},
        ocpi={"allow_private_urls": True, "secret_key_file": str(tmp_path / "key")},
    )
    bind_public_url(hub)
    async with FakePartner(roles=[("DE", "CPX", "CPO")], name="Charge X") as partner:
        await connect_platform(hub, partner, hub_token=HUB_TOKEN, partner_token=PARTNER_TOKEN)
        yield hub, partner


def a_partner_cdr(cdr_id: str, location_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "CPX",
        "id": cdr_id,
        "start_date_time": T1,
        "end_date_time": T2,
        "session_id": f"SES-{cdr_id}",
        "cdr_token": {
            "country_code": "NL",
            "party_id": "MSP",
            "uid": "04A1B2C3D4E5F6",
            "type": "RFID",
            "contract_id": "NL-MSP-C12345678-X",
        },
        "auth_method": "WHITELIST",
        "cdr_location": a_cdr_location(location_id),
        "currency": "EUR",
        "charging_periods": [{"start_date_time": T1, "dimensions": [{"type": "ENERGY", "volume": 12.5}]}],
        "total_cost": {"excl_vat": 5.13, "incl_vat": 6.21},
        "total_energy": 12.5,
        "total_time": 1.0,
        "last_updated": T2,
        **overrides,
    }


def a_partner_location(location_id: str) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "CPX",
        "id": location_id,
        "publish": True,
        "address": "Hauptstrasse 1",
        "city": "Berlin",
        "country": "DEU",
        "coordinates": {"latitude": "52.52000", "longitude": "13.40500"},
        "time_zone": "Europe/Berlin",
        "last_updated": T1,
    }


async def test_a_partner_cdr_keeps_the_cpo_price_and_gets_the_driver_price_beside_it(
    emsp_side: tuple[RunningHub, FakePartner], capsys: pytest.CaptureFixture[str]
) -> None:
    hub, partner = emsp_side
    client = partner.client(hub.url)
    put = await client.put(f"{EMSP}/locations/DE/CPX/LOC-B", json=a_partner_location("LOC-B"))
    assert put.status_code == 1000
    berlin = await client.post(f"{EMSP}/cdrs", json=a_partner_cdr("CDR-B", "LOC-B"))
    unknown = await client.post(f"{EMSP}/cdrs", json=a_partner_cdr("CDR-U", "LOC-UNKNOWN"))
    assert (berlin.status_code, unknown.status_code) == (1000, 1000)

    status, answer = await admin_get(hub, "/admin/emsp/cdrs", party="NL*MSP")
    assert status == 200
    by_id = {r["cdr_id"]: r for r in answer["ratings"]}
    assert set(by_id) == {"CDR-B", "CDR-U"}
    rated = by_id["CDR-B"]
    assert (rated["cpo_party"], rated["emsp_party"]) == (
        {"country_code": "DE", "party_id": "CPX"},
        {"country_code": "NL", "party_id": "MSP"},
    )
    assert (rated["cpo_cost"]["total_excl_vat"], rated["cpo_cost"]["total_incl_vat"]) == ("5.13", "6.21")
    # 10:00-11:00 in Berlin, where we hold the location: 12.5 kWh at 0.50.
    assert (rated["msp_cost"]["total_excl_vat"], rated["msp_cost"]["total_incl_vat"]) == ("6.25", "7.56")
    assert rated["msp_tariff_id"] == "DRIVER"
    # No location record: priced in UTC, 09:00-10:00, at 0.20.
    assert by_id["CDR-U"]["msp_cost"]["total_excl_vat"] == "2.50"

    capsys.readouterr()
    assert await run_cli(hub, "emsp", "cdrs", "--id", "cdr-b") == 0
    out = capsys.readouterr().out
    assert "CDR CDR-B from CPO DE*CPX for NL*MSP" in out
    assert "CPO CDR (EUR)" in out
    assert "MSP CDR (EUR, tariff DRIVER)" in out
    total = next(line for line in out.splitlines() if line.strip().startswith("Total excl. VAT"))
    assert total.split()[-2:] == ["5.13", "6.25"]


async def test_a_credit_cdr_is_rated_negative_and_a_broken_one_is_still_accepted(
    emsp_side: tuple[RunningHub, FakePartner],
) -> None:
    hub, partner = emsp_side
    client = partner.client(hub.url)
    credit = a_partner_cdr(
        "CDR-U-C",
        "LOC-U",
        credit=True,
        credit_reference_id="CDR-U",
        total_cost={"excl_vat": -5.13, "incl_vat": -6.21},
    )
    # A period after the CDR's end: stored and acknowledged, but it cannot be priced.
    broken = a_partner_cdr(
        "CDR-X",
        "LOC-U",
        charging_periods=[
            {"start_date_time": "2025-03-01T11:00:00Z", "dimensions": [{"type": "ENERGY", "volume": 1}]}
        ],
    )

    assert (await client.post(f"{EMSP}/cdrs", json=credit)).status_code == 1000
    with structlog.testing.capture_logs() as logs:
        answer = await client.post(f"{EMSP}/cdrs", json=broken)

    assert (answer.status, answer.status_code) == (200, 1000)
    assert await hub.core.records.get("cdrs", CPX, "CDR-X") is not None
    assert any(e["event"] == "cdr_rating_failed" for e in logs)
    rating = await hub.core.ratings.get(CPX, "CDR-U-C")
    assert rating is not None
    assert (rating.credit, rating.credit_reference_id) == (True, "CDR-U")
    assert rating.cpo_cost.total_excl_vat < 0
    assert rating.msp_cost is not None
    assert str(rating.msp_cost.total_excl_vat) == "-2.50"
    assert await hub.core.ratings.get(CPX, "CDR-X") is None


# --- a credit of our CPO's CDR reaches the partner eMSP ----------------------------------------------------


@pytest.fixture
async def cpo_side(make_hub: MakeHub) -> AsyncIterator[tuple[RunningHub, FakePartner, SimulatedStation]]:
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    hub = await make_hub(
        clock=clock,
        admin={"token": ADMIN_TOKEN},
        ocpi={"allow_private_urls": True, "invitations": [{"name": "Partner", "token": TOKEN_A}]},
        ocpp={"call_timeout": 0.5},
    )
    bind_public_url(hub)
    async with FakePartner() as partner:  # the eMSP DE*PRT
        registered = await partner.register_with(f"{hub.url}/ocpi/versions", TOKEN_A)
        assert registered.status_code == 1000, registered.body
        await welcomed(hub)
        station = SimulatedStation(hub.ws_url(), "CP001", "ocpp1.6", password=CP001_PASSWORD, clock=clock.now)
        await station.connect()
        try:
            await station.boot()
            await station.status(1, "Available")
            start = {
                "response_url": f"{partner.url}/ocpi/2.2.1/sender/commands/START_SESSION/cmd-1",
                "token": {
                    "country_code": "DE",
                    "party_id": "PRT",
                    "uid": "DEPRT0001",
                    "type": "RFID",
                    "contract_id": "DE-PRT-C00001-1",
                    "issuer": "Partner",
                    "valid": True,
                    "whitelist": "ALLOWED",
                    "last_updated": "2026-02-01T10:00:00Z",
                },
                "location_id": "LOC001",
                "evse_uid": "CP001*1",
            }
            answer = await partner.client(hub.url).post("/ocpi/2.2.1/cpo/commands/START_SESSION", json=start)
            assert answer.data["result"] == "ACCEPTED"
            tx = await station.wait_for_transaction(1)
            clock.advance(minutes=30)
            await station.meter(1, tx.id, 7_400)
            clock.advance(minutes=5)
            await station.stop(tx.id, 7_400, reason="EVDisconnected")
            await partner.wait_for_calls(PARTNER_CDRS, "POST")
            yield hub, partner, station
        finally:
            await station.close()


async def test_a_credited_cdr_reaches_the_partner_emsp_as_a_credit_cdr(
    cpo_side: tuple[RunningHub, FakePartner, SimulatedStation], capsys: pytest.CaptureFixture[str]
) -> None:
    hub, partner, _station = cpo_side
    [first] = partner.calls_to(PARTNER_CDRS, "POST")
    original = first.json
    assert original["total_cost"]["excl_vat"] > 0

    capsys.readouterr()
    assert await run_cli(hub, "cdr", "show", original["id"]) == 0
    shown = capsys.readouterr().out
    assert f"CDR {original['id']} of NL*CPO" in shown
    assert "Energy" in shown
    assert "Total" in shown

    assert await run_cli(hub, "cdr", "credit", original["id"], "--reason", "meter misread") == 0
    printed = capsys.readouterr().out
    assert f"credit CDR {original['id']}-C (credits {original['id']}) of NL*CPO" in printed

    calls = await partner.wait_for_calls(PARTNER_CDRS, "POST", count=2)
    credit = calls[1].json
    assert credit["id"] == f"{original['id']}-C"
    assert (credit["credit"], credit["credit_reference_id"]) == (True, original["id"])
    assert credit["total_cost"]["excl_vat"] == -original["total_cost"]["excl_vat"]
    assert credit["total_cost"]["excl_vat"] < 0
    assert credit["total_energy"] == original["total_energy"]
    assert credit["session_id"] == original["session_id"]
    assert credit["remark"] == "meter misread"

    # A second credit of the same CDR is refused with a clear message.
    assert await run_cli(hub, "cdr", "credit", original["id"]) == 1
    assert f"already credited by {original['id']}-C" in capsys.readouterr().err


async def test_a_repriced_correction_sends_the_credit_then_the_new_cdr(
    cpo_side: tuple[RunningHub, FakePartner, SimulatedStation], capsys: pytest.CaptureFixture[str]
) -> None:
    hub, partner, _station = cpo_side
    [first] = partner.calls_to(PARTNER_CDRS, "POST")
    original = first.json
    capsys.readouterr()

    assert await run_cli(hub, "cdr", "credit", original["id"], "--reprice", "--json") == 0

    answer = printed_json(capsys.readouterr().out)
    assert answer["credit"]["credit_reference_id"] == original["id"]
    new_id = answer["cdr"]["id"]
    assert new_id not in (original["id"], f"{original['id']}-C")
    calls = await partner.wait_for_calls(PARTNER_CDRS, "POST", count=3)
    assert [c.json["id"] for c in calls] == [original["id"], f"{original['id']}-C", new_id]
    assert calls[2].json.get("credit", False) is False
    assert calls[2].json["total_cost"] == original["total_cost"]  # same periods, same tariff


# --- configuration: [pricing] and customer tariffs ---------------------------------------------------------


def test_the_pricing_section_becomes_the_engines_rounding_policy_and_unknown_keys_stop_start_up() -> None:
    settings = Settings.from_mapping(
        {"pricing": {"rounding": "total", "rounding_mode": "HALF_EVEN", "rounding_places": 3}}, environ={}
    )
    assert rounding_policy(settings) == RoundingPolicy(scope="total", mode="HALF_EVEN", places=3)
    assert rounding_policy(Settings.from_mapping({}, environ={})) == RoundingPolicy()
    with pytest.raises(SettingsError, match=r"unknown key 'pricing\.rounding_mod'"):
        Settings.from_mapping({"pricing": {"rounding_mod": "UP"}}, environ={})
    with pytest.raises(SettingsError, match=r"pricing\.rounding_mode"):
        Settings.from_mapping({"pricing": {"rounding_mode": "NEAREST"}}, environ={})


def test_a_customer_tariff_belongs_to_an_existing_file_of_an_emsp_party(tmp_path: Path) -> None:
    cpo_with_one = [
        {"country_code": "NL", "party_id": "CPO", "role": "CPO", "name": "x", "customer_tariff": "t.json"}
    ]
    (tmp_path / "t.json").write_text("{}", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"parties\[0\]\.customer_tariff: only a party of role EMSP"):
        Settings.from_mapping({"parties": cpo_with_one}, base_dir=tmp_path, environ={})
    with pytest.raises(SettingsError, match=r"parties\[1\]\.customer_tariff: .*missing\.json does not exist"):
        Settings.from_mapping({"parties": parties(tmp_path / "missing.json")}, base_dir=tmp_path, environ={})


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "Expecting property name"),
        (json.dumps({**CUSTOMER_TARIFF, "elements": []}), "elements"),
        (json.dumps([CUSTOMER_TARIFF]), "not a JSON object"),
    ],
)
async def test_an_unusable_customer_tariff_stops_start_up_naming_the_key(
    tmp_path: Path, content: str, problem: str
) -> None:
    (tmp_path / "driver.json").write_text(content, encoding="utf-8")
    settings = Settings.from_mapping({"parties": parties(Path("driver.json"))}, base_dir=tmp_path, environ={})
    kit = await make_kit()
    with pytest.raises(SettingsError, match=r"parties\[1\]\.customer_tariff \(NL\*MSP\)") as failure:
        await seed_customer_tariffs(kit.core, settings)
    assert problem in str(failure.value)
    assert kit.core.ratings.customer_tariff_id(MSP) is None


async def test_a_customer_tariff_is_stored_as_the_emsps_tariff_and_used_for_rating(tmp_path: Path) -> None:
    without_id = {k: v for k, v in CUSTOMER_TARIFF.items() if k != "id"}
    (tmp_path / "driver.json").write_text(json.dumps(without_id), encoding="utf-8")
    settings = Settings.from_mapping({"parties": parties(Path("driver.json"))}, base_dir=tmp_path, environ={})
    kit = await make_kit()
    await seed_customer_tariffs(kit.core, settings)
    assert kit.core.ratings.customer_tariff_id(MSP) == "CUSTOMER"
    stored = await kit.core.tariffs.get(MSP, "CUSTOMER")
    assert stored is not None
    assert stored.party == MSP
    assert [t.id for t in await kit.core.tariffs.list(PartyRef.parse("NL*CPO"))] == ["STD"]
