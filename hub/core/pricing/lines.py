"""Cost lines of the tariff engine: the element chosen per dimension at each piece (TA-07, memoised per
band of the restricted values), runs of pieces billed by one component, FLAT once per session (TA-16), and
step_size once per session on the billed total (TA-10/TA-11).

Imports the standard library and the core only.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from decimal import Decimal

from hub.core.models import CostDimension, PriceComponent, PriceComponentType
from hub.core.pricing.compiled import CompiledElement, CompiledTariff, Moment
from hub.core.pricing.pieces import CHARGING, PARKING, RESERVATION, ZERO, Piece
from hub.core.pricing.timezones import LocalClock

ONE = Decimal(1)
THOUSAND = Decimal(1000)
MILLISECOND = Decimal("0.001")
MICRO_WH = Decimal("0.000001")
_FLAT, _ENERGY, _TIME, _PARKING = (
    PriceComponentType.FLAT,
    PriceComponentType.ENERGY,
    PriceComponentType.TIME,
    PriceComponentType.PARKING_TIME,
)


class Run:
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


def choices(
    ct: CompiledTariff, piece: Piece, clock: LocalClock, start_us: int, expired: bool
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


class Lines:
    """Collects runs per dimension; a piece with another component (or none) ends the dimension's run."""

    def __init__(self) -> None:
        self.runs: list[Run] = []
        self.open: dict[CostDimension, Run | None] = {}
        self.fees: dict[tuple[CostDimension, int], Run] = {}

    def add(
        self, dimension: CostDimension, element: CompiledElement | None, kind: PriceComponentType,
        piece: Piece, quantity: Decimal,
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
            run = Run(dimension, element.index, element.components[kind], piece.start, piece.end)
            self.runs.append(run)
            self.open[dimension] = run
        run.end = piece.end
        run.consumed += quantity

    def fee(self, dimension: CostDimension, element: CompiledElement | None, piece: Piece) -> None:
        """FLAT: each component selected at some moment is billed once per session (TA-16)."""
        if element is None or (dimension, element.index) in self.fees:
            return
        run = Run(dimension, element.index, element.components[_FLAT], piece.start, piece.start)
        run.consumed = ONE
        self.fees[(dimension, element.index)] = run
        self.runs.append(run)


def select(pieces: list[Piece], ct: CompiledTariff, clock: LocalClock, start_us: int, expired: bool) -> Lines:
    lines = Lines()
    for piece in pieces:
        chosen = choices(ct, piece, clock, start_us, expired)
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


def apply_steps(runs: list[Run]) -> None:
    """TA-10/TA-11: once per session on the billed total, with the last line's step_size; the surplus is
    billed on the last line. Charging time is rounded only when no parking is priced."""
    by_dimension: dict[CostDimension, list[Run]] = {}
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
