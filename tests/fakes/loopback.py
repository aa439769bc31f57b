"""Serving a fake partner's aiohttp app on a free loopback port.

Test support: imports aiohttp only.
"""

from __future__ import annotations

from aiohttp import web


async def serve_on_loopback(app: web.Application) -> tuple[web.AppRunner, str]:
    """The started runner (call `cleanup()` on it to stop) and the base URL `http://127.0.0.1:PORT`."""
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"
