"""The operator's `config.toml` as frozen pydantic models, with environment overrides for secrets and the
database URL. An unknown or misspelt key stops start-up with a message naming it.

Part of the composition layer: imports pydantic and the standard library only.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class SettingsError(Exception):
    """config.toml cannot be used; the message names the key and what is wrong."""


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


PARTY_PATTERN = r"^[A-Za-z]{2}[*-][A-Za-z0-9]{3}$"


class HubSection(Section):
    name: str = "ocpi-hub"
    country_code: str = Field(default="NL", min_length=2, max_length=2)
    party_id: str = Field(default="HUB", min_length=3, max_length=3)
    listen: str = "127.0.0.1:8080"
    public_url: str = "http://127.0.0.1:8080"
    database_url: str = "sqlite:///hub.db"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
    shutdown_timeout: float = Field(default=10.0, gt=0)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError("must be HOST:PORT, e.g. 127.0.0.1:8080")
        return value

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


class PartySection(Section):
    country_code: str = Field(min_length=2, max_length=2)
    party_id: str = Field(min_length=3, max_length=3)
    role: Literal["CPO", "EMSP", "NSP", "SCSP", "OTHER"]
    name: str
    # EMSP only: the end-customer tariff (OCPI Tariff JSON) that prices partner CDRs again as the driver's
    # price, shown beside the CPO's (re-rating, README "Tariffs and pricing").
    customer_tariff: Path | None = None


class ConnectorSection(Section):
    standard: str = "IEC_62196_T2"
    format: Literal["SOCKET", "CABLE"] = "SOCKET"
    power_type: Literal["AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"] = "AC_3_PHASE"
    max_voltage: int = Field(default=230, gt=0)
    max_amperage: int = Field(default=32, gt=0)
    max_electric_power: int | None = Field(default=None, gt=0)


class StationSection(Section):
    id: str = Field(min_length=1, max_length=48)
    party: str = Field(pattern=PARTY_PATTERN)
    location_id: str | None = None
    tariff_id: str | None = None
    password: str | None = Field(default=None, repr=False)
    connectors: tuple[ConnectorSection, ...] = ()

    @field_validator("id")
    @classmethod
    def _identity(cls, value: str) -> str:
        if ":" in value or "/" in value:
            raise ValueError("a station id may not contain ':' or '/' (OCPP-J identity)")
        return value


class OcppSection(Section):
    path: str = "/ocpp"
    accept_unknown_stations: bool = True
    heartbeat_interval: int = Field(default=300, gt=0)
    compression: bool = False
    max_message_bytes: int = Field(default=65536, ge=1024)
    call_timeout: float = Field(default=30.0, gt=0)
    ws_ping_interval: float = Field(default=60.0, gt=0)
    validation: Literal["strict", "lenient"] = "strict"
    protocols: tuple[Literal["ocpp2.0.1", "ocpp1.6"], ...] = ("ocpp2.0.1", "ocpp1.6")
    stations: tuple[StationSection, ...] = ()

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or value.endswith("/"):
            raise ValueError("must start with '/' and not end with one, e.g. /ocpp")
        return value


class LocationSection(Section):
    id: str = Field(min_length=1, max_length=36)
    party: str = Field(pattern=PARTY_PATTERN)
    name: str | None = None
    address: str
    city: str
    postal_code: str | None = None
    country: str = Field(min_length=3, max_length=3)
    latitude: Decimal = Field(ge=-90, le=90)
    longitude: Decimal = Field(ge=-180, le=180)
    time_zone: str = "UTC"
    publish: bool = True


class TariffSection(Section):
    id: str = Field(min_length=1, max_length=36)
    party: str = Field(pattern=PARTY_PATTERN)
    file: Path


class TokenSection(Section):
    uid: str = Field(min_length=1, max_length=36)
    party: str = Field(pattern=PARTY_PATTERN)
    type: Literal["AD_HOC_USER", "APP_USER", "OTHER", "RFID"] = "RFID"
    contract_id: str = Field(min_length=1, max_length=36)
    visual_number: str | None = None
    issuer: str = ""
    group_id: str | None = None
    valid: bool = True
    whitelist: Literal["ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"] = "ALLOWED"
    language: str | None = None


class InvitationSection(Section):
    name: str
    token: str = Field(repr=False)
    # What the partner is, for OCPI 2.1.1 partners (their credentials carry no role); 2.2.1 ignores it.
    role: Literal["CPO", "EMSP"] | None = None


class OcpiSection(Section):
    allow_private_urls: bool = False
    invitations: tuple[InvitationSection, ...] = ()
    page_limit: int = Field(default=100, ge=1, le=1000)  # X-Limit: the largest page the hub serves
    request_timeout: float = Field(default=10.0, gt=0)  # outbound pushes and pulls, seconds
    relay_timeout: float = Field(default=10.0, gt=0, le=120)  # onward leg of a relayed request, s (→ 4002)
    callback_timeout: float = Field(default=5.0, gt=0)  # GETs made inside a partner's POST credentials
    authorize_timeout: float = Field(default=2.5, gt=0, le=10)  # real-time authorization at an eMSP
    token_grace: float = Field(default=3600.0, ge=0)  # old token still accepted after PUT credentials, s
    resync_interval: float = Field(default=3600.0, ge=60)  # pull partners' lists with date_from, s
    secret_key_file: Path = Path(
        ".hub-secret"
    )  # key that encrypts stored OCPI tokens (env HUB_SECRET_KEY wins)


class AgreementSection(Section):
    parties: tuple[str, str]
    modules: tuple[str, ...] = ("locations", "sessions", "cdrs", "tariffs", "tokens", "commands")


OPERATOR_ID_PATTERN = r"^[0-9A-Z]{9}$"  # 互联互通 OperatorID: 9 characters, digits and capitals (spec §1.2)
AES_KEY_BYTES = 16  # DataSecret and DataSecretIV: AES-128, raw UTF-8 text (spec §1.2)


class InterconnectPartnerSection(Section):
    """One 互联互通 partner (spec §1.2/§1.3). The unprefixed secrets are the set we issued to the partner
    (its calls to us and our answers); the `their_` set is what the partner issued to us (our calls).
    `data_secret`/`data_iv` (both sets) are exactly 16 bytes of UTF-8 text; every secret may come from the
    environment instead: HUB_INTERCONNECT_<OPERATORID>_<KEY>, e.g. HUB_INTERCONNECT_MA005DBW1_DATA_SECRET
    or HUB_INTERCONNECT_MA005DBW1_THEIR_SIG_SECRET."""

    name: str
    operator_id: str = Field(min_length=9, max_length=9, pattern=OPERATOR_ID_PATTERN)
    kind: Literal["operator", "regulator"] = "operator"
    base_url: str
    ocpi_party: str = Field(pattern=PARTY_PATTERN)
    our_operator_id: str | None = Field(default=None, pattern=OPERATOR_ID_PATTERN)
    allow_ips: tuple[str, ...] = ()
    operator_secret: str = Field(default="", repr=False)
    data_secret: str = Field(default="", repr=False)
    data_iv: str = Field(default="", repr=False)
    sig_secret: str = Field(default="", repr=False)
    their_operator_secret: str = Field(default="", repr=False)
    their_data_secret: str = Field(default="", repr=False)
    their_data_iv: str = Field(default="", repr=False)
    their_sig_secret: str = Field(default="", repr=False)
    # Outbound: logical push name → the partner's interface name, "" = off (regulators, spec §7).
    interfaces: dict[str, str] = Field(default_factory=dict)
    # Inbound: a name the partner calls on us → our interface (supervise_query_stations_info, spec §7).
    aliases: dict[str, str] = Field(default_factory=dict)
    # Tolerance flags (spec §8): how we spell *SeviceMoney/*SevicePrice towards this partner, plain-JSON
    # query_token Data both ways, refusing answers whose Sig does not verify, a TimeStamp replay window.
    service_spelling: Literal["Sevice", "Service"] = "Sevice"
    plain_token_data: bool = False
    verify_response_sig: bool = True
    replay_window: int = Field(default=0, ge=0)  # seconds either side of our clock; 0 = off
    charge_status_interval: float = Field(default=50.0, gt=0)  # periodic charge status pushes, s
    token_lifetime: int = Field(default=7200, ge=60, le=604800)  # tokens we issue, s (at most 7 days, §2.8)

    @field_validator("allow_ips")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
        return value

    def secret_problems(self) -> list[tuple[str, str]]:
        """(key, what is wrong) for every unusable secret; values are never part of the text."""
        problems: list[tuple[str, str]] = []
        for key in ("data_secret", "data_iv", "their_data_secret", "their_data_iv"):
            size = len(str(getattr(self, key)).encode("utf-8"))
            if size != AES_KEY_BYTES:
                problems.append((key, f"must be exactly {AES_KEY_BYTES} bytes of UTF-8 text, got {size}"))
        for key in ("operator_secret", "sig_secret", "their_operator_secret", "their_sig_secret"):
            if not getattr(self, key):
                problems.append((key, "must not be empty"))
        return problems


class InterconnectSection(Section):
    operator_id: str = Field(default="MA24YKWR9", min_length=9, max_length=9, pattern=OPERATOR_ID_PATTERN)
    base_path: str = "/evcs/v1.0"
    request_timeout: float = Field(default=10.0, gt=0)  # our business calls, s (public-information: 3×)
    pull_interval: float = Field(default=3600.0, ge=60)  # scheduled pull of partners' stations, s
    partners: tuple[InterconnectPartnerSection, ...] = ()

    @field_validator("base_path")
    @classmethod
    def _base_path(cls, value: str) -> str:
        if not value.startswith("/") or value.endswith("/"):
            raise ValueError("must start with '/' and not end with one, e.g. /evcs/v1.0")
        return value


class TlsSection(Section):
    """TLS on the listening port: OCPP security profiles 2 (server certificate), 3 (client certificates)."""

    cert_file: Path | None = None
    key_file: Path | None = None
    ca_file: Path | None = None  # CA that signs station client certificates (profile 3)
    client_certificates: Literal["none", "optional", "required"] = "none"

    @model_validator(mode="after")
    def _complete(self) -> TlsSection:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together")
        if self.client_certificates != "none" and (self.ca_file is None or self.cert_file is None):
            raise ValueError("client_certificates needs cert_file, key_file and ca_file")
        return self

    @property
    def enabled(self) -> bool:
        return self.cert_file is not None


class DemoSection(Section):
    """`python -m hub serve --demo`: simulated stations charging against this hub."""

    stations: int = Field(default=3, ge=1, le=1000)
    protocol: Literal["ocpp1.6", "ocpp2.0.1"] = "ocpp1.6"


class PricingSection(Section):
    """How priced amounts become money (hub/core/pricing/money.py RoundingPolicy; OCPI defines no rounding,
    TA-15). `rounding = "line"` rounds every cost line, `"total"` only the totals; `rounding_places` defaults
    to the currency's minor unit."""

    rounding: Literal["line", "total"] = "line"
    rounding_mode: Literal["HALF_UP", "HALF_EVEN", "HALF_DOWN", "UP", "DOWN", "CEILING", "FLOOR"] = "HALF_UP"
    rounding_places: int | None = Field(default=None, ge=0, le=6)


