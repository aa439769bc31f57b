"""Command `data` contract (CP-01, CP-03): a station's charging schedule kept on a command reads back
unchanged on every backend, and migration 6 keeps older commands (their `data` reads as None)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert

from hub.core.models import Command, CommandResultType, CommandType
from hub.storage import LATEST_VERSION, build_database
from hub.storage.migrations.m0001_initial import schema_v1
from hub.storage.repositories.commands import from_core_command
from tests.contract.builders import a_command
from tests.contract.conftest import SQL_KINDS
from tests.contract.helpers import put_all, read

SCHEDULE = {
    "start": datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    "unit": "A",
    "duration_s": 900,
    "periods": [{"start_s": 0, "limit": Decimal("32.0")}, {"start_s": 600, "limit": Decimal("16.5")}],
}


def a_schedule_command(id: str = "cmd-sched", **overrides: Any) -> Command:
    values: dict[str, Any] = {
        "type": CommandType.GET_CHARGING_SCHEDULE,
        "session_id": "ses-0001",
        "reservation_id": None,
        "station_reservation_id": None,
        "expiry": None,
        "limit": None,
        "limit_unit": None,
        "reply_to": "https://msp.example/profiles/get/1",
    }
    return a_command(id, **(values | overrides))


async def test_cp_03_a_charging_schedule_on_a_command_round_trips(database: Any) -> None:
    command = a_schedule_command()
    assert command.data is None
    await put_all(database, "commands", command)
    answered = Command.model_validate(
        {**command.model_dump(), "result": CommandResultType.ACCEPTED, "data": SCHEDULE}
    )
    await put_all(database, "commands", answered)

    got = await read(database, lambda uow: uow.commands.get("CMD-SCHED"))

    assert got == answered
    assert got is not None
    assert got.data == {
        "start": "2024-05-01T12:00:00Z",
        "unit": "A",
        "duration_s": 900,
        "periods": [{"start_s": 0, "limit": "32.0"}, {"start_s": 600, "limit": "16.5"}],
    }


async def test_cp_01_command_data_can_be_cleared_again(database: Any) -> None:
    with_data = a_schedule_command("cmd-limit", type=CommandType.SET_CHARGING_LIMIT, data={"profile_id": 3})
    await put_all(database, "commands", with_data)
    stored = await read(database, lambda uow: uow.commands.get("cmd-limit"))
    assert stored is not None
    assert stored.data == {"profile_id": 3}

    await put_all(database, "commands", with_data.model_copy(update={"data": None}))

    cleared = await read(database, lambda uow: uow.commands.get("cmd-limit"))
    assert cleared is not None
    assert cleared.data is None


@pytest.mark.parametrize("sql_url", SQL_KINDS, indirect=True)
async def test_cp_03_upgrading_to_command_data_keeps_older_commands(sql_url: str) -> None:
    db = build_database(sql_url)
    try:
        assert await db.migrate(target=5) == [1, 2, 3, 4, 5]
        older = a_command("cmd-old")
        row = {k: v for k, v in from_core_command(older).items() if k not in {"reservation_key", "data_json"}}
        tx = db.transaction()
        await tx.write(insert(schema_v1().tables["commands"]), row)
        await tx.commit()
        await tx.close()

        assert await db.migrate() == list(range(6, LATEST_VERSION + 1))

        async with db.unit_of_work() as uow:
            got = await uow.commands.get("cmd-old")
        assert got == older
        assert got is not None
        assert got.data is None
    finally:
        await db.close()
