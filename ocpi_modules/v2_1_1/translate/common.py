"""What every 2.1.1 ↔ 2.2.1 translation shares (checklist §21, V211-02): refusing with `Untranslatable` naming
the field, noting what is dropped on the way ("loudly flag"), copying fields, money and enum tables.

Values are passed through as given (strings, Decimals, datetimes): a translation never parses what it does not
have to change, so vendor enum values survive it (§22.4). Fields the target version does not define are
dropped and noted: across versions nothing is forwarded untranslated.

Pure functions; imports ocpi_modules.common and the standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, NoReturn

from hub.core.models import PartyRef
from ocpi_modules.common.routing import Untranslatable

# What a translation had to drop or change: "path: what" lines, logged by the caller (V211-02).
Notes = list[str]


def note(notes: Notes | None, path: str, what: str) -> None:
    if notes is not None:
        notes.append(f"{path}: {what}")


def refuse(path: str, message: str) -> NoReturn:
    raise Untranslatable(message, path=path)


def at(prefix: str, name: str | int) -> str:
    """`prefix.name`, or `prefix[3]` for an index."""
    if isinstance(name, int):
        return f"{prefix}[{name}]"
    return f"{prefix}.{name}" if prefix else name


def obj(value: Any, path: str) -> dict[str, Any]:
    """`value` when it is a JSON object, else a refusal: nothing sensible can be made of it."""
    if not isinstance(value, dict):
        refuse(path, "must be a JSON object")
    return value


def items(value: Any, path: str) -> list[Any]:
    """`value` when it is a JSON array (None counts as empty), else a refusal."""
    if value is None:
        return []
    if not isinstance(value, list):
        refuse(path, "must be a JSON array")
    return value


def copy_fields(src: Mapping[str, Any], dst: dict[str, Any], names: Iterable[str]) -> None:
    """Copy the `names` present in `src` (an explicit null included) into `dst`, unchanged."""
    for name in names:
        if name in src:
            dst[name] = src[name]


def drop(src: Mapping[str, Any], names: Iterable[str], path: str, notes: Notes | None, why: str) -> None:
    """Note each of `names` present in `src` as dropped."""
    for name in names:
        if name in src and src[name] is not None:
            note(notes, at(path, name), why)


def owner_fields(owner: PartyRef) -> dict[str, Any]:
    return {"country_code": owner.country_code, "party_id": owner.party_id}


# --- money --------------------------------------------------------------------------------------------------


def price_from_number(value: Any) -> dict[str, Any] | None:
    """A 2.1.1 cost (a number, excluding VAT) as a 2.2.1 Price: `excl_vat` only. `incl_vat` is never invented
    (it is optional in 2.2.1, and 2.1.1 gives no VAT rate to compute it from)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        refuse("total_cost", "must be a number")
    return {"excl_vat": value}


def number_from_price(value: Any, path: str, notes: Notes | None) -> Any:
    """A 2.2.1 Price as the 2.1.1 number: its `excl_vat` (2.1.1 costs exclude VAT); `incl_vat` is dropped
    and noted."""
    if value is None:
        return None
    price = obj(value, path)
    if "excl_vat" not in price:
        refuse(at(path, "excl_vat"), "a Price needs excl_vat")
    if price.get("incl_vat") is not None:
        note(notes, at(path, "incl_vat"), "dropped: 2.1.1 carries the cost excluding VAT only")
    return price["excl_vat"]


# --- enums that differ --------------------------------------------------------------------------------------

# Values 2.2.1 added to enums 2.1.1 also has (LO-11 and the 2.2.1 enum tables). Anything else passes through:
# a vendor value is the receiver's to judge (§22.4), a value 2.1.1 lacks is the translation's to refuse.
CONNECTOR_TYPES_221_ONLY = frozenset(
    {
        "CHAOJI", "DOMESTIC_M", "DOMESTIC_N", "DOMESTIC_O", "GBT_AC", "GBT_DC",
        "NEMA_5_20", "NEMA_6_30", "NEMA_6_50", "NEMA_10_30", "NEMA_10_50", "NEMA_14_30", "NEMA_14_50",
        "PANTOGRAPH_BOTTOM_UP", "PANTOGRAPH_TOP_DOWN",
    }
)  # fmt: skip
POWER_TYPES_221_ONLY = frozenset({"AC_2_PHASE", "AC_2_PHASE_SPLIT"})
CAPABILITIES_221_ONLY = frozenset(
    {
        "CHARGING_PREFERENCES_CAPABLE", "CHIP_CARD_SUPPORT", "CONTACTLESS_CARD_SUPPORT", "DEBIT_CARD_PAYABLE",
        "PED_TERMINAL", "START_SESSION_CONNECTOR_REQUIRED", "TOKEN_GROUP_CAPABLE",
    }
)  # fmt: skip
FACILITIES_221_ONLY = frozenset({"BIKE_SHARING", "TRAM_STOP", "METRO_STATION", "PARKING_LOT"})
# 2.1.1 LocationType ↔ 2.2.1 ParkingType: four values are shared.
SHARED_PARKING_TYPES = frozenset({"ON_STREET", "PARKING_GARAGE", "UNDERGROUND_GARAGE", "PARKING_LOT"})
TOKEN_TYPES_221_ONLY = frozenset({"AD_HOC_USER", "APP_USER"})
# 2.1.1 CdrDimensionType has FLAT; 2.2.1 has eight more (session-only ones included).
DIMENSIONS_211_ONLY = frozenset({"FLAT"})
DIMENSIONS_221_ONLY = frozenset(
    {
        "CURRENT", "ENERGY_EXPORT", "ENERGY_IMPORT", "MAX_POWER", "MIN_POWER", "POWER", "RESERVATION_TIME",
        "STATE_OF_CHARGE",
    }
)  # fmt: skip


def filter_enum_list(
    value: Any, unknown: frozenset[str], path: str, notes: Notes | None, why: str
) -> list[Any]:
    """The list without the values in `unknown`, each dropped value noted."""
    kept: list[Any] = []
    for n, item in enumerate(items(value, path)):
        if isinstance(item, str) and item in unknown:
            note(notes, at(path, n), f"{item} dropped: {why}")
        else:
            kept.append(item)
    return kept


def refuse_enum(value: Any, unknown: frozenset[str], path: str) -> Any:
    """`value` unless it is one of `unknown`, which a required field of 2.1.1 cannot carry."""
    if isinstance(value, str) and value in unknown:
        refuse(path, f"{value} does not exist in OCPI 2.1.1")
    return value
