"""ChargePointService: admission (passwords, unknown stations, cache), boot and heartbeat, EVSE status
mapping with dedup and outbox rows, station-wide faults, alarms, disconnects and notifications."""

from __future__ import annotations

import inspect

import pytest

from hub.core.chargepoint import BootInfo, ChargePointApi, ChargePointEvent, StatusReport
from hub.core.errors import NotFoundError
from hub.core.events import (
    AlarmCleared,
    AlarmRaised,
    EvseStatusChanged,
    LocationChanged,
    StationNotified,
)
from hub.core.models import BootStatus, Capability, Connector, ConnectorState, EvseStatus, Location
from hub.core.stations import ChargePointService, hash_password, verify_password
from tests.unit.core_kit import CPO, PASSWORD, STATION, Kit, at, make_kit


async def location(kit: Kit, location_id: str = "LOC001") -> Location:
    found = await kit.core.locations.get(CPO, location_id)
    assert found is not None
    return found


async def evse_status(kit: Kit, uid: str = "CP001*1") -> EvseStatus:
    evse = (await location(kit)).evse(uid)
    assert evse is not None
    return evse.status


def report(state: ConnectorState, evse_no: int = 1, **kw: object) -> StatusReport:
    return StatusReport(evse_no=evse_no, state=state, **kw)


def test_the_service_has_every_adapter_method_with_the_same_signature() -> None:
    members = [n for n in vars(ChargePointApi) if not n.startswith("_")]
    assert "transaction" in members
    for name in members:
        wanted = inspect.signature(getattr(ChargePointApi, name))
        actual = inspect.signature(getattr(ChargePointService, name))
        assert list(actual.parameters) == list(wanted.parameters), name
        assert inspect.iscoroutinefunction(getattr(ChargePointService, name)) == inspect.iscoroutinefunction(
            getattr(ChargePointApi, name)
        ), name


def test_passwords_are_stored_salted_and_checked() -> None:
    first, second = hash_password("secret-secret-16"), hash_password("secret-secret-16")
    assert first != second
    assert "secret" not in first
    assert verify_password("secret-secret-16", first)
    assert not verify_password("secret-secret-17", first)
    assert not verify_password("x", "not-a-hash")


# --- admission --------------------------------------------------------------------------------------


async def test_a_configured_password_must_match() -> None:
    kit = await make_kit(password=PASSWORD)
    cp = kit.core.chargepoints
    assert (await cp.admit(STATION, PASSWORD, None)).admitted
    wrong = await cp.admit(STATION, "cp001-wrong-password", None)
    assert (wrong.admitted, wrong.known, wrong.reason) == (False, True, "wrong password")
    missing = await cp.admit(STATION, None, None)
    assert (missing.admitted, missing.reason) == (False, "password required")


async def test_reconnect_storms_do_not_touch_the_database() -> None:
    kit = await make_kit(password=PASSWORD)
    cp = kit.core.chargepoints
    assert (await cp.admit(STATION, PASSWORD, None)).admitted
    before = kit.db.units_begun
    for _ in range(50):
        assert (await cp.admit(STATION, PASSWORD, None)).admitted
        assert not (await cp.admit(STATION, "cp001-wrong-password", None)).admitted
    assert kit.db.units_begun == before


async def test_a_fresh_process_finds_the_stored_password_hash() -> None:
    kit = await make_kit(password=PASSWORD)
    station = kit.db.committed("stations")[0]
    assert station is not None
    assert station.password_hash is not None
    assert PASSWORD not in station.password_hash
    fresh = await make_kit(seed=False)
    async with fresh.db.unit_of_work() as uow:
        await uow.stations.put(station)
        await uow.commit()
    assert (await fresh.core.chargepoints.admit("cp001", PASSWORD, None)).admitted
    assert not (await fresh.core.chargepoints.admit("cp001", "nope-nope-nope-nope", None)).admitted


async def test_unknown_stations_are_created_under_the_default_cpo_when_accepted() -> None:
    kit = await make_kit()
    result = await kit.core.chargepoints.admit("NEW42", None, None)
    assert (result.admitted, result.known) == (True, False)
    assert result.station is not None
    assert (result.station.party, result.station.registered) == (CPO, False)
    placeholder = await location(kit, "ST-NEW42")
    assert (placeholder.name, placeholder.publish) == ("NEW42", False)
    again = await kit.core.chargepoints.admit("NEW42", None, None)
    assert (again.admitted, again.known) == (True, True)


