"""OCPI wire objects for the 2.1.1 tests: builders with keyword overrides for both versions' shapes, and
hypothesis strategies for 2.2.1 objects that 2.1.1 can carry (and the other way round).

Test support: imports hypothesis and the standard library only.
"""

from __future__ import annotations

import string
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

STAMP = "2026-03-02T08:30:00Z"

# --- builders: OCPI 2.1.1 ----------------------------------------------------------------------------------


def a_connector_211(id: str = "1", **overrides: Any) -> dict[str, Any]:
    return {
        "id": id,
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "voltage": 230,
        "amperage": 16,
        "tariff_id": "T1",
        "last_updated": STAMP,
        **overrides,
    }


def an_evse_211(uid: str = "E1", **overrides: Any) -> dict[str, Any]:
    return {
        "uid": uid,
        "evse_id": "DE*CPW*E1",
        "status": "AVAILABLE",
        "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
        "connectors": [a_connector_211()],
        "last_updated": STAMP,
        **overrides,
    }


def a_location_211(id: str = "L1", **overrides: Any) -> dict[str, Any]:
    return {
        "id": id,
        "type": "ON_STREET",
        "name": "Markt",
        "address": "Marktplatz 1",
        "city": "Berlin",
        "postal_code": "10115",
        "country": "DEU",
        "coordinates": {"latitude": "52.520000", "longitude": "13.405000"},
        "evses": [an_evse_211()],
        "time_zone": "Europe/Berlin",
        "last_updated": STAMP,
        **overrides,
    }


def a_token_211(uid: str = "AA11", **overrides: Any) -> dict[str, Any]:
    return {
        "uid": uid,
        "type": "RFID",
        "auth_id": f"DE-EMW-C{uid}",
        "issuer": "EMW",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": STAMP,
        **overrides,
    }


def a_session_211(id: str = "S1", **overrides: Any) -> dict[str, Any]:
    return {
        "id": id,
        "start_datetime": STAMP,
        "kwh": Decimal("1.5"),
        "auth_id": "NL-PRT-C0001",
        "auth_method": "WHITELIST",
        "location": a_location_211(),
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": STAMP,
        **overrides,
    }


def a_cdr_211(id: str = "C1", **overrides: Any) -> dict[str, Any]:
    return {
        "id": id,
        "start_date_time": "2026-03-02T08:00:00Z",
        "stop_date_time": STAMP,
        "auth_id": "NL-PRT-C0001",
        "auth_method": "WHITELIST",
        "location": a_location_211(),
        "currency": "EUR",
        "charging_periods": [
            {
                "start_date_time": "2026-03-02T08:00:00Z",
                "dimensions": [{"type": "ENERGY", "volume": Decimal("7.5")}],
            }
        ],
        "total_cost": Decimal("2.25"),
        "total_energy": Decimal("7.5"),
        "total_time": Decimal("0.5"),
        "last_updated": STAMP,
        **overrides,
    }


# --- builders: OCPI 2.2.1 ---------------------------------------------------------------------------------


def a_connector_221(id: str = "1", **overrides: Any) -> dict[str, Any]:
    return {
        "id": id,
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 16,
        "tariff_ids": ["T1"],
        "last_updated": STAMP,
        **overrides,
    }


def an_evse_221(uid: str = "E1", **overrides: Any) -> dict[str, Any]:
    return {
        "uid": uid,
        "evse_id": "NL*PRT*E1",
        "status": "AVAILABLE",
        "capabilities": ["RFID_READER"],
        "connectors": [a_connector_221()],
        "last_updated": STAMP,
        **overrides,
    }


def a_location_221(id: str = "L1", *, party: str = "NL*CPX", **overrides: Any) -> dict[str, Any]:
    cc, pid = party.split("*")
    return {
        "country_code": cc,
        "party_id": pid,
        "id": id,
        "publish": True,
        "name": "Station",
        "address": "Stationsplein 1",
        "city": "Amsterdam",
        "postal_code": "1012AB",
        "country": "NLD",
        "coordinates": {"latitude": "52.379000", "longitude": "4.900000"},
        "parking_type": "ON_STREET",
        "evses": [an_evse_221()],
        "time_zone": "Europe/Amsterdam",
        "last_updated": STAMP,
        **overrides,
    }


