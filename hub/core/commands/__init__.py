"""Commands to our stations: `CommandService` (the commands, `service.py`) on shared machinery
(`machinery.py`: background station calls with deadlines, results, targets).

Imports the standard library, structlog and the core only.
"""

from hub.core.commands.machinery import CHARGING_LIMIT_UNITS, PENDING_CANCELLED
from hub.core.commands.service import CommandService

__all__ = ["CHARGING_LIMIT_UNITS", "PENDING_CANCELLED", "CommandService"]