async def test_unknown_stations_are_refused_unless_accepted() -> None:
    kit = await make_kit(accept_unknown=False)
    result = await kit.core.chargepoints.admit("NEW42", None, None)
    assert (result.admitted, result.known, result.reason) == (False, False, "unknown station")
    assert kit.db.select("stations", lambda s: s.id == "NEW42") == []


@pytest.mark.parametrize("identity", ["", "a:b", "x" * 49])
async def test_invalid_identities_are_refused(identity: str) -> None:
    kit = await make_kit()
    assert not (await kit.core.chargepoints.admit(identity, None, None)).admitted


async def test_a_client_certificate_naming_the_station_replaces_the_password() -> None:
    kit = await make_kit(password=PASSWORD)
    assert (await kit.core.chargepoints.admit(STATION, None, "CP001")).admitted
    assert not (await kit.core.chargepoints.admit(STATION, None, "CP002")).admitted


# --- boot, heartbeat, connection -------------------------------------------------------------------------


async def test_boot_stores_the_station_facts_and_is_remembered_across_connections() -> None:
    kit = await make_kit()
    cp = kit.core.chargepoints
    await cp.admit(STATION, None, None)
    await cp.connected(STATION, "ocpp2.0.1")
    assert not cp.is_accepted(STATION)
    result = await cp.boot(
        STATION, BootInfo(vendor="ACME", model="Fast-1", serial_number="S1", firmware_version="1.2")
    )
    assert (result.status, result.interval_s, result.current_time) == (
        BootStatus.ACCEPTED,
        300,
        kit.clock.now(),
    )
    station = kit.db.committed("stations")[0]
    assert (station.vendor, station.model, station.serial_number, station.firmware_version) == (
        "ACME",
        "Fast-1",
        "S1",
        "1.2",
    )
    await cp.disconnected(STATION)
    await cp.admit(STATION, None, None)
    await cp.connected(STATION, "ocpp2.0.1")
    assert cp.is_accepted(STATION)

    restarted = await make_kit(seed=False)  # a new process over the same stored state
    async with restarted.db.unit_of_work() as uow:
        await uow.stations.put(kit.db.committed("stations")[0])
        await uow.commit()
    await restarted.core.chargepoints.admit(STATION, None, None)
    assert restarted.core.chargepoints.is_accepted(STATION)


async def test_heartbeats_write_nothing_until_flushed() -> None:
    kit = await make_kit()
    await kit.online()
    commits = kit.db.commits
    kit.clock.advance(minutes=5)
    for _ in range(10):
        assert await kit.core.chargepoints.heartbeat(STATION) == kit.clock.now()
    assert kit.db.commits == commits
    assert await kit.core.chargepoints.flush_last_seen() == 1
    assert kit.db.committed("stations")[0].last_seen == kit.clock.now()


async def test_an_old_socket_closing_after_its_replacement_keeps_the_station_connected() -> None:
    kit = await make_kit()
    await kit.online()
    await kit.core.chargepoints.status(STATION, report(ConnectorState.AVAILABLE))
    await kit.core.chargepoints.connected(STATION, "ocpp1.6")  # the reconnect
    await kit.core.chargepoints.disconnected(STATION)  # the old socket
    assert kit.db.committed("stations")[0].connected
    assert await evse_status(kit) is EvseStatus.AVAILABLE
    await kit.core.chargepoints.disconnected(STATION)
    assert not kit.db.committed("stations")[0].connected
    assert await evse_status(kit) is EvseStatus.UNKNOWN