def a_token_221(uid: str = "BB22", *, party: str = "NL*PRT", **overrides: Any) -> dict[str, Any]:
    cc, pid = party.split("*")
    return {
        "country_code": cc,
        "party_id": pid,
        "uid": uid,
        "type": "RFID",
        "contract_id": f"NL-PRT-C{uid}",
        "issuer": "Partner",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": STAMP,
        **overrides,
    }


def a_cdr_token(token: dict[str, Any]) -> dict[str, Any]:
    return {name: token[name] for name in ("country_code", "party_id", "uid", "type", "contract_id")}


def a_session_221(id: str = "S1", *, party: str = "NL*CPX", **overrides: Any) -> dict[str, Any]:
    cc, pid = party.split("*")
    return {
        "country_code": cc,
        "party_id": pid,
        "id": id,
        "start_date_time": STAMP,
        "kwh": Decimal("1.5"),
        "cdr_token": a_cdr_token(a_token_221()),
        "auth_method": "WHITELIST",
        "location_id": "L1",
        "evse_uid": "E1",
        "connector_id": "1",
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": STAMP,
        **overrides,
    }


def a_cdr_221(id: str = "C1", *, party: str = "NL*CPX", **overrides: Any) -> dict[str, Any]:
    cc, pid = party.split("*")
    return {
        "country_code": cc,
        "party_id": pid,
        "id": id,
        "start_date_time": "2026-03-02T08:00:00Z",
        "end_date_time": STAMP,
        "cdr_token": a_cdr_token(a_token_221()),
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": "L1",
            "address": "Stationsplein 1",
            "city": "Amsterdam",
            "postal_code": "1012AB",
            "country": "NLD",
            "coordinates": {"latitude": "52.379000", "longitude": "4.900000"},
            "evse_uid": "E1",
            "evse_id": "NL*PRT*E1",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_3_PHASE",
        },
        "currency": "EUR",
        "charging_periods": [
            {
                "start_date_time": "2026-03-02T08:00:00Z",
                "dimensions": [{"type": "ENERGY", "volume": Decimal("7.5")}],
            }
        ],
        "total_cost": {"excl_vat": Decimal("2.25"), "incl_vat": Decimal("2.72")},
        "total_energy": Decimal("7.5"),
        "total_time": Decimal("0.5"),
        "last_updated": STAMP,
        **overrides,
    }


def a_tariff_221(id: str = "T1", *, party: str = "NL*CPX", **overrides: Any) -> dict[str, Any]:
    cc, pid = party.split("*")
    return {
        "country_code": cc,
        "party_id": pid,
        "id": id,
        "currency": "EUR",
        "elements": [
            {
                "price_components": [
                    {"type": "ENERGY", "price": Decimal("0.25"), "vat": Decimal("21"), "step_size": 1}
                ]
            }
        ],
        "last_updated": STAMP,
        **overrides,
    }


# --- strategies: what both versions carry -----------------------------------------------------------------

IDS = st.text(string.ascii_letters + string.digits + "-_*.", min_size=1, max_size=20)
TEXT = st.text(string.ascii_letters + " ", min_size=1, max_size=30)
STAMPS = st.sampled_from([STAMP, "2025-12-31T23:59:59Z", "2026-07-01T12:00:00.250Z"])
COORDINATE = st.decimals(min_value=-89, max_value=89, places=6).map(lambda d: f"{d:.6f}")
CONNECTOR_TYPES_211 = (
    "CHADEMO", "DOMESTIC_A", "DOMESTIC_F", "IEC_60309_2_three_32", "IEC_62196_T1", "IEC_62196_T2",
    "IEC_62196_T2_COMBO", "TESLA_S",
)  # fmt: skip
CAPABILITIES_211 = (
    "CHARGING_PROFILE_CAPABLE", "CREDIT_CARD_PAYABLE", "REMOTE_START_STOP_CAPABLE", "RESERVABLE",
    "RFID_READER", "UNLOCK_CAPABLE",
)  # fmt: skip
FACILITIES_211 = ("HOTEL", "RESTAURANT", "CAFE", "MALL", "SUPERMARKET", "AIRPORT", "WIFI", "BUS_STOP")
STATUSES = ("AVAILABLE", "BLOCKED", "CHARGING", "INOPERATIVE", "OUTOFORDER", "PLANNED", "REMOVED", "RESERVED")
SHARED_PARKING = ("ON_STREET", "PARKING_GARAGE", "UNDERGROUND_GARAGE", "PARKING_LOT")


