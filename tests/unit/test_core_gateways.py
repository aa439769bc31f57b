"""RoutingGateway: every StationGateway call reaches the gateway of the first route whose predicate holds for
the station id, else the default one; answers and errors come back unchanged."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from hub.core.errors import UnavailableError
from hub.core.gateways import RoutingGateway
from hub.core.models import CommandResultType, StationCommandReply
from tests.fakes.gateway import FakeGateway

EXPIRY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

# Every StationGateway method with the arguments after the station id, and what the fake records of them.
CALLS: list[tuple[str, tuple[Any, ...], tuple[Any, ...]]] = [
    ("start_transaction", (1, "TOKEN-1", 7), (1, "TOKEN-1", 7)),
    ("stop_transaction", ("TX-1",), ("TX-1",)),
    ("unlock_connector", (1, 1), (1, 1)),
    ("reserve_now", (3, 1, "TOKEN-1", EXPIRY), (3, 1, "TOKEN-1", EXPIRY)),
    ("cancel_reservation", (3,), (3,)),
    ("set_charging_limit", (1, "TX-1", 5, Decimal("11000"), "W"), (1, "TX-1", 5, Decimal("11000"), "W")),
    ("clear_charging_profile", (5,), (5,)),
    ("get_composite_schedule", (1, 3600, "W"), (1, 3600, "W")),
    ("reset", (True,), (True,)),
    ("change_availability", (1, False), (1, False)),
    ("trigger_message", ("StatusNotification", 1), ("StatusNotification", 1)),
    ("get_configuration", (["HeartbeatInterval"],), (("HeartbeatInterval",),)),
    ("change_configuration", ("HeartbeatInterval", "60"), ("HeartbeatInterval", "60")),
    ("send_local_list", (2, [("TOKEN-1", True)], True), (2, (("TOKEN-1", True),), True)),
    ("data_transfer", ("ACME", "msg", "data"), ("ACME", "msg", "data")),
]


def virtual(station_id: str) -> bool:
    return station_id.startswith("V.")


def routed() -> tuple[RoutingGateway, FakeGateway, FakeGateway, FakeGateway]:
    ocpp = FakeGateway(connected=["CP001"])
    partner = FakeGateway(connected=["V.E1"])
    other = FakeGateway(connected=["W.E1"])
    gateway = RoutingGateway(ocpp, [(virtual, partner), (lambda s: s.startswith(("V.", "W.")), other)])
    return gateway, ocpp, partner, other


@pytest.mark.parametrize(("method", "args", "recorded"), CALLS, ids=[c[0] for c in CALLS])
async def test_each_call_goes_to_the_gateway_of_its_station(
    method: str, args: tuple[Any, ...], recorded: tuple[Any, ...]
) -> None:
    gateway, ocpp, partner, other = routed()
    call: Callable[..., Awaitable[StationCommandReply]] = getattr(gateway, method)

    assert (await call("V.E1", *args)).result is CommandResultType.ACCEPTED
    assert (await call("CP001", *args)).result is CommandResultType.ACCEPTED
    assert (await call("W.E1", *args)).result is CommandResultType.ACCEPTED

    assert [(c.method, c.station_id, c.args) for c in partner.calls] == [(method, "V.E1", recorded)]
    assert [(c.method, c.station_id, c.args) for c in ocpp.calls] == [(method, "CP001", recorded)]
    # The first matching route wins: V.E1 matched both predicates and went to the first only.
    assert [(c.method, c.station_id, c.args) for c in other.calls] == [(method, "W.E1", recorded)]


def test_is_connected_asks_the_gateway_of_the_station() -> None:
    gateway, _ocpp, partner, _other = routed()
    assert gateway.is_connected("CP001")
    assert gateway.is_connected("V.E1")
    assert not gateway.is_connected("V.E2")  # the partner gateway does not know it, the default is not asked
    partner.connect("V.E2")
    assert gateway.is_connected("V.E2")
    assert not gateway.is_connected("CP002")


async def test_answers_and_errors_come_back_unchanged() -> None:
    gateway, ocpp, partner, _other = routed()
    partner.script("stop_transaction", StationCommandReply(result=CommandResultType.REJECTED, message="no"))
    reply = await gateway.stop_transaction("V.E1", "TX-9")
    assert (reply.result, reply.message) == (CommandResultType.REJECTED, "no")
    with pytest.raises(UnavailableError):
        await gateway.reset("CP404", hard=False)  # the default gateway's own error for an unknown station
    assert [c.station_id for c in ocpp.calls] == ["CP404"]


async def test_without_routes_everything_goes_to_the_default() -> None:
    ocpp = FakeGateway(connected=["V.E1"])
    gateway = RoutingGateway(ocpp)
    assert (await gateway.reset("V.E1", hard=True)).result is CommandResultType.ACCEPTED
    assert gateway.gateway_for("V.E1") is ocpp
    assert [(c.method, c.station_id) for c in ocpp.calls] == [("reset", "V.E1")]
