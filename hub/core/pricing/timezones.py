"""Local time for tariff restrictions (TA-08): a UTC instant in microseconds to the location's second of
day and date, and the instants inside a span where the local time of day crosses given values.

UTC offsets are cached per quarter hour of UTC time: every zone's transitions since 1972 fall on quarter
hours. Imports the standard library only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

US = 1_000_000
DAY_S = 86_400
DAY_US = DAY_S * US
BUCKET_US = 900 * US
_CACHE_LIMIT = 200_000


class LocalClock:
    _clocks: dict[str, LocalClock] = {}  # noqa: RUF012 - a process-wide registry, one clock per zone

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._offsets: dict[int, int] = {}

    @classmethod
    def of(cls, zone: ZoneInfo) -> LocalClock:
        clock = cls._clocks.get(zone.key)
        if clock is None:
            clock = cls._clocks[zone.key] = cls(zone)
        return clock

    def offset(self, us: int) -> int:
        """The zone's UTC offset at this instant, in microseconds."""
        bucket = us // BUCKET_US
        offset = self._offsets.get(bucket)
        if offset is None:
            moment = datetime.fromtimestamp(bucket * 900, UTC).astimezone(self.zone)
            delta = moment.utcoffset()
            offset = 0 if delta is None else (delta.days * DAY_S + delta.seconds) * US
            if len(self._offsets) >= _CACHE_LIMIT:
                self._offsets.clear()
            self._offsets[bucket] = offset
        return offset

    def local(self, us: int) -> tuple[int, int]:
        """(second of the local day, local date as days since 1970-01-01)."""
        local = us + self.offset(us)
        return (local // US) % DAY_S, local // DAY_US

    def day_cuts(self, start: int, end: int, seconds_of_day: tuple[int, ...]) -> list[int]:
        """Instants in (start, end) where the local time of day is one of `seconds_of_day`, plus any UTC
        offset change (a DST switch moves the local time)."""
        cuts: list[int] = []
        first = self.offset(start)
        spans = [(start, end, first)]
        if self.offset(end - 1) != first:
            spans = []
            lo = start
            bucket = start // BUCKET_US + 1
            offset = first
            while bucket * BUCKET_US < end:
                t = bucket * BUCKET_US
                now = self.offset(t)
                if now != offset:
                    spans.append((lo, t, offset))
                    cuts.append(t)
                    lo, offset = t, now
                bucket += 1
            spans.append((lo, end, offset))
        for lo, hi, offset in spans:
            local_lo, local_hi = lo + offset, hi + offset
            day = local_lo // DAY_US
            while day * DAY_US < local_hi:
                base = day * DAY_US
                for second in seconds_of_day:
                    t = base + second * US
                    if local_lo < t < local_hi:
                        cuts.append(t - offset)
                day += 1
        cuts.sort()
        return cuts
