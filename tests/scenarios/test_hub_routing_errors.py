"""The hub's own errors on a relay (RT-09, issue 4 "Bad input"): an unknown TO party is 4001, a receiver that
hangs past `[ocpi] relay_timeout` is 4002 within that timeout, an OFFLINE or unreachable receiver is 4003, a
receiver answering garbage is 4000, a spoofed FROM is refused (401, AU-09) and a loop back to the caller's
own platform is 4000 — each with its log line, none of them forwarded anywhere. Three partners on loopback,
both storage backends.

Test code: imports the scenario helpers, the fake OCPI partner and the core's models.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import structlog.testing

from hub.core.models import PlatformStatus
from tests.scenarios.hub_support import (
    CPB,
    CPO_PATH,
    EMA,
    EMC,
    EMSP_PATH,
    OWN_EMSP,
    MakeHub,
    a_location,
    roaming,
    settle,
)

LOCATIONS = f"{CPO_PATH}/locations"
RELAY_TIMEOUT = 0.5


def events(logs: Sequence[Mapping[str, Any]], name: str) -> list[Mapping[str, Any]]:
    return [entry for entry in logs if entry.get("event") == name]


def error_logged(logs: Sequence[Mapping[str, Any]], status_code: int) -> bool:
    return any(e.get("status_code") == status_code for e in events(logs, "ocpi_error_response"))


async def test_unknown_receiver_4001_spoofed_from_401_and_loop_4000_are_never_forwarded(
    make_hub: MakeHub,
) -> None:
    async with roaming(make_hub) as net:
        a = net.client(net.a)

        with structlog.testing.capture_logs() as logs:
            unknown = await a.get(LOCATIONS, to_party="DE*ZZZ")
            spoofed = [
                await a.get(LOCATIONS, from_party=EMC, to_party=CPB),  # another partner's party
                await a.get(LOCATIONS, from_party=OWN_EMSP, to_party=CPB),  # a party of the hub itself
                await a.get(LOCATIONS, from_party="DE*ZZZ", to_party=CPB),  # nobody's party
                await a.get(LOCATIONS, from_party=EMC, to_party="NL*CPO"),  # towards a hosted party
            ]
            # A loop: TO names a party of the calling platform itself.
            loop = await a.get(f"{EMSP_PATH}/locations/DE/CPB/LOC-B1", from_party=EMA, to_party=EMA)

        assert (unknown.status, unknown.status_code) == (200, 4001), unknown.body
        assert "DE*ZZZ" in unknown.body["status_message"]
        assert error_logged(logs, 4001)
        assert [(r.status, r.status_code) for r in spoofed] == [(401, 2000)] * 4, [r.body for r in spoofed]
        assert len(events(logs, "ocpi_foreign_from")) == 4
        assert (loop.status, loop.status_code) == (200, 4000), loop.body
        assert "loop" in loop.body["status_message"].lower()
        [looped] = events(logs, "ocpi_relay_loop")
        assert (looped["platform_id"], looped["to"]) == ("platform-a", EMA)
        await settle()
        assert not net.a.calls
        assert not net.b.calls
        assert not net.c.calls


async def test_a_hanging_receiver_is_4002_within_the_relay_timeout_and_garbage_is_4000(
    make_hub: MakeHub,
) -> None:
    async with roaming(make_hub, ocpi={"relay_timeout": RELAY_TIMEOUT}) as net:
        a = net.client(net.a)
        release = net.b.hang("/sender/locations")
        try:
            with structlog.testing.capture_logs() as logs:
                started = time.monotonic()
                answer = await a.get(LOCATIONS, to_party=CPB)
                waited = time.monotonic() - started
        finally:
            release.set()

        assert (answer.status, answer.status_code) == (200, 4002), answer.body
        assert RELAY_TIMEOUT * 0.9 <= waited < RELAY_TIMEOUT + 1.0, waited
        assert len(net.b.calls_to("/sender/locations")) == 1  # it did go out, once
        [failed] = events(logs, "ocpi_relay_failed")
        assert (failed["reason"], failed["platform_id"]) == ("timeout", "platform-b")

        # B answers, but garbage: HTML, JSON without an envelope, nothing at all.
        net.b.garbage("/sender/locations/LOC-HTML")
        net.b.garbage("/sender/locations/LOC-NO-ENVELOPE", b'{"locations": []}')
        net.b.garbage("/sender/locations/LOC-EMPTY", b"")
        with structlog.testing.capture_logs() as logs:
            answers = [
                await a.get(f"{LOCATIONS}/{location_id}", to_party=CPB)
                for location_id in ("LOC-HTML", "LOC-NO-ENVELOPE", "LOC-EMPTY")
            ]

        assert [(r.status, r.status_code) for r in answers] == [(200, 4000)] * 3, [r.body for r in answers]
        assert all("data" not in r.body for r in answers)  # nothing of the garbage reaches A
        reasons = [e["reason"] for e in events(logs, "ocpi_relay_failed")]
        assert reasons == ["invalid_json", "invalid_envelope", "invalid_envelope"]

        # B answers properly again: the next relay works.
        net.b.lists["locations"] = [a_location("LOC-B1")]
        again = await a.get(LOCATIONS, to_party=CPB)
        assert (again.status_code, [loc["id"] for loc in again.data]) == (1000, ["LOC-B1"]), again.body


async def test_rt09_an_offline_or_unreachable_receiver_is_4003(make_hub: MakeHub) -> None:
    async with roaming(make_hub) as net:
        a = net.client(net.a)
        await net.set_status(CPB, PlatformStatus.OFFLINE)
        with structlog.testing.capture_logs() as offline_logs:
            offline = await a.get(LOCATIONS, to_party=CPB)

        assert (offline.status, offline.status_code) == (200, 4003), offline.body
        assert "OFFLINE" in offline.body["status_message"]
        assert error_logged(offline_logs, 4003)
        await settle()
        assert not net.b.calls  # an OFFLINE party is sent nothing (HC-02)

        await net.set_status(CPB, PlatformStatus.CONNECTED)
        await net.b.stop()  # connection refused from now on
        with structlog.testing.capture_logs() as refused_logs:
            refused = await a.get(LOCATIONS, to_party=CPB)

        assert (refused.status, refused.status_code) == (200, 4003), refused.body
        [failed] = events(refused_logs, "ocpi_relay_failed")
        assert (failed["reason"], failed["platform_id"]) == ("connection", "platform-b")
