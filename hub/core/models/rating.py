"""Re-rating: our eMSP's own price for a CDR a partner CPO sent, kept beside the CPO's price.

Imports the standard library, pydantic and the other model modules only.
"""

from __future__ import annotations

from pydantic import AwareDatetime

from hub.core.models.base import CoreModel, PartyRef
from hub.core.models.sessions import CdrCost


class CdrRating(CoreModel):
    """The "CPO CDR" and the "MSP CDR" of one partner CDR: `cpo_cost` is what the CPO billed (read from its
    CDR, never changed); `msp_cost` is the driver's price from the end-customer tariff configured for
    `emsp_party` (None when that party has none). A credit CDR is rated too, with negative totals."""

    cdr_id: str
    cpo_party: PartyRef
    emsp_party: PartyRef
    session_id: str | None = None
    start: AwareDatetime
    end: AwareDatetime
    token_uid: str
    cpo_cost: CdrCost
    msp_cost: CdrCost | None = None
    msp_tariff_id: str | None = None
    time_zone: str | None = None  # the zone the MSP price read restrictions in; None = UTC by default
    credit: bool = False
    credit_reference_id: str | None = None
    rated_at: AwareDatetime
