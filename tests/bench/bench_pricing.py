"""Tariff engine benchmark: CDRs of realistic complexity priced per second on one core (target 20,000/s).

Run (from the repository root; about 15 s, not collected by pytest):

    python -m tests.bench.bench_pricing [--seconds 5] [--sessions 2000] [--cpu 0] [--json out.json]

The tariff has 4 elements with time and energy restrictions, in first-match order (TA-07): ENERGY 0.29/kWh
from 20 kWh on (min_kwh), peak ENERGY 0.45/kWh + TIME 1.20/h 07:00-23:00, PARKING_TIME 6.00/h step 300
08:00-20:00 Monday-Saturday, and an unrestricted default (FLAT 0.50, ENERGY 0.30/kWh, TIME 0.60/h); VAT
19 %, step_size 1 elsewhere. `--sessions` different CDRs (seeded; start at any minute of a week in
Europe/Berlin, 20 charging periods of 3-25 min with ENERGY + TIME, 11-22 kW, the last 0-4 of them
parking) are built first and priced round-robin through `TariffEngine.price_periods` for `--seconds`
(after a 1 s warm-up), so no result can come from a cache of the previous call; the compiled tariff is
cached, as in the hub. This process is pinned to `--cpu` where the OS allows.

Printed: CDRs/s and µs per CDR, plus two lines for orientation: `validate_periods` alone on the same
CDRs (the engine runs it on every call), and a BASELINE that prices the same periods with a flat
ENERGY x price + TIME x price loop in Decimal (no restrictions, splitting or rounding): the floor any
Python engine over these models pays.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hub.core.models import (
    ChargingPeriod,
    Dimension,
    DimensionType,
    PartyRef,
    PriceComponent,
    PriceComponentType,
    Tariff,
    TariffElement,
)
from hub.core.pricing import TariffEngine, validate_periods
from tests.bench.common import cpu_model, pin_and_describe, write_json

TARGET_PER_S = 20_000
WARMUP_S = 1.0
ZONE = "Europe/Berlin"
PERIODS = 20
VAT = Decimal(19)
WEEK_START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday; a week of starts crosses no DST switch


def machine_line() -> str:
    model = cpu_model()
    return (
        f"os.cpu_count()={os.cpu_count()}, {model}; Python {platform.python_version()}; {platform.system()}"
    )


def component(kind: PriceComponentType, price: str, step: int = 1) -> PriceComponent:
    return PriceComponent(type=kind, price=Decimal(price), vat=VAT, step_size=step)


def bench_tariff() -> Tariff:
    energy, time_, parking, flat = (
        PriceComponentType.ENERGY,
        PriceComponentType.TIME,
        PriceComponentType.PARKING_TIME,
        PriceComponentType.FLAT,
    )
    days = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]
    elements = (
        TariffElement(price_components=(component(energy, "0.29"),), restrictions={"min_kwh": 20}),
        TariffElement(
            price_components=(component(energy, "0.45"), component(time_, "1.20")),
            restrictions={"start_time": "07:00", "end_time": "23:00"},
        ),
        TariffElement(
            price_components=(component(parking, "6.00", 300),),
            restrictions={"start_time": "08:00", "end_time": "20:00", "day_of_week": days},
        ),
        TariffElement(
            price_components=(component(flat, "0.50"), component(energy, "0.30"), component(time_, "0.60"))
        ),
    )
    return Tariff(
        id="BENCH",
        party=PartyRef.parse("DE*BEN"),
        currency="EUR",
        elements=elements,
        last_updated=WEEK_START,
    )


@dataclass(frozen=True)
class BenchCdr:
    start: datetime
    end: datetime
    periods: tuple[ChargingPeriod, ...]


def bench_cdrs(count: int, seed: int) -> list[BenchCdr]:
    """Seeded CDRs: 20 periods each, charging at 11-22 kW, the last 0-4 parking."""
    rng = random.Random(seed)
    cdrs = []
    for _ in range(count):
        start = WEEK_START + timedelta(minutes=rng.randrange(7 * 24 * 60))
        parked = rng.randrange(5)
        moment, periods = start, []
        for i in range(PERIODS):
            minutes = rng.randrange(3, 26)
            hours = (Decimal(minutes) / 60).quantize(Decimal("0.0001"))  # OCPI numbers: 4 decimals
            dims: tuple[Dimension, ...]
            if i >= PERIODS - parked:
                dims = (Dimension(type=DimensionType.PARKING_TIME, volume=hours),)
            else:
                kw = Decimal(rng.randrange(110, 221)) / 10
                dims = (
                    Dimension(type=DimensionType.ENERGY, volume=(kw * hours).quantize(Decimal("0.001"))),
                    Dimension(type=DimensionType.TIME, volume=hours),
                )
            periods.append(ChargingPeriod(start_date_time=moment, dimensions=dims))
            moment += timedelta(minutes=minutes)
        cdrs.append(BenchCdr(start, moment, tuple(periods)))
    return cdrs


def baseline_price(periods: Sequence[ChargingPeriod]) -> Decimal:
    """Flat ENERGY x 0.30 + TIME x 0.60 over the periods, the lower bound of per-dimension work."""
    energy_price, time_price = Decimal("0.30"), Decimal("0.60")
    total = Decimal(0)
    for period in periods:
        for d in period.dimensions:
            if d.type is DimensionType.ENERGY:
                total += d.volume * energy_price
            elif d.type is DimensionType.TIME:
                total += d.volume * time_price
    return total.quantize(Decimal("0.01"))


def run(call: Callable[[BenchCdr], object], cdrs: list[BenchCdr], seconds: float) -> tuple[int, float]:
    """Price round-robin for `seconds` after a warm-up; (CDRs priced, elapsed s)."""
    deadline = time.perf_counter() + WARMUP_S
    i = 0
    while time.perf_counter() < deadline:
        call(cdrs[i % len(cdrs)])
        i += 1
    count, began = 0, time.perf_counter()
    deadline = began + seconds
    n = len(cdrs)
    while True:
        for _ in range(100):  # read the clock once per 100 CDRs
            call(cdrs[count % n])
            count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count, now - began


def report(name: str, count: int, elapsed: float) -> dict[str, float]:
    per_s, us = count / elapsed, elapsed / count * 1e6
    print(f"{name:<28} {per_s:>10,.0f} CDRs/s {us:>9.1f} µs/CDR  ({count:,} in {elapsed:.1f} s)")
    return {"cdrs_per_s": per_s, "us_per_cdr": us, "count": count}


def main(argv: list[str] | None = None) -> int:
    summary = (__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_pricing", description=summary)
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="measured s for the engine (default: %(default)s)"
    )
    parser.add_argument("--sessions", type=int, default=2000, help="distinct CDRs priced round-robin")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin this process to")
    parser.add_argument("--json", dest="json_path", help="also write the results as JSON here ('-': stdout)")
    args = parser.parse_args(argv)
    pin_and_describe(args.cpu, machine_line())

    tariff = bench_tariff()
    cdrs = bench_cdrs(args.sessions, args.seed)
    engine = TariffEngine()
    sample = engine.price_periods(
        tariff, cdrs[0].periods, start=cdrs[0].start, end=cdrs[0].end, time_zone=ZONE
    )
    print(
        f"{len(cdrs)} CDRs x {PERIODS} periods, tariff of {len(tariff.elements)} elements; first CDR: "
        f"{sample.cost.total_excl_vat} excl / {sample.cost.total_incl_vat} incl EUR, "
        f"{len(sample.periods)} periods after splitting, {len(sample.cost.lines)} lines\n"
    )

    def price(cdr: BenchCdr) -> object:
        return engine.price_periods(tariff, cdr.periods, start=cdr.start, end=cdr.end, time_zone=ZONE)

    def validate(cdr: BenchCdr) -> object:
        validate_periods(cdr.periods, cdr.start, cdr.end)
        return None

    results: dict[str, Any] = {"machine": machine_line(), "sessions": len(cdrs), "periods": PERIODS}
    results["engine"] = report("TariffEngine.price_periods", *run(price, cdrs, args.seconds))
    results["validation"] = report(
        "  of which validate_periods", *run(validate, cdrs, max(1.0, args.seconds / 5))
    )
    results["baseline"] = report(
        "BASELINE flat Decimal loop",
        *run(lambda c: baseline_price(c.periods), cdrs, max(1.0, args.seconds / 5)),
    )
    per_s = results["engine"]["cdrs_per_s"]
    verdict = "meets" if per_s >= TARGET_PER_S else "below"
    print(f"\nengine: {per_s:,.0f} CDRs/s {verdict} the target of {TARGET_PER_S:,}/s on one core")
    write_json(results, args.json_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