class AdminSection(Section):
    """The operator API under `/admin/` (hub/web_admin.py); disabled (404) while `token` is empty."""

    token: str = Field(default="", repr=False)


class Settings(Section):
    hub: HubSection = HubSection()
    parties: tuple[PartySection, ...] = ()
    ocpp: OcppSection = OcppSection()
    locations: tuple[LocationSection, ...] = ()
    tariffs: tuple[TariffSection, ...] = ()
    tokens: tuple[TokenSection, ...] = ()
    ocpi: OcpiSection = OcpiSection()
    agreements: tuple[AgreementSection, ...] = ()
    interconnect: InterconnectSection = InterconnectSection()
    tls: TlsSection = TlsSection()
    demo: DemoSection = DemoSection()
    admin: AdminSection = AdminSection()
    pricing: PricingSection = PricingSection()
    base_dir: Path = Path()  # where relative file paths (tariff files, certificates) are resolved

    @model_validator(mode="after")
    def _references(self) -> Settings:
        location_ids = {loc.id.lower() for loc in self.locations}
        tariff_ids = {t.id.lower() for t in self.tariffs}
        seen: set[str] = set()
        for i, station in enumerate(self.ocpp.stations):
            if station.id.lower() in seen:
                raise ValueError(f"ocpp.stations[{i}].id: duplicate station id {station.id!r}")
            seen.add(station.id.lower())
            if station.location_id and station.location_id.lower() not in location_ids:
                raise ValueError(
                    f"ocpp.stations[{i}].location_id: no [[locations]] with id {station.location_id!r}"
                )
            if station.tariff_id and station.tariff_id.lower() not in tariff_ids:
                raise ValueError(
                    f"ocpp.stations[{i}].tariff_id: no [[tariffs]] with id {station.tariff_id!r}"
                )
        return self

    @model_validator(mode="after")
    def _files_exist(self) -> Settings:
        for i, tariff in enumerate(self.tariffs):
            if not self.resolve(tariff.file).is_file():
                raise ValueError(f"tariffs[{i}].file: {self.resolve(tariff.file)} does not exist")
        for i, party in enumerate(self.parties):
            if party.customer_tariff is None:
                continue
            if party.role != "EMSP":
                raise ValueError(
                    f"parties[{i}].customer_tariff: only a party of role EMSP has a customer tariff"
                )
            if not self.resolve(party.customer_tariff).is_file():
                raise ValueError(
                    f"parties[{i}].customer_tariff: {self.resolve(party.customer_tariff)} does not exist"
                )
        return self

    @model_validator(mode="after")
    def _interconnect_partners(self) -> Settings:
        own = {f"{p.country_code}*{p.party_id}".upper() for p in self.parties}
        seen_ids: set[str] = set()
        seen_parties: set[str] = set()
        problems: list[str] = []
        for i, partner in enumerate(self.interconnect.partners):
            where = f"interconnect.partners[{i}]"
            problems += [f"{where}.{key}: {problem}" for key, problem in partner.secret_problems()]
            if partner.operator_id in seen_ids:
                problems.append(f"{where}.operator_id: duplicate partner OperatorID {partner.operator_id!r}")
            seen_ids.add(partner.operator_id)
            party = partner.ocpi_party.replace("-", "*").upper()
            if party in own or party in seen_parties:
                problems.append(f"{where}.ocpi_party: {partner.ocpi_party!r} is already another party")
            seen_parties.add(party)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.base_dir / path

    @classmethod
    def from_toml(cls, path: str | Path, environ: Mapping[str, str] | None = None) -> Settings:
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise SettingsError(f"{path}: file not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
        return cls.from_mapping(raw, base_dir=path.resolve().parent, environ=environ, source=str(path))

    @classmethod
    def from_mapping(
        cls,
        raw: Mapping[str, Any],
        *,
        base_dir: Path | None = None,
        environ: Mapping[str, str] | None = None,
        source: str = "settings",
    ) -> Settings:
        data = apply_environment(dict(raw), os.environ if environ is None else environ)
        if base_dir is not None:
            data["base_dir"] = base_dir
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise SettingsError(describe_errors(source, exc)) from None


def describe_errors(source: str, exc: ValidationError) -> str:
    lines = [f"{source}: invalid configuration"]
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        if error["type"] == "extra_forbidden":
            lines.append(f"  unknown key '{where}' (check the spelling; see README, Configuration)")
        else:
            lines.append(f"  {where}: {error['msg']}")
    return "\n".join(lines)


def apply_environment(data: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Environment overrides, so no secret has to live in config.toml.

    HUB_DATABASE_URL, HUB_PUBLIC_URL, HUB_LISTEN; HUB_ADMIN_TOKEN for `[admin] token`;
    HUB_STATION_PASSWORD_<ID> for `[[ocpp.stations]] password`
    (ID upper-cased, non-alphanumerics as `_`); HUB_INTERCONNECT_<OPERATORID>_<FIELD> for a partner's secrets.
    """
    hub = dict(data.get("hub", {}))
    for env, key in (
        ("HUB_DATABASE_URL", "database_url"),
        ("HUB_PUBLIC_URL", "public_url"),
        ("HUB_LISTEN", "listen"),
    ):
        if environ.get(env):
            hub[key] = environ[env]
    data["hub"] = hub
    if environ.get("HUB_ADMIN_TOKEN"):
        data["admin"] = {**dict(data.get("admin", {})), "token": environ["HUB_ADMIN_TOKEN"]}
    ocpp = dict(data.get("ocpp", {}))
    stations = []
    for station in ocpp.get("stations", []) or []:
        station = dict(station)
        if isinstance(station.get("id"), str):
            override = environ.get(f"HUB_STATION_PASSWORD_{env_name(station['id'])}")
            if override:
                station["password"] = override
        stations.append(station)
    if stations:
        ocpp["stations"] = stations
        data["ocpp"] = ocpp
    interconnect = dict(data.get("interconnect", {}))
    partners = []
    for partner in interconnect.get("partners", []) or []:
        partner = dict(partner)
        prefix = f"HUB_INTERCONNECT_{env_name(str(partner.get('operator_id', '')))}_"
        for field in InterconnectPartnerSection.model_fields:
            if field.endswith(("secret", "_iv")) and environ.get(prefix + field.upper()):
                partner[field] = environ[prefix + field.upper()]
        partners.append(partner)
    if partners:
        interconnect["partners"] = partners
        data["interconnect"] = interconnect
    return data


def env_name(value: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in value).upper()
