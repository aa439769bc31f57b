"""The inbound 互联互通 route `POST {base_path}/{interface}`: one pipeline checks the envelope, the caller,
its Sig and token, opens Data, runs the interface's handler and answers a signed envelope (spec §2.6).

An adapter module: imports aiohttp, structlog, interconnect and the core only.
"""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import structlog
from aiohttp import web

from hub.core.metrics import METRICS
from interconnect import codec, tokens
from interconnect.runtime import (
    RET_TEXT,
    Call,
    InterconnectError,
    InterconnectRuntime,
    KeySet,
    PartnerConfig,
    Ret,
    runtime,
)

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024  # a station list push is the largest inbound body; far above any seen
TOKEN_INTERFACE = "query_token"  # noqa: S105 (an interface name, not a secret)
CONTENT_TYPE = "application/json"

_REQUESTS = METRICS.counter("interconnect_requests_total", "互联互通 calls served, by interface and Ret")
_SECONDS = METRICS.histogram("interconnect_request_seconds", "Time to answer a 互联互通 call")


def setup_interconnect_routes(router: web.UrlDispatcher, base_path: str) -> None:
    """POST {base_path}/{interface}; some platforms append a slash to every URL they call."""
    router.add_post(f"{base_path}/{{interface}}", serve_call)
    router.add_post(f"{base_path}/{{interface}}/", serve_call)


@dataclass
class _Attempt:
    """What is known about the call so far: what the refusal log line and the answer's signature use."""

    requested: str  # the interface name in the URL
    remote: str | None
    operator_id: str | None = None  # as claimed in the envelope, until a partner is identified
    partner: PartnerConfig | None = None
    interface: str | None = None  # ours, after alias resolution
    keys: KeySet | None = None  # set once the caller is identified: error answers are then signed
    plain: bool = False  # query_token Data as plain JSON (partner flag, spec §8)
    token_fingerprint: str | None = None


async def serve_call(request: web.Request) -> web.Response:
    """HTTP 200 with an envelope for every outcome (spec §2.1); a Ret ≠ 0 is logged as one line."""
    rt = runtime(request)
    started = time.perf_counter()
    attempt = _Attempt(requested=request.match_info["interface"], remote=request.remote)
    try:
        payload = await _run(rt, request, attempt)
        sealed = _SEALED.get(attempt, payload)
        if sealed is not None:
            _REQUESTS.inc({"interface": attempt.interface or "unknown", "ret": "0"})
            _SECONDS.observe(time.perf_counter() - started, {"interface": attempt.interface or "unknown"})
            return web.Response(body=sealed, content_type=CONTENT_TYPE, charset="utf-8")
        envelope = codec.build_response(Ret.OK, RET_TEXT[Ret.OK], payload, attempt.keys, attempt.plain)
        ret = Ret.OK
    except InterconnectError as exc:
        ret = exc.ret
        _log_refusal(attempt, exc)
        envelope = codec.build_response(exc.ret, exc.msg, None, attempt.keys)
    except Exception:
        ret = Ret.SYSTEM
        log.exception("interconnect_failed", **_context(attempt))
        envelope = codec.build_response(Ret.SYSTEM, RET_TEXT[Ret.SYSTEM], None, attempt.keys)
    interface = attempt.interface if attempt.interface in rt.handlers else "unknown"
    _REQUESTS.inc({"interface": interface, "ret": str(int(ret))})
    _SECONDS.observe(time.perf_counter() - started, {"interface": interface})
    body = codec.dumps(envelope)
    if ret is Ret.OK:
        _SEALED.put(attempt, payload, body)
    return web.Response(body=body, content_type=CONTENT_TYPE, charset="utf-8")


# Interfaces whose handlers hand back the same payload object while it is unchanged (cached pages).
SEALED_INTERFACES = frozenset(
    {
        "query_stations_info",
        "supervise_query_stations_info",
        "query_station_status",
        "supervise_query_station_status",
    }
)


class _SealedAnswers:
    """The answer bytes of a payload object already sent to this partner. The DataSecretIV is fixed (spec
    §2.4), so the envelope of an unchanged payload is byte for byte the same: a cached page of stations
    then costs no JSON, AES or HMAC work again. Entries hold the payload itself, so an id is never reused
    while it is cached."""

    def __init__(self, limit: int = 256) -> None:
        self._limit = limit
        self._answers: OrderedDict[tuple[str, int], tuple[object, bytes]] = OrderedDict()

    def get(self, attempt: _Attempt, payload: object) -> bytes | None:
        if attempt.interface not in SEALED_INTERFACES or attempt.operator_id is None:
            return None
        entry = self._answers.get((attempt.operator_id, id(payload)))
        if entry is None or entry[0] is not payload:
            return None
        self._answers.move_to_end((attempt.operator_id, id(payload)))
        return entry[1]

    def put(self, attempt: _Attempt, payload: object, body: bytes) -> None:
        if attempt.interface not in SEALED_INTERFACES or attempt.operator_id is None:
            return
        self._answers[(attempt.operator_id, id(payload))] = (payload, body)
        while len(self._answers) > self._limit:
            self._answers.popitem(last=False)


_SEALED = _SealedAnswers()


