"""Operator endpoints on the shared port: `GET /health` (database reachable?) and `GET /metrics`
(Prometheus text).

An adapter: imports aiohttp and the core only; what it checks is handed in by the composition root.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from hub.core.metrics import METRICS, Registry

HealthCheck = Callable[[], Awaitable[dict[str, object]]]


def setup_operator_routes(app: web.Application, health: HealthCheck, registry: Registry = METRICS) -> None:
    async def get_health(_request: web.Request) -> web.Response:
        report = await health()
        status = 200 if report.get("status") == "ok" else 503
        return web.json_response(report, status=status)

    async def get_metrics(_request: web.Request) -> web.Response:
        return web.Response(
            text=registry.render(),
            content_type="text/plain",
            charset="utf-8",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    app.router.add_get("/health", get_health)
    app.router.add_get("/metrics", get_metrics)
