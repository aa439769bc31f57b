"""Issue 2: a station that starts its transaction right after accepting a remote start (most do) raced
the command's accepted answer, and the core kept a stray PENDING session next to the ACTIVE one.

Both writers now take the injected token's lock before opening their unit of work.
"""

from __future__ import annotations

import pytest

from hub.core.models import CommandResultType, SessionStatus
from hub.ocpp.simulator import SimulatedStation
from tests.conftest import OWN_TOKEN, RunningHub


@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
async def test_each_remote_start_makes_exactly_one_session(hub: RunningHub, protocol: str) -> None:
    station = SimulatedStation(hub.ws_url(), "RS-RACE", protocol)
    await station.connect()
    try:
        await station.boot()
        await station.status(1, "Available")
        async with hub.db.unit_of_work() as uow:
            token = await uow.tokens.get(OWN_TOKEN)
        assert token is not None
        for round_no in range(5):
            command = await hub.core.commands.start_session(evse_uid="RS-RACE*1", token=token)
            assert (await hub.core.commands.wait_result(command.id, timeout=5)).result is (
                CommandResultType.ACCEPTED
            )
            # 1.6 has no remoteStartId on the wire; the previous transaction ended, so "active" is this one
            rsid = command.remote_start_id if protocol == "ocpp2.0.1" else None
            tx = await station.wait_for_transaction(1, remote_start_id=rsid)
            await station.stop(tx.id, meter_stop_wh=1_000 * (round_no + 1))
            await station.wait_for_transaction_end(tx.id)

        async with hub.db.unit_of_work() as uow:
            sessions = await uow.sessions.list()
        mine = [s for s in sessions if s.station_id == "RS-RACE"]
        assert len(mine) == 5
        assert {s.status for s in mine} == {SessionStatus.COMPLETED}
    finally:
        await station.close()
