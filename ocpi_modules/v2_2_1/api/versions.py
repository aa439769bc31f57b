"""`GET /ocpi/versions` and `GET /ocpi/2.2.1` (checklist §9): the versions we speak and the endpoints of
2.2.1. Token A, B or C is accepted and nothing changes (VE-03): these double as the still-alive probe.

An adapter module: imports aiohttp, ocpi_modules and the core only.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ocpi_modules.common.envelope import ocpi_response
from ocpi_modules.common.runtime import OcpiConfig, runtime
from ocpi_modules.v2_2_1.security import authenticate

VERSION = "2.2.1"
OTHER_VERSIONS = "ocpi.other_versions"  # rt.extras: the other versions served, each at /ocpi/{version}
# Routes are registered under the default `OcpiConfig.base_path`; the URLs we hand out use `config.url`.
BASE_PATH = "/ocpi"

# (identifier, role, path under /ocpi/2.2.1): the CPO interfaces live under cpo/, the eMSP ones under emsp/
# (design "URL layout"); credentials is advertised once, as SENDER (VE-04).
ENDPOINTS: tuple[tuple[str, str, str], ...] = (
    ("credentials", "SENDER", "credentials"),
    ("locations", "SENDER", "cpo/locations"),
    ("locations", "RECEIVER", "emsp/locations"),
    ("sessions", "SENDER", "cpo/sessions"),
    ("sessions", "RECEIVER", "emsp/sessions"),
    ("cdrs", "SENDER", "cpo/cdrs"),
    ("cdrs", "RECEIVER", "emsp/cdrs"),
    ("tariffs", "SENDER", "cpo/tariffs"),
    ("tariffs", "RECEIVER", "emsp/tariffs"),
    ("tokens", "SENDER", "emsp/tokens"),
    ("tokens", "RECEIVER", "cpo/tokens"),
    ("commands", "SENDER", "emsp/commands"),
    ("commands", "RECEIVER", "cpo/commands"),
    ("chargingprofiles", "RECEIVER", "cpo/chargingprofiles"),
    ("hubclientinfo", "SENDER", "hubclientinfo"),  # the hub's party list (VE-06, HC-03)
)


def versions_url(config: OcpiConfig) -> str:
    return config.url("/versions")


def details_url(config: OcpiConfig) -> str:
    return config.url(f"/{VERSION}")


def version_list(config: OcpiConfig) -> list[dict[str, Any]]:
    return [{"version": VERSION, "url": details_url(config)}]


def version_details(config: OcpiConfig) -> dict[str, Any]:
    base = details_url(config)
    return {
        "version": VERSION,
        "endpoints": [
            {"identifier": identifier, "role": role, "url": f"{base}/{path}"}
            for identifier, role, path in ENDPOINTS
        ],
    }


async def get_versions(request: web.Request) -> web.Response:
    await authenticate(request, allow_invitation=True)
    rt = runtime(request)
    # Other OCPI versions the hub speaks (2.1.1), listed by the composition root: highest first (VE-07).
    others = [{"version": v, "url": rt.config.url(f"/{v}")} for v in rt.extras.get(OTHER_VERSIONS, ())]
    return ocpi_response(request, version_list(rt.config) + others)


async def get_version_details(request: web.Request) -> web.Response:
    await authenticate(request, allow_invitation=True)
    return ocpi_response(request, version_details(runtime(request).config))


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(f"{BASE_PATH}/versions", get_versions)
    router.add_get(f"{BASE_PATH}/{VERSION}", get_version_details)
