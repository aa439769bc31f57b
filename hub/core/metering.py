"""Energy readings and charging periods: turns a station's meter samples into a session's kWh and its
OCPI-style charging periods (charging = ENERGY + TIME, not charging = PARKING_TIME).

Pure functions over core models. Imports the standard library, structlog and the core only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import structlog

from hub.core.models import ChargingPeriod, Dimension, DimensionType, MeterSample, Session

log = structlog.get_logger(__name__)

ENERGY_REGISTER = "Energy.Active.Import.Register"
# Beyond this average power between two readings a register jump is a station fault (e.g. a counter
# overflow after a firmware update), not energy: the reading is ignored with a log line.
MAX_PLAUSIBLE_POWER_W = Decimal(4_000_000)
MIN_PLAUSIBILITY_WINDOW_H = Decimal(1) / 60  # readings seconds apart may carry a minute's worth of energy
MAX_REGISTER_WH = Decimal(10) ** 13
HOURS_QUANTUM = Decimal(
    "1e-10"
)  # 0.36 µs: a recovered period end rounds back to the exact µs (`periods_end`)
_UNIT_FACTORS = {"WH": Decimal(1), "KWH": Decimal(1000), "MWH": Decimal(1_000_000)}
ZERO = Decimal(0)


@dataclass(frozen=True)
class Reading:
    """The energy register at one moment, in Wh."""

    timestamp: datetime
    wh: Decimal


def to_wh(value: Decimal, unit: str | None) -> Decimal | None:
    """Normalise an energy value to Wh; the OCPP default unit is Wh. None for a unit that is not energy."""
    factor = _UNIT_FACTORS.get((unit or "Wh").strip().upper())
    return None if factor is None else value * factor


def energy_readings(samples: Iterable[MeterSample]) -> list[Reading]:
    """Register readings, oldest first: the phase-less total where a station sent one, else the sum of its
    phases at that moment."""
    totals: dict[datetime, Decimal] = {}
    phases: dict[datetime, Decimal] = defaultdict(Decimal)
    for sample in samples:
        if sample.measurand != ENERGY_REGISTER:
            continue
        wh = to_wh(sample.value, sample.unit)
        if wh is None:
            log.warning("meter_unit_ignored", unit=sample.unit)
            continue
        if sample.phase is None:
            totals[sample.timestamp] = wh
        else:
            phases[sample.timestamp] += wh
    for moment, wh in phases.items():
        totals.setdefault(moment, wh)
    return [Reading(moment, wh) for moment, wh in sorted(totals.items())]


def _hours(delta: timedelta) -> Decimal:
    micro = Decimal(delta // timedelta(microseconds=1))
    return (micro / Decimal(3_600_000_000)).quantize(HOURS_QUANTUM, rounding=ROUND_HALF_UP)


def _is_parking(period: ChargingPeriod) -> bool:
    return any(d.type is DimensionType.PARKING_TIME for d in period.dimensions)


def _volume(period: ChargingPeriod, kind: DimensionType) -> Decimal:
    return sum((d.volume for d in period.dimensions if d.type is kind), ZERO)


def periods_end(session: Session) -> datetime:
    """Where the last period ends (= the last reading's time), or the session start.

    Each extension adds the quantised time since this recovered end, so the recovered end never drifts
    more than one quantum from the true last reading."""
    if not session.charging_periods:
        return session.start
    last = session.charging_periods[-1]
    hours = _volume(last, DimensionType.PARKING_TIME if _is_parking(last) else DimensionType.TIME)
    micro = int((hours * Decimal(3_600_000_000)).to_integral_value(rounding=ROUND_HALF_UP))
    return last.start_date_time + timedelta(microseconds=micro)


def _period(
    start: datetime, parking: bool, kwh: Decimal, hours: Decimal, tariff_id: str | None
) -> ChargingPeriod:
    if parking:
        dimensions: tuple[Dimension, ...] = (Dimension(type=DimensionType.PARKING_TIME, volume=hours),)
    else:
        dimensions = (
            Dimension(type=DimensionType.ENERGY, volume=kwh),
            Dimension(type=DimensionType.TIME, volume=hours),
        )
    return ChargingPeriod(start_date_time=start, dimensions=dimensions, tariff_id=tariff_id)


def apply_reading(session: Session, reading: Reading, charging: bool | None = None) -> Session:
    """Account one register reading: kWh since the meter start (never decreasing) and the charging periods.

    `charging` is the station's own charging state when it reports one (2.0.1 chargingState); otherwise an
    interval with energy is charging and one without is parking."""
    if reading.wh < 0 or reading.wh > MAX_REGISTER_WH:
        log.warning("meter_reading_absurd", session_id=session.id, wh=str(reading.wh))
        return session
    if session.meter_start_wh is None:
        return session.model_copy(update={"meter_start_wh": reading.wh, "meter_last_wh": reading.wh})
    last_wh = session.meter_last_wh if session.meter_last_wh is not None else session.meter_start_wh
    last_t = periods_end(session)
    if reading.timestamp < last_t:
        if reading.wh != last_wh:
            log.info(
                "meter_reading_out_of_order", session_id=session.id, timestamp=reading.timestamp.isoformat()
            )
        return session
    delta = reading.wh - last_wh
    hours = _hours(reading.timestamp - last_t)
    if delta < 0:
        log.warning("meter_register_decreased", session_id=session.id, delta_wh=str(delta))
        return session
    if delta > MAX_PLAUSIBLE_POWER_W * max(hours, MIN_PLAUSIBILITY_WINDOW_H):
        log.warning("meter_delta_absurd", session_id=session.id, delta_wh=str(delta), hours=str(hours))
        return session
    parking = not (delta > 0 or charging is True)
    kwh_delta = delta / 1000
    periods = list(session.charging_periods)
    if periods and _is_parking(periods[-1]) == parking:
        last = periods[-1]
        periods[-1] = _period(
            last.start_date_time,
            parking,
            _volume(last, DimensionType.ENERGY) + kwh_delta,
            _volume(last, DimensionType.PARKING_TIME if parking else DimensionType.TIME) + hours,
            last.tariff_id,
        )
    elif hours > 0 or delta > 0:
        periods.append(_period(last_t, parking, kwh_delta, hours, session.tariff_id))
    kwh = max(session.kwh, (reading.wh - session.meter_start_wh) / 1000)
    return session.model_copy(
        update={"meter_last_wh": reading.wh, "kwh": kwh, "charging_periods": tuple(periods)}
    )


def close_periods(session: Session, end: datetime) -> Session:
    """Extend the periods to the session's end; a session always ends with at least one period (a CDR needs
    one, OCPI CD-04)."""
    periods = list(session.charging_periods)
    last_t = periods_end(session)
    if periods and end > last_t:
        last = periods[-1]
        parking = _is_parking(last)
        periods[-1] = _period(
            last.start_date_time,
            parking,
            _volume(last, DimensionType.ENERGY),
            _volume(last, DimensionType.PARKING_TIME if parking else DimensionType.TIME)
            + _hours(end - last_t),
            last.tariff_id,
        )
    elif not periods:
        periods.append(
            _period(
                session.start,
                False,
                session.kwh,
                _hours(max(end - session.start, timedelta())),
                session.tariff_id,
            )
        )
    return session.model_copy(update={"charging_periods": tuple(periods)})
