"""OCPI 2.2.1 Tariff objects ↔ core tariffs (mod_tariffs.asciidoc): `to_core_tariff`, `from_core_tariff` and
the never-raising validator `check_tariff`. Our own tariff files may add `service_price` to ENERGY components
(the 互联互通 SevicePrice part of the price); it is read, never published.

An adapter module: imports the core and the sibling `types` module only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hub.core.errors import InvalidRequestError
from hub.core.models import PartyRef, PriceComponent, PriceComponentType, Tariff, TariffElement
from ocpi_modules.v2_2_1.types import Checker, number, parse_datetime, price, to_datetime, to_decimal

TARIFF_TYPES = frozenset({"AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN", "REGULAR"})
TARIFF_DIMENSIONS = frozenset(t.value for t in PriceComponentType)
DAYS_OF_WEEK = frozenset({"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"})
RESERVATION_RESTRICTIONS = frozenset({"RESERVATION", "RESERVATION_EXPIRES"})


def parse_ocpi_datetime(value: str) -> datetime:
    """An OCPI DateTime as an aware UTC datetime (§5 tolerances); raises ValueError."""
    return parse_datetime(value)


def _decimal(value: Any, field: str) -> Decimal:
    return to_decimal(value, field)


def _step_size(value: Any, field: str) -> int:
    """A missing step_size reads as 1; 0 is accepted and means "no rounding" (TA-12, the errata's reading of
    the free-of-charge example). `check_tariff` still flags both, since the spec requires an integer ≥ 1."""
    if value is None:
        return 1
    if isinstance(value, bool):
        raise InvalidRequestError(f"{field}: not an integer: {value!r}", field=field)
    amount = to_decimal(value, field)
    if amount != amount.to_integral_value():
        raise InvalidRequestError(f"{field}: not an integer: {value!r}", field=field)
    if amount < 0:
        raise InvalidRequestError(f"{field}: must not be negative", field=field)
    return int(amount)


def _service_price(
    comp: dict[str, Any], kind: PriceComponentType, amount: Decimal, where: str
) -> Decimal | None:
    """The non-standard ENERGY `service_price`: the service-fee part of `price`, so 0 ≤ it ≤ price."""
    value = comp.get("service_price")
    if value is None:
        return None
    field = f"{where}.service_price"
    if kind is not PriceComponentType.ENERGY:
        raise InvalidRequestError(f"{field}: only ENERGY components have a service price", field=field)
    service = to_decimal(value, field)
    if service < 0:
        raise InvalidRequestError(f"{field}: must not be negative", field=field)
    if service > amount:
        raise InvalidRequestError(f"{field}: must not exceed the price {amount}", field=field)
    return service


def _element(element: Any, i: int) -> TariffElement:
    if not isinstance(element, dict):
        raise InvalidRequestError(f"elements[{i}]: expected a JSON object", field=f"elements[{i}]")
    components = []
    raw_components = element.get("price_components")
    if not isinstance(raw_components, list):
        raw_components = []
    for j, comp in enumerate(raw_components):
        where = f"elements[{i}].price_components[{j}]"
        if not isinstance(comp, dict):
            raise InvalidRequestError(f"{where}: expected a JSON object", field=where)
        try:
            kind = PriceComponentType(str(comp.get("type")).upper())
        except ValueError:
            raise InvalidRequestError(
                f"{where}.type: unknown dimension {comp.get('type')!r}", field=f"{where}.type"
            ) from None
        amount = to_decimal(comp.get("price"), f"{where}.price")
        if amount < 0:
            raise InvalidRequestError(f"{where}.price: must not be negative", field=f"{where}.price")
        vat = comp.get("vat")
        components.append(
            PriceComponent(
                type=kind,
                price=amount,
                vat=None if vat is None else to_decimal(vat, f"{where}.vat"),
                step_size=_step_size(comp.get("step_size"), f"{where}.step_size"),
                service_price=_service_price(comp, kind, amount, where),
            )
        )
    if not components:
        raise InvalidRequestError(
            f"elements[{i}].price_components: empty", field=f"elements[{i}].price_components"
        )
    restrictions = element.get("restrictions")
    if restrictions is not None and not isinstance(restrictions, dict):
        raise InvalidRequestError(
            f"elements[{i}].restrictions: expected a JSON object", field=f"elements[{i}].restrictions"
        )
    return TariffElement(price_components=tuple(components), restrictions=restrictions)


def to_core_tariff(data: dict[str, Any], *, default_party: PartyRef | None = None) -> Tariff:
    """Map an OCPI 2.2.1 Tariff JSON object; raises InvalidRequestError naming the offending field.

    The wire object is kept verbatim in `Tariff.source` (unknown fields included, §22). A missing
    `last_updated` (ER-03) becomes the current time."""
    if not isinstance(data, dict):
        raise InvalidRequestError("tariff: expected a JSON object", field="tariff")
    party = default_party
    if data.get("country_code") is not None and data.get("party_id") is not None:
        try:
            party = PartyRef(country_code=str(data["country_code"]), party_id=str(data["party_id"]))
        except ValueError:
            raise InvalidRequestError("country_code/party_id: malformed", field="country_code") from None
    if party is None:
        raise InvalidRequestError("country_code/party_id: missing", field="country_code")
    if data.get("id") is None:
        raise InvalidRequestError("id: missing", field="id")
    currency = data.get("currency")
    if not isinstance(currency, str) or len(currency) != 3:
        raise InvalidRequestError(f"currency: not an ISO 4217 code: {currency!r}", field="currency")
    elements_raw = data.get("elements")
    if not isinstance(elements_raw, list) or not elements_raw:
        raise InvalidRequestError("elements: a tariff needs at least one element", field="elements")
    elements = tuple(_element(element, i) for i, element in enumerate(elements_raw))

    def money(key: str, part: str) -> Decimal | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise InvalidRequestError(f"{key}: expected a Price object", field=key)
        if part == "incl_vat" and value.get(part) is None:
            return None  # incl_vat is optional in a Price (§22.5)
        return to_decimal(value.get(part), f"{key}.{part}")

    def when(key: str) -> datetime | None:
        value = data.get(key)
        return None if value is None else to_datetime(value, key)

    return Tariff(
        id=str(data["id"]),
        party=party,
        currency=currency,
        elements=elements,
        type=data.get("type"),
        min_price_excl_vat=money("min_price", "excl_vat"),
        max_price_excl_vat=money("max_price", "excl_vat"),
        min_price_incl_vat=money("min_price", "incl_vat"),
        max_price_incl_vat=money("max_price", "incl_vat"),
        start_date_time=when("start_date_time"),
        end_date_time=when("end_date_time"),
        source=data,
        last_updated=when("last_updated") or datetime.now(UTC),
    )


def _component(component: PriceComponent) -> dict[str, Any]:
    result: dict[str, Any] = {"type": component.type.value, "price": number(component.price)}
    if component.vat is not None:
        result["vat"] = number(component.vat)
    result["step_size"] = component.step_size
    return result


def _public_elements(elements: Any) -> Any:
    """The publisher's elements without our non-standard `service_price` (never sent to a partner)."""
    if not isinstance(elements, list):
        return elements
    result = []
    for element in elements:
        components = element.get("price_components") if isinstance(element, dict) else None
        if isinstance(components, list):
            element = {
                **element,
                "price_components": [
                    {k: v for k, v in c.items() if k != "service_price"} if isinstance(c, dict) else c
                    for c in components
                ],
            }
        result.append(element)
    return result


