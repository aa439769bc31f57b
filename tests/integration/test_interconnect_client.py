"""Our calls to 互联互通 partners from a running hub, on both storage backends. Pull: `python -m hub
interconnect pull-stations` through the operator API pages query_stations_info of a fake platform (its own
envelope code), the stations become the partner party's Locations with live EVSE status, and an OCPI eMSP
sees them through our CPO Locations Sender; `interconnect partners` never shows a secret. Push: a status
change of our station reaches the operator and the configured regulator through the outbox, retried or
given up per spec §2.8."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from hub.cli import build_parser
from hub.core.events import EvseStatusChanged
from hub.core.models import Evse, EvseStatus, OutboxMessage, PartyRef
from interconnect.pull import PULL_MODULE, register_pull_job
from interconnect.push import (
    FAILED_MODULE,
    InterconnectPusher,
    PushRefusedError,
    push_message,
    status_push_handler,
)
from interconnect.push import PREFIX as PUSH_PREFIX
from interconnect.runtime import INTERCONNECT_KEY, InterconnectRuntime
from tests.conftest import RunningHub
from tests.fakes.interconnect_platform import FakePlatform, partner_settings, station
from tests.fakes.ocpi_partner import FakePartner, bind_public_url

MakeHub = Callable[..., Awaitable[RunningHub]]
ADMIN = "interconnect-admin-token"
TOKEN_A = "hub-invitation-token-A-interconnect"
KDN = PartyRef.parse("CN*KDN")
LOCATIONS = "/ocpi/2.2.1/cpo/locations"


@dataclass
class Setup:
    hub: RunningHub
    platform: FakePlatform
    runtime: InterconnectRuntime
    admin_url: str


@pytest.fixture
async def setup(make_hub: MakeHub) -> AsyncIterator[Setup]:
    stations = [
        station("S1"),
        station("S2", {"S2E1": ["S2E1C1", "S2E1C2"]}),
        station("S3", {"S3E1": ["S3E1C1"], "S3E2": ["S3E2C1"]}),
    ]
    async with FakePlatform(stations=stations, statuses={"S1E1C1": 3, "S2E1C2": 255}) as platform:
        hub = await make_hub(
            interconnect={"partners": [partner_settings(platform)]},
            ocpi={"allow_private_urls": True, "invitations": [{"name": "eMSP", "token": TOKEN_A}]},
            admin={"token": ADMIN},
        )
        bind_public_url(hub)
        yield Setup(hub, platform, hub.app[INTERCONNECT_KEY], hub.url)


def printed_json(out: str) -> Any:
    """The JSON document the command printed (the hub's log lines share stdout in tests)."""
    return json.loads(out[out.index("{\n") :])


async def cli(setup: Setup, *argv: str) -> int:
    args = build_parser().parse_args(
        ["interconnect", *argv[:1], "--url", setup.admin_url, "--token", ADMIN, *argv[1:]]
    )
    return int(await args.run(args))


async def test_pull_stations_puts_locations_with_live_status_behind_ocpi(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli(setup, "pull-stations", "快电", "--page-size", "2", "--json") == 0
    out, err = capsys.readouterr()
    report = printed_json(out)
    assert report["stations"] == 3
    assert report["virtual_stations"] == 4
    assert report["statuses"] == 5
    assert report["pages"] == 2
    assert report["skipped"] == []
    assert report["since"] == ""
    assert "page 1/2: 2 stations" in err
    assert "page 2/2: 1 stations" in err

    # On the wire: our token first, then two pages and one status query for the three stations.
    wire = [c.interface for c in setup.platform.calls]
    assert wire == ["query_token", "query_stations_info", "query_stations_info", "query_station_status"]
    assert setup.platform.calls[1].payload == {"LastQueryTime": "", "PageNo": 1, "PageSize": 2}
    assert sorted(setup.platform.calls[3].payload["StationIDs"]) == ["S1", "S2", "S3"]

    core = setup.hub.core
    s2 = await core.locations.get(KDN, "S2")
    assert s2 is not None
    assert s2.time_zone == "Asia/Shanghai"
    assert {e.uid: e.status for e in s2.evses} == {
        "S2E1C1": EvseStatus.AVAILABLE,
        "S2E1C2": EvseStatus.OUTOFORDER,
    }
    assert await core.chargepoints.get_station("HLHT.MA005DBW1.S3E2") is not None

    # An OCPI eMSP pulls the partner party's locations from our CPO Sender, statuses included.
    async with FakePartner() as emsp:
        assert (await emsp.register_with(f"{setup.hub.url}/ocpi/versions", TOKEN_A)).status_code == 1000
        answer = await emsp.client(setup.hub.url).get(LOCATIONS, to_party="CN*KDN")
    assert answer.status == 200
    kdn = {loc["id"]: loc for loc in answer.data if loc["party_id"] == "KDN"}
    assert sorted(kdn) == ["S1", "S2", "S3"]
    statuses = {e["uid"]: e["status"] for loc in kdn.values() for e in loc["evses"]}
    assert statuses == {
        "S1E1C1": "CHARGING",
        "S2E1C1": "AVAILABLE",
        "S2E1C2": "OUTOFORDER",
        "S3E1C1": "AVAILABLE",
        "S3E2C1": "AVAILABLE",
    }


async def test_second_pull_asks_only_for_changes_and_keeps_status(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli(setup, "pull-stations", "MA005DBW1") == 0
    record = await setup.hub.core.records.get(PULL_MODULE, KDN, "MA005DBW1")
    assert record is not None
    since = record.data["last_query_time"]
    setup.platform.statuses["S1E1C1"] = 1  # the partner's connector is free again
    capsys.readouterr()

    assert await cli(setup, "pull-stations", "快电") == 0
    out, _ = capsys.readouterr()
    assert "快电: 0 stations" in out  # nothing changed since the first pull
    assert setup.platform.calls[-1].payload == {"LastQueryTime": since, "PageNo": 1, "PageSize": 100}
    s1 = await setup.hub.core.locations.get(KDN, "S1")
    assert s1 is not None
    assert s1.evses[0].status is EvseStatus.CHARGING  # statuses come from query_station_status / pushes

    assert await cli(setup, "pull-stations", "快电", "--full") == 0
    s1 = await setup.hub.core.locations.get(KDN, "S1")
    assert s1 is not None
    assert s1.evses[0].status is EvseStatus.AVAILABLE


async def test_partners_list_shows_token_state_and_no_secret(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli(setup, "partners", "--json") == 0
    before = printed_json(capsys.readouterr().out)
    assert before["partners"][0]["token"]["state"] == "none"
    assert await cli(setup, "pull-stations", "快电") == 0
    capsys.readouterr()
    assert await cli(setup, "partners") == 0
    table = capsys.readouterr().out
    assert "MA005DBW1" in table
    assert "CN*KDN" in table
    assert "valid" in table
    assert await cli(setup, "partners", "--json") == 0
    text = capsys.readouterr().out
    for secret in (*vars(setup.platform.keys).values(), *vars(setup.platform.hub_keys).values()):
        assert secret not in text
    for token in setup.platform.tokens:
        assert token not in text


async def test_unknown_partner_and_bad_token_are_refused(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli(setup, "pull-stations", "nobody") == 1
    assert "no interconnect partner" in capsys.readouterr().err
    args = build_parser().parse_args(
        ["interconnect", "partners", "--url", setup.admin_url, "--token", "wrong"]
    )
    assert await args.run(args) == 1
    assert "HTTP 401" in capsys.readouterr().err


async def test_failing_partner_answers_502_and_remembers_nothing(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    setup.platform.script("query_stations_info", ret=500, msg="系统错误")
    assert await cli(setup, "pull-stations", "快电") == 1
    assert "HTTP 502" in capsys.readouterr().err
    assert await setup.hub.core.records.get(PULL_MODULE, KDN, "MA005DBW1") is None


# --- pushes through the outbox ---------------------------------------------------------------------------
@dataclass
class PushSetup:
    hub: RunningHub
    operator: FakePlatform
    regulator: FakePlatform
    drainer: Any


@pytest.fixture
async def pushes(make_hub: MakeHub) -> AsyncIterator[PushSetup]:
    from hub.app import SCHEDULER_KEY

    regulator_names = {"notification_stationStatus": "supervise_notification_station_status"}
    async with (
        FakePlatform() as operator,
        FakePlatform(
            operator_id="MA0REGUL8", name="监管平台", kind="regulator", ocpi_party="CN*REG",
            interfaces=regulator_names,
        ) as regulator,
    ):  # fmt: skip
        hub = await make_hub(
            interconnect={"partners": [partner_settings(operator), partner_settings(regulator)]}
        )
        runtime = hub.app[INTERCONNECT_KEY]
        drainer = hub.app[SCHEDULER_KEY].drainer
        for prefix, deliverer in InterconnectPusher(runtime).deliverers():
            drainer.register(prefix, deliverer)
        # Our OCPP station CP001 drives EVSE CP001*1 at LOC001.
        evse = Evse(uid="CP001*1", station_id="CP001", station_evse_no=1, last_updated=hub.core.clock.now())
        await hub.core.locations.put_evse(PartyRef.parse("NL*CPO"), "LOC001", evse)
        yield PushSetup(hub, operator, regulator, drainer)


async def a_status_change(setup: PushSetup, new: EvseStatus = EvseStatus.CHARGING) -> None:
    handler = status_push_handler(setup.hub.app[INTERCONNECT_KEY])
    await handler(
        EvseStatusChanged(
            location_id="LOC001", evse_uid="CP001*1", station_id="CP001", old=EvseStatus.AVAILABLE, new=new
        )
    )


async def rows(setup: PushSetup) -> dict[str, OutboxMessage]:
    async with setup.hub.db.unit_of_work() as uow:
        found = await uow.outbox.latest(PUSH_PREFIX + "notification_stationStatus")
    return {str(m.target): m for m in found}


async def test_status_change_is_pushed_to_the_operator_and_the_configured_regulator(
    pushes: PushSetup,
) -> None:
    await a_status_change(pushes)
    await pushes.drainer.drain_once()
    (to_operator,) = await pushes.operator.wait_for_calls("notification_stationStatus")
    (to_regulator,) = await pushes.regulator.wait_for_calls("supervise_notification_station_status")
    assert to_operator.interface == "notification_stationStatus"
    assert to_operator.payload == {"ConnectorStatusInfo": {"ConnectorID": "CP001*1", "Status": 3}}
    assert to_regulator.payload == to_operator.payload
    assert all(m.delivered_at is not None for m in (await rows(pushes)).values())


async def test_partner_own_connectors_are_not_echoed(pushes: PushSetup) -> None:
    handler = status_push_handler(pushes.hub.app[INTERCONNECT_KEY])
    await handler(
        EvseStatusChanged(
            location_id="S1", evse_uid="S1E1C1", station_id="HLHT.MA005DBW1.S1E1",
            old=EvseStatus.AVAILABLE, new=EvseStatus.CHARGING,
        )
    )  # fmt: skip
    assert await rows(pushes) == {}


async def test_busy_partner_is_retried_and_a_payload_refusal_is_given_up(pushes: PushSetup) -> None:
    pushes.operator.script("notification_stationStatus", ret=500, msg="系统错误")
    pushes.regulator.script("supervise_notification_station_status", ret=4004, msg="请求的业务参数不合法")
    await a_status_change(pushes)
    await pushes.drainer.drain_once()
    found = await rows(pushes)
    operator_row, regulator_row = found["MA005DBW1"], found["MA0REGUL8"]
    assert operator_row.delivered_at is None  # Ret 500: the drainer tries again after its backoff
    assert operator_row.attempts == 1
    assert regulator_row.delivered_at is not None  # Ret 4004: a configuration error, not retried
    assert regulator_row.attempts == 0
    failed = await pushes.hub.core.records.list(FAILED_MODULE)
    assert [(r.party.key(), r.data["interface"]) for r in failed] == [
        ("CN*REG", "notification_stationStatus")
    ]
    assert "4004" in failed[0].data["reason"]


async def test_receive_failure_is_retried(pushes: PushSetup) -> None:
    message = push_message(
        pushes.hub.app[INTERCONNECT_KEY].config.partner("MA005DBW1"),  # type: ignore[arg-type]
        "notification_start_charge_result",
        {"StartChargeSeq": "MA24YKWR9202603010400000001", "StartChargeSeqStat": 2, "ConnectorID": "CP001*1"},
        pushes.hub.core.clock.now(),
    )
    pushes.operator.script("notification_start_charge_result", data={"SuccStat": 1, "FailReason": 1})
    pusher = InterconnectPusher(pushes.hub.app[INTERCONNECT_KEY])
    with pytest.raises(PushRefusedError):
        await pusher.deliver(message)
    await pusher.deliver(message)  # the default answer: SuccStat 0
    assert len(pushes.operator.calls_to("notification_start_charge_result")) == 2


async def test_scheduled_job_pulls_every_operator_partner(setup: Setup) -> None:
    jobs: dict[str, tuple[Callable[[], Awaitable[None]], float]] = {}

    class Jobs:
        def add_job(self, job_id: str, job: Callable[[], Awaitable[None]], interval_s: float) -> None:
            jobs[job_id] = (job, interval_s)

    register_pull_job(setup.runtime, Jobs(), setup.hub.settings.interconnect.pull_interval)
    job, interval_s = jobs["interconnect-pull"]
    assert interval_s == 3600
    await job()
    assert [loc.id for loc in await setup.hub.core.locations.list(KDN)] == ["S1", "S2", "S3"]
    setup.platform.script("query_stations_info", ret=-1, msg="系统繁忙")
    await job()  # a busy partner is logged, never raised: the schedule goes on
