"""Per-platform handshake locks and the listeners run after every successful registration.
Imports ocpi_modules.common and the core only."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from hub.core.models import Platform
from ocpi_modules.common.runtime import OcpiRuntime

_LOCKS_KEY = "ocpi.credentials_locks"
_LISTENERS_KEY = "ocpi.registration_listeners"


RegistrationListener = Callable[[OcpiRuntime, Platform], Awaitable[None]]


def on_registered(rt: OcpiRuntime, listener: RegistrationListener) -> None:
    """Run `listener(rt, platform)` in the background after every successful registration, whichever side
    started it (e.g. send a new partner what it must know from the start: tokens, locations)."""
    rt.extras.setdefault(_LISTENERS_KEY, []).append(listener)


def announce_registered(rt: OcpiRuntime, platform: Platform) -> None:
    """Start the `on_registered` listeners for a platform that has just become CONNECTED."""
    for listener in rt.extras.get(_LISTENERS_KEY, ()):
        rt.core.tasks.spawn(listener(rt, platform), name=f"ocpi-registered-{platform.id}")


def credentials_lock(rt: OcpiRuntime, platform_id: str) -> asyncio.Lock:
    """Serialises handshakes of one platform (two POSTs with the same Token A must not both succeed)."""
    locks: dict[str, asyncio.Lock] = rt.extras.setdefault(_LOCKS_KEY, {})
    return locks.setdefault(platform_id, asyncio.Lock())
