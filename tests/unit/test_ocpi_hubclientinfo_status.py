"""HubClientInfo status derivation and visibility (checklist §12), as pure functions: hosted parties are
CONNECTED, a platform's parties take its status, agreement-only parties are PLANNED, removed parties are
SUSPENDED and never dropped (HC-02, HC-05), each platform sees only its agreement partners, never itself
(HC-09); the ClientInfo wire shape (HC-01)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from hub.core.models import PartyRef, Platform, PlatformRole, PlatformStatus, Role
from ocpi_modules.common.runtime import HostedParty
from ocpi_modules.v2_2_1.hubclientinfo import ClientInfo, ConnectionStatus, Known, derive, visible_to

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HUB = PartyRef.parse("NL*HUB")
CPO = PartyRef.parse("NL*CPO")
MSP = PartyRef.parse("NL*MSP")
PRT = PartyRef.parse("DE*PRT")
CPX = PartyRef.parse("DE*CPX")
NEW = PartyRef.parse("FR*NEW")
HOSTED = (HostedParty(CPO, Role.CPO, "Own CPO"), HostedParty(MSP, Role.EMSP, "Own eMSP"))
C = ConnectionStatus


def a_platform(
    pid: str, *parties: tuple[PartyRef, Role], status: PlatformStatus = PlatformStatus.CONNECTED
) -> Platform:
    return Platform(
        id=pid,
        name=pid,
        status=status,
        roles=tuple(PlatformRole(party=party, role=role) for party, role in parties),
        last_updated=T0,
    )


def statuses(known: dict[str, Known]) -> dict[str, tuple[Role, ConnectionStatus, str | None]]:
    return {key: (k.role, k.status, k.platform_id) for key, k in known.items()}


def test_hc02_hosted_parties_are_connected_and_platform_parties_take_its_status() -> None:
    platforms = [
        a_platform("p1", (PRT, Role.EMSP)),
        a_platform("p2", (CPX, Role.CPO), status=PlatformStatus.OFFLINE),
        a_platform("p3", (NEW, Role.NSP), status=PlatformStatus.SUSPENDED),
        a_platform("p4", status=PlatformStatus.PLANNED),
    ]

    known = derive(hub_party=HUB, hosted=HOSTED, platforms=platforms)

    assert statuses(known) == {
        "NL*CPO": (Role.CPO, C.CONNECTED, None),
        "NL*MSP": (Role.EMSP, C.CONNECTED, None),
        "DE*PRT": (Role.EMSP, C.CONNECTED, "p1"),
        "DE*CPX": (Role.CPO, C.OFFLINE, "p2"),
        "FR*NEW": (Role.NSP, C.SUSPENDED, "p3"),
    }


def test_a_partner_hubs_own_hub_entry_is_skipped_but_its_learned_parties_count() -> None:
    other_hub = a_platform("hub2", (PartyRef.parse("BE*HBB"), Role.HUB), (PRT, Role.EMSP))

    known = derive(hub_party=HUB, hosted=(), platforms=[other_hub])

    assert statuses(known) == {"DE*PRT": (Role.EMSP, C.CONNECTED, "hub2")}


def test_a_party_on_several_platforms_takes_the_best_status() -> None:
    old = a_platform("old", (PRT, Role.EMSP), status=PlatformStatus.SUSPENDED)
    new = a_platform("new", (PartyRef.parse("de*prt"), Role.EMSP), status=PlatformStatus.OFFLINE)

    known = derive(hub_party=HUB, hosted=(), platforms=[old, new])

    assert statuses(known) == {"DE*PRT": (Role.EMSP, C.OFFLINE, "new")}
    assert str(known["DE*PRT"].party) == "de*prt"  # the original case is kept


def test_hosted_parties_win_over_a_platform_claiming_them_and_the_hub_is_not_listed() -> None:
    claiming = a_platform("p1", (CPO, Role.EMSP), (HUB, Role.CPO), status=PlatformStatus.OFFLINE)

    known = derive(hub_party=HUB, hosted=HOSTED, platforms=[claiming])

    assert statuses(known) == {
        "NL*CPO": (Role.CPO, C.CONNECTED, None),
        "NL*MSP": (Role.EMSP, C.CONNECTED, None),
    }


def test_hc02_a_party_only_named_in_agreements_is_planned_with_the_role_its_counterpart_implies() -> None:
    agreements = [(CPO, NEW), (PRT, PartyRef.parse("IT*EMP")), (HUB, PartyRef.parse("ES*NSP"))]

    known = derive(
        hub_party=HUB, hosted=HOSTED, platforms=[a_platform("p1", (PRT, Role.EMSP))], agreements=agreements
    )

    assert statuses(known)["FR*NEW"] == (Role.EMSP, C.PLANNED, None)  # agreed with a CPO
    assert statuses(known)["IT*EMP"] == (Role.CPO, C.PLANNED, None)  # agreed with an eMSP
    assert statuses(known)["ES*NSP"] == (Role.OTHER, C.PLANNED, None)  # counterpart's role unknown
    assert "NL*HUB" not in known


def test_an_agreement_party_named_with_a_cpo_and_an_emsp_is_other() -> None:
    known = derive(hub_party=HUB, hosted=HOSTED, platforms=[], agreements=[(CPO, NEW), (MSP, NEW)])

    assert statuses(known)["FR*NEW"] == (Role.OTHER, C.PLANNED, None)


def test_a_planned_partys_role_follows_its_counterpart_else_stays_as_published() -> None:
    before = {"FR*NEW": (NEW, Role.NSP, C.PLANNED), "IT*EMP": (PartyRef.parse("IT*EMP"), Role.CPO, C.PLANNED)}
    agreements = [(CPO, NEW), (PartyRef.parse("ES*UNK"), PartyRef.parse("IT*EMP"))]

    known = derive(hub_party=HUB, hosted=HOSTED, platforms=[], agreements=agreements, published=before)

    assert statuses(known)["FR*NEW"] == (Role.EMSP, C.PLANNED, None)  # now agreed with our CPO
    assert statuses(known)["IT*EMP"] == (Role.CPO, C.PLANNED, None)  # counterpart unknown: as published
    assert statuses(known)["ES*UNK"] == (Role.EMSP, C.PLANNED, None)  # its counterpart was published a CPO


def test_hc05_a_removed_party_is_suspended_never_dropped_nor_planned_again() -> None:
    published = {
        "DE*PRT": (PRT, Role.EMSP, C.CONNECTED),  # its platform is gone from the list
        "FR*NEW": (NEW, Role.CPO, C.OFFLINE),  # only an agreement still names it
    }

    known = derive(hub_party=HUB, hosted=(), platforms=[], agreements=[(MSP, NEW)], published=published)

    assert statuses(known) == {
        "DE*PRT": (Role.EMSP, C.SUSPENDED, None),
        "FR*NEW": (Role.CPO, C.SUSPENDED, None),
        "NL*MSP": (Role.EMSP, C.PLANNED, None),  # its counterpart was published as a CPO
    }


def test_a_suspended_platform_keeps_its_parties_suspended_even_when_an_agreement_names_them() -> None:
    gone = a_platform("p1", (PRT, Role.EMSP), status=PlatformStatus.SUSPENDED)

    known = derive(hub_party=HUB, hosted=HOSTED, platforms=[gone], agreements=[(CPO, PRT)])

    assert statuses(known)["DE*PRT"] == (Role.EMSP, C.SUSPENDED, "p1")


def info(party: PartyRef, platform_id: str | None = None) -> ClientInfo:
    return ClientInfo(party, Role.CPO, C.CONNECTED, T0, platform_id)


def test_hc09_without_agreements_a_platform_sees_everyone_but_its_own_parties() -> None:
    viewer = a_platform("p1", (PRT, Role.EMSP), (PartyRef.parse("DE*PRX"), Role.CPO))

    assert visible_to(info(CPO), viewer, ())
    assert visible_to(info(CPX, "p2"), viewer, ())
    assert not visible_to(info(PRT, "p1"), viewer, ())
    # a party of the viewer's credentials is its own even when another platform is ranked its carrier
    assert not visible_to(info(PartyRef.parse("de*prx"), "p9"), viewer, ())


def test_hc09_with_agreements_a_platform_sees_only_the_parties_it_may_talk_to() -> None:
    viewer = a_platform("p1", (PRT, Role.EMSP))
    pairs = (frozenset({"DE*PRT", "NL*CPO"}), frozenset({"DE*CPX", "NL*MSP"}))

    assert visible_to(info(CPO), viewer, pairs)
    assert not visible_to(info(MSP), viewer, pairs)
    assert not visible_to(info(CPX, "p2"), viewer, pairs)


def test_hc01_client_info_on_the_wire() -> None:
    wire = ClientInfo(
        PartyRef.parse("de*Prt"), Role.EMSP, C.OFFLINE, T0.replace(microsecond=250_000)
    ).to_wire()

    assert wire == {
        "party_id": "Prt",
        "country_code": "de",
        "role": "EMSP",
        "status": "OFFLINE",
        "last_updated": "2026-03-02T10:00:00.250Z",
    }


# --- properties --------------------------------------------------------------------------------------------

_PARTIES = [PartyRef.parse(p) for p in ("NL*CPO", "DE*PRT", "de*prt", "DE*CPX", "FR*NEW", "BE*ONE", "NL*HUB")]
_party = st.sampled_from(_PARTIES)
_platform = st.builds(
    lambda pid, status, parties: a_platform(pid, *parties, status=status),
    st.sampled_from(["p1", "p2", "p3"]),
    st.sampled_from(list(PlatformStatus)),
    st.lists(st.tuples(_party, st.sampled_from(list(Role))), max_size=3, unique_by=lambda t: t[0].key()),
)
_published = st.dictionaries(
    _party, st.tuples(st.sampled_from(list(Role)), st.sampled_from(list(C))), max_size=5
).map(lambda d: {p.key(): (p, role, status) for p, (role, status) in d.items() if p.key() != "NL*HUB"})


@given(
    platforms=st.lists(_platform, max_size=4),
    agreements=st.lists(st.tuples(_party, _party).filter(lambda t: t[0].key() != t[1].key()), max_size=3),
    published=_published,
    hosted=st.booleans(),
)
def test_hc05_nothing_published_ever_disappears_or_becomes_planned_again(
    platforms: list[Platform],
    agreements: list[tuple[PartyRef, PartyRef]],
    published: dict[str, tuple[PartyRef, Role, ConnectionStatus]],
    hosted: bool,
) -> None:
    known = derive(
        hub_party=HUB,
        hosted=HOSTED if hosted else (),
        platforms=platforms,
        agreements=agreements,
        published=published,
    )

    assert set(published) <= set(known)
    assert "NL*HUB" not in known
    for key, (_, _, before) in published.items():
        if before is not C.PLANNED:
            assert known[key].status is not C.PLANNED, key
    for key, k in known.items():
        assert k.party.key() == key
        assert k.role is not Role.HUB or key in published
