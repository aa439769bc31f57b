"""The OCPI 2.2.1 tariff engine: splits a session's charging periods at every moment that changes cost,
picks the element per dimension and moment, applies step_size once per session, prices every line in
Decimal and clamps to min/max price (spec notes §16, TA-07…TA-16; README "Tariffs and pricing").

Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog

from hub.core.models import (
    Cdr,
    CdrCost,
    ChargingPeriod,
    CostDimension,
    CostLine,
    Dimension,
    DimensionType,
    PriceComponent,
    PriceComponentType,
    PricedSession,
    Session,
    Tariff,
    trusted,
)
from hub.core.pricing.compiled import (
    US,
    CompiledElement,
    CompiledTariff,
    Moment,
    compiled,
    from_us,
    utc_us,
)
from hub.core.pricing.money import DEFAULT_ROUNDING, RoundingPolicy
from hub.core.pricing.timezones import LocalClock
from hub.core.pricing.validation import validate_periods

log = structlog.get_logger(__name__)

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
THOUSAND = Decimal(1000)
SECONDS_PER_HOUR = Decimal(3600)
US_PER_SECOND = Decimal(US)
MILLISECOND = Decimal("0.001")
MICRO_WH = Decimal("0.000001")

CHARGING, PARKING, RESERVATION = 0, 1, 2
_FLAT, _ENERGY, _TIME, _PARKING = (
    PriceComponentType.FLAT,
    PriceComponentType.ENERGY,
    PriceComponentType.TIME,
    PriceComponentType.PARKING_TIME,
)
_D_ENERGY, _D_TIME, _D_PARKING, _D_RESERVATION = (
    DimensionType.ENERGY,
    DimensionType.TIME,
    DimensionType.PARKING_TIME,
    DimensionType.RESERVATION_TIME,
)


class _Piece:
    """A period, or the part of one between two cost-relevant moments."""

    __slots__ = (
        "current", "end", "energy", "kind", "kwh_before", "power", "seconds", "source", "start", "whole",
    )  # fmt: skip

    def __init__(
        self,
        start: int,
        end: int,
        kind: int,
        energy: Decimal,
        seconds: Decimal,
        kwh_before: Decimal,
        current: Decimal | None,
        power: Decimal | None,
        source: ChargingPeriod,
        whole: bool,
    ) -> None:
        self.whole = whole  # the period was not split
        self.start = start
        self.end = end
        self.kind = kind
        self.energy = energy  # kWh in this piece
        self.seconds = seconds  # charging, parking or reservation time in this piece
        self.kwh_before = kwh_before
        self.current = current
        self.power = power
        self.source = source


class _Run:
    """A cost line being built: consecutive pieces billed by one component."""

    __slots__ = ("component", "consumed", "dimension", "element", "end", "start", "surplus")

    def __init__(
        self, dimension: CostDimension, element: int, component: PriceComponent, start: int, end: int
    ) -> None:
        self.dimension = dimension
        self.element = element
        self.component = component
        self.start = start
        self.end = end
        self.consumed = ZERO  # kWh for ENERGY, seconds for time lines, 1 for fees
        self.surplus = ZERO  # step_size rounding, same unit


def _kind_of(time: Decimal | None, parked: Decimal | None, reserved: Decimal | None) -> int:
    """Reservation, parking or charging, by the period's non-zero time volumes (zeros count as absent,
    as validation reads them); a period whose time volumes are all zero goes by the ones it lists."""
    charging = time is not None and time > 0
    parking = parked is not None and parked > 0
    if reserved is not None and reserved > 0:
        return RESERVATION
    if charging or parking:
        return PARKING if parking and not charging else CHARGING
    if reserved is not None:
        return RESERVATION
    return PARKING if parked is not None and time is None else CHARGING


def _first(period: ChargingPeriod, *kinds: DimensionType) -> Decimal | None:
    for kind in kinds:
        for d in period.dimensions:
            if d.type is kind:
                return d.volume
    return None


def _us(moment: datetime) -> int:
    """Microseconds since the epoch; a float timestamp is exact to the microsecond until the year 2255."""
    return round(moment.timestamp() * US)


def _pieces(
    periods: Sequence[ChargingPeriod],
    start: datetime,
    end: datetime,
    ct: CompiledTariff | None,
    clock: LocalClock,
) -> list[_Piece]:
    """The periods with their quantities, split at every moment where some restriction of the tariff can
    change (no tariff: not split)."""
    start_us = _us(start)
    end_us = _us(end)
    bounds = [_us(p.start_date_time) for p in periods]
    bounds.append(max(end_us, bounds[-1]))
    # Instants where a time-of-day, date or duration restriction may change, for the whole session.
    time_cuts: list[int] = []
    kwh_cuts: tuple[Decimal, ...] = ()
    has_power = False
    if ct is not None:
        time_cuts = clock.day_cuts(start_us, bounds[-1], ct.day_cuts) if ct.day_cuts else []
        if ct.elapsed_cuts:
            time_cuts = sorted({*time_cuts, *(start_us + c for c in ct.elapsed_cuts)})
        kwh_cuts, has_power = ct.kwh_cuts, ct.has_power
    pieces: list[_Piece] = []
    kwh = ZERO
    for i, period in enumerate(periods):
        s, e = bounds[i], max(bounds[i + 1], bounds[i])
        energy = ZERO
        time = parked = reserved = None
        for d in period.dimensions:
            kind_of = d.type
            if kind_of is _D_ENERGY:
                energy += d.volume
            elif kind_of is _D_TIME:
                time = d.volume
            elif kind_of is _D_PARKING:
                parked = d.volume
            elif kind_of is _D_RESERVATION:
                reserved = d.volume
        kind = CHARGING if parked is None and reserved is None else _kind_of(time, parked, reserved)
        hours = time if kind == CHARGING else parked if kind == PARKING else reserved
        seconds = (hours * SECONDS_PER_HOUR) if hours is not None else Decimal(e - s) / US_PER_SECOND
        current = power = None
        if has_power:
            if kind == CHARGING:
                current = _first(
                    period, DimensionType.MAX_CURRENT, DimensionType.CURRENT, DimensionType.MIN_CURRENT
                )
                power = _first(period, DimensionType.MAX_POWER, DimensionType.POWER, DimensionType.MIN_POWER)
                if power is None and seconds > 0:
                    power = energy * SECONDS_PER_HOUR / seconds  # average kW over the period
            elif kind == PARKING:
                current = power = ZERO
        cuts: list[tuple[int, Decimal | None]] = []
        if e > s:
            if time_cuts:
                lo = bisect_right(time_cuts, s)
                while lo < len(time_cuts) and time_cuts[lo] < e:
                    cuts.append((time_cuts[lo], None))
                    lo += 1
            if kwh_cuts and kind == CHARGING and energy > 0 and kwh < kwh_cuts[-1]:
                cuts = _kwh_cuts(cuts, s, e, kwh, energy, kwh_cuts)
        if not cuts:
            pieces.append(_Piece(s, e, kind, energy, seconds, kwh, current, power, period, True))
        else:
            span = Decimal(e - s)
            previous_t, previous_kwh, previous_sec = s, ZERO, ZERO
            for t, at_kwh in [*cuts, (e, energy)]:
                done_kwh = at_kwh if at_kwh is not None else energy * Decimal(t - s) / span
                done_sec = seconds if t == e else seconds * Decimal(t - s) / span
                pieces.append(
                    _Piece(
                        previous_t,
                        t,
                        kind,
                        done_kwh - previous_kwh,
                        done_sec - previous_sec,
                        kwh + previous_kwh,
                        current,
                        power,
                        period,
                        False,
                    )
                )
                previous_t, previous_kwh, previous_sec = t, done_kwh, done_sec
        kwh += energy
    return pieces


def _kwh_cuts(
    cuts: list[tuple[int, Decimal | None]],
    s: int,
    e: int,
    kwh: Decimal,
    energy: Decimal,
    thresholds: tuple[Decimal, ...],
) -> list[tuple[int, Decimal | None]]:
    """Add the instants where the energy consumed crosses a kWh threshold (energy assumed linear within a
    period); the energy there is exact, the time interpolated to the microsecond."""
    found = dict(cuts)
    for threshold in thresholds:
        if kwh < threshold < kwh + energy:
            within = threshold - kwh
            t = s + int((e - s) * within / energy)
            if s < t < e:
                found[t] = within
    return sorted(found.items())


def _choices(
    ct: CompiledTariff, piece: _Piece, clock: LocalClock, start_us: int, expired: bool
) -> tuple[CompiledElement | None, ...]:
    """The element per dimension at the piece's start: (fee, energy, time) for charging, (fee, parking)
    for parking, (fee, time) for reservations. Memoised per band of every restricted value."""
    second, day = clock.local(piece.start)
    elapsed = piece.start - start_us
    key = (
        piece.kind,
        expired,
        bisect_right(ct.day_cuts, second) if ct.day_cuts else 0,
        day if ct.has_days else 0,
        bisect_right(ct.kwh_cuts, piece.kwh_before) if ct.kwh_cuts else 0,
        bisect_right(ct.elapsed_cuts, elapsed) if ct.elapsed_cuts else 0,
        _band(ct.current_cuts, piece.current),
        _band(ct.power_cuts, piece.power),
    )
    found = ct.memo.get(key)
    if found is not None:
        return found
    at = Moment(second, day, elapsed, piece.kwh_before, piece.current, piece.power)
    if piece.kind == RESERVATION:
        chosen = ct.expired if expired else ct.reserved
        found = (_pick(chosen.get(_FLAT, ()), at), _pick(chosen.get(_TIME, ()), at))
    elif piece.kind == CHARGING:
        found = tuple(_pick(ct.charging.get(k, ()), at) for k in (_FLAT, _ENERGY, _TIME))
    else:
        found = tuple(_pick(ct.charging.get(k, ()), at) for k in (_FLAT, _ENERGY, _PARKING))
    if len(ct.memo) >= _MEMO_LIMIT:
        ct.memo.clear()
    ct.memo[key] = found
    return found


_MEMO_LIMIT = 20_000


def _band(cuts: tuple[Decimal, ...], value: Decimal | None) -> int:
    if not cuts:
        return 0
    return -1 if value is None else bisect_right(cuts, value)


def _pick(candidates: tuple[CompiledElement, ...], at: Moment) -> CompiledElement | None:
    for element in candidates:
        if element.holds(at):
            return element
    return None


class _Lines:
    """Collects runs per dimension; a piece with another component (or none) ends the dimension's run."""

    def __init__(self) -> None:
        self.runs: list[_Run] = []
        self.open: dict[CostDimension, _Run | None] = {}
        self.fees: dict[tuple[CostDimension, int], _Run] = {}

    def add(
        self, dimension: CostDimension, element: CompiledElement | None, kind: PriceComponentType,
        piece: _Piece, quantity: Decimal,
    ) -> None:  # fmt: skip
        run = self.open.get(dimension)
        if quantity <= 0:
            # Nothing to bill, but a change of price still ends the line: its times stay those of one price.
            if run is not None and (element is None or run.element != element.index):
                self.open[dimension] = None
            return
        if element is None:
            self.open[dimension] = None
            return
        if run is None or run.element != element.index:
            run = _Run(dimension, element.index, element.components[kind], piece.start, piece.end)
            self.runs.append(run)
            self.open[dimension] = run
        run.end = piece.end
        run.consumed += quantity

    def fee(self, dimension: CostDimension, element: CompiledElement | None, piece: _Piece) -> None:
        """FLAT: each component selected at some moment is billed once per session (TA-16)."""
        if element is None or (dimension, element.index) in self.fees:
            return
        run = _Run(dimension, element.index, element.components[_FLAT], piece.start, piece.start)
        run.consumed = ONE
        self.fees[(dimension, element.index)] = run
        self.runs.append(run)


