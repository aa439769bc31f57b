"""Builders and hypothesis strategies for the OCPI 2.2.1 mapping tests: core objects with keyword overrides,
wire round trips through the real codec, and the golden/example fixture loader."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from hub.core.models import (
    Capability,
    Cdr,
    CdrCost,
    ChargingPeriod,
    Connector,
    ConnectorFormat,
    Dimension,
    DimensionType,
    Evse,
    EvseStatus,
    Location,
    PartyRef,
    PowerType,
    Session,
    SessionStatus,
    Token,
    TokenType,
    WhitelistType,
)
from ocpi_modules.common.json import dumps

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "ocpi" / "2.2.1"
CPO = PartyRef.parse("NL*CPO")
MSP = PartyRef.parse("DE*MSP")
T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def at(minutes: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes)


def wire(obj: Any) -> Any:
    """What a partner receives: the object through the transport's JSON codec, numbers read as Decimal."""
    return json.loads(dumps(obj), parse_float=Decimal)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"), parse_float=Decimal)


def a_connector(id: str = "1", **overrides: Any) -> Connector:
    values: dict[str, Any] = {
        "id": id,
        "standard": "IEC_62196_T2",
        "format": ConnectorFormat.SOCKET,
        "power_type": PowerType.AC_3_PHASE,
        "max_voltage": 230,
        "max_amperage": 32,
        "max_electric_power": 22000,
        "tariff_ids": ("AC-STD",),
        "last_updated": at(-60),
    }
    values.update(overrides)
    return Connector(**values)


def an_evse(uid: str = "CP001*1", **overrides: Any) -> Evse:
    values: dict[str, Any] = {
        "uid": uid,
        "evse_id": "NL*CPO*ECP001*1",
        "status": EvseStatus.AVAILABLE,
        "capabilities": (Capability.RFID_READER, Capability.REMOTE_START_STOP_CAPABLE),
        "connectors": (a_connector(),),
        "station_id": "CP001",
        "station_evse_no": 1,
        "last_updated": at(-30),
    }
    values.update(overrides)
    return Evse(**values)


def a_location(**overrides: Any) -> Location:
    values: dict[str, Any] = {
        "id": "LOC001",
        "party": CPO,
        "name": "Depot Noord",
        "address": "Stationsplein 1",
        "city": "Amsterdam",
        "postal_code": "1012AB",
        "country": "NLD",
        "latitude": Decimal("52.379189"),
        "longitude": Decimal("4.9"),
        "time_zone": "Europe/Amsterdam",
        "evses": (an_evse(),),
        "last_updated": at(-30),
    }
    values.update(overrides)
    return Location(**values)


def a_token(uid: str = "04A1B2C3D4E5F6", **overrides: Any) -> Token:
    values: dict[str, Any] = {
        "uid": uid,
        "party": MSP,
        "type": TokenType.RFID,
        "contract_id": "DE-MSP-C12345678-X",
        "visual_number": "MSP-0001-2345",
        "issuer": "Example Mobility",
        "group_id": "FLEET-7",
        "valid": True,
        "whitelist": WhitelistType.ALLOWED,
        "language": "de",
        "last_updated": at(-1440),
    }
    values.update(overrides)
    return Token(**values)


def a_period(
    minutes: float, *dimensions: tuple[DimensionType, str], tariff_id: str | None = None
) -> ChargingPeriod:
    return ChargingPeriod(
        start_date_time=at(minutes),
        dimensions=tuple(Dimension(type=kind, volume=Decimal(volume)) for kind, volume in dimensions),
        tariff_id=tariff_id,
    )


def a_session(id: str = "3f1c2b7a-0d6e-4c51-9a8e-5b2f4c1d7e90", **overrides: Any) -> Session:
    values: dict[str, Any] = {
        "id": id,
        "party": CPO,
        "status": SessionStatus.ACTIVE,
        "start": T0,
        "location_id": "LOC001",
        "evse_uid": "CP001*1",
        "connector_id": "1",
        "station_id": "CP001",
        "transaction_id": "17",
        "token_uid": "04A1B2C3D4E5F6",
        "token_party": MSP,
        "contract_id": "DE-MSP-C12345678-X",
        "authorization_reference": "AUTH-42",
        "kwh": Decimal("4.250"),
        "charging_periods": (
            a_period(0, (DimensionType.ENERGY, "2.000"), (DimensionType.TIME, "0.25"), tariff_id="AC-STD"),
            a_period(15, (DimensionType.ENERGY, "2.250"), (DimensionType.POWER, "9.2"), tariff_id="AC-STD"),
        ),
        "total_cost": Decimal("1.0625"),
        "last_updated": at(30),
    }
    values.update(overrides)
    return Session(**values)


