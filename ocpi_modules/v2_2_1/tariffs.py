"""OCPI 2.2.1 Tariff objects ↔ core tariffs (mapping only; the Tariffs routes come with the OCPI issue).

An adapter: imports the core only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.core.errors import InvalidRequestError
from hub.core.models import PartyRef, PriceComponent, PriceComponentType, Tariff, TariffElement


def parse_ocpi_datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _decimal(value: Any, field: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidRequestError(f"{field}: not a number: {value!r}", field=field) from None
    if not result.is_finite():
        raise InvalidRequestError(f"{field}: not a finite number", field=field)
    return result


def to_core_tariff(data: dict[str, Any], *, default_party: PartyRef | None = None) -> Tariff:
    """Map an OCPI 2.2.1 Tariff JSON object; raises InvalidRequestError naming the offending field."""
    if not isinstance(data, dict):
        raise InvalidRequestError("tariff: expected a JSON object", field="tariff")
    try:
        party = (
            PartyRef(country_code=data["country_code"], party_id=data["party_id"])
            if "country_code" in data and "party_id" in data
            else default_party
        )
        if party is None:
            raise InvalidRequestError("country_code/party_id: missing", field="country_code")
        elements_raw = data.get("elements")
        if not isinstance(elements_raw, list) or not elements_raw:
            raise InvalidRequestError("elements: a tariff needs at least one element", field="elements")
        elements = []
        for i, element in enumerate(elements_raw):
            components = []
            for j, comp in enumerate(element.get("price_components") or []):
                where = f"elements[{i}].price_components[{j}]"
                try:
                    kind = PriceComponentType(comp["type"])
                except (KeyError, ValueError):
                    raise InvalidRequestError(
                        f"{where}.type: unknown dimension {comp.get('type')!r}", field=f"{where}.type"
                    ) from None
                price = _decimal(comp.get("price"), f"{where}.price")
                if price < 0:
                    raise InvalidRequestError(f"{where}.price: must not be negative", field=f"{where}.price")
                vat = comp.get("vat")
                components.append(
                    PriceComponent(
                        type=kind,
                        price=price,
                        vat=None if vat is None else _decimal(vat, f"{where}.vat"),
                        step_size=int(comp.get("step_size", 1)),
                    )
                )
            if not components:
                raise InvalidRequestError(
                    f"elements[{i}].price_components: empty", field=f"elements[{i}].price_components"
                )
            elements.append(
                TariffElement(price_components=tuple(components), restrictions=element.get("restrictions"))
            )

        def money(key: str) -> Decimal | None:
            value = data.get(key)
            return None if value is None else _decimal(value["excl_vat"], f"{key}.excl_vat")

        return Tariff(
            id=str(data["id"]),
            party=party,
            currency=str(data["currency"]),
            elements=tuple(elements),
            type=data.get("type"),
            min_price_excl_vat=money("min_price"),
            max_price_excl_vat=money("max_price"),
            start_date_time=parse_ocpi_datetime(data["start_date_time"])
            if data.get("start_date_time")
            else None,
            end_date_time=parse_ocpi_datetime(data["end_date_time"]) if data.get("end_date_time") else None,
            source=data,
            last_updated=parse_ocpi_datetime(data["last_updated"])
            if data.get("last_updated")
            else datetime.now(UTC),
        )
    except KeyError as exc:
        raise InvalidRequestError(f"{exc.args[0]}: missing", field=str(exc.args[0])) from None
