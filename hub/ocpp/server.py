"""The OCPP central system's websocket endpoint `GET {path}/{station_id}`: identity, HTTP Basic / client
certificate admission before the upgrade, subprotocol negotiation by preference, one Connection per socket.

Imports the standard library, aiohttp, structlog, hub.core and hub.ocpp only.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote

import structlog
from aiohttp import WSCloseCode, hdrs, web

from hub.core.chargepoint import ChargePointApi
from hub.ocpp.gateway import OcppGateway
from hub.ocpp.protocol import RpcOptions, VersionSpec
from hub.ocpp.rpc import Connection

_log = structlog.get_logger("hub.ocpp.server")

MAX_IDENTITY_LENGTH = 48  # OCPP-J 1.6 §3.1.1 / 2.0.1 Part 4 §3.1.1 (identity is the Basic-auth username)
VERSION_PACKAGES = {"ocpp1.6": "hub.ocpp.v16", "ocpp2.0.1": "hub.ocpp.v201"}


@dataclass(frozen=True)
class OcppServerConfig:
    path: str = "/ocpp"
    heartbeat_interval_s: int = 300
    compression: bool = False
    max_message_bytes: int = 65536
    call_timeout_s: float = 30.0
    ws_ping_interval_s: float = 60.0
    validation: Literal["strict", "lenient"] | str = "strict"
    protocols: tuple[str, ...] = ("ocpp2.0.1", "ocpp1.6")  # preference order
    close_timeout_s: float = 5.0  # how long a close waits for the station's close frame


def available_versions(protocols: Sequence[str]) -> dict[str, VersionSpec]:
    """The VersionSpec of every configured subprotocol (its version package's `VERSION`)."""
    versions: dict[str, VersionSpec] = {}
    for protocol in protocols:
        module_name = VERSION_PACKAGES.get(protocol)
        if module_name is None:
            raise ValueError(f"unsupported OCPP subprotocol {protocol!r}")
        spec = importlib.import_module(module_name).VERSION
        if not isinstance(spec, VersionSpec) or spec.protocol != protocol:
            raise TypeError(f"{module_name}.VERSION is not the VersionSpec of {protocol}")
        versions[protocol] = spec
    return versions


def identity_from_path(raw_path: str) -> str | None:
    """The station identity: the last path segment, percent-decoded; None when it is not a valid identity."""
    segment = raw_path.split("?", 1)[0].rsplit("/", 1)[-1]
    try:
        identity = unquote(segment, errors="strict")
    except UnicodeDecodeError:
        return None
    if not identity or len(identity) > MAX_IDENTITY_LENGTH or ":" in identity or "/" in identity:
        return None
    if not identity.isprintable():
        return None
    return identity


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(username, password) from an `Authorization: Basic …` header; None when absent or not Basic."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, sep, password = raw.partition(b":")
    if not sep:
        return None
    try:
        return user.decode(), password.decode()
    except UnicodeDecodeError:
        # 1.6 passwords may be binary (Security Whitepaper §2.3): keep every byte.
        return user.decode("latin-1"), password.decode("latin-1")


def client_cert_cn(request: web.Request) -> str | None:
    transport = request.transport
    if transport is None:
        return None
    cert = transport.get_extra_info("peercert")
    if not cert:
        return None
    for rdn in cert.get("subject", ()):
        for name, value in rdn:
            if name == "commonName":
                return str(value)
    return None


def offered_protocols(request: web.Request) -> list[str]:
    offered: list[str] = []
    for header in request.headers.getall(hdrs.SEC_WEBSOCKET_PROTOCOL, []):
        offered.extend(p.strip() for p in header.split(",") if p.strip())
    return offered


class _ConnectionLog:
    """`info` with the connection's station id and peer, without a bound logger held per connection."""

    __slots__ = ("_request", "_station_id")

    def __init__(self, station_id: str, request: web.Request) -> None:
        self._station_id = station_id
        self._request = request

    def info(self, event: str, **fields: Any) -> None:
        _log.info(event, station_id=self._station_id, peer=self._request.remote, **fields)


class OcppServer:
    """The aiohttp handler for station websockets."""

    def __init__(
        self,
        api: ChargePointApi,
        config: OcppServerConfig,
        gateway: OcppGateway,
        versions: Mapping[str, VersionSpec],
    ) -> None:
        self.api = api
        self.config = config
        self.gateway = gateway
        self.versions = dict(versions)
        self.options = RpcOptions(call_timeout_s=config.call_timeout_s, strict=config.validation != "lenient")

    def choose_protocol(self, offered: Sequence[str]) -> str | None:
        # Our preference decides, not the order of the station's list (spec ocpp.md §2).
        return next((p for p in self.config.protocols if p in offered and p in self.versions), None)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        station_id = identity_from_path(request.raw_path)
        if station_id is None:
            _log.info("ocpp.invalid_identity", path=request.path[:120])
            raise web.HTTPNotFound(text="invalid charge point identity")
        # No bound logger held for the socket's lifetime (memory per idle station): context goes per event.
        log = _ConnectionLog(station_id, request)
        if self.gateway.closed:
            raise web.HTTPServiceUnavailable(text="shutting down")
        credentials = basic_credentials(request.headers.get(hdrs.AUTHORIZATION))
        username_ok = credentials is None or credentials[0] == station_id
        password = credentials[1] if credentials and username_ok else None
        cn = client_cert_cn(request)
        admission = await self.api.admit(station_id, password, cn)
        if not admission.admitted or not username_ok:
            if not admission.known and not admission.admitted:
                log.info("ocpp.unknown_station_refused", reason=admission.reason)
                raise web.HTTPNotFound(text="unknown charge point")
            log.info(
                "ocpp.authentication_failed",
                reason=admission.reason if username_ok else "username is not the identity",
                has_credentials=credentials is not None,
            )
            raise web.HTTPUnauthorized(
                headers={hdrs.WWW_AUTHENTICATE: 'Basic realm="ocpp", charset="UTF-8"'},
                text="authentication required",
            )

        offered = offered_protocols(request)
        protocol = self.choose_protocol(offered)
        ws = web.WebSocketResponse(
            protocols=(protocol,) if protocol else (),
            heartbeat=self.config.ws_ping_interval_s or None,
            compress=self.config.compression,
            max_msg_size=self.config.max_message_bytes,
            timeout=self.config.close_timeout_s,
        )
        await ws.prepare(request)
        if protocol is None or ws.ws_protocol != protocol:
            # OCPP-J §3.1.2: complete the handshake without Sec-WebSocket-Protocol, then close at once.
            log.info("ocpp.no_common_subprotocol", offered=offered[:8])
            await ws.close(code=WSCloseCode.PROTOCOL_ERROR, message=b"no supported OCPP subprotocol")
            return ws

        conn = Connection(ws, station_id, self.versions[protocol], self.api, self.options)
        self.gateway.attach(conn)
        log.info("ocpp.connected", protocol=protocol, known=admission.known)
        try:
            await self.api.connected(station_id, protocol)
            conn.announced.set()
            await conn.run()
        finally:
            conn.announced.set()
            if not ws.closed:
                await conn.close(WSCloseCode.INTERNAL_ERROR, b"connection setup failed")
            await self._disconnected(conn)
            log.info("ocpp.disconnected", protocol=protocol, close_code=ws.close_code)
        return ws

    async def _disconnected(self, conn: Connection) -> None:
        """Tell the core this socket closed. Every announced socket is paired with one `disconnected`; the
        core counts them, so a replaced socket closing after its successor opened leaves the station
        connected. The replaced socket's call waits until the successor was announced, so the count never
        drops to 0 in between (which would flap the EVSEs to UNKNOWN)."""
        if not self.gateway.detach(conn):
            successor = self.gateway.current(conn.station_id)
            if successor is not None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.config.close_timeout_s):
                        await successor.announced.wait()
        await self.api.disconnected(conn.station_id)


def setup_ocpp(
    app: web.Application,
    api: ChargePointApi,
    config: OcppServerConfig,
    *,
    versions: Mapping[str, VersionSpec] | None = None,
) -> OcppGateway:
    """Add the station websocket route to `app` and return the gateway the core sends commands through.

    Station sockets are closed with 1001 when the app shuts down (before its cleanup contexts run)."""
    gateway = OcppGateway()
    server = OcppServer(
        api, config, gateway, versions if versions is not None else available_versions(config.protocols)
    )
    app.router.add_get(config.path.rstrip("/") + "/{identity:.+}", server.handle, name="ocpp")

    async def close_stations(_app: web.Application) -> None:
        await gateway.close()

    app.on_shutdown.append(close_stations)
    return gateway


__all__ = ["OcppServer", "OcppServerConfig", "available_versions", "setup_ocpp"]
