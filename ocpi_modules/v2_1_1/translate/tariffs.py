"""Tariffs between OCPI 2.1.1 and 2.2.1 (mod_tariffs; checklist §21, TA-03, TA-04, V211-02).

2.2.1 → 2.1.1 refuses what would change the price a 2.1.1 eMSP computes: `min_price`/`max_price`, a validity
window (`start_date_time`/`end_date_time`), a `type` other than REGULAR (2.1.1 would apply it to every
session) and the restrictions 2.1.1 lacks (`min_current`, `max_current`, `reservation`). The VAT percentage
of a price component is dropped and noted: 2.1.1 prices exclude VAT, as 2.2.1's do.

2.1.1 → 2.2.1: a 2.1.1 price component has no `vat`, and in 2.2.1 a missing `vat` means "no VAT applies"
(TA-04), a claim 2.1.1 never made. So the translation needs the VAT percentage to state (`vat`); without
one it refuses.

Pure functions; imports ocpi_modules.common and the standard library only.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hub.core.models import PartyRef
from ocpi_modules.v2_1_1.translate.common import (
    Notes,
    at,
    copy_fields,
    items,
    note,
    obj,
    owner_fields,
    refuse,
)
from ocpi_modules.v2_1_1.translate.locations import (
    NOT_IN_211,
    NOT_IN_221,
    energy_mix_to_211,
    energy_mix_to_221,
    unknown_fields,
)

_SAME = ("id", "currency", "tariff_alt_text", "tariff_alt_url", "last_updated")
_RESTRICTIONS_211 = frozenset(
    {
        "start_time", "end_time", "start_date", "end_date", "min_kwh", "max_kwh", "min_power", "max_power",
        "min_duration", "max_duration", "day_of_week",
    }
)  # fmt: skip
_RESTRICTIONS_221_ONLY = ("min_current", "max_current", "reservation")
_PRICE_CHANGING_221_ONLY = ("min_price", "max_price", "start_date_time", "end_date_time")


def tariff_to_221(
    data: Any,
    owner: PartyRef,
    *,
    vat: Decimal | None = None,
    notes: Notes | None = None,
    path: str = "tariff",
) -> dict[str, Any]:
    """`vat`: the VAT percentage every price component is stated with (None: refused, see the docstring)."""
    src = obj(data, path)
    out: dict[str, Any] = owner_fields(owner)
    copy_fields(src, out, _SAME)
    if "elements" in src:
        out["elements"] = [
            _element(e, at(at(path, "elements"), n), notes, _component_221(vat, notes), to_221=True)
            for n, e in enumerate(items(src["elements"], at(path, "elements")))
        ]
    if "energy_mix" in src:
        out["energy_mix"] = energy_mix_to_221(src["energy_mix"], at(path, "energy_mix"))
    unknown_fields(src, {*_SAME, "elements", "energy_mix"}, path, notes, NOT_IN_221)
    return out


def tariff_to_211(data: Any, *, notes: Notes | None = None, path: str = "tariff") -> dict[str, Any]:
    src = obj(data, path)
    for name in _PRICE_CHANGING_221_ONLY:
        if src.get(name) is not None:
            refuse(at(path, name), "changes the price and cannot be expressed in OCPI 2.1.1")
    kind = src.get("type")
    if kind not in (None, "REGULAR"):
        refuse(at(path, "type"), f"a {kind} tariff would apply to every 2.1.1 session")
    if kind == "REGULAR":
        note(notes, at(path, "type"), "REGULAR dropped: 2.1.1 tariffs apply to every session")
    out: dict[str, Any] = {}
    copy_fields(src, out, _SAME)
    if "elements" in src:
        out["elements"] = [
            _element(e, at(at(path, "elements"), n), notes, _component_211(notes), to_221=False)
            for n, e in enumerate(items(src["elements"], at(path, "elements")))
        ]
    if "energy_mix" in src:
        out["energy_mix"] = energy_mix_to_211(src["energy_mix"], at(path, "energy_mix"))
    known = {*_SAME, *_PRICE_CHANGING_221_ONLY, "country_code", "party_id", "type", "elements", "energy_mix"}
    unknown_fields(src, known, path, notes, NOT_IN_211)
    return out


Component = Callable[[Any, str], dict[str, Any]]


def _element(
    data: Any, path: str, notes: Notes | None, component: Component, *, to_221: bool
) -> dict[str, Any]:
    """One TariffElement, each price component through `component`."""
    src = obj(data, path)
    out: dict[str, Any] = {}
    components = items(src.get("price_components"), at(path, "price_components"))
    out["price_components"] = [
        component(c, at(at(path, "price_components"), n)) for n, c in enumerate(components)
    ]
    restrictions = src.get("restrictions")
    if restrictions is not None:
        where = at(path, "restrictions")
        restrictions = obj(restrictions, where)
        if not to_221:
            for name in _RESTRICTIONS_221_ONLY:
                if restrictions.get(name) is not None:
                    refuse(at(where, name), "changes the price and does not exist in 2.1.1")
        out["restrictions"] = {k: v for k, v in restrictions.items() if k in _RESTRICTIONS_211}
        known = set(_RESTRICTIONS_211) | set(_RESTRICTIONS_221_ONLY)
        unknown_fields(restrictions, known, where, notes, NOT_IN_221 if to_221 else NOT_IN_211)
    return out


def _component_221(vat: Decimal | None, notes: Notes | None) -> Component:
    def translate(data: Any, path: str) -> dict[str, Any]:
        src = obj(data, path)
        if vat is None:
            refuse(
                at(path, "vat"),
                "a 2.1.1 price has no VAT rate, and a 2.2.1 price without vat claims that no VAT applies",
            )
        out: dict[str, Any] = {}
        copy_fields(src, out, ("type", "price"))
        out["vat"] = vat
        note(notes, at(path, "vat"), f"{vat} % stated for a 2.1.1 price that gave none")
        copy_fields(src, out, ("step_size",))
        unknown_fields(src, {"type", "price", "step_size"}, path, notes, NOT_IN_221)
        return out

    return translate


def _component_211(notes: Notes | None) -> Component:
    def translate(data: Any, path: str) -> dict[str, Any]:
        src = obj(data, path)
        out: dict[str, Any] = {}
        copy_fields(src, out, ("type", "price", "step_size"))
        if src.get("vat") is not None:
            note(notes, at(path, "vat"), "dropped: 2.1.1 prices carry no VAT rate (they exclude VAT)")
        unknown_fields(src, {"type", "price", "step_size", "vat"}, path, notes, NOT_IN_211)
        return out

    return translate
