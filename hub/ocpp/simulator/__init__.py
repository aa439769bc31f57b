"""A lean OCPP-J station simulator (1.6 and 2.0.1) for tests, demos, smoke tests and the benchmark.

Own JSON framing over aiohttp's client websocket, no schema validation, no `ocpp.ChargePoint`: cheap enough to
drive thousands of CALLs per second from one core. Imports the standard library and aiohttp only.
`station` is one station, `replies` its default answers to the hub, `fleet` many stations at once, `cli`
`python -m hub simulate`.
"""

from hub.ocpp.simulator.cli import add_arguments, main, run_from_args
from hub.ocpp.simulator.common import (
    DEFAULT_ID_TAG,
    OCPP16,
    OCPP201,
    PROTOCOLS,
    SimTransaction,
    StationCallError,
    StationClosedError,
    basic_auth,
    client_ssl_context,
    format_timestamp,
    utc_now,
)
from hub.ocpp.simulator.fleet import SimulationStats, percentile, run_demo, run_simulation, station_ids
from hub.ocpp.simulator.station import SimulatedStation

__all__ = [
    "DEFAULT_ID_TAG",
    "OCPP16",
    "OCPP201",
    "PROTOCOLS",
    "SimTransaction",
    "SimulatedStation",
    "SimulationStats",
    "StationCallError",
    "StationClosedError",
    "add_arguments",
    "basic_auth",
    "client_ssl_context",
    "format_timestamp",
    "main",
    "percentile",
    "run_demo",
    "run_from_args",
    "run_simulation",
    "station_ids",
    "utc_now",
]
