"""The 2.1.1 translation dispatch (STYLE: dispatch tables with a test that every entry is there): every object
an OCPI 2.1.1 interface carries, in a request body or a successful answer, has a translation both ways, and a
request 2.1.1 does not have is refused rather than passed on."""

from __future__ import annotations

import contextlib
import itertools

import pytest

from ocpi_modules.common.routing import RECEIVER, SENDER, Untranslatable
from ocpi_modules.v2_1_1.objects import TO_211, TO_221, answer_kind, body_kind, is_list
from ocpi_modules.v2_1_1.urls import FUNCTIONAL_MODULES

TAILS = [(), ("L1",), ("L1", "E1"), ("L1", "E1", "C1"), ("NL", "CPO", "L1"), ("NL", "CPO", "L1", "E1")]
TAILS += [("NL", "CPO", "L1", "E1", "C1"), ("T1", "authorize"), ("START_SESSION",), ("UNLOCK_CONNECTOR",)]
CASES = list(
    itertools.product(
        FUNCTIONAL_MODULES, (SENDER, RECEIVER), ("GET", "PUT", "PATCH", "POST", "DELETE"), TAILS
    )
)


@pytest.mark.parametrize(("module", "role", "method", "tail"), CASES)
def test_every_kind_an_interface_carries_translates_both_ways(
    module: str, role: str, method: str, tail: tuple[str, ...]
) -> None:
    kinds = set()
    with contextlib.suppress(Untranslatable):  # a request 2.1.1 does not have: refused, never forwarded
        kinds.add(body_kind(module, role, method, tail))
    with contextlib.suppress(Untranslatable):
        kinds.add(answer_kind(module, role, method, tail))
    for kind in kinds - {None}:
        assert kind in TO_211, kind
        assert kind in TO_221, kind


@pytest.mark.parametrize(
    ("module", "role", "method", "tail", "kind"),
    [
        ("locations", RECEIVER, "PUT", ("NL", "CPO", "L1"), "location"),
        ("locations", RECEIVER, "PATCH", ("NL", "CPO", "L1", "E1"), "evse"),
        ("locations", RECEIVER, "PUT", ("NL", "CPO", "L1", "E1", "1"), "connector"),
        ("sessions", RECEIVER, "PATCH", ("NL", "CPO", "S1"), "session"),
        ("cdrs", RECEIVER, "POST", (), "cdr"),
        ("tariffs", RECEIVER, "PUT", ("NL", "CPO", "T1"), "tariff"),
        ("tokens", RECEIVER, "PUT", ("NL", "MSP", "U1"), "token"),
        ("tokens", SENDER, "POST", ("U1", "authorize"), "location_references"),
        ("commands", RECEIVER, "POST", ("reserve_now",), "command:RESERVE_NOW"),
        ("commands", SENDER, "POST", (), "command_result"),
    ],
)
def test_request_bodies_are_recognised(
    module: str, role: str, method: str, tail: tuple[str, ...], kind: str
) -> None:
    assert body_kind(module, role, method, tail) == kind


@pytest.mark.parametrize(
    ("module", "role", "method", "tail"),
    [
        ("tariffs", RECEIVER, "PATCH", ("NL", "CPO", "T1")),  # 2.2.1 tariffs take no PATCH
        ("commands", RECEIVER, "POST", ("CANCEL_RESERVATION",)),
        ("chargingprofiles", RECEIVER, "PUT", ("S1",)),
        ("locations", SENDER, "PUT", ("L1",)),
        ("locations", RECEIVER, "PUT", ("NL", "CPO")),
    ],
)
def test_requests_2_1_1_does_not_have_are_refused(
    module: str, role: str, method: str, tail: tuple[str, ...]
) -> None:
    with pytest.raises(Untranslatable):
        body_kind(module, role, method, tail)


def test_list_gets_are_sender_gets_without_tail() -> None:
    assert is_list("sessions", SENDER, "GET", ())
    assert not is_list("sessions", SENDER, "GET", ("S1",))
    assert not is_list("locations", RECEIVER, "GET", ())
    assert answer_kind("tokens", SENDER, "POST", ("U1", "authorize")) == "authorization"
    assert answer_kind("commands", RECEIVER, "POST", ("START_SESSION",)) == "command_response"
    assert answer_kind("locations", SENDER, "GET", ("L1", "E1")) == "evse"
