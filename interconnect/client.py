"""The calls we make to 互联互通 partners: envelope out, token per partner (query_token, cached, refreshed
five minutes before expiry, fetched again once on Ret 4002), envelope back with its Sig verified and Data
decrypted, and every failure classified as retryable or not (spec §2.7, §2.8).

An adapter module: imports aiohttp, structlog, interconnect and the core only.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import structlog

from interconnect import codec
from interconnect.runtime import InterconnectRuntime, PartnerConfig, Ret

log = structlog.get_logger(__name__)

TOKEN_INTERFACE = "query_token"  # noqa: S105 (an interface name, not a secret)
REFRESH_MARGIN = timedelta(minutes=5)  # spec §2.8: refresh about 5 min before expiry
MAX_TOKEN_LIFETIME_S = 604800  # 7 days (draft §5.3); larger values are absolute times (spec §8)
DEFAULT_TOKEN_LIFETIME_S = 7200
# Ret codes after which the same call may succeed later (spec §2.8); 4001/4003/4004 are configuration errors.
RETRYABLE_RETS = frozenset({Ret.BUSY, Ret.SYSTEM})
# Public-information calls may take 20 s on average (part 1 §8): they get three times the business timeout.
PUBLIC_TIMEOUT_FACTOR = 3


class InterconnectCallError(Exception):
    """A call that produced no usable answer. `ret` is the partner's Ret (None when no envelope came back);
    `retryable` tells the outbox to try again later rather than give up (spec §2.8)."""

    def __init__(self, ret: int | None, msg: str, retryable: bool) -> None:
        super().__init__(f"Ret {ret}: {msg}" if ret is not None else msg)
        self.ret = ret
        self.msg = msg
        self.retryable = retryable


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires: datetime

    def __repr__(self) -> str:  # the token never reaches logs
        return f"AccessToken(expires={self.expires.isoformat()})"


def is_public_information(interface: str) -> bool:
    """query_stations_info, query_station_status, query_station_stats and the regulators' renamings."""
    return "query_station" in interface


def interface_url(partner: PartnerConfig, interface: str) -> str:
    """`base_url` is an opaque prefix (spec §2.1): ensure one trailing slash, append the interface name."""
    base = partner.base_url if partner.base_url.endswith("/") else partner.base_url + "/"
    return base + interface


def token_expiry(available: Any, now: datetime) -> datetime:
    """TokenAvailableTime is seconds from now (§2.7); peers also send an absolute epoch in s or ms, which is
    taken when in the future, else 7200 s is assumed (spec §8)."""
    try:
        value = int(str(available).strip())
    except ValueError:
        return now + timedelta(seconds=DEFAULT_TOKEN_LIFETIME_S)
    if 0 < value <= MAX_TOKEN_LIFETIME_S:
        return now + timedelta(seconds=value)
    epoch_s = value / 1000 if value > 10**11 else value  # 10**11 s is year 5138: larger means ms
    absolute = datetime.fromtimestamp(epoch_s, tz=now.tzinfo)
    if absolute > now:
        return absolute
    return now + timedelta(seconds=DEFAULT_TOKEN_LIFETIME_S)


def _field(data: dict[str, Any], name: str) -> Any:
    """A payload field matched case-insensitively after trimming (spec §8: pre-2016-08 peers)."""
    if name in data:
        return data[name]
    wanted = name.casefold()
    return next((v for k, v in data.items() if str(k).strip().casefold() == wanted), None)


