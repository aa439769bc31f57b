"""Authorization: own tokens by `valid`, roaming tokens by whitelist type with a real-time question to the
owner under a deadline, unknown tokens, and tokens the hub injected into a station by command."""

from __future__ import annotations

import asyncio

import pytest

from hub.core.authorization import INJECTED_TOKEN_WINDOW, Injection
from hub.core.models import AuthorizationDecision, AuthorizationStatus, Token, WhitelistType
from tests.unit.core_kit import OWN_UID, STATION, Kit, a_roaming_token, a_token, make_kit

ALLOWED, BLOCKED, NOT_ALLOWED, UNKNOWN = (
    AuthorizationStatus.ALLOWED,
    AuthorizationStatus.BLOCKED,
    AuthorizationStatus.NOT_ALLOWED,
    AuthorizationStatus.UNKNOWN,
)


class FakeOwner:
    """A RemoteAuthorizer that answers with a fixed status, returns None, or hangs past any deadline."""

    def __init__(self, mode: str, status: AuthorizationStatus = ALLOWED) -> None:
        self.mode = mode
        self.status = status
        self.asked: list[str] = []

    async def authorize(
        self, token: Token, location_id: str | None, evse_uid: str | None
    ) -> AuthorizationDecision | None:
        self.asked.append(token.uid)
        if self.mode == "hangs":
            await asyncio.Event().wait()
        if self.mode == "none":
            return None
        if self.mode == "fails":
            raise ConnectionError("partner down")
        return AuthorizationDecision(status=self.status, authorization_reference="ref-1")


async def kit_with(owner: FakeOwner | None, token: Token) -> Kit:
    kit = await make_kit(remote=owner)
    await kit.core.tokens.put(token)
    return kit


async def test_own_tokens_are_decided_by_their_valid_flag_without_asking() -> None:
    owner = FakeOwner("answers", NOT_ALLOWED)
    kit = await kit_with(owner, a_token("OWNBLOCKED", valid=False))
    assert (await kit.core.authorization.authorize(OWN_UID)).status is ALLOWED
    assert (await kit.core.authorization.authorize("ownblocked")).status is BLOCKED
    assert owner.asked == []


async def test_unknown_tokens_are_unknown() -> None:
    kit = await make_kit()
    decision = await kit.core.authorization.authorize("NOBODY")
    assert decision.status is UNKNOWN
    assert decision.token is None


@pytest.mark.parametrize(
    ("whitelist", "owner_mode", "expected", "asked"),
    [
        (WhitelistType.ALWAYS, "answers", ALLOWED, False),
        (WhitelistType.ALLOWED, "answers", BLOCKED, True),
        (WhitelistType.ALLOWED, "hangs", ALLOWED, True),
        (WhitelistType.ALLOWED, "none", ALLOWED, True),
        (WhitelistType.ALLOWED, "fails", ALLOWED, True),
        (WhitelistType.ALLOWED_OFFLINE, "answers", BLOCKED, True),
        (WhitelistType.ALLOWED_OFFLINE, "hangs", ALLOWED, True),
        (WhitelistType.ALLOWED_OFFLINE, "none", ALLOWED, True),
        (WhitelistType.NEVER, "answers", BLOCKED, True),
        (WhitelistType.NEVER, "hangs", NOT_ALLOWED, True),
        (WhitelistType.NEVER, "none", NOT_ALLOWED, True),
    ],
)
async def test_roaming_whitelist_matrix(
    whitelist: WhitelistType, owner_mode: str, expected: AuthorizationStatus, asked: bool
) -> None:
    owner = FakeOwner(owner_mode, BLOCKED)
    kit = await kit_with(owner, a_roaming_token(whitelist=whitelist))
    async with asyncio.timeout(2):
        decision = await kit.core.authorization.authorize("deabc0001", location_id="LOC001")
    assert decision.status is expected
    assert bool(owner.asked) is asked
    assert decision.token is not None
    assert decision.token.uid == "DEABC0001"


async def test_the_owners_answer_carries_its_authorization_reference() -> None:
    owner = FakeOwner("answers", ALLOWED)
    kit = await kit_with(owner, a_roaming_token(whitelist=WhitelistType.NEVER))
    decision = await kit.core.authorization.authorize("DEABC0001")
    assert (decision.status, decision.authorization_reference) == (ALLOWED, "ref-1")


async def test_without_a_remote_authorizer_never_tokens_are_not_allowed() -> None:
    kit = await kit_with(None, a_roaming_token(whitelist=WhitelistType.NEVER))
    assert (await kit.core.authorization.authorize("DEABC0001")).status is NOT_ALLOWED


async def test_an_invalid_allowed_token_stays_blocked_when_the_owner_is_silent() -> None:
    kit = await kit_with(FakeOwner("none"), a_roaming_token(whitelist=WhitelistType.ALLOWED, valid=False))
    assert (await kit.core.authorization.authorize("DEABC0001")).status is BLOCKED


async def test_tokens_the_hub_injected_are_allowed_at_that_station_for_a_few_minutes() -> None:
    kit = await kit_with(FakeOwner("answers", NOT_ALLOWED), a_roaming_token(whitelist=WhitelistType.NEVER))
    stranger = a_token("APPUSER42", own=False)  # not even stored: OCPI START_SESSION brings the token along
    kit.core.authorization.injected.add(
        Injection(
            station_id=STATION,
            token=stranger,
            expires=kit.clock.now() + INJECTED_TOKEN_WINDOW,
            authorization_reference="cmd-ref",
        )
    )
    decision = await kit.core.authorization.authorize("appuser42", station_id="cp001")
    assert (decision.status, decision.authorization_reference) == (ALLOWED, "cmd-ref")
    assert (await kit.core.authorization.authorize("APPUSER42", station_id="CP999")).status is UNKNOWN

    kit.clock.advance(seconds=INJECTED_TOKEN_WINDOW.total_seconds() + 1)
    assert (await kit.core.authorization.authorize("APPUSER42", station_id=STATION)).status is UNKNOWN


async def test_a_recent_decision_is_reused_for_the_transaction_start() -> None:
    owner = FakeOwner("answers", ALLOWED)
    kit = await kit_with(owner, a_roaming_token(whitelist=WhitelistType.NEVER))
    service = kit.core.authorization
    await service.verdict("DEABC0001", station_id=STATION)
    await service.verdict("DEABC0001", station_id=STATION, reuse_recent=True)
    assert len(owner.asked) == 1
    kit.clock.advance(minutes=3)
    await service.verdict("DEABC0001", station_id=STATION, reuse_recent=True)
    assert len(owner.asked) == 2
