"""Which hosted party is our eMSP (the one party with role EMSP in `[[parties]]`).

An adapter module: imports the core and ocpi_modules only.
"""

from __future__ import annotations

from hub.core.errors import NotFoundError
from hub.core.models import Role
from ocpi_modules.common.runtime import HostedParty, OcpiRuntime


def our_emsp(rt: OcpiRuntime) -> HostedParty:
    """The hosted eMSP; with several, the first configured. Raises NotFoundError when the hub hosts none."""
    hosted = rt.config.hosted_by_role(Role.EMSP)
    if not hosted:
        raise NotFoundError("this hub hosts no eMSP party (add one with role EMSP to [[parties]])")
    return hosted[0]