def _select(
    pieces: list[_Piece], ct: CompiledTariff, clock: LocalClock, start_us: int, expired: bool
) -> _Lines:
    lines = _Lines()
    for piece in pieces:
        chosen = _choices(ct, piece, clock, start_us, expired)
        if piece.kind == CHARGING:
            fee, energy, time = chosen
            lines.fee(CostDimension.FLAT, fee, piece)
            lines.add(CostDimension.ENERGY, energy, _ENERGY, piece, piece.energy)
            lines.add(CostDimension.TIME, time, _TIME, piece, piece.seconds)
        elif piece.kind == PARKING:
            fee, energy, parking = chosen
            lines.fee(CostDimension.FLAT, fee, piece)
            # Energy a meter still counts while parked is energy consumed: it is billed like any other.
            lines.add(CostDimension.ENERGY, energy, _ENERGY, piece, piece.energy)
            lines.add(CostDimension.PARKING_TIME, parking, _PARKING, piece, piece.seconds)
        else:
            fee, time = chosen
            lines.fee(CostDimension.RESERVATION_FLAT, fee, piece)
            lines.add(CostDimension.RESERVATION_TIME, time, _TIME, piece, piece.seconds)
    return lines


def _round_up(quantity: Decimal, step: int) -> Decimal:
    """step_size: the consumed amount rounded up to a multiple of `step` (0 = no rounding, TA-12)."""
    if step <= 0 or quantity <= 0:
        return quantity
    return Decimal(math.ceil(quantity / step) * step)


