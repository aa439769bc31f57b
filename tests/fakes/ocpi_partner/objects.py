"""OCPI 2.2.1 objects as a partner CPO (DE*CPX, Berlin) sends them, for tests that feed our eMSP.

Test support: standard library only.
"""

from __future__ import annotations

from typing import Any


def a_cdr_location(location_id: str = "LOC-1", **overrides: Any) -> dict[str, Any]:
    """The CdrLocation of the partner's one-EVSE Berlin location."""
    return {
        "id": location_id,
        "address": "Hauptstrasse 1",
        "city": "Berlin",
        "country": "DEU",
        "coordinates": {"latitude": "52.52000", "longitude": "13.40500"},
        "evse_uid": "EVSE-1",
        "evse_id": "DE*CPX*E1",
        "connector_id": "1",
        "connector_standard": "IEC_62196_T2",
        "connector_format": "SOCKET",
        "connector_power_type": "AC_3_PHASE",
        **overrides,
    }
