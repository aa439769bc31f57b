"""OCPI 2.1.1 ↔ 2.2.1 (the hub's canonical shapes) translation, one module per object family (checklist §21,
V211-02). Every function is pure: what it needs to know beyond the object (the owner a 2.1.1 object lacks, the
token behind an `auth_id`, the Location a 2.1.1 Session embeds) is an argument. What one version cannot
carry is refused with `Untranslatable` naming the field, or, where it is informational, dropped and noted in
`notes` for the caller to log; a payload is never passed on untranslated.

A package of pure functions: imports ocpi_modules.common, the core models and the standard library only.
"""

from ocpi_modules.v2_1_1.translate.cdrs import (
    cdr_location_from_211,
    cdr_location_to_211,
    cdr_to_211,
    cdr_to_221,
)
from ocpi_modules.v2_1_1.translate.commands import (
    COMMANDS_211,
    DEFAULT_TIMEOUT_S,
    command_name,
    command_response_to_211,
    command_response_to_221,
    command_result_to_211,
    command_result_to_221,
    command_to_211,
    command_to_221,
)
from ocpi_modules.v2_1_1.translate.common import Notes
from ocpi_modules.v2_1_1.translate.locations import (
    connector_to_211,
    connector_to_221,
    evse_to_211,
    evse_to_221,
    location_to_211,
    location_to_221,
)
from ocpi_modules.v2_1_1.translate.sessions import narrowed_location, session_to_211, session_to_221
from ocpi_modules.v2_1_1.translate.tariffs import tariff_to_211, tariff_to_221
from ocpi_modules.v2_1_1.translate.tokens import (
    authorization_info_to_211,
    authorization_info_to_221,
    cdr_token_of,
    location_references_to_211,
    location_references_to_221,
    token_to_211,
    token_to_221,
)

__all__ = [
    "COMMANDS_211",
    "DEFAULT_TIMEOUT_S",
    "Notes",
    "authorization_info_to_211",
    "authorization_info_to_221",
    "cdr_location_from_211",
    "cdr_location_to_211",
    "cdr_to_211",
    "cdr_to_221",
    "cdr_token_of",
    "command_name",
    "command_response_to_211",
    "command_response_to_221",
    "command_result_to_211",
    "command_result_to_221",
    "command_to_211",
    "command_to_221",
    "connector_to_211",
    "connector_to_221",
    "evse_to_211",
    "evse_to_221",
    "location_references_to_211",
    "location_references_to_221",
    "location_to_211",
    "location_to_221",
    "narrowed_location",
    "session_to_211",
    "session_to_221",
    "tariff_to_211",
    "tariff_to_221",
    "token_to_211",
    "token_to_221",
]
