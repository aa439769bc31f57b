"""The hub's OCPI 2.1.1 URLs: the version details, one endpoint per module (2.1.1 has no role in version
details: one URL serves both directions), and "via" URLs — a hub URL for something only reachable in 2.2.1
shapes (a hub proxy from RT-11, a hosted party's 2.2.1 URL) wrapped so that a 2.1.1 partner calling it gets
2.1.1 shapes (`/ocpi/2.1.1/via/{module}/{the path under /ocpi}`).

Imports ocpi_modules.common only.
"""

from __future__ import annotations

from ocpi_modules.common.runtime import OcpiConfig

VERSION = "2.1.1"
# Routes are registered under the default `OcpiConfig.base_path` (as 2.2.1's are); URLs we hand out use
# `config.url`.
BASE_PATH = "/ocpi"
MODULES = ("credentials", "locations", "sessions", "cdrs", "tariffs", "tokens", "commands")
FUNCTIONAL_MODULES = MODULES[1:]
VIA = "via"
# What a via URL may stand for: the hub's proxies and 2.2.1 interfaces, nothing else of the app.
VIA_TARGETS = ("hub/", "2.2.1/")


def details_url(config: OcpiConfig) -> str:
    return config.url(f"/{VERSION}")


def module_url(config: OcpiConfig, module: str) -> str:
    return config.url(f"/{VERSION}/{module}")


def via_url(config: OcpiConfig, module: str, url: str) -> str | None:
    """The 2.1.1 face of a hub URL: unchanged when it is a 2.1.1 URL already, the via URL for another hub
    OCPI URL it may stand for, None for anything else (a partner's URL cannot be translated on the way)."""
    ours = config.url("/")
    if url.startswith(config.url(f"/{VERSION}/")) or url == details_url(config):
        return url
    if not url.startswith(ours):
        return None
    rest = url[len(ours) :]
    if not rest.startswith(VIA_TARGETS) or "/../" in f"/{rest}/":
        return None
    return config.url(f"/{VERSION}/{VIA}/{module}/{rest}")
