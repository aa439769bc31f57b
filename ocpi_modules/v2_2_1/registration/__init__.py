"""Credentials handshakes (checklist §10): `discovery` of a partner's version and endpoints, `credentials`
objects in and out, the hub as `sender` (invite, register, rotate, unregister); the lock and registration
listeners, shared by every version, are ocpi_modules.common.registration's.
An adapter package: imports pydantic, structlog, ocpi_modules.common and the core only."""

from ocpi_modules.common.handshake import Discovery
from ocpi_modules.common.registration import (
    RegistrationListener,
    announce_registered,
    credentials_lock,
    on_registered,
    suspended,
)
from ocpi_modules.v2_2_1.registration.credentials import (
    Credentials,
    check_roles,
    hub_credentials,
    parse_credentials,
)
from ocpi_modules.v2_2_1.registration.discovery import (
    ACCEPTED_VERSIONS,
    REQUIRED_ENDPOINTS,
    VERSION,
    discover,
    parse_endpoints,
    pick_version,
)
from ocpi_modules.v2_2_1.registration.sender import invite, register, unregister, update

__all__ = [
    "ACCEPTED_VERSIONS",
    "REQUIRED_ENDPOINTS",
    "VERSION",
    "Credentials",
    "Discovery",
    "RegistrationListener",
    "announce_registered",
    "check_roles",
    "credentials_lock",
    "discover",
    "hub_credentials",
    "invite",
    "on_registered",
    "parse_credentials",
    "parse_endpoints",
    "pick_version",
    "register",
    "suspended",
    "unregister",
    "update",
]