class InterconnectClient:
    """One per app, built with the app's aiohttp session; safe to share between concurrent calls."""

    def __init__(self, runtime: InterconnectRuntime, session: aiohttp.ClientSession) -> None:
        self._rt = runtime
        self._session = session
        self._tokens: dict[str, AccessToken] = {}
        self._token_locks: dict[str, asyncio.Lock] = {}
        self._seq = codec.SeqCounter()

    # --- public surface -------------------------------------------------------------------------------

    async def call(self, partner: PartnerConfig, interface: str, payload: Any) -> Any:
        """Call `interface` (the partner's name for it) with `payload`; returns the decrypted response Data.
        Raises InterconnectCallError for anything but Ret 0 (after one re-token on 4002)."""
        token = await self._token(partner)
        try:
            return await self._post(partner, interface, payload, token.value)
        except InterconnectCallError as exc:
            if exc.ret != Ret.TOKEN:
                raise
            log.info("interconnect_token_refused", partner=partner.name, interface=interface)
        self._forget(partner, token)
        token = await self._token(partner)
        try:
            return await self._post(partner, interface, payload, token.value)
        except InterconnectCallError as exc:
            if exc.ret == Ret.TOKEN:  # a fresh token refused too: try again later, do not spin
                raise InterconnectCallError(exc.ret, exc.msg, retryable=True) from exc
            raise

    def token_state(self, partner: PartnerConfig) -> dict[str, Any]:
        """What an operator may see of our token towards `partner`: never the token itself."""
        token = self._tokens.get(self._token_key(partner))
        if token is None:
            return {"state": "none", "expires": None}
        now = self._rt.clock.now()
        state = (
            "valid"
            if now < token.expires - REFRESH_MARGIN
            else "expiring"
            if now < token.expires
            else "expired"
        )
        return {"state": state, "expires": token.expires.isoformat()}

    # --- tokens ---------------------------------------------------------------------------------------

    @staticmethod
    def _token_key(partner: PartnerConfig) -> str:
        return f"{partner.operator_id}|{partner.our_operator_id}"

    def _fresh(self, token: AccessToken | None) -> bool:
        if token is None:
            return False
        now = self._rt.clock.now()
        lifetime_left = token.expires - now
        return lifetime_left > REFRESH_MARGIN

    def _forget(self, partner: PartnerConfig, token: AccessToken) -> None:
        key = self._token_key(partner)
        if self._tokens.get(key) is token:
            del self._tokens[key]

    async def _token(self, partner: PartnerConfig) -> AccessToken:
        key = self._token_key(partner)
        cached = self._tokens.get(key)
        if self._fresh(cached):
            assert cached is not None
            return cached
        lock = self._token_locks.setdefault(key, asyncio.Lock())
        async with lock:  # concurrent calls share one query_token round trip
            cached = self._tokens.get(key)
            if self._fresh(cached):
                assert cached is not None
                return cached
            token = await self._query_token(partner)
            self._tokens[key] = token
            return token

    async def _query_token(self, partner: PartnerConfig) -> AccessToken:
        payload = {"OperatorID": partner.our_operator_id, "OperatorSecret": partner.theirs.operator_secret}
        data = await self._post(partner, TOKEN_INTERFACE, payload, None)
        if not isinstance(data, dict):
            raise InterconnectCallError(Ret.OK, "query_token answer is not an object", retryable=False)
        succ = str(_field(data, "SuccStat")).strip()
        access = _field(data, "AccessToken")
        if succ != "0" or not isinstance(access, str) or not access:
            reason = _field(data, "FailReason")
            log.error(
                "interconnect_token_failed", partner=partner.name, succ_stat=succ, fail_reason=str(reason)
            )
            # FailReason 1 无此运营商 / 2 密钥错误: our configuration is wrong, retrying will not help.
            raise InterconnectCallError(
                Ret.OK, f"query_token refused (SuccStat {succ}, FailReason {reason})", retryable=False
            )
        now = self._rt.clock.now()
        expires = token_expiry(_field(data, "TokenAvailableTime"), now)
        log.info("interconnect_token_fetched", partner=partner.name, expires=expires.isoformat())
        return AccessToken(access, expires)

    # --- one HTTP round trip --------------------------------------------------------------------------

    async def _post(self, partner: PartnerConfig, interface: str, payload: Any, token: str | None) -> Any:
        keys = partner.theirs
        plain = interface == TOKEN_INTERFACE and partner.tolerance.plain_token_data
        timestamp, seq = self._seq.stamp(self._rt.clock.now())
        body = codec.dumps(codec.build_request(partner.our_operator_id, payload, keys, timestamp, seq, plain))
        headers = {"Content-Type": "application/json;charset=utf-8"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        timeout_s = self._rt.config.request_timeout_s
        if is_public_information(interface):
            timeout_s *= PUBLIC_TIMEOUT_FACTOR
        url = interface_url(partner, interface)
        started = time.perf_counter()
        try:
            async with self._session.post(
                url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout_s)
            ) as response:
                status = response.status
                raw = await response.read()
        except TimeoutError:
            log.warning(
                "interconnect_call_timeout", partner=partner.name, interface=interface, timeout_s=timeout_s
            )
            raise InterconnectCallError(None, f"no answer within {timeout_s:g} s", retryable=True) from None
        except aiohttp.ClientError as exc:
            log.warning(
                "interconnect_call_unreachable",
                partner=partner.name,
                interface=interface,
                error=type(exc).__name__,
            )
            raise InterconnectCallError(
                None, f"transport error: {type(exc).__name__}", retryable=True
            ) from None
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        answer = self._read(partner, interface, status, raw, plain)
        log.info(
            "interconnect_call",
            partner=partner.name,
            interface=interface,
            ret=answer.ret,
            http_status=status,
            ms=elapsed_ms,
        )
        if answer.ret != Ret.OK:
            retryable = answer.ret in RETRYABLE_RETS
            if not retryable and answer.ret != Ret.TOKEN:
                log.error(
                    "interconnect_call_refused", partner=partner.name, interface=interface, ret=answer.ret
                )
            raise InterconnectCallError(answer.ret, answer.msg, retryable=retryable)
        return answer.data

    @staticmethod
    def _read(partner: PartnerConfig, interface: str, status: int, raw: bytes, plain: bool) -> codec.Response:
        keys, verify = partner.theirs, partner.tolerance.verify_response_sig
        try:
            return codec.read_response(raw, keys, verify, plain)
        except codec.NotAnEnvelopeError:
            # Spec §8: a non-200 status carrying an envelope is read; without one it is a transport error.
            log.warning(
                "interconnect_call_no_envelope", partner=partner.name, interface=interface, http_status=status
            )
            raise InterconnectCallError(None, f"HTTP {status} without an envelope", retryable=True) from None
        except codec.SignatureError:
            pass
        except codec.CodecError as exc:
            log.error(
                "interconnect_response_unreadable", partner=partner.name, interface=interface, error=str(exc)
            )
            raise InterconnectCallError(None, f"unreadable response: {exc}", retryable=False) from None
        # An error answer may be unsigned (a caller it cannot identify gets Sig "", spec §2.6): its Ret still
        # decides what we do, and trusting it costs at most a retry or a re-token. A Ret 0 must verify.
        try:
            unsigned = codec.read_response(raw, keys, False, plain)
        except codec.CodecError:
            unsigned = None
        if unsigned is not None and unsigned.ret != Ret.OK:
            log.warning(
                "interconnect_error_unsigned", partner=partner.name, interface=interface, ret=unsigned.ret
            )
            return unsigned
        log.error("interconnect_response_sig_failed", partner=partner.name, interface=interface)
        raise InterconnectCallError(None, "response signature does not verify", retryable=False)
