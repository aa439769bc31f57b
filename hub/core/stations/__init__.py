"""Our OCPP stations in the core: the charge-point service (`ChargePointApi`) with admission, connection,
boot, heartbeat, EVSE status and alarms, plus the seeding API `register_station`; transactions and meter
values go on to the session service.

Imports the standard library, structlog and the core only.
"""

from hub.core.stations.evses import (
    DEFAULT_CAPABILITIES,
    STATUS_MAP,
    aggregate,
    evse_uid_for,
    fault_code,
    map_state,
    placeholder_location_id,
)
from hub.core.stations.passwords import hash_password, verify_password
from hub.core.stations.service import ChargePointService

__all__ = [
    "DEFAULT_CAPABILITIES",
    "STATUS_MAP",
    "ChargePointService",
    "aggregate",
    "evse_uid_for",
    "fault_code",
    "hash_password",
    "map_state",
    "placeholder_location_id",
    "verify_password",
]
