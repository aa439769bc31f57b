"""The readable cost breakdown `python -m hub tariff price` prints: one row per cost line in the location's
local time, sub-totals before min/max, the min/max note and the totals.

Composition layer: may import anything.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from hub.core.models import CdrCost, CostDimension, CostLine, Tariff

SECONDS_PER_HOUR = Decimal(3600)

HEADER = ("#", "Dimension", "Element", "From", "To", "Consumed → billed", "Price", "VAT", "Excl. VAT",
          "Incl. VAT")  # fmt: skip
TIME_DIMENSIONS = frozenset({CostDimension.TIME, CostDimension.PARKING_TIME, CostDimension.RESERVATION_TIME})


def local(at: datetime, time_zone: str) -> str:
    return at.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M:%S")


def plain(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros (20.000 → 20)."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def duration(hours: Decimal) -> str:
    """Hours as H:MM:SS (with milliseconds when not whole seconds)."""
    seconds = hours * SECONDS_PER_HOUR
    sign = "-" if seconds < 0 else ""
    whole = int(abs(seconds))
    text = f"{sign}{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    fraction = abs(seconds) - whole
    return text + f".{int(fraction * 1000):03d}" if fraction else text


def quantity(line: CostLine, amount: Decimal) -> str:
    if line.dimension in TIME_DIMENSIONS:
        return duration(amount)
    if line.dimension is CostDimension.ENERGY:
        return f"{plain(amount)} kWh"
    return "once"


def unit_price(line: CostLine, currency: str) -> str:
    if line.dimension in TIME_DIMENSIONS:
        return f"{line.price} {currency}/h"
    if line.dimension is CostDimension.ENERGY:
        service = f" (service {line.service_price})" if line.service_price is not None else ""
        return f"{line.price} {currency}/kWh{service}"
    return f"{line.price} {currency}"


def money(value: Decimal | None) -> str:
    """An amount with its exact digits, trailing zeros beyond the cents dropped (0.6050 → 0.605)."""
    if value is None:
        return "—"
    whole, _, fraction = format(value, "f").partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


def table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def render_cost(cost: CdrCost, tariff: Tariff, time_zone: str) -> str:
    rows = [list(HEADER)]
    for n, line in enumerate(cost.lines, start=1):
        start, end = local(line.start, time_zone), local(line.end, time_zone)
        rows.append(
            [
                str(n),
                line.dimension.value,
                f"elements[{line.element}]",
                start,
                end[11:] if end[:10] == start[:10] else end,
                f"{quantity(line, line.consumed)} → {quantity(line, line.billed)}",
                unit_price(line, cost.currency),
                "none" if line.vat is None else f"{plain(line.vat)} %",
                money(line.amount_excl_vat),
                money(line.amount_incl_vat),
            ]
        )
    out = table(rows, right={0, 8, 9}) if cost.lines else ["(no cost lines: nothing in this tariff applies)"]
    subtotals = [
        ("fixed", cost.fixed_excl_vat, cost.fixed_incl_vat),
        ("energy", cost.energy_excl_vat, cost.energy_incl_vat),
        ("time", cost.time_excl_vat, cost.time_incl_vat),
        ("parking", cost.parking_excl_vat, cost.parking_incl_vat),
    ]
    if cost.reservation_excl_vat or cost.total_reservation_time_hours:
        subtotals.append(("reservation", cost.reservation_excl_vat, cost.reservation_incl_vat))
    summary = [["Sub-totals (before min/max)", "Excl. VAT", "Incl. VAT"]]
    summary += [[f"  {name}", money(excl), money(incl)] for name, excl, incl in subtotals]
    summary.append(["Total", money(cost.total_excl_vat), money(cost.total_incl_vat)])
    totals = table(summary, right={1, 2})
    out += [
        "",
        *totals[:-1],
        min_max_note(cost, tariff, sum((s[1] for s in subtotals), Decimal(0))),
        totals[-1],
    ]
    times = f"time {duration(cost.total_time_hours)} (parking {duration(cost.total_parking_time_hours)})"
    if cost.total_reservation_time_hours:
        times += f" · reservation {duration(cost.total_reservation_time_hours)}"
    out.append(f"Consumed: energy {plain(cost.total_energy_kwh)} kWh · {times}")
    return "\n".join(out)


def min_max_note(cost: CdrCost, tariff: Tariff, subtotal: Decimal) -> str:
    bounds = [
        f"{name} {money(excl)}/{money(incl)}"
        for name, excl, incl in (
            ("min_price", tariff.min_price_excl_vat, tariff.min_price_incl_vat),
            ("max_price", tariff.max_price_excl_vat, tariff.max_price_incl_vat),
        )
        if excl is not None or incl is not None
    ]
    if not bounds:
        return "Min/max price: none in this tariff"
    stated = ", ".join(bounds) + " (excl./incl. VAT)"
    if cost.clamped is None:
        return f"Min/max price: {stated}; total within bounds"
    verb = "raised to" if cost.clamped == "min_price" else "capped at"
    return f"Min/max price: {stated}; sub-totals {money(subtotal)} excl. VAT {verb} {cost.clamped}"


def pretty(data: bytes) -> str:
    """Indented JSON keeping every number's exact digits (5.50 stays 5.50)."""
    import orjson

    tree = json.loads(data, parse_float=orjson.Fragment)
    return orjson.dumps(tree, option=orjson.OPT_INDENT_2).decode("utf-8")
