"""Platform repository contract: partner platforms round-trip on every backend, are found by any token the
partner may present (never by our outbound token) and by the parties they carry; on the SQL backends the
stored rows hold no plain token and a different secret key cannot read them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub.core.models import Endpoint, PartyRef, Platform, PlatformRole, PlatformStatus, Role
from hub.storage import SecretKeyError, SqlDatabase, TokenCipher, open_database
from hub.storage.tables import platforms
from tests.contract.builders import T0, at
from tests.contract.helpers import committed, put_all, read

PARTNER_CPO = PartyRef(country_code="DE", party_id="Abc")
PARTNER_MSP = PartyRef(country_code="DE", party_id="Xyz")


def a_platform(platform_id: str = "0f9e8d7c6b5a49382716059483726150", **overrides: Any) -> Platform:
    values: dict[str, Any] = {
        "id": platform_id,
        "name": "Partner Roaming",
        "status": PlatformStatus.CONNECTED,
        "version": "2.2.1",
        "versions_url": "https://partner.example/ocpi/versions",
        "endpoints": (
            Endpoint(identifier="credentials", role="SENDER", url="https://partner.example/ocpi/2.2.1/cred"),
            Endpoint(identifier="tokens", role="RECEIVER", url="https://partner.example/ocpi/2.2.1/tokens"),
            Endpoint(identifier="tokens", role="SENDER", url="https://partner.example/ocpi/2.2.1/tok-out"),
        ),
        "roles": (
            PlatformRole(
                party=PARTNER_CPO, role=Role.CPO, name="Abc Charging", website="https://abc.example"
            ),
            PlatformRole(party=PARTNER_MSP, role=Role.EMSP, name="Xyz Mobility"),
        ),
        "invitation_token": None,
        "inbound_token": f"inbound-{platform_id}-Ü",
        "previous_inbound_token": f"previous-{platform_id}",
        "previous_inbound_until": at(60),
        "outbound_token": f"outbound-{platform_id}",
        "encode_token": False,
        "registered_at": T0,
        "last_updated": at(1),
    }
    return Platform(**(values | overrides))


async def test_platform_round_trips(database: Any) -> None:
    platform = a_platform()
    await put_all(database, "platforms", platform)

    got = await read(database, lambda uow: uow.platforms.get(platform.id))

    assert got == platform
    assert await read(database, lambda uow: uow.platforms.get("no-such-platform")) is None


async def test_a_planned_platform_with_only_an_invitation_round_trips(database: Any) -> None:
    invited = Platform(id="a1", name="Invited", invitation_token="token-A", last_updated=T0)
    await put_all(database, "platforms", invited)

    got = await read(database, lambda uow: uow.platforms.get("a1"))

    assert got == invited
    assert got.status is PlatformStatus.PLANNED
    assert got.encode_token is True


async def test_put_replaces_and_list_is_ordered_by_name_then_id(database: Any) -> None:
    await put_all(
        database, "platforms", a_platform("p2", name="Beta"), a_platform("p1", name="Beta"), a_platform("p3")
    )
    renamed = a_platform("p3", name="Alpha", status=PlatformStatus.OFFLINE, last_updated=at(9))
    await put_all(database, "platforms", renamed)

    listed = await read(database, lambda uow: uow.platforms.list())

    assert [p.id for p in listed] == ["p3", "p1", "p2"]
    assert listed[0] == renamed


async def test_uncommitted_platforms_are_not_stored(database: Any) -> None:
    async def put_without_commit(uow: Any) -> None:
        await uow.platforms.put(a_platform("p1"))

    await read(database, put_without_commit)

    assert await read(database, lambda uow: uow.platforms.list()) == []


@pytest.mark.parametrize("token_field", ["invitation_token", "inbound_token", "previous_inbound_token"])
async def test_find_by_token_matches_every_token_the_partner_may_present(
    database: Any, token_field: str
) -> None:
    tokens: dict[str, Any] = {"invitation_token": None, "inbound_token": None, "previous_inbound_token": None}
    wanted = a_platform("p1", **(tokens | {token_field: "T-1"}))
    await put_all(database, "platforms", a_platform("p0"), wanted, a_platform("p2"))

    found = await read(database, lambda uow: uow.platforms.find_by_token("T-1"))

    assert found == wanted


async def test_find_by_token_is_exact_and_ignores_our_outbound_token(database: Any) -> None:
    platform = a_platform("p1", inbound_token="Secret-Token", outbound_token="Their-Token")
    await put_all(database, "platforms", platform)

    async def find(token: str) -> Platform | None:
        return await read(database, lambda uow: uow.platforms.find_by_token(token))

    assert await find("Secret-Token") == platform
    assert await find("secret-token") is None  # tokens are case-sensitive
    assert await find("Secret-Token ") is None
    assert await find("Their-Token") is None  # what we present to them never authenticates them
    assert await find("") is None


async def test_a_rotated_token_no_longer_finds_the_platform(database: Any) -> None:
    await put_all(database, "platforms", a_platform("p1", inbound_token="old", previous_inbound_token=None))
    rotated = a_platform("p1", inbound_token="new", previous_inbound_token=None, last_updated=at(2))
    await put_all(database, "platforms", rotated)

    assert await read(database, lambda uow: uow.platforms.find_by_token("old")) is None
    assert await read(database, lambda uow: uow.platforms.find_by_token("new")) == rotated


async def test_find_by_party_is_case_insensitive_and_skips_suspended_platforms(database: Any) -> None:
    suspended = a_platform("p1", status=PlatformStatus.SUSPENDED, last_updated=at(5))
    active = a_platform("p2", status=PlatformStatus.OFFLINE, last_updated=at(1))
    await put_all(database, "platforms", suspended, active)

    async def find(text: str) -> Platform | None:
        return await read(database, lambda uow: uow.platforms.find_by_party(PartyRef.parse(text)))

    assert await find("de*abc") == active
    assert await find("DE*XYZ") == active
    assert await find("NL*ABC") is None
    await put_all(database, "platforms", active.model_copy(update={"status": PlatformStatus.SUSPENDED}))
    assert await find("DE*ABC") is None


async def test_find_by_party_prefers_the_most_recently_updated_platform(database: Any) -> None:
    older, newer = a_platform("p1", last_updated=at(1)), a_platform("p2", last_updated=at(3))
    await put_all(database, "platforms", older, newer)

    found = await read(database, lambda uow: uow.platforms.find_by_party(PARTNER_CPO))

    assert found == newer


async def test_find_by_party_treats_wildcard_characters_literally(database: Any) -> None:
    odd = PlatformRole(party=PartyRef(country_code="NL", party_id="A_%"), role=Role.CPO)
    await put_all(database, "platforms", a_platform("p1", roles=(odd,)))

    async def find(text: str) -> Platform | None:
        return await read(database, lambda uow: uow.platforms.find_by_party(PartyRef.parse(text)))

    assert await find("NL*ABC") is None
    assert await find("NL*A%%") is None
    assert (await find("nl*a_%")) is not None


# --- encryption at rest (SQL backends) ------------------------------------------------------------


async def raw_rows(db: SqlDatabase) -> list[dict[str, Any]]:
    tx = db.transaction()
    try:
        return [dict(row._mapping) for row in await tx.read(select(platforms))]
    finally:
        await tx.close()


async def test_stored_rows_hold_no_plain_token(sql_database: SqlDatabase) -> None:
    platform = a_platform("p1", invitation_token="invite-AAAA")
    await put_all(sql_database, "platforms", platform)

    [row] = await raw_rows(sql_database)

    plain = ["invite-AAAA", "inbound-p1-Ü", "previous-p1", "outbound-p1"]
    for column, value in row.items():
        for token in plain:
            assert token not in str(value), f"column {column} holds a plain token"
    digests = [
        row[f"{name}_digest"]
        for name in ("invitation_token", "inbound_token", "previous_inbound_token", "outbound_token")
    ]
    assert all(len(d) == 64 for d in digests)
    assert len(set(digests)) == 4


async def test_the_same_token_is_encrypted_differently_every_time(sql_database: SqlDatabase) -> None:
    await put_all(sql_database, "platforms", a_platform("p1", inbound_token="same"))
    [first] = await raw_rows(sql_database)
    await put_all(sql_database, "platforms", a_platform("p1", inbound_token="same", last_updated=at(3)))
    [second] = await raw_rows(sql_database)

    assert first["inbound_token"] != second["inbound_token"]
    assert first["inbound_token_digest"] == second["inbound_token_digest"]


async def test_rows_are_encrypted_with_the_given_secret_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    key = b"a secret key of the hub, 32 chars"
    db = await open_database(url, secret_key=key)
    try:
        await put_all(db, "platforms", a_platform("p1", inbound_token="tok-1"))
        [row] = await raw_rows(db)
    finally:
        await db.close()

    cipher = TokenCipher(key)
    assert cipher.decrypt(row["inbound_token"]) == "tok-1"
    assert row["inbound_token_digest"] == cipher.digest("tok-1")

    reopened = await open_database(url, secret_key=key)
    try:
        assert (await read(reopened, lambda uow: uow.platforms.find_by_token("tok-1"))).id == "p1"
    finally:
        await reopened.close()


async def test_another_secret_key_cannot_read_the_tokens(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    db = await open_database(url, secret_key=b"the first secret key, long enough")
    try:
        await put_all(db, "platforms", a_platform("p1", inbound_token="tok-1"))
    finally:
        await db.close()

    other = await open_database(url, secret_key=b"another secret key, long enough!")
    try:
        assert await read(other, lambda uow: uow.platforms.find_by_token("tok-1")) is None
        with pytest.raises(SecretKeyError, match="secret key differs"):
            await read(other, lambda uow: uow.platforms.get("p1"))
    finally:
        await other.close()


async def test_platforms_are_written_in_the_callers_transaction(sql_database: SqlDatabase) -> None:
    async def put_then_fail(uow: Any) -> None:
        await uow.platforms.put(a_platform("p1"))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await committed(sql_database, put_then_fail)

    assert await raw_rows(sql_database) == []
