"""OCPP 1.6J for the hub: the version's handlers, commands, mapping and policy, bundled as `VERSION`.

Imports the standard library, hub.core, the shared hub.ocpp modules and this package (never hub.ocpp.v201).
"""

from __future__ import annotations

from hub.ocpp.protocol import VersionSpec
from hub.ocpp.schemas import package_schema_dir
from hub.ocpp.v16 import policy
from hub.ocpp.v16.commands import StationCommands
from hub.ocpp.v16.handlers import HANDLERS

VERSION = VersionSpec(
    protocol=policy.PROTOCOL,
    schema_dir=package_schema_dir("v16"),
    handlers=HANDLERS,
    actions=policy.ACTIONS,
    boot_exempt=policy.BOOT_EXEMPT,
    commands=StationCommands(),
    format_violation_code=policy.FORMAT_VIOLATION_CODE,
    policy=policy,
    reject_before_boot=policy.REJECT_BEFORE_BOOT,
    invalid_json_code=policy.INVALID_JSON_CODE,
    invalid_frame_code=policy.INVALID_FRAME_CODE,
    unknown_message_type_code=None,  # OCPP-J 1.6 §4.1.3: ignore frames with an unknown MessageTypeId
)

__all__ = ["VERSION"]
