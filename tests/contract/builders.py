"""Builders of core models for the contract suite: sensible defaults, keyword overrides
(`a_location(evses=3)`), Decimals with trailing zeros and aware datetimes so round-trips are exact.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hub.core.models import (
    Alarm,
    AuthMethod,
    Capability,
    Cdr,
    CdrCost,
    ChargingPeriod,
    Command,
    CommandType,
    Connector,
    Dimension,
    DimensionType,
    Evse,
    EvseStatus,
    Location,
    OutboxMessage,
    Party,
    PartyRef,
    PowerType,
    PriceComponent,
    PriceComponentType,
    Role,
    Session,
    SessionStatus,
    Station,
    StationNotification,
    Tariff,
    TariffElement,
    Token,
    TokenType,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
CPO = PartyRef(country_code="NL", party_id="CPO")
MSP = PartyRef(country_code="DE", party_id="Msp")


def at(minutes: float) -> datetime:
    """T0 plus some minutes: the suite's timeline."""
    return T0 + timedelta(minutes=minutes)


def a_party(ref: PartyRef = CPO, **overrides: Any) -> Party:
    values: dict[str, Any] = {"ref": ref, "role": Role.CPO, "name": "Own CPO", "last_updated": T0}
    return Party(**(values | overrides))


def an_evse(uid: str, n: int = 1, **overrides: Any) -> Evse:
    values: dict[str, Any] = {
        "uid": uid,
        "evse_id": f"NL*CPO*E{uid}",
        "status": EvseStatus.AVAILABLE,
        "capabilities": (Capability.RFID_READER, Capability.REMOTE_START_STOP_CAPABLE),
        "connectors": (
            Connector(
                id="1",
                power_type=PowerType.AC_3_PHASE,
                max_electric_power=22000,
                tariff_ids=("STD",),
                last_updated=T0,
            ),
            Connector(id="2", standard="IEC_62196_T2_COMBO", power_type=PowerType.DC, last_updated=T0),
        ),
        "station_id": "CP001",
        "station_evse_no": n,
        "last_updated": T0,
    }
    return Evse(**(values | overrides))


def a_location(id: str = "LOC001", *, evses: int | tuple[Evse, ...] = 2, **overrides: Any) -> Location:
    if isinstance(evses, int):
        evses = tuple(an_evse(f"{id}*{n}", n) for n in range(1, evses + 1))
    values: dict[str, Any] = {
        "id": id,
        "party": CPO,
        "name": "Depot Noord",
        "address": "Stationsplein 1",
        "city": "Amsterdam",
        "postal_code": "1012AB",
        "country": "NLD",
        "latitude": Decimal("52.379000"),
        "longitude": Decimal("4.900000"),
        "time_zone": "Europe/Amsterdam",
        "evses": evses,
        "last_updated": T0,
    }
    return Location(**(values | overrides))


def a_station(id: str = "CP001", **overrides: Any) -> Station:
    values: dict[str, Any] = {
        "id": id,
        "party": CPO,
        "location_id": "LOC001",
        "tariff_id": "STD",
        "password_hash": "pbkdf2$abc",
        "protocol": "ocpp1.6",
        "vendor": "Vendor",
        "model": "Model X",
        "serial_number": "SN-1",
        "firmware_version": "1.2.3",
        "connected": True,
        "last_boot": at(-60),
        "last_seen": at(-1),
        "registered": True,
        "last_updated": T0,
    }
    return Station(**(values | overrides))


def a_token(uid: str = "04A1B2C3D4E5F6", **overrides: Any) -> Token:
    values: dict[str, Any] = {
        "uid": uid,
        "party": MSP,
        "type": TokenType.RFID,
        "contract_id": "DE-MSP-C12345678-X",
        "visual_number": "1234",
        "issuer": "Partner eMSP",
        "group_id": "G1",
        "language": "nl",
        "last_updated": T0,
    }
    return Token(**(values | overrides))


def a_period(minutes: float = 0, kwh: str = "1.500") -> ChargingPeriod:
    return ChargingPeriod(
        start_date_time=at(minutes),
        dimensions=(
            Dimension(type=DimensionType.ENERGY, volume=Decimal(kwh)),
            Dimension(type=DimensionType.TIME, volume=Decimal("0.2500")),
        ),
        tariff_id="STD",
    )


