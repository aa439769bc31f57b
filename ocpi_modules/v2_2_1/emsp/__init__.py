"""Our eMSP (the hosted party with role EMSP): Receivers' storage logic, the Commands Sender, our tokens'
import and distribution, and the resync job. The routes are in `ocpi_modules.v2_2_1.api.emsp`.

An adapter package: imports the core and ocpi_modules only.
"""

from ocpi_modules.v2_2_1.emsp.commands import command_result, start_session, stop_session
from ocpi_modules.v2_2_1.emsp.parties import our_emsp
from ocpi_modules.v2_2_1.emsp.resync import resync
from ocpi_modules.v2_2_1.emsp.tokens import (
    CpoDistribution,
    ImportReport,
    TokenFileError,
    block_token,
    distribution,
    import_tokens,
    read_token_file,
    retry_failed,
)

__all__ = [
    "CpoDistribution",
    "ImportReport",
    "TokenFileError",
    "block_token",
    "command_result",
    "distribution",
    "import_tokens",
    "our_emsp",
    "read_token_file",
    "resync",
    "retry_failed",
    "start_session",
    "stop_session",
]
