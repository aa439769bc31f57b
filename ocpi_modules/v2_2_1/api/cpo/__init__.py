"""Our CPO's OCPI 2.2.1 interfaces under `/ocpi/2.2.1/cpo/`: the Locations, Sessions, CDRs and Tariffs Senders
(data from the core, filtered to what the caller may see) and the Tokens, Commands and ChargingProfiles
Receivers (tokens stored in the core, commands handed to the core's command service).

An adapter package: imports aiohttp, ocpi_modules and the core only. Handlers are thin: authenticate, read the
URL and body, one core call, answer with an envelope.
"""

from __future__ import annotations

from aiohttp import web

from ocpi_modules.v2_2_1.api.cpo.cdrs import get_cdrs
from ocpi_modules.v2_2_1.api.cpo.chargingprofiles import (
    delete_charging_profile,
    get_charging_profile,
    put_charging_profile,
)
from ocpi_modules.v2_2_1.api.cpo.commands import COMMANDS, CommandHandler, post_command
from ocpi_modules.v2_2_1.api.cpo.common import PREFIX
from ocpi_modules.v2_2_1.api.cpo.locations import (
    LOCATION_PAGES,
    bubbled,
    get_connector,
    get_evse,
    get_location,
    get_locations,
    visible_location,
)
from ocpi_modules.v2_2_1.api.cpo.sessions import get_sessions, put_charging_preferences
from ocpi_modules.v2_2_1.api.cpo.tariffs import get_tariffs
from ocpi_modules.v2_2_1.api.cpo.tokens import get_token, patch_token, put_token

__all__ = [
    "COMMANDS",
    "LOCATION_PAGES",
    "PREFIX",
    "CommandHandler",
    "add_routes",
    "bubbled",
    "delete_charging_profile",
    "get_cdrs",
    "get_charging_profile",
    "get_connector",
    "get_evse",
    "get_location",
    "get_locations",
    "get_sessions",
    "get_tariffs",
    "get_token",
    "patch_token",
    "post_command",
    "put_charging_preferences",
    "put_charging_profile",
    "put_token",
    "visible_location",
]


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(f"{PREFIX}/locations", get_locations)
    router.add_get(f"{PREFIX}/locations/{{location_id}}", get_location)
    router.add_get(f"{PREFIX}/locations/{{location_id}}/{{evse_uid}}", get_evse)
    router.add_get(f"{PREFIX}/locations/{{location_id}}/{{evse_uid}}/{{connector_id}}", get_connector)
    router.add_get(f"{PREFIX}/sessions", get_sessions)
    router.add_put(f"{PREFIX}/sessions/{{session_id}}/charging_preferences", put_charging_preferences)
    router.add_get(f"{PREFIX}/cdrs", get_cdrs)
    router.add_get(f"{PREFIX}/tariffs", get_tariffs)
    token_path = f"{PREFIX}/tokens/{{country_code}}/{{party_id}}/{{uid}}"
    router.add_get(token_path, get_token)
    router.add_put(token_path, put_token)
    router.add_patch(token_path, patch_token)
    router.add_post(f"{PREFIX}/commands/{{command}}", post_command)
    profile_path = f"{PREFIX}/chargingprofiles/{{session_id}}"
    router.add_get(profile_path, get_charging_profile)
    router.add_put(profile_path, put_charging_profile)
    router.add_delete(profile_path, delete_charging_profile)
