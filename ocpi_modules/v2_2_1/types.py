"""OCPI 2.2.1 basic types (types.asciidoc) shared by the module mappings: DateTime, number, Price,
DisplayText and `Checker`, the never-raising validator behind every `check_*` (§20 lengths, §22 tolerances).

An adapter module: imports the core (errors), `ocpi_modules.common` and the standard library only.
`parse_datetime` is the transport's (§5 tolerances), re-exported so mappings import one module.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.core.errors import InvalidRequestError
from ocpi_modules.common.datetimes import parse_datetime as parse_datetime

NOT_AVAILABLE = "#NA"  # §5: only in a required string whose data truly cannot be obtained

# --- DateTime -----------------------------------------------------------------------------------------------


def to_datetime(value: Any, field: str) -> datetime:
    """`parse_datetime` for wire → core mapping: raises InvalidRequestError naming `field`."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if value is None:
        raise InvalidRequestError(f"{field}: missing", field=field)
    try:
        return parse_datetime(value)
    except ValueError:
        raise InvalidRequestError(f"{field}: not a DateTime: {value!r}", field=field) from None


def is_stale(stored_last_updated: Any, incoming_last_updated: Any) -> bool:
    """True when an incoming write is older than what is stored (CO-10: acknowledge, do not apply).
    Unparsable values never count as stale."""
    try:
        stored = to_datetime(stored_last_updated, "last_updated")
        incoming = to_datetime(incoming_last_updated, "last_updated")
    except InvalidRequestError:
        return False
    return incoming < stored


def latest(*values: Any) -> Any:
    """The newest of several wire `last_updated` values (strings or datetimes), keeping its original form;
    unparsable values lose against parsable ones."""
    best: Any = None
    best_at: datetime | None = None
    for value in values:
        if value is None:
            continue
        try:
            at = to_datetime(value, "last_updated")
        except InvalidRequestError:
            if best is None:
                best = value
            continue
        if best_at is None or at > best_at:
            best, best_at = value, at
    return best


# --- numbers, Price, DisplayText ----------------------------------------------------------------------


def to_decimal(value: Any, field: str) -> Decimal:
    """A JSON number (or numeric string) as Decimal; raises InvalidRequestError naming `field`."""
    if isinstance(value, bool) or value is None:
        raise InvalidRequestError(f"{field}: not a number: {value!r}", field=field)
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidRequestError(f"{field}: not a number: {value!r}", field=field) from None
    if not result.is_finite():
        raise InvalidRequestError(f"{field}: not a finite number", field=field)
    return result