def _optional(draw: Any, out: dict[str, Any], name: str, strategy: Any) -> None:
    if draw(st.booleans()):
        out[name] = draw(strategy)


@st.composite
def connectors_221(draw: Any) -> dict[str, Any]:
    out = {
        "id": draw(IDS),
        "standard": draw(st.sampled_from(CONNECTOR_TYPES_211)),
        "format": draw(st.sampled_from(("SOCKET", "CABLE"))),
        "power_type": draw(st.sampled_from(("AC_1_PHASE", "AC_3_PHASE", "DC"))),
        "max_voltage": draw(st.integers(100, 1000)),
        "max_amperage": draw(st.integers(6, 500)),
    }
    _optional(draw, out, "tariff_ids", st.lists(IDS, min_size=1, max_size=1))
    _optional(draw, out, "terms_and_conditions", st.just("https://cpo.example/terms"))
    out["last_updated"] = draw(STAMPS)
    return out


@st.composite
def evses_221(draw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"uid": draw(IDS)}
    _optional(draw, out, "evse_id", IDS)
    out["status"] = draw(st.sampled_from(STATUSES))
    _optional(draw, out, "capabilities", st.lists(st.sampled_from(CAPABILITIES_211), unique=True))
    # ids are unique within their EVSE, EVSE uids within their location (case-insensitively, as looked up)
    out["connectors"] = draw(
        st.lists(connectors_221(), min_size=1, max_size=3, unique_by=lambda c: str(c["id"]).upper())
    )
    _optional(draw, out, "floor_level", st.sampled_from(("-1", "0", "2")))
    _optional(
        draw, out, "coordinates", st.fixed_dictionaries({"latitude": COORDINATE, "longitude": COORDINATE})
    )
    _optional(draw, out, "physical_reference", IDS)
    _optional(
        draw, out, "parking_restrictions", st.lists(st.sampled_from(("EV_ONLY", "PLUGGED")), unique=True)
    )
    out["last_updated"] = draw(STAMPS)
    return out


HOURS_221 = st.one_of(
    st.fixed_dictionaries({"twentyfourseven": st.just(True)}),
    st.fixed_dictionaries(
        {
            "twentyfourseven": st.just(False),
            "regular_hours": st.lists(
                st.fixed_dictionaries(
                    {
                        "weekday": st.integers(1, 7),
                        "period_begin": st.just("08:00"),
                        "period_end": st.just("20:00"),
                    }
                ),
                max_size=3,
            ),
        }
    ),
)
MIX_221 = st.fixed_dictionaries(
    {"is_green_energy": st.booleans()},
    optional={
        "environ_impact": st.lists(
            st.fixed_dictionaries(
                {
                    "category": st.sampled_from(("NUCLEAR_WASTE", "CARBON_DIOXIDE")),
                    "amount": st.integers(0, 500),
                }
            ),
            max_size=2,
        ),
        "supplier_name": TEXT,
    },
)


