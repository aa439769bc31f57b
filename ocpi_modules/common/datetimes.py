"""OCPI DateTime: parse permissively, emit strictly (`2025-01-31T12:00:00Z`, checklist §5 and §22.3).

Imports the standard library only.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_DATETIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"[Tt](?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})"
    r"(?:\.(?P<fraction>\d{1,9}))?"
    r"(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?",
    re.ASCII,
)


def parse_datetime(text: str) -> datetime:
    """An aware UTC datetime from an OCPI DateTime.

    Accepts `Z`, `+00:00`, other offsets (converted to UTC), no designator (= UTC) and 0–9 fraction digits
    (beyond microseconds truncated). Raises ValueError on anything else, including non-strings.
    """
    if not isinstance(text, str):
        raise ValueError(f"DateTime must be a string, got {type(text).__name__}")
    match = _DATETIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an OCPI DateTime: {text!r}")
    fraction = (match["fraction"] or "").ljust(6, "0")[:6]
    zone = match["zone"]
    tz: timezone = UTC
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            raise ValueError(f"invalid UTC offset in {text!r}")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        parsed = datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"]),
            int(fraction),
            tzinfo=tz,
        )
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not an OCPI DateTime: {text!r}") from exc


def format_datetime(dt: datetime) -> str:
    """`2025-01-31T12:00:00Z`, with `.fff` milliseconds only when non-zero; naive datetimes count as UTC.

    Sub-millisecond digits are truncated (OCPI DateTime is string(25)); never `+00:00`, never a space.
    """
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if len(text) != 19:  # years before 1000 are not zero-padded by every platform's strftime
        text = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    millis = dt.microsecond // 1000
    if millis:
        text += f".{millis:03d}"
    return text + "Z"