def number(value: Decimal, places: int = 4) -> Decimal:
    """A Decimal fit for the wire: at most `places` decimals (§5 "number": 4 unless stated), no exponent."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):
        return value
    if exponent < -places:
        return value.quantize(Decimal(1).scaleb(-places))
    if exponent > 0:
        return value.quantize(Decimal(1))
    return value


def price(excl_vat: Decimal, incl_vat: Decimal | None = None) -> dict[str, Any]:
    """An OCPI Price object; `incl_vat` omitted when unknown (absent is not zero)."""
    result: dict[str, Any] = {"excl_vat": number(excl_vat)}
    if incl_vat is not None:
        result["incl_vat"] = number(incl_vat)
    return result


def display_text(text: str, language: str = "en") -> dict[str, str]:
    return {"language": language, "text": text[:512]}


def upper(value: Any) -> Any:
    """Enum values compare case-insensitively on the way in (§22.6)."""
    return value.upper() if isinstance(value, str) else value


# --- validation -------------------------------------------------------------------------------------

LATITUDE = re.compile(r"^-?[0-9]{1,2}\.[0-9]{5,7}$")
LONGITUDE = re.compile(r"^-?[0-9]{1,3}\.[0-9]{5,7}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NON_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")


class Checker:
    """Collects problems in one inbound object as `path: problem` strings; never raises (§22).

    Every method takes the object (or a nested dict) and a path prefix such as `evses[0]`."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, path: str, problem: str) -> None:
        self.problems.append(f"{path}: {problem}")

    @staticmethod
    def path(prefix: str, name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    def is_object(self, value: Any, path: str) -> bool:
        if not isinstance(value, Mapping):
            self.add(path or "object", "not a JSON object")
            return False
        return True

    def required(self, data: Mapping[str, Any], prefix: str, *names: str) -> None:
        for name in names:
            if data.get(name) is None:
                self.add(self.path(prefix, name), "required field missing")

    def cistring(self, data: Mapping[str, Any], prefix: str, name: str, length: int) -> None:
        """CiString(n): printable ASCII, at most n characters."""
        self._text(data, prefix, name, length, _NON_PRINTABLE_ASCII, "not printable ASCII")

    def string(self, data: Mapping[str, Any], prefix: str, name: str, length: int) -> None:
        """string(n): printable UTF-8 without control characters, at most n characters."""
        self._text(data, prefix, name, length, _CONTROL, "contains control characters")

    def _text(
        self,
        data: Mapping[str, Any],
        prefix: str,
        name: str,
        length: int,
        forbidden: re.Pattern[str],
        problem: str,
    ) -> None:
        value = data.get(name)
        if value is None:
            return
        path = self.path(prefix, name)
        if not isinstance(value, str):
            self.add(path, "not a string")
            return
        if len(value) > length:
            self.add(path, f"longer than {length} characters ({len(value)})")
        if forbidden.search(value):
            self.add(path, problem)

    def cistring_list(self, data: Mapping[str, Any], prefix: str, name: str, length: int) -> None:
        values = data.get(name)
        if values is None:
            return
        path = self.path(prefix, name)
        if not isinstance(values, list):
            self.add(path, "not a list")
            return
        for i, value in enumerate(values):
            item = f"{path}[{i}]"
            if not isinstance(value, str):
                self.add(item, "not a string")
            elif len(value) > length:
                self.add(item, f"longer than {length} characters ({len(value)})")

    def enum(self, data: Mapping[str, Any], prefix: str, name: str, allowed: Collection[str]) -> None:
        value = data.get(name)
        if value is None:
            return
        self.enum_value(value, self.path(prefix, name), allowed)

    def enum_value(self, value: Any, path: str, allowed: Collection[str]) -> None:
        if not isinstance(value, str) or value not in allowed:
            self.add(path, f"not a valid value: {value!r}")

    def enum_list(self, data: Mapping[str, Any], prefix: str, name: str, allowed: Collection[str]) -> None:
        values = data.get(name)
        if values is None:
            return
        path = self.path(prefix, name)
        if not isinstance(values, list):
            self.add(path, "not a list")
            return
        for i, value in enumerate(values):
            self.enum_value(value, f"{path}[{i}]", allowed)

    def datetime(self, data: Mapping[str, Any], prefix: str, name: str) -> None:
        value = data.get(name)
        if value is None or isinstance(value, datetime):
            return
        path = self.path(prefix, name)
        if not isinstance(value, str):
            self.add(path, "not a DateTime string")
            return
        try:
            parse_datetime(value)
        except ValueError:
            self.add(path, f"not an RFC 3339 DateTime: {value!r}")
            return
        if len(value) > 25:
            self.add(path, f"longer than 25 characters ({len(value)})")

    def number(
        self, data: Mapping[str, Any], prefix: str, name: str, *, minimum: Decimal | None = None
    ) -> None:
        value = data.get(name)
        if value is None:
            return
        path = self.path(prefix, name)
        if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
            self.add(path, f"not a number: {value!r}")
            return
        if minimum is not None and Decimal(str(value)) < minimum:
            self.add(path, f"less than {minimum}")

    def integer(self, data: Mapping[str, Any], prefix: str, name: str) -> None:
        value = data.get(name)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(self.path(prefix, name), f"not an integer: {value!r}")

    def boolean(self, data: Mapping[str, Any], prefix: str, name: str) -> None:
        value = data.get(name)
        if value is not None and not isinstance(value, bool):
            self.add(self.path(prefix, name), f"not a boolean: {value!r}")

    def price(self, data: Mapping[str, Any], prefix: str, name: str) -> None:
        value = data.get(name)
        if value is None:
            return
        path = self.path(prefix, name)
        if not self.is_object(value, path):
            return
        self.required(value, path, "excl_vat")
        self.number(value, path, "excl_vat")
        self.number(value, path, "incl_vat")

    def display_texts(self, data: Mapping[str, Any], prefix: str, name: str) -> None:
        values = data.get(name)
        if values is None:
            return
        path = self.path(prefix, name)
        if not isinstance(values, list):
            self.add(path, "not a list")
            return
        for i, value in enumerate(values):
            self.display_text(value, f"{path}[{i}]")

    def display_text(self, value: Any, path: str) -> None:
        if not self.is_object(value, path):
            return
        self.required(value, path, "language", "text")
        self.string(value, path, "language", 2)
        self.string(value, path, "text", 512)

    def party(self, data: Mapping[str, Any], prefix: str = "") -> None:
        """country_code CiString(2) and party_id CiString(3), both required (§20)."""
        self.required(data, prefix, "country_code", "party_id")
        self.cistring(data, prefix, "country_code", 2)
        self.cistring(data, prefix, "party_id", 3)

    def objects(self, data: Mapping[str, Any], prefix: str, name: str) -> list[tuple[str, Mapping[str, Any]]]:
        """The dict items of a list field with their paths; problems recorded for a non-list or non-dict."""
        values = data.get(name)
        if values is None:
            return []
        path = self.path(prefix, name)
        if not isinstance(values, list):
            self.add(path, "not a list")
            return []
        found = []
        for i, value in enumerate(values):
            item_path = f"{path}[{i}]"
            if self.is_object(value, item_path):
                found.append((item_path, value))
        return found