def from_core_tariff(t: Tariff) -> dict[str, Any]:
    """A Tariff for the wire. The publisher's own JSON (`source`) is preferred, so unknown fields, alt texts
    and energy mix survive; identity and `last_updated` always come from the core object. `service_price`
    is our own extension and never emitted."""
    if t.source:
        result = dict(t.source)
        if "elements" in result:
            result["elements"] = _public_elements(result["elements"])
    else:
        result = {"currency": t.currency}
        if t.type is not None:
            result["type"] = t.type
        elements = []
        for element in t.elements:
            item: dict[str, Any] = {"price_components": [_component(c) for c in element.price_components]}
            if element.restrictions:
                item["restrictions"] = element.restrictions
            elements.append(item)
        result["elements"] = elements
        # A Price needs excl_vat: a bound known only incl. VAT cannot be stated on the wire.
        if t.min_price_excl_vat is not None:
            result["min_price"] = price(t.min_price_excl_vat, t.min_price_incl_vat)
        if t.max_price_excl_vat is not None:
            result["max_price"] = price(t.max_price_excl_vat, t.max_price_incl_vat)
        if t.start_date_time is not None:
            result["start_date_time"] = t.start_date_time
        if t.end_date_time is not None:
            result["end_date_time"] = t.end_date_time
    result["country_code"] = t.party.country_code
    result["party_id"] = t.party.party_id
    result["id"] = t.id
    result["last_updated"] = t.last_updated
    head = ("country_code", "party_id", "id", "currency")
    ordered = {key: result.pop(key) for key in head if key in result}
    ordered.update(result)
    return ordered