# --- status ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (ConnectorState.AVAILABLE, EvseStatus.AVAILABLE),
        (ConnectorState.PREPARING, EvseStatus.CHARGING),
        (ConnectorState.CHARGING, EvseStatus.CHARGING),
        (ConnectorState.SUSPENDED_EV, EvseStatus.CHARGING),
        (ConnectorState.SUSPENDED_EVSE, EvseStatus.CHARGING),
        (ConnectorState.FINISHING, EvseStatus.CHARGING),
        (ConnectorState.OCCUPIED, EvseStatus.CHARGING),
        (ConnectorState.RESERVED, EvseStatus.RESERVED),
        (ConnectorState.UNAVAILABLE, EvseStatus.INOPERATIVE),
        (ConnectorState.FAULTED, EvseStatus.OUTOFORDER),
    ],
)
async def test_status_mapping(state: ConnectorState, expected: EvseStatus) -> None:
    kit = await make_kit()
    await kit.online()
    await kit.core.chargepoints.status(STATION, report(state))
    assert await evse_status(kit) is expected
    changes = kit.events_of(EvseStatusChanged)
    assert [(c.old, c.new, c.evse_uid, c.location_id) for c in changes] == [
        (EvseStatus.UNKNOWN, expected, "CP001*1", "LOC001")
    ]


async def test_only_a_changed_mapped_status_is_written_and_published() -> None:
    kit = await make_kit()
    await kit.online()
    cp = kit.core.chargepoints
    await cp.status(STATION, report(ConnectorState.PREPARING))
    rows = len(kit.outbox("evse.status"))
    commits = kit.db.commits
    await cp.status(STATION, report(ConnectorState.CHARGING))  # still CHARGING
    await cp.status(STATION, report(ConnectorState.SUSPENDED_EV))
    assert (len(kit.outbox("evse.status")), kit.db.commits) == (rows, commits)
    assert len(kit.events_of(EvseStatusChanged)) == 1
    await cp.status(STATION, report(ConnectorState.AVAILABLE))
    rows_after = kit.outbox("evse.status")
    assert len(rows_after) == rows + 1
    assert rows_after[-1].payload["new"] == "AVAILABLE"
    assert rows_after[-1].payload["evse"]["uid"] == "CP001*1"
    assert rows_after[-1].key == "location:NL*CPO:LOC001"
    assert len(kit.events_of(LocationChanged)) == 2


async def test_last_updated_bubbles_from_connector_to_location() -> None:
    kit = await make_kit()
    await kit.online()
    kit.clock.advance(minutes=7)
    await kit.core.chargepoints.status(STATION, report(ConnectorState.AVAILABLE))
    loc = await location(kit)
    evse = loc.evse("CP001*1")
    assert evse is not None
    assert loc.last_updated == evse.last_updated == evse.connectors[0].last_updated == kit.clock.now()


async def test_station_wide_fault_applies_to_every_evse_and_recovery_restores_them() -> None:
    kit = await make_kit(evses=2)
    await kit.online()
    cp = kit.core.chargepoints
    await cp.status(STATION, report(ConnectorState.AVAILABLE, 1))
    await cp.status(STATION, report(ConnectorState.CHARGING, 2))
    await cp.status(STATION, report(ConnectorState.FAULTED, 0, error_code="GroundFailure"))
    assert [await evse_status(kit, u) for u in ("CP001*1", "CP001*2")] == [EvseStatus.OUTOFORDER] * 2
    await cp.status(STATION, report(ConnectorState.AVAILABLE, 0, error_code="NoError"))
    assert [await evse_status(kit, u) for u in ("CP001*1", "CP001*2")] == [
        EvseStatus.AVAILABLE,
        EvseStatus.CHARGING,
    ]


async def test_an_unconfigured_evse_is_created_on_its_first_status() -> None:
    kit = await make_kit()
    await kit.online()
    await kit.core.chargepoints.status(STATION, report(ConnectorState.AVAILABLE, 3, connector_no=2))
    evse = (await location(kit)).evse("CP001*3")
    assert evse is not None
    assert (evse.status, evse.station_id, evse.station_evse_no) == (EvseStatus.AVAILABLE, STATION, 3)
    assert evse.evse_id == "NL*CPO*ECP001*3"
    assert Capability.REMOTE_START_STOP_CAPABLE in evse.capabilities
    assert Capability.CHARGING_PROFILE_CAPABLE in evse.capabilities
    assert [(c.id, c.standard, c.tariff_ids) for c in evse.connectors] == [("2", "IEC_62196_T2", ("STD",))]
    assert kit.outbox("location.updated")[-1].payload["evses"][-1]["uid"] == "CP001*3"


