"""Charging periods as the tariff engine reads them: each one's kind (charging, parking, reservation) and
quantities, split into pieces at every instant where a restriction of the tariff can change (CD-09), and
the CDR's periods rebuilt from those pieces.

Imports the standard library and the core only.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from hub.core.models import ChargingPeriod, Dimension, DimensionType, trusted
from hub.core.pricing.compiled import US, CompiledTariff, from_us
from hub.core.pricing.timezones import LocalClock

ZERO = Decimal(0)
SECONDS_PER_HOUR = Decimal(3600)
US_PER_SECOND = Decimal(US)

CHARGING, PARKING, RESERVATION = 0, 1, 2
_D_ENERGY, _D_TIME, _D_PARKING, _D_RESERVATION = (
    DimensionType.ENERGY,
    DimensionType.TIME,
    DimensionType.PARKING_TIME,
    DimensionType.RESERVATION_TIME,
)


class Piece:
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


def kind_of(time: Decimal | None, parked: Decimal | None, reserved: Decimal | None) -> int:
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


def first_volume(period: ChargingPeriod, *kinds: DimensionType) -> Decimal | None:
    for kind in kinds:
        for d in period.dimensions:
            if d.type is kind:
                return d.volume
    return None


def epoch_us(moment: datetime) -> int:
    """Microseconds since the epoch; a float timestamp is exact to the microsecond until the year 2255."""
    return round(moment.timestamp() * US)


def split_pieces(
    periods: Sequence[ChargingPeriod],
    start: datetime,
    end: datetime,
    ct: CompiledTariff | None,
    clock: LocalClock,
) -> list[Piece]:
    """The periods with their quantities, split at every moment where some restriction of the tariff can
    change (no tariff: not split)."""
    start_us = epoch_us(start)
    end_us = epoch_us(end)
    bounds = [epoch_us(p.start_date_time) for p in periods]
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
    pieces: list[Piece] = []
    kwh = ZERO
    for i, period in enumerate(periods):
        s, e = bounds[i], max(bounds[i + 1], bounds[i])
        energy = ZERO
        time = parked = reserved = None
        for d in period.dimensions:
            measured = d.type
            if measured is _D_ENERGY:
                energy += d.volume
            elif measured is _D_TIME:
                time = d.volume
            elif measured is _D_PARKING:
                parked = d.volume
            elif measured is _D_RESERVATION:
                reserved = d.volume
        kind = CHARGING if parked is None and reserved is None else kind_of(time, parked, reserved)
        hours = time if kind == CHARGING else parked if kind == PARKING else reserved
        seconds = (hours * SECONDS_PER_HOUR) if hours is not None else Decimal(e - s) / US_PER_SECOND
        current = power = None
        if has_power:
            if kind == CHARGING:
                current = first_volume(
                    period, DimensionType.MAX_CURRENT, DimensionType.CURRENT, DimensionType.MIN_CURRENT
                )
                power = first_volume(
                    period, DimensionType.MAX_POWER, DimensionType.POWER, DimensionType.MIN_POWER
                )
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
            pieces.append(Piece(s, e, kind, energy, seconds, kwh, current, power, period, True))
        else:
            span = Decimal(e - s)
            previous_t, previous_kwh, previous_sec = s, ZERO, ZERO
            for t, at_kwh in [*cuts, (e, energy)]:
                done_kwh = at_kwh if at_kwh is not None else energy * Decimal(t - s) / span
                done_sec = seconds if t == e else seconds * Decimal(t - s) / span
                pieces.append(
                    Piece(
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


def quantities(pieces: list[Piece]) -> tuple[Decimal, Decimal, Decimal, Decimal]:
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


def split_periods(pieces: list[Piece]) -> tuple[ChargingPeriod, ...]:
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
