"""A fake 互联互通 (T/CEC 102) platform on a loopback port with its own envelope code: an operator (快电-like)
or a regulator that issues tokens to the hub, serves stations and the CPO interfaces, records and answers
every push as scripted, and calls the hub as a client.

    async with FakePlatform(stations=[station("S1", {"E1": ["C1"]})]) as platform:
        hub = await make_hub(interconnect={"partners": [partner_settings(platform)]})
        platform.connect(hub.url)
        ret, msg, data = await platform.call_hub("query_stations_info", {"PageNo": 1})
        pushes = await platform.wait_for_calls("notification_stationStatus")

Test support: imports aiohttp, cryptography and the standard library only (never `interconnect`).
"""

from tests.fakes.interconnect_platform.business import Order, connector, equipment, station
from tests.fakes.interconnect_platform.envelope import Keys, Style
from tests.fakes.interconnect_platform.platform import (
    FakePlatform,
    HubRefusedError,
    RawAnswer,
    Received,
    Script,
    partner_settings,
)

__all__ = [
    "FakePlatform",
    "HubRefusedError",
    "Keys",
    "Order",
    "RawAnswer",
    "Received",
    "Script",
    "Style",
    "connector",
    "equipment",
    "partner_settings",
    "station",
]
