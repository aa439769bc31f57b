"""Builders and hypothesis strategies for the tariff engine's tests: price components, elements and tariffs
with keyword overrides, sessions laid out as charging periods on a local clock, and a reference reading of
restrictions at one moment (TA-08) that the first-match property compares the engine against."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import assume
from hypothesis import strategies as st

from hub.core.errors import InvalidRequestError
from hub.core.models import (
    ChargingPeriod,
    Dimension,
    DimensionType,
    PartyRef,
    PriceComponent,
    PriceComponentType,
    PricedSession,
    Tariff,
    TariffElement,
)
from hub.core.pricing import DEFAULT_ROUNDING, RoundingPolicy, TariffEngine, validate_tariff

ZONE = "Europe/Berlin"  # the OCPI examples are German tariffs (DE*ALL)
CPO = PartyRef.parse("DE*ALL")
UPDATED = datetime(2026, 1, 1, tzinfo=UTC)
ENERGY, FLAT, TIME, PARKING = (
    PriceComponentType.ENERGY,
    PriceComponentType.FLAT,
    PriceComponentType.TIME,
    PriceComponentType.PARKING_TIME,
)
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
EXACT = RoundingPolicy(scope="total", places=6)  # lines unrounded, totals to 6 places


# ---------------------------------------------------------------------------------------------- tariffs


def component(
    kind: PriceComponentType, price: str | Decimal, vat: str | int | Decimal | None = None, step: int = 1
) -> PriceComponent:
    return PriceComponent(
        type=kind, price=Decimal(price), vat=None if vat is None else Decimal(vat), step_size=step
    )


def flat(price: str, vat: str | int | None = None) -> PriceComponent:
    return component(FLAT, price, vat)


def energy(price: str, vat: str | int | None = None, step: int = 1) -> PriceComponent:
    return component(ENERGY, price, vat, step)


def time(price: str, vat: str | int | None = None, step: int = 1) -> PriceComponent:
    return component(TIME, price, vat, step)


def parking(price: str, vat: str | int | None = None, step: int = 1) -> PriceComponent:
    return component(PARKING, price, vat, step)


def element(*components: PriceComponent, **restrictions: Any) -> TariffElement:
    return TariffElement(price_components=components, restrictions=restrictions or None)


def a_tariff(*elements: TariffElement | PriceComponent, **overrides: Any) -> Tariff:
    """A tariff of these elements (a bare component becomes an unrestricted element of its own)."""
    built = tuple(e if isinstance(e, TariffElement) else element(e) for e in elements)
    values: dict[str, Any] = {
        "id": "T1",
        "party": CPO,
        "currency": "EUR",
        "elements": built,
        "last_updated": UPDATED,
    }
    values.update(overrides)
    return Tariff(**values)


# ---------------------------------------------------------------------------------------------- sessions


def hours(seconds: int | float | Decimal) -> Decimal:
    return Decimal(seconds) / 3600


@dataclass
class Timeline:
    """A session built forwards in time: each call appends one charging period of that kind."""

    start: datetime
    zone: str = ZONE
    periods: list[ChargingPeriod] = field(default_factory=list)
    cursor: datetime | None = None

    @property
    def end(self) -> datetime:
        return self.cursor or self.start

    def _add(self, seconds: float, dimensions: list[Dimension]) -> Timeline:
        self.periods.append(ChargingPeriod(start_date_time=self.end, dimensions=tuple(dimensions)))
        self.cursor = self.end + timedelta(seconds=seconds)
        return self

    def charge(
        self,
        minutes: float = 0,
        kwh: str | Decimal = "0",
        *,
        seconds: float = 0,
        max_current: str | Decimal | None = None,
        max_power: str | Decimal | None = None,
        volumes: bool = True,
    ) -> Timeline:
        """Charging with ENERGY and (unless `volumes` is False) TIME volumes; optional MAX_* values."""
        length = minutes * 60 + seconds
        dims = [Dimension(type=DimensionType.ENERGY, volume=Decimal(kwh))]
        if volumes:
            dims.append(Dimension(type=DimensionType.TIME, volume=hours(Decimal(str(length)))))
        if max_current is not None:
            dims.append(Dimension(type=DimensionType.MAX_CURRENT, volume=Decimal(max_current)))
        if max_power is not None:
            dims.append(Dimension(type=DimensionType.MAX_POWER, volume=Decimal(max_power)))
        return self._add(length, dims)

    def park(self, minutes: float = 0, *, seconds: float = 0) -> Timeline:
        length = minutes * 60 + seconds
        return self._add(
            length, [Dimension(type=DimensionType.PARKING_TIME, volume=hours(Decimal(str(length))))]
        )

    def reserve(self, minutes: float) -> Timeline:
        length = minutes * 60
        return self._add(
            length, [Dimension(type=DimensionType.RESERVATION_TIME, volume=hours(Decimal(str(length))))]
        )


def starting(local: str, zone: str = ZONE) -> Timeline:
    """A session starting at this local wall-clock time (`2026-01-05 09:30`) in `zone`."""
    moment = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    return Timeline(start=moment, zone=zone)


def price(
    tariff: Tariff | None,
    session: Timeline,
    *,
    policy: RoundingPolicy = DEFAULT_ROUNDING,
    expired: bool | None = None,
    periods: list[ChargingPeriod] | None = None,
) -> PricedSession:
    return TariffEngine(policy=policy).price_periods(
        tariff,
        session.periods if periods is None else periods,
        start=session.start,
        end=session.end,
        time_zone=session.zone,
        reservation_expired=expired,
    )


# ---------------------------------------------------------------------------------------------- reference


def restrictions_hold(
    restrictions: dict[str, Any] | None,
    local: datetime,
    elapsed_s: float,
    kwh: Decimal,
    current: Decimal | None,
    power: Decimal | None,
) -> bool:
    """TA-08 read literally at one moment: start inclusive, end exclusive; a time window whose end is not
    after its start wraps past midnight and "00:00" as an end is the end of the day; an unknown current
    or power satisfies no bound on it."""
    r = {k: v for k, v in (restrictions or {}).items() if v is not None and k != "reservation"}
    minute = local.hour * 60 + local.minute + local.second / 60
    if "start_time" in r or "end_time" in r:
        begin = _minutes(r.get("start_time", "00:00"))
        finish = _minutes(r.get("end_time", "00:00")) or 24 * 60
        inside = begin <= minute < finish if begin < finish else not finish <= minute < begin
        if not inside:
            return False
    day = local.date()
    if "start_date" in r and day < date.fromisoformat(r["start_date"]):
        return False
    if "end_date" in r and day >= date.fromisoformat(r["end_date"]):
        return False
    if "day_of_week" in r and WEEKDAYS[day.weekday()] not in r["day_of_week"]:
        return False
    for value, low, high in (
        (kwh, "min_kwh", "max_kwh"),
        (Decimal(str(elapsed_s)), "min_duration", "max_duration"),
        (current, "min_current", "max_current"),
        (power, "min_power", "max_power"),
    ):
        if low in r and (value is None or value < Decimal(str(r[low]))):
            return False
        if high in r and (value is None or value >= Decimal(str(r[high]))):
            return False
    return True


def _minutes(text: str) -> int:
    hh, mm = text.split(":")
    return int(hh) * 60 + int(mm)


def first_match(tariff: Tariff, kind: PriceComponentType, reservation: bool, **moment: Any) -> int | None:
    """TA-07: the index of the first element with a component of `kind` whose restrictions all hold."""
    for index, candidate in enumerate(tariff.elements):
        is_reservation = (candidate.restrictions or {}).get("reservation") is not None
        if is_reservation != reservation:
            continue
        if any(c.type is kind for c in candidate.price_components) and restrictions_hold(
            candidate.restrictions, **moment
        ):
            return index
    return None


# ---------------------------------------------------------------------------------------------- strategies

DIMENSION_KEYS = frozenset({"min_kwh", "max_kwh", "min_power", "max_power", "min_current", "max_current"})
prices = st.integers(0, 600).map(lambda cents: Decimal(cents) / 100) | st.sampled_from(
    [Decimal("0.2345"), Decimal("1.9999"), Decimal("0.0001")]
)
vats = st.sampled_from([None, None, Decimal(0), Decimal("5.2"), Decimal(10), Decimal(19), Decimal(20)])
STEPS = {
    FLAT: st.just(1),
    ENERGY: st.sampled_from([0, 1, 1, 25, 100, 500, 1000]),
    TIME: st.sampled_from([0, 1, 1, 60, 300, 900, 1800]),
    PARKING: st.sampled_from([0, 1, 60, 300, 900]),
}
ZERO_STEPS = {kind: st.just(0) for kind in STEPS}


def hh_mm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def bounds(draw: st.DrawFn, low: str, high: str, values: st.SearchStrategy[Any]) -> dict[str, Any]:
    """Either, both (low < high) or none of a min/max restriction pair."""
    picked = sorted(set(draw(st.lists(values, min_size=0, max_size=2))))
    which = draw(st.sampled_from(["low", "high", "both"]))
    if len(picked) == 2 and which == "both":
        return {low: picked[0], high: picked[1]}
    if picked:
        return {low if which != "high" else high: picked[0]}
    return {}


@st.composite
def restrictions(draw: st.DrawFn, dimensions: bool = True, dates: bool = True) -> dict[str, Any] | None:
    """OCPI restrictions with whole-minute time boundaries (so cuts fall on whole minutes of local time and
    of elapsed time); `dimensions=False` leaves out kWh, power and current."""
    result: dict[str, Any] = {}
    if draw(st.booleans()):
        begin, finish = draw(st.integers(0, 1439)), draw(st.integers(0, 1439))
        if begin != finish:
            result["start_time"], result["end_time"] = hh_mm(begin), hh_mm(finish)
    if draw(st.integers(0, 3)) == 0:
        result["day_of_week"] = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=5, unique=True))
    result.update(draw(bounds("min_duration", "max_duration", st.integers(0, 360).map(lambda m: m * 60))))
    if dates and draw(st.integers(0, 4)) == 0:
        day = draw(st.dates(date(2025, 12, 20), date(2026, 3, 31)))
        result[draw(st.sampled_from(["start_date", "end_date"]))] = day.isoformat()
    if dimensions:
        result.update(draw(bounds("min_kwh", "max_kwh", st.integers(0, 60).map(Decimal))))
        if draw(st.booleans()):
            result.update(draw(bounds("min_power", "max_power", st.integers(0, 150).map(Decimal))))
        else:
            result.update(draw(bounds("min_current", "max_current", st.integers(0, 64).map(Decimal))))
    return result or None


@st.composite
def tariffs(
    draw: st.DrawFn,
    dimensions: bool = True,
    steps: dict[PriceComponentType, st.SearchStrategy[int]] = STEPS,
    kinds: tuple[PriceComponentType, ...] = (FLAT, ENERGY, TIME, PARKING),
    price_bounds: bool = True,
) -> Tariff:
    """1-4 elements of random components and restrictions, often ending with an unrestricted default."""
    elements = []
    for _ in range(draw(st.integers(1, 4))):
        types = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=len(kinds), unique=True))
        components = tuple(
            PriceComponent(type=t, price=draw(prices), vat=draw(vats), step_size=draw(steps[t]))
            for t in types
        )
        elements.append(
            TariffElement(price_components=components, restrictions=draw(restrictions(dimensions)))
        )
    if draw(st.booleans()):
        types = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=len(kinds), unique=True))
        components = tuple(
            PriceComponent(type=t, price=draw(prices), vat=draw(vats), step_size=draw(steps[t]))
            for t in types
        )
        elements.append(TariffElement(price_components=components))
    extra: dict[str, Any] = {}
    if price_bounds and draw(st.integers(0, 3)) == 0:
        low, high = sorted(draw(st.lists(prices, min_size=2, max_size=2)))
        extra = draw(
            st.sampled_from(
                [
                    {"min_price_excl_vat": low},
                    {"max_price_excl_vat": high},
                    {"min_price_excl_vat": low, "max_price_excl_vat": high},
                    {"min_price_excl_vat": low, "min_price_incl_vat": low * Decimal("1.1")},
                    {"max_price_excl_vat": high, "max_price_incl_vat": high * Decimal("1.2")},
                ]
            )
        )
    tariff = a_tariff(*elements, **extra)
    try:
        validate_tariff(tariff)
    except InvalidRequestError:  # identical restrictions pricing one dimension twice: draw again
        assume(False)
    return tariff


@st.composite
def sessions(draw: st.DrawFn, tail_seconds: int | None = None, power: bool = False) -> Timeline:
    """1-6 charging or parking periods of whole minutes from a whole local minute in winter, spring or
    across a DST switch; `tail_seconds` appends a final charging period that short (inside one minute,
    so no restriction can change in it). `power` adds MAX_CURRENT/MAX_POWER to charging periods."""
    day = draw(st.dates(date(2026, 1, 1), date(2026, 4, 5)))
    minute = draw(st.integers(0, 1439))
    timeline = starting(
        f"{day.isoformat()} {hh_mm(minute)}", draw(st.sampled_from([ZONE, "UTC", "Asia/Shanghai"]))
    )
    for _ in range(draw(st.integers(1, 6))):
        length = draw(st.integers(1, 240))
        if draw(st.integers(0, 3)) == 0:
            timeline.park(length)
        else:
            kwh = Decimal(draw(st.integers(0, 60_000))) / 1000
            current, kw = _power(draw, power)
            timeline.charge(length, kwh, max_current=current, max_power=kw)
    if tail_seconds is not None:
        kwh = Decimal(draw(st.integers(0, 500))) / 1000
        current, kw = _power(draw, power)
        timeline.charge(seconds=tail_seconds, kwh=kwh, max_current=current, max_power=kw)
    return timeline


def _power(draw: st.DrawFn, power: bool) -> tuple[Decimal | None, Decimal | None]:
    if not power:
        return None, None
    return Decimal(draw(st.integers(0, 64))), Decimal(draw(st.integers(0, 150)))