def _apply_steps(runs: list[_Run]) -> None:
    """TA-10/TA-11: once per session on the billed total, with the last line's step_size; the surplus is
    billed on the last line. Charging time is rounded only when no parking is priced."""
    by_dimension: dict[CostDimension, list[_Run]] = {}
    for run in runs:
        by_dimension.setdefault(run.dimension, []).append(run)
    for dimension, group in by_dimension.items():
        if dimension in (CostDimension.FLAT, CostDimension.RESERVATION_FLAT):
            continue
        # The drift of splitting is removed on the running total (µWh, ms), so the lines add up to the
        # rounded total and never to a unit more than was consumed.
        quantum = MICRO_WH if dimension is CostDimension.ENERGY else MILLISECOND
        exact = done = ZERO
        for run in group:
            exact += run.consumed
            rounded = exact.quantize(quantum)
            run.consumed = rounded - done
            done = rounded
    for steps in (
        by_dimension.get(CostDimension.ENERGY),
        by_dimension.get(CostDimension.RESERVATION_TIME),
        by_dimension.get(CostDimension.PARKING_TIME) or by_dimension.get(CostDimension.TIME),
    ):
        if not steps:
            continue
        group = steps
        last = group[-1]
        total = sum((run.consumed for run in group), ZERO)
        if last.dimension is CostDimension.ENERGY:
            last.surplus = _round_up(total * THOUSAND, last.component.step_size) / THOUSAND - total
        else:
            last.surplus = _round_up(total, last.component.step_size) - total