async def test_an_evse_with_two_connectors_shows_the_busiest_one() -> None:
    kit = await make_kit()
    await kit.online()
    cp = kit.core.chargepoints
    await cp.status(STATION, report(ConnectorState.OCCUPIED, 1, connector_no=1))
    await cp.status(STATION, report(ConnectorState.AVAILABLE, 1, connector_no=2))
    assert await evse_status(kit) is EvseStatus.CHARGING
    evse = (await location(kit)).evse("CP001*1")
    assert evse is not None
    assert [c.id for c in evse.connectors] == ["1", "2"]


# --- alarms ------------------------------------------------------------------------------------------


async def test_error_codes_raise_alarms_and_no_error_ends_them() -> None:
    kit = await make_kit()
    await kit.online()
    cp = kit.core.chargepoints
    await cp.status(
        STATION,
        report(
            ConnectorState.FAULTED,
            error_code="OverCurrentFailure",
            info="fuse",
            vendor_error_code="E42",
            timestamp=at(3),
        ),
    )
    await cp.status(STATION, report(ConnectorState.FAULTED, error_code="OverCurrentFailure", timestamp=at(4)))
    alarms = await kit.core.alarms.open(STATION)
    assert [(a.code, a.evse_uid, a.description, a.started) for a in alarms] == [
        ("OverCurrentFailure", "CP001*1", "fuse / E42", at(3))
    ]
    assert len(kit.events_of(AlarmRaised)) == 1
    await cp.status(STATION, report(ConnectorState.AVAILABLE, error_code="NoError", timestamp=at(9)))
    assert await kit.core.alarms.open(STATION) == []
    ended = await kit.core.alarms.list(STATION)
    assert [(a.code, a.ended) for a in ended] == [("OverCurrentFailure", at(9))]
    assert len(kit.events_of(AlarmCleared)) == 1


async def test_no_error_on_evse_zero_ends_every_alarm_and_other_evses_keep_theirs() -> None:
    kit = await make_kit(evses=2)
    await kit.online()
    cp = kit.core.chargepoints
    await cp.status(STATION, report(ConnectorState.FAULTED, 1, error_code="HighTemperature"))
    await cp.status(STATION, report(ConnectorState.FAULTED, 2, error_code="PowerMeterFailure"))
    await cp.status(STATION, report(ConnectorState.AVAILABLE, 1, error_code="NoError"))
    assert [a.code for a in await kit.core.alarms.open(STATION)] == ["PowerMeterFailure"]
    await cp.status(STATION, report(ConnectorState.AVAILABLE, 0, error_code="NoError"))
    assert await kit.core.alarms.open(STATION) == []


async def test_a_faulted_state_without_an_error_code_is_an_alarm_too() -> None:
    kit = await make_kit()
    await kit.online()
    await kit.core.chargepoints.status(STATION, report(ConnectorState.FAULTED))
    assert [a.code for a in await kit.core.alarms.open(STATION)] == ["Faulted"]


# --- notifications and registration -----------------------------------------------------------------------


async def test_notifications_are_recorded_and_published() -> None:
    kit = await make_kit()
    await kit.online()
    event = ChargePointEvent(
        kind="FirmwareStatusNotification", timestamp=at(2), payload={"status": "Installed"}
    )
    await kit.core.chargepoints.record(STATION, event)
    (stored,) = kit.db.committed("notifications")
    assert (stored.kind, stored.timestamp, stored.payload) == (
        "FirmwareStatusNotification",
        at(2),
        {"status": "Installed"},
    )
    assert kit.events_of(StationNotified)[0].notification == stored


async def test_registering_again_changes_nothing_and_keeps_the_hash() -> None:
    kit = await make_kit(password=PASSWORD)
    before = kit.db.committed("stations")[0]
    rows = len(kit.outbox())
    await kit.core.chargepoints.register_station(
        STATION,
        party=CPO,
        location_id="LOC001",
        tariff_id="STD",
        password=PASSWORD,
        connectors=[Connector(id="1", last_updated=at(9))],
    )
    assert kit.db.committed("stations")[0] == before
    assert len(kit.outbox()) == rows


async def test_registering_on_an_unknown_location_fails() -> None:
    kit = await make_kit()
    with pytest.raises(NotFoundError):
        await kit.core.chargepoints.register_station("CP002", party=CPO, location_id="NOPE")
