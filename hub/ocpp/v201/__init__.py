"""OCPP 2.0.1 for the hub: the version's handlers, commands, mapping and policy, bundled as `VERSION`.

Imports the standard library, hub.core, the shared hub.ocpp modules and this package (never hub.ocpp.v16).
"""

from __future__ import annotations

from hub.ocpp.protocol import VersionSpec
from hub.ocpp.schemas import package_schema_dir
from hub.ocpp.v201 import policy
from hub.ocpp.v201.commands import StationCommands
from hub.ocpp.v201.handlers import HANDLERS

VERSION = VersionSpec(
    protocol=policy.PROTOCOL,
    schema_dir=package_schema_dir("v201"),
    handlers=HANDLERS,
    actions=policy.ACTIONS,
    boot_exempt=policy.BOOT_EXEMPT,
    commands=StationCommands(),
    format_violation_code=policy.FORMAT_VIOLATION_CODE,
    policy=policy,
    # 2.0.1 Part 2 B02/B03: before an Accepted boot the CSMS answers other requests with SecurityError.
    reject_before_boot=True,
    # 2.0.1 Part 4 §4.3: a frame that is not a valid RPC message -> RpcFrameworkError; an unknown
    # MessageTypeId -> MessageTypeNotSupported.
    invalid_json_code="RpcFrameworkError",
    invalid_frame_code="RpcFrameworkError",
    unknown_message_type_code="MessageTypeNotSupported",
)

__all__ = ["VERSION"]