async def _run(rt: InterconnectRuntime, request: web.Request, attempt: _Attempt) -> dict[str, Any]:
    """Spec §2.6 order: envelope (4003) → partner and address (4003) → Sig (4001) → TimeStamp window (4003,
    when on) → token unless query_token (4002) → Data (4003) → payload (4004) → the handler."""
    envelope = codec.loads(await _read_body(request), Ret.ENVELOPE)
    attempt.operator_id = _claimed_operator_id(envelope)
    if attempt.operator_id is None:
        raise InterconnectError(Ret.ENVELOPE, detail="no OperatorID in the envelope")
    partner = rt.config.partner(attempt.operator_id)
    if partner is None:
        raise InterconnectError(Ret.ENVELOPE, detail="unknown OperatorID")
    if not address_allowed(partner.allow_ips, attempt.remote):
        raise InterconnectError(Ret.ENVELOPE, detail=f"address {attempt.remote} not in allow_ips")
    attempt.partner, attempt.keys = partner, partner.ours
    attempt.interface = partner.aliases.get(attempt.requested, attempt.requested)
    fields = codec.read_request_fields(envelope)
    codec.check_request_sig(fields, partner.ours.sig_secret)
    now = rt.clock.now()
    window = partner.tolerance.replay_window_s
    if window and not codec.timestamp_within(fields.timestamp, now, window):
        raise InterconnectError(Ret.ENVELOPE, detail=f"TimeStamp outside the {window} s replay window")
    if attempt.interface != TOKEN_INTERFACE:
        _check_token(rt, request, attempt, partner)
    attempt.plain = attempt.interface == TOKEN_INTERFACE and partner.tolerance.plain_token_data
    payload = codec.open_data(fields.data, partner.ours, plain=attempt.plain)
    if not isinstance(payload, dict):
        raise InterconnectError(Ret.PAYLOAD, detail="payload is not a JSON object")
    handler = rt.handlers.get(attempt.interface)
    if handler is None:
        raise InterconnectError(Ret.PAYLOAD, "unknown interface", detail="no handler for this interface")
    return await handler(Call(runtime=rt, partner=partner, interface=attempt.interface), payload)


async def _read_body(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise InterconnectError(Ret.ENVELOPE, detail=f"body over {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise InterconnectError(Ret.ENVELOPE, detail=f"body over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _claimed_operator_id(envelope: Any) -> str | None:
    # Looked up before the other fields are read: a known caller gets its envelope errors signed.
    if not isinstance(envelope, dict):
        return None
    for key, value in envelope.items():
        if isinstance(key, str) and key.strip().casefold() == "operatorid":
            if isinstance(value, int) and not isinstance(value, bool):
                return str(value)
            return value if isinstance(value, str) and value else None
    return None


def _check_token(
    rt: InterconnectRuntime, request: web.Request, attempt: _Attempt, partner: PartnerConfig
) -> None:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.casefold() != "bearer" or not token:
        raise InterconnectError(Ret.TOKEN, detail="no Bearer token")
    now = rt.clock.now().timestamp()
    expiry = _VALID_TOKENS.get((partner.operator_id, token))
    if expiry is not None and now < expiry:
        return
    if not tokens.token_valid(
        rt.config.secret_key, token, partner.operator_id, partner.ours.operator_secret, rt.clock.now()
    ):
        attempt.token_fingerprint = tokens.fingerprint(token)
        raise InterconnectError(Ret.TOKEN, detail="token unknown, expired or issued to another OperatorID")
    if len(_VALID_TOKENS) >= _VALID_TOKENS_LIMIT:
        _VALID_TOKENS.clear()
    _VALID_TOKENS[(partner.operator_id, token)] = tokens.token_expiry(token)


# Tokens already verified, with their expiry: a partner's every call carries the same token for hours, and
# the MAC need not be computed again (the partner's OperatorSecret only changes with a restart).
_VALID_TOKENS: dict[tuple[str, str], float] = {}
_VALID_TOKENS_LIMIT = 10_000


@lru_cache(maxsize=64)
def _networks(allow_ips: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in allow_ips)


def address_allowed(allow_ips: tuple[str, ...], remote: str | None) -> bool:
    """Spec §1.3 IP访问控制: an empty list allows any address; entries are addresses or CIDR networks."""
    if not allow_ips:
        return True
    if remote is None:
        return False
    try:
        address = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(allow_ips))


def _context(attempt: _Attempt) -> dict[str, Any]:
    # Never a secret, a token or Data: the claimed OperatorID is cut short (it is caller-controlled).
    context: dict[str, Any] = {
        "operator_id": attempt.partner.operator_id if attempt.partner else (attempt.operator_id or "")[:20],
        "interface": attempt.interface or attempt.requested[:64],
        "remote": attempt.remote,
    }
    if attempt.partner is not None:
        context["partner"] = attempt.partner.name
    if attempt.token_fingerprint is not None:
        context["token_fingerprint"] = attempt.token_fingerprint
    return context


def _log_refusal(attempt: _Attempt, exc: InterconnectError) -> None:
    log.warning("interconnect_refused", ret=int(exc.ret), reason=exc.detail or exc.msg, **_context(attempt))
