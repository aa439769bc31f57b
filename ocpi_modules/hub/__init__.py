"""The OCPI hub role (checklist §11): routing functional requests between parties, whatever OCPI version they
speak. `HubRouter` decides (relay, open routing, broadcast, GET All); `relay` reaches one remote party through
its platform's link; `proxy` maps URLs only the original party can reach to hub URLs; `broadcast` fans writes
addressed to the hub out through the outbox; `getall` merges every party's objects; `owners` answers "whose is
this?" for open routing; `stored` keeps what was broadcast, for GET All.

An adapter package: imports ocpi_modules.common and the core only (never an OCPI version package: versions
plug in through `ocpi_modules.common.routing`).
"""

from ocpi_modules.hub.router import HubRouter

__all__ = ["HubRouter"]
