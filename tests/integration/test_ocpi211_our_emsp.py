"""Our own eMSP (NL*MSP) commanding a 2.1.1 CPO, over real HTTP on both storage backends: the START_SESSION
leaves the hub in 2.1.1 shape through the partner's link (the token by its `auth_id`, no `connector_id`,
a raw token and no routing headers), and the CPO's answer comes back translated."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from hub.core.models import PartyRef
from hub.settings import Settings
from ocpi_modules.common.runtime import OCPI_KEY
from ocpi_modules.v2_2_1.emsp.commands import start_session
from tests.conftest import CP001_PASSWORD, OWN_TOKEN, RunningHub
from tests.fakes.ocpi211_partner import Fake211Partner
from tests.fakes.ocpi211_partner.hub import CPO_211_A, drain, register_211, roaming_settings, start_hub
from tests.fakes.ocpi211_partner.objects import a_location_211


@pytest.fixture
async def hub(settings_factory: Callable[..., Settings]) -> AsyncIterator[RunningHub]:
    running = await start_hub(roaming_settings(settings_factory, password=CP001_PASSWORD))
    yield running
    await running.runner.cleanup()


async def test_our_emsps_start_session_reaches_a_2_1_1_cpo_in_its_shape(hub: RunningHub) -> None:
    async with Fake211Partner(
        party=("DE", "CPW"), role="CPO", lists={"locations": [a_location_211()]}
    ) as cpo:
        await register_211(hub, cpo, CPO_211_A)
        await drain(hub)
        cpo.calls.clear()

        stored = await start_session(
            hub.app[OCPI_KEY],
            token_uid=OWN_TOKEN,
            location_id="L1",
            evse_uid="E1",
            connector_id="1",
            cpo=PartyRef.parse("DE*CPW"),
        )

        [call] = cpo.calls_to("/ocpi/2.1.1/commands/START_SESSION", "POST")
    assert stored["status_code"] == 1000
    assert (stored["response"] or {}).get("result") == "ACCEPTED"
    sent = call.json
    assert "connector_id" not in sent  # 2.1.1 StartSession has none
    assert sent["token"]["uid"] == OWN_TOKEN
    assert "country_code" not in sent["token"]
    assert sent["location_id"] == "L1"
    assert not any(name.lower().startswith("ocpi-") for name in call.headers)  # no routing headers in 2.1.1