_SUBTOTALS = {
    CostDimension.FLAT: "fixed",
    CostDimension.ENERGY: "energy",
    CostDimension.TIME: "time",
    CostDimension.PARKING_TIME: "parking",
    CostDimension.RESERVATION_FLAT: "reservation",
    CostDimension.RESERVATION_TIME: "reservation",
}


class TariffEngine:
    """`PricingPort`: the full OCPI 2.2.1 tariff engine with a configurable rounding policy."""

    def __init__(self, policy: RoundingPolicy = DEFAULT_ROUNDING) -> None:
        self.policy = policy

    def price(self, session: Session | Cdr, tariff: Tariff | None, time_zone: str) -> PricedSession:
        periods = session.charging_periods
        end = session.end or session.start
        if isinstance(session, Session):
            currency, kwh = session.currency, session.kwh
        else:
            currency, kwh = session.cost.currency, session.cost.total_energy_kwh
        if not periods:
            # A session without periods counts start → end as one charging period.
            hours = Decimal(utc_us(end) - utc_us(session.start)) / US_PER_SECOND / SECONDS_PER_HOUR
            periods = (
                ChargingPeriod(
                    start_date_time=session.start,
                    dimensions=(
                        Dimension(type=DimensionType.ENERGY, volume=kwh),
                        Dimension(type=DimensionType.TIME, volume=hours),
                    ),
                ),
            )
        return self.price_periods(
            tariff, periods, start=session.start, end=end, time_zone=time_zone, currency=currency
        )

    def price_periods(
        self,
        tariff: Tariff | None,
        periods: Sequence[ChargingPeriod],
        *,
        start: datetime,
        end: datetime,
        time_zone: str,
        currency: str | None = None,
        reservation_expired: bool | None = None,
    ) -> PricedSession:
        validate_periods(periods, start, end)
        if tariff is None:
            return self._unpriced(periods, currency or "EUR", start, end)
        ct = compiled(tariff)
        clock = LocalClock.of(_zone(time_zone))
        pieces = _pieces(periods, start, end, ct, clock)
        if reservation_expired is None:
            reservation_expired = all(piece.kind == RESERVATION for piece in pieces)
        lines = _select(pieces, ct, clock, _us(start), reservation_expired)
        _apply_steps(lines.runs)
        cost = self._cost(tariff, lines.runs, pieces)
        return trusted(PricedSession, {"cost": cost, "periods": _split_periods(pieces)})

    def _cost(self, tariff: Tariff, runs: list[_Run], pieces: list[_Piece]) -> CdrCost:
        currency = tariff.currency
        policy = self.policy
        round_money = policy.rounder(currency)
        per_line = policy.scope == "line"
        excl: dict[str, Decimal] = dict.fromkeys(("fixed", "energy", "time", "parking", "reservation"), ZERO)
        incl = dict(excl)
        has_vat = False
        cost_lines = []
        for run in sorted(runs, key=lambda r: (r.start, r.dimension != CostDimension.FLAT)):
            component = run.component
            billed = run.consumed + run.surplus
            if run.dimension in (CostDimension.FLAT, CostDimension.RESERVATION_FLAT):
                exact = component.price
                consumed, billed_unit = ONE, ONE
            elif run.dimension is CostDimension.ENERGY:
                exact = billed * component.price
                consumed, billed_unit = run.consumed, billed
            else:  # seconds → hours, divided once at the end so halves of a cent stay exact
                exact = billed * component.price / SECONDS_PER_HOUR
                consumed, billed_unit = run.consumed / SECONDS_PER_HOUR, billed / SECONDS_PER_HOUR
            amount = round_money(exact) if per_line else exact
            with_vat = None
            if component.vat is not None:
                has_vat = True
                with_vat = amount * (ONE + component.vat / HUNDRED)
            key = _SUBTOTALS[run.dimension]
            excl[key] += amount
            incl[key] += amount if with_vat is None else with_vat
            cost_lines.append(
                trusted(
                    CostLine,
                    dict(
                        dimension=run.dimension,
                        element=run.element,
                        price=component.price,
                        vat=component.vat,
                        start=from_us(run.start),
                        end=from_us(run.end),
                        consumed=consumed,
                        billed=billed_unit,
                        amount_excl_vat=amount,
                        amount_incl_vat=with_vat,
                        service_price=component.service_price,
                    ),
                )
            )
        total_excl = round_money(sum(excl.values(), ZERO))
        total_incl = sum(incl.values(), ZERO) if has_vat else None
        rates = {run.component.vat for run in runs}
        clamped_excl, clamped_incl, clamped = _clamp(
            tariff, total_excl, total_incl, policy.quantum(currency), rates.pop() if len(rates) == 1 else None
        )
        if clamped_incl is not None:
            clamped_incl = round_money(clamped_incl)
        energy, charging, parking, reserved = _quantities(pieces)

        def sub(key: str) -> tuple[Decimal, Decimal | None]:
            return round_money(excl[key]), round_money(incl[key]) if has_vat else None

        fixed, energy_cost, time_cost, parking_cost, reservation_cost = (
            sub(k) for k in ("fixed", "energy", "time", "parking", "reservation")
        )
        return trusted(
            CdrCost,
            dict(
                currency=currency,
                total_excl_vat=round_money(clamped_excl),
                total_incl_vat=clamped_incl,
                fixed_excl_vat=fixed[0],
                energy_excl_vat=energy_cost[0],
                time_excl_vat=time_cost[0],
                parking_excl_vat=parking_cost[0],
                reservation_excl_vat=reservation_cost[0],
                fixed_incl_vat=fixed[1],
                energy_incl_vat=energy_cost[1],
                time_incl_vat=time_cost[1],
                parking_incl_vat=parking_cost[1],
                reservation_incl_vat=reservation_cost[1],
                total_energy_kwh=energy.quantize(MICRO_WH),
                total_time_hours=_hours(charging + parking),
                total_parking_time_hours=_hours(parking),
                total_reservation_time_hours=_hours(reserved),
                clamped=clamped,
                lines=tuple(cost_lines),
            ),
        )

    def _unpriced(
        self, periods: Sequence[ChargingPeriod], currency: str, start: datetime, end: datetime
    ) -> PricedSession:
        zero = self.policy.round(ZERO, currency)
        energy, charging, parking, reserved = _quantities(_pieces(periods, start, end, None, UTC_CLOCK))
        cost = CdrCost(
            currency=currency,
            total_excl_vat=zero,
            total_incl_vat=zero,
            fixed_excl_vat=zero,
            energy_excl_vat=zero,
            time_excl_vat=zero,
            parking_excl_vat=zero,
            reservation_excl_vat=zero,
            total_energy_kwh=energy.quantize(MICRO_WH),
            total_time_hours=_hours(charging + parking),
            total_parking_time_hours=_hours(parking),
            total_reservation_time_hours=_hours(reserved),
        )
        return PricedSession(cost=cost, periods=tuple(periods))