def a_cdr(id: str = "CDR-0001", **overrides: Any) -> Cdr:
    values: dict[str, Any] = {
        "id": id,
        "party": CPO,
        "session_id": "3f1c2b7a-0d6e-4c51-9a8e-5b2f4c1d7e90",
        "start": T0,
        "end": at(45),
        "location_id": "LOC001",
        "evse_uid": "cp001*1",  # case differs from the location's: ids are CiStrings
        "connector_id": "1",
        "token_uid": "04A1B2C3D4E5F6",
        "token_party": MSP,
        "contract_id": "DE-MSP-C12345678-X",
        "auth_method": "COMMAND",
        "authorization_reference": "AUTH-42",
        "tariff_id": "AC-STD",
        "cost": CdrCost(
            currency="EUR",
            total_excl_vat=Decimal("2.5625"),
            total_incl_vat=Decimal("3.1006"),
            fixed_excl_vat=Decimal("1.50"),
            energy_excl_vat=Decimal("1.0625"),
            total_energy_kwh=Decimal("4.25"),
            total_time_hours=Decimal("0.75"),
        ),
        "charging_periods": (
            a_period(
                0,
                (DimensionType.ENERGY, "4.25"),
                (DimensionType.TIME, "0.75"),
                (DimensionType.STATE_OF_CHARGE, "80"),
                tariff_id="AC-STD",
            ),
            a_period(45, (DimensionType.CURRENT, "16")),
        ),
        "last_updated": at(46),
    }
    values.update(overrides)
    return Cdr(**values)


# --- strategies -------------------------------------------------------------------------------------------

ID_ALPHABET = string.ascii_letters + string.digits + "-_*./"
ids = st.text(ID_ALPHABET, min_size=1, max_size=36)
printable = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x2FF, exclude_characters="\x7f"), min_size=1, max_size=40
)
aware_times = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive, `timezones` makes them aware
    max_value=datetime(2099, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
).map(lambda dt: dt.replace(microsecond=dt.microsecond // 1000 * 1000))
parties = st.builds(
    lambda cc, pid: PartyRef(country_code=cc, party_id=pid),
    st.text(string.ascii_uppercase, min_size=2, max_size=2),
    st.text(string.ascii_uppercase + string.digits, min_size=3, max_size=3),
)
latitudes = st.decimals(min_value=Decimal(-90), max_value=Decimal(90), places=7)
longitudes = st.decimals(min_value=Decimal(-180), max_value=Decimal(180), places=7)

tokens = st.builds(
    Token,
    uid=ids,
    party=parties,
    type=st.sampled_from(TokenType),
    contract_id=ids,
    visual_number=st.none() | printable,
    issuer=printable,
    group_id=st.none() | ids,
    valid=st.booleans(),
    whitelist=st.sampled_from(WhitelistType),
    language=st.none() | st.sampled_from(["en", "nl", "de", "zh"]),
    own=st.booleans(),
    last_updated=aware_times,
)

connectors = st.builds(
    Connector,
    id=ids,
    standard=st.sampled_from(["IEC_62196_T2", "CHADEMO", "GBT_DC", "IEC_62196_T2_COMBO"]),
    format=st.sampled_from(ConnectorFormat),
    power_type=st.sampled_from(PowerType),
    max_voltage=st.integers(100, 1000),
    max_amperage=st.integers(6, 500),
    max_electric_power=st.none() | st.integers(1000, 350000),
    tariff_ids=st.lists(ids, max_size=3).map(tuple),
    last_updated=aware_times,
)


def _unique(items: list[Any], key: str) -> tuple[Any, ...]:
    seen: set[str] = set()
    result = []
    for item in items:
        if getattr(item, key).lower() not in seen:
            seen.add(getattr(item, key).lower())
            result.append(item)
    return tuple(result)


evses = st.builds(
    Evse,
    uid=ids,
    evse_id=st.none() | st.just("NL*CPO*E1"),
    status=st.sampled_from(EvseStatus),
    capabilities=st.lists(st.sampled_from(Capability), max_size=4, unique=True).map(tuple),
    connectors=st.lists(connectors, min_size=1, max_size=3).map(lambda cs: _unique(cs, "id")),
    last_updated=aware_times,
)

locations = st.builds(
    Location,
    id=ids,
    party=parties,
    name=st.none() | printable,
    address=printable,
    city=printable,
    postal_code=st.none() | st.text(string.digits, min_size=4, max_size=6),
    country=st.sampled_from(["NLD", "DEU", "CHN", "BEL"]),
    latitude=latitudes,
    longitude=longitudes,
    time_zone=st.sampled_from(["Europe/Amsterdam", "Asia/Shanghai", "UTC"]),
    publish=st.booleans(),
    evses=st.lists(evses, max_size=3).map(lambda es: _unique(es, "uid")),
    last_updated=aware_times,
)
