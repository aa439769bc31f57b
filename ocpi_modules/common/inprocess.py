"""Calling one of the app's own OCPI handlers in process: the hub answers for a hosted party (a broadcast
reaching our eMSP, a GET All page of our CPO, a 2.1.1 partner's request translated to 2.2.1) through the very
handler a partner reaches over HTTP, with its authentication, validation and errors, but without a socket.

The request is a clone of the one being served (same app, connection and peer) with a new method, path,
headers and body. aiohttp clones only unread requests and has no public way to give a clone a body, so the
two private fields involved are touched here and nowhere else (`tests/unit/test_ocpi_inprocess.py` guards
them across aiohttp upgrades). Middlewares are not run: errors come back as the OCPI envelope the middleware
would have produced.

Imports aiohttp and ocpi_modules.common only.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from ocpi_modules.common.errors import NotFoundError, OcpiError
from ocpi_modules.common.headers import REQUEST_IDS_KEY, ROUTING_HEADERS_KEY


def clone_with(
    origin: web.BaseRequest, method: str, path: str, headers: Mapping[str, str], body: bytes
) -> web.Request:
    """`origin` with another method, path (and query), headers and body; request state is copied except the
    ids and routing headers parsed from `origin`."""
    saved = origin._read_bytes
    origin._read_bytes = None
    try:
        clone = origin.clone(method=method, rel_url=path, headers=headers)
    finally:
        origin._read_bytes = saved
    clone._read_bytes = body
    for key in (REQUEST_IDS_KEY, ROUTING_HEADERS_KEY):
        clone.pop(key, None)
    assert isinstance(clone, web.Request)
    return clone


async def call_handler(
    origin: web.BaseRequest, method: str, path: str, headers: Mapping[str, str], body: bytes = b""
) -> web.StreamResponse:
    """Resolve `method path` on the app serving `origin` and run its handler; an OcpiError becomes its
    envelope, an unknown route a 404 envelope."""
    from ocpi_modules.common.middleware import error_response  # the envelope of an error, one place

    request = clone_with(origin, method, path, headers, body)
    match = await request.app.router.resolve(request)
    if match.http_exception is not None:
        return error_response(request, NotFoundError(f"no route for {method} {path.split('?', 1)[0]}"))
    match.add_app(request.app)
    match.freeze()
    request._match_info = match
    try:
        return await match.handler(request)
    except OcpiError as exc:
        return error_response(request, exc)