def _quantities(pieces: list[_Piece]) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """Energy (kWh) and charging, parking and reservation time (s) consumed, as the CDR reports them."""
    energy = charging = parking = reserved = ZERO
    for piece in pieces:
        energy += piece.energy
        if piece.kind == CHARGING:
            charging += piece.seconds
        elif piece.kind == PARKING:
            parking += piece.seconds
        else:
            reserved += piece.seconds
    return energy, charging, parking, reserved


HOURS_QUANTUM = Decimal("1e-10")


def _hours(seconds: Decimal) -> Decimal:
    """Seconds snapped to whole milliseconds (station timestamps mean no more), as hours."""
    return (seconds.quantize(MILLISECOND) / SECONDS_PER_HOUR).quantize(HOURS_QUANTUM)


def _clamp(
    tariff: Tariff, excl: Decimal, incl: Decimal | None, quantum: Decimal, single_rate: Decimal | None
) -> tuple[Decimal, Decimal | None, str | None]:
    """min_price/max_price bound the excl. and incl. totals independently (TA-13). Bounds finer than the
    currency's unit are rounded inwards (a min up, a max down) so the rounded total still respects them.
    A bound without an incl. value scales the incl. total by the same ratio as the excl. one, or applies
    the session's only VAT rate when the unbounded total was zero."""
    clamped = None
    new_excl = excl
    low, high = (
        _bound(tariff.min_price_excl_vat, quantum, up=True),
        _bound(tariff.max_price_excl_vat, quantum),
    )
    if low is not None and excl < low:
        new_excl, clamped = low, "min_price"
    if high is not None and excl > high:
        new_excl, clamped = high, "max_price"
    if incl is None:
        return new_excl, None, clamped
    new_incl = incl
    low, high = (
        _bound(tariff.min_price_incl_vat, quantum, up=True),
        _bound(tariff.max_price_incl_vat, quantum),
    )
    if low is not None and incl < low:
        new_incl, clamped = low, clamped or "min_price"
    elif high is not None and incl > high:
        new_incl, clamped = high, clamped or "max_price"
    elif new_excl != excl:
        bound = tariff.min_price_incl_vat if clamped == "min_price" else tariff.max_price_incl_vat
        if bound is None:
            if excl > 0:
                new_incl = incl * new_excl / excl
            else:
                new_incl = new_excl * (ONE + single_rate / HUNDRED) if single_rate is not None else new_excl
    return new_excl, new_incl, clamped