@st.composite
def locations_221(draw: Any, party: tuple[str, str] = ("NL", "CPX")) -> dict[str, Any]:
    """A 2.2.1 Location 2.1.1 can carry: published, no state, one tariff a connector, 2.1.1 enums."""
    out: dict[str, Any] = {"country_code": party[0], "party_id": party[1], "id": draw(IDS), "publish": True}
    _optional(draw, out, "name", TEXT)
    out["address"] = draw(TEXT)
    out["city"] = draw(TEXT)
    _optional(draw, out, "postal_code", st.text(string.digits, min_size=4, max_size=6))
    out["country"] = draw(st.sampled_from(("NLD", "DEU", "BEL")))
    out["coordinates"] = {"latitude": draw(COORDINATE), "longitude": draw(COORDINATE)}
    _optional(draw, out, "parking_type", st.sampled_from(SHARED_PARKING))
    out["evses"] = draw(st.lists(evses_221(), max_size=3, unique_by=lambda e: str(e["uid"]).upper()))
    _optional(draw, out, "facilities", st.lists(st.sampled_from(FACILITIES_211), unique=True))
    out["time_zone"] = draw(st.sampled_from(("Europe/Amsterdam", "Europe/Berlin", "UTC")))
    _optional(draw, out, "opening_times", HOURS_221)
    _optional(draw, out, "charging_when_closed", st.booleans())
    _optional(draw, out, "energy_mix", MIX_221)
    out["last_updated"] = draw(STAMPS)
    return out


@st.composite
def tokens_221(draw: Any, party: tuple[str, str] = ("NL", "PRT")) -> dict[str, Any]:
    out: dict[str, Any] = {
        "country_code": party[0],
        "party_id": party[1],
        "uid": draw(IDS),
        "type": draw(st.sampled_from(("RFID", "OTHER"))),
        "contract_id": draw(IDS),
    }
    _optional(draw, out, "visual_number", IDS)
    out["issuer"] = draw(TEXT)
    out["valid"] = draw(st.booleans())
    out["whitelist"] = draw(st.sampled_from(("ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER")))
    _optional(draw, out, "language", st.sampled_from(("nl", "de", "en")))
    out["last_updated"] = draw(STAMPS)
    return out


MONEY = st.decimals(min_value=0, max_value=1000, places=2)
DIMENSIONS_BOTH = ("ENERGY", "MAX_CURRENT", "MIN_CURRENT", "PARKING_TIME", "TIME")
PERIODS = st.lists(
    st.fixed_dictionaries(
        {
            "start_date_time": STAMPS,
            "dimensions": st.lists(
                st.fixed_dictionaries({"type": st.sampled_from(DIMENSIONS_BOTH), "volume": MONEY}),
                min_size=1,
                max_size=3,
            ),
        }
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def tariffs_221(
    draw: Any, party: tuple[str, str] = ("NL", "CPX"), vat: Decimal = Decimal("21")
) -> dict[str, Any]:
    """A 2.2.1 Tariff 2.1.1 can carry, every component with the same `vat`."""
    component = st.fixed_dictionaries(
        {
            "type": st.sampled_from(("ENERGY", "FLAT", "PARKING_TIME", "TIME")),
            "price": MONEY,
            "vat": st.just(vat),
            "step_size": st.integers(1, 900),
        }
    )
    restrictions = st.fixed_dictionaries(
        {},
        optional={
            "start_time": st.just("08:00"),
            "end_time": st.just("18:00"),
            "min_kwh": MONEY,
            "max_power": MONEY,
            "min_duration": st.integers(0, 3600),
            "day_of_week": st.lists(st.sampled_from(("MONDAY", "SATURDAY")), unique=True),
        },
    )
    element = st.fixed_dictionaries(
        {"price_components": st.lists(component, min_size=1, max_size=3)},
        optional={"restrictions": restrictions},
    )
    out: dict[str, Any] = {"country_code": party[0], "party_id": party[1], "id": draw(IDS), "currency": "EUR"}
    _optional(draw, out, "tariff_alt_url", st.just("https://cpo.example/tariffs"))
    out["elements"] = draw(st.lists(element, min_size=1, max_size=3))
    _optional(draw, out, "energy_mix", MIX_221)
    out["last_updated"] = draw(STAMPS)
    return out