def a_session(id: str = "ses-0001", **overrides: Any) -> Session:
    values: dict[str, Any] = {
        "id": id,
        "party": CPO,
        "status": SessionStatus.ACTIVE,
        "start": T0,
        "location_id": "LOC001",
        "evse_uid": "LOC001*1",
        "connector_id": "1",
        "station_id": "CP001",
        "transaction_id": "17",
        "token_uid": "04A1B2C3D4E5F6",
        "token_party": MSP,
        "contract_id": "DE-MSP-C12345678-X",
        "auth_method": AuthMethod.AUTH_REQUEST,
        "authorization_reference": "auth-ref",
        "meter_start_wh": Decimal("1000.0"),
        "meter_last_wh": Decimal("2500.5"),
        "kwh": Decimal("1.5005"),
        "charging_periods": (a_period(0), a_period(15, "0.0005")),
        "tariff_id": "STD",
        "total_cost": Decimal("2.3751"),
        "last_seq_no": 3,
        "last_updated": T0,
    }
    return Session(**(values | overrides))


def a_cdr(id: str = "cdr-0001", **overrides: Any) -> Cdr:
    values: dict[str, Any] = {
        "id": id,
        "party": CPO,
        "session_id": "ses-0001",
        "start": T0,
        "end": at(30),
        "location_id": "LOC001",
        "evse_uid": "LOC001*1",
        "connector_id": "1",
        "station_id": "CP001",
        "token_uid": "04A1B2C3D4E5F6",
        "token_party": MSP,
        "contract_id": "DE-MSP-C12345678-X",
        "tariff_id": "STD",
        "cost": CdrCost(
            currency="EUR",
            total_excl_vat=Decimal("2.3751"),
            total_incl_vat=Decimal("2.873871"),
            fixed_excl_vat=Decimal("2.00"),
            energy_excl_vat=Decimal("0.3751"),
            total_energy_kwh=Decimal("1.5005"),
            total_time_hours=Decimal("0.500"),
        ),
        "charging_periods": (a_period(0),),
        "last_updated": at(31),
    }
    return Cdr(**(values | overrides))


def a_tariff(id: str = "STD", **overrides: Any) -> Tariff:
    values: dict[str, Any] = {
        "id": id,
        "party": CPO,
        "currency": "EUR",
        "elements": (
            TariffElement(
                price_components=(
                    PriceComponent(
                        type=PriceComponentType.ENERGY, price=Decimal("0.250"), vat=Decimal("21.0")
                    ),
                    PriceComponent(type=PriceComponentType.FLAT, price=Decimal("2.00"), step_size=1),
                ),
                restrictions={
                    "start_time": "08:00",
                    "end_time": "18:00",
                    "day_of_week": ["MONDAY", "TUESDAY"],
                },
            ),
        ),
        "type": "REGULAR",
        "min_price_excl_vat": Decimal("0.50"),
        "start_date_time": T0,
        "source": {
            "id": id,
            "currency": "EUR",
            "elements": [{"price_components": [{"price": 0.25, "step_size": 1}]}],
        },
        "last_updated": T0,
    }
    return Tariff(**(values | overrides))


def a_command(id: str = "cmd-0001", **overrides: Any) -> Command:
    values: dict[str, Any] = {
        "id": id,
        "type": CommandType.RESERVE_NOW,
        "requester": MSP,
        "station_id": "CP001",
        "location_id": "LOC001",
        "evse_uid": "LOC001*1",
        "token_uid": "04A1B2C3D4E5F6",
        "token_party": MSP,
        "reservation_id": "Res-0001",
        "station_reservation_id": 7,
        "expiry": at(60),
        "limit": Decimal("11000.0"),
        "limit_unit": "W",
        "reply_to": "https://msp.example/commands/RESERVE_NOW/abc",
        "created": T0,
        "last_updated": T0,
    }
    return Command(**(values | overrides))


def an_alarm(id: str = "alm-0001", **overrides: Any) -> Alarm:
    values: dict[str, Any] = {
        "id": id,
        "station_id": "CP001",
        "evse_uid": "LOC001*1",
        "code": "GroundFailure",
        "description": "earth leakage",
        "started": T0,
        "last_updated": T0,
    }
    return Alarm(**(values | overrides))


def a_notification(id: str = "ntf-0001", **overrides: Any) -> StationNotification:
    values: dict[str, Any] = {
        "id": id,
        "station_id": "CP001",
        "kind": "FirmwareStatus",
        "timestamp": T0,
        "payload": {"status": "Downloaded", "requestId": 3, "nested": {"list": [1, "zwei", None, True]}},
    }
    return StationNotification(**(values | overrides))


def a_message(key: str = "session/ses-0001", **overrides: Any) -> OutboxMessage:
    values: dict[str, Any] = {
        "topic": "session.updated",
        "key": key,
        "target": "DE*MSP",
        "payload": {"id": "ses-0001", "kwh": "1.5005", "名前": "充电桩"},
        "created": T0,
        "next_attempt_at": T0,
    }
    return OutboxMessage(**(values | overrides))