def _bound(value: Decimal | None, quantum: Decimal, up: bool = False) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(quantum, rounding=ROUND_CEILING if up else ROUND_FLOOR)


def _split_periods(pieces: list[_Piece]) -> tuple[ChargingPeriod, ...]:
    """The CDR's charging periods: one per piece, a new one at every cost-relevant moment (CD-09). A
    period keeps its tariff_id; the OCPI edge names the CDR's tariff where a period has none."""
    result: list[ChargingPeriod] = []
    for piece in pieces:
        source = piece.source
        if piece.whole:
            result.append(source)
            continue
        dimensions = []
        for d in source.dimensions:
            if d.type is DimensionType.ENERGY:
                dimensions.append(trusted(Dimension, {"type": d.type, "volume": piece.energy}))
            elif d.type in (DimensionType.TIME, DimensionType.PARKING_TIME, DimensionType.RESERVATION_TIME):
                dimensions.append(
                    trusted(Dimension, {"type": d.type, "volume": piece.seconds / SECONDS_PER_HOUR})
                )
            else:
                dimensions.append(d)
        result.append(
            trusted(
                ChargingPeriod,
                dict(
                    start_date_time=from_us(piece.start),
                    dimensions=tuple(dimensions),
                    tariff_id=source.tariff_id,
                ),
            )
        )
    return tuple(result)


UTC_CLOCK = LocalClock.of(ZoneInfo("UTC"))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("pricing_unknown_time_zone", time_zone=name)
        return ZoneInfo("UTC")