def check_restrictions(checker: Checker, restrictions: Any, path: str) -> None:
    if not checker.is_object(restrictions, path):
        return
    for name in ("start_time", "end_time"):
        value = restrictions.get(name)
        if value is not None and not (
            isinstance(value, str)
            and len(value) == 5
            and value[2] == ":"
            and value[:2].isdigit()
            and value[3:].isdigit()
            and int(value[:2]) < 24
            and int(value[3:]) < 60
        ):
            checker.add(f"{path}.{name}", f"not a HH:MM time: {value!r}")
    for name in ("start_date", "end_date"):
        value = restrictions.get(name)
        if value is not None:
            try:
                datetime.strptime(str(value), "%Y-%m-%d")  # noqa: DTZ007 - a local calendar date, no zone
            except ValueError:
                checker.add(f"{path}.{name}", f"not a YYYY-MM-DD date: {value!r}")
    for name in ("min_kwh", "max_kwh", "min_current", "max_current", "min_power", "max_power"):
        checker.number(restrictions, path, name, minimum=Decimal(0))
    for name in ("min_duration", "max_duration"):
        checker.integer(restrictions, path, name)
    checker.enum_list(restrictions, path, "day_of_week", DAYS_OF_WEEK)
    checker.enum(restrictions, path, "reservation", RESERVATION_RESTRICTIONS)


def check_tariff(data: dict[str, Any]) -> list[str]:
    """Problems in an inbound Tariff (TA-03/TA-04, §20), as `path: problem` strings; never raises."""
    checker = Checker()
    if not checker.is_object(data, "tariff"):
        return checker.problems
    checker.party(data)
    checker.required(data, "", "id", "currency", "elements", "last_updated")
    checker.cistring(data, "", "id", 36)
    checker.string(data, "", "currency", 3)
    checker.enum(data, "", "type", TARIFF_TYPES)
    checker.display_texts(data, "", "tariff_alt_text")
    checker.string(data, "", "tariff_alt_url", 255)
    checker.price(data, "", "min_price")
    checker.price(data, "", "max_price")
    for name in ("start_date_time", "end_date_time", "last_updated"):
        checker.datetime(data, "", name)
    elements = checker.objects(data, "", "elements")
    if isinstance(data.get("elements"), list) and not data["elements"]:
        checker.add("elements", "at least one element required")
    for path, element in elements:
        components = checker.objects(element, path, "price_components")
        checker.required(element, path, "price_components")
        if isinstance(element.get("price_components"), list) and not element["price_components"]:
            checker.add(f"{path}.price_components", "at least one price component required")
        for comp_path, component in components:
            checker.required(component, comp_path, "type", "price", "step_size")
            checker.enum(component, comp_path, "type", TARIFF_DIMENSIONS)
            checker.number(component, comp_path, "price", minimum=Decimal(0))
            checker.number(component, comp_path, "vat", minimum=Decimal(0))
            checker.integer(component, comp_path, "step_size")
            step = component.get("step_size")
            if isinstance(step, int) and not isinstance(step, bool) and step < 1:
                checker.add(f"{comp_path}.step_size", f"must be at least 1: {step}")
        if element.get("restrictions") is not None:
            check_restrictions(checker, element["restrictions"], f"{path}.restrictions")
    return checker.problems
