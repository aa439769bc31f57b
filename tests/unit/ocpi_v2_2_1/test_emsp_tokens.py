"""Our eMSP's token import (JSON/CSV rows), distribution status and blocking, against the in-memory core."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.errors import NotFoundError
from hub.core.models import OutboxMessage, PartyRef, Platform, PlatformStatus, Role, TokenType, WhitelistType
from ocpi_modules.common.runtime import HostedParty, OcpiConfig, OcpiRuntime
from ocpi_modules.v2_2_1.emsp.tokens import (
    CSV_COLUMNS,
    PROGRESS_EVERY,
    TOKEN_TOPIC,
    TokenFileError,
    block_token,
    distribution,
    import_tokens,
    read_token_file,
    retry_failed,
    rows_from_csv,
    token_from_row,
)
from tests.unit.core_kit import CPO, MSP, OWN_UID, T0, Kit, make_kit


def a_runtime(kit: Kit, *, hosted: tuple[HostedParty, ...] | None = None) -> OcpiRuntime:
    config = OcpiConfig(
        public_url="https://hub.example.com",
        hub_party=PartyRef.parse("NL*HUB"),
        hub_name="Test Hub",
        hosted=hosted
        if hosted is not None
        else (
            HostedParty(ref=CPO, role=Role.CPO, name="Own CPO"),
            HostedParty(ref=MSP, role=Role.EMSP, name="Own eMSP"),
        ),
    )
    return OcpiRuntime(config=config, clock=kit.clock, core_getter=lambda: kit.core)


@pytest.fixture
async def kit() -> Kit:
    return await make_kit()


def a_row(uid: str = "UID1", **overrides: Any) -> dict[str, Any]:
    return {"uid": uid, "contract_id": f"NL-MSP-{uid}", **overrides}


# --- files ------------------------------------------------------------------------------------------


def test_csv_rows_keep_their_line_numbers_blank_lines_become_none() -> None:
    text = " UID , Contract_ID ,valid\nA1,C1,true\n\nA2,C2, \nA3,C3,false,extra\n"

    rows = rows_from_csv(text)

    assert rows == [
        {"uid": "A1", "contract_id": "C1", "valid": "true"},
        None,
        {"uid": "A2", "contract_id": "C2"},
        {"__error__": "4 cells for 3 columns"},
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("uid,contract_id,colour\n", "unknown CSV column(s) colour"),
        ("uid,type\n", "lacks the column(s) contract_id"),
        ("uid,contract_id,uid\n", "named twice"),
    ],
)
def test_a_csv_file_with_a_bad_header_is_refused_as_a_whole(text: str, problem: str) -> None:
    with pytest.raises(TokenFileError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        rows_from_csv(text)


def test_read_token_file_picks_json_or_csv_and_the_first_row_number() -> None:
    assert read_token_file("t.json", '[{"uid": "A"}]') == ([{"uid": "A"}], 1)
    assert read_token_file("t.txt", ' {"uid": "A"}') == ([{"uid": "A"}], 1)
    assert read_token_file("t.csv", "uid,contract_id\nA,C\n") == ([{"uid": "A", "contract_id": "C"}], 2)
    with pytest.raises(TokenFileError, match="not valid JSON"):
        read_token_file("t.json", "[{")
    with pytest.raises(TokenFileError, match="list of Token objects"):
        read_token_file("t.json", '"just text"')


_CELL = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=12)


@given(st.lists(st.fixed_dictionaries({name: _CELL for name in CSV_COLUMNS}), max_size=8))
def test_csv_written_by_a_spreadsheet_reads_back_cell_for_cell(records: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS))
    writer.writeheader()
    writer.writerows(records)

    rows = rows_from_csv(buffer.getvalue())

    expected = [{k: v for k, v in r.items() if v} or None for r in records]
    assert rows == expected


# --- rows -------------------------------------------------------------------------------------------


async def test_a_row_gets_our_emsp_defaults(kit: Kit) -> None:
    token = token_from_row(a_row(), rt=a_runtime(kit), issuer="Own eMSP")

    assert token.party == MSP
    assert (token.type, token.whitelist, token.valid, token.own) == (
        TokenType.RFID,
        WhitelistType.ALLOWED,
        True,
        True,
    )
    assert token.issuer == "Own eMSP"
    assert token.last_updated == T0


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"uid": None}, "uid is required"),
        ({"contract_id": ""}, "contract_id is required"),
        ({"uid": "X" * 37}, "uid is longer than 36"),
        ({"uid": " PADDED"}, "printable ASCII"),
        ({"uid": "ÜBER"}, "printable ASCII"),
        ({"visual_number": "1\n2"}, "control characters"),
        ({"issuer": "I" * 65}, "issuer is longer than 64"),
        ({"type": "PLASTIC"}, "type 'PLASTIC'"),
        ({"whitelist": "SOMETIMES"}, "whitelist 'SOMETIMES'"),
        ({"valid": "maybe"}, "valid must be true or false"),
        ({"language": "dutch"}, "language"),
        ({"contract_id": 12}, "contract_id must be a string"),
        ({"country_code": "DE", "party_id": "ABC"}, "not our eMSP"),
    ],
)
async def test_a_bad_row_says_what_is_wrong(kit: Kit, overrides: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        token_from_row(a_row(**overrides), rt=a_runtime(kit), issuer="Own eMSP")


async def test_rows_accept_text_flags_any_case_enums_and_our_party_in_any_case(kit: Kit) -> None:
    row = a_row(valid="No", whitelist="allowed_offline", type="app_user", country_code="nl", party_id="msp")

    token = token_from_row(row, rt=a_runtime(kit), issuer="x")

    assert (token.valid, token.whitelist, token.type) == (
        False,
        WhitelistType.ALLOWED_OFFLINE,
        TokenType.APP_USER,
    )


async def test_without_a_hosted_emsp_nothing_is_imported(kit: Kit) -> None:
    rt = a_runtime(kit, hosted=(HostedParty(ref=CPO, role=Role.CPO, name="Own CPO"),))

    with pytest.raises(NotFoundError, match="no eMSP"):
        await import_tokens(rt, [a_row()])


# --- import -----------------------------------------------------------------------------------------


async def test_import_stores_good_rows_reports_bad_ones_and_pushes_only_changes(kit: Kit) -> None:
    rt = a_runtime(kit)
    rows: list[Any] = [a_row("A"), "not an object", a_row("B", type="BAD"), None, a_row("a"), a_row(OWN_UID)]
    before = len(kit.outbox("token.updated"))

    report = await import_tokens(rt, rows, first_row=10)

    assert (report.total, report.imported, report.unchanged, report.blank) == (6, 2, 0, 1)
    assert [(e.row, e.uid) for e in report.errors] == [(11, None), (12, "B"), (14, "a")]
    assert "row 10" in report.errors[2].error
    assert [m.payload["uid"] for m in kit.outbox("token.updated")[before:]] == ["A", OWN_UID]
    again = await import_tokens(rt, [a_row("A")])
    assert (again.imported, again.unchanged) == (0, 1)
    assert len(kit.outbox("token.updated")) == before + 2


async def test_import_reports_progress_for_long_files(kit: Kit) -> None:
    seen: list[tuple[int, int]] = []
    rows = [a_row(f"U{i}") for i in range(PROGRESS_EVERY + 3)]

    report = await import_tokens(
        a_runtime(kit), rows, progress=lambda done, total: seen.append((done, total))
    )

    assert report.imported == PROGRESS_EVERY + 3
    assert seen == [(PROGRESS_EVERY, len(rows)), (len(rows), len(rows))]


# --- distribution -----------------------------------------------------------------------------------


async def add_push(kit: Kit, target: str | None, uid: str, *, state: str, topic: str = TOKEN_TOPIC) -> None:
    async with kit.db.unit_of_work() as uow:
        message_id = await uow.outbox.add(
            OutboxMessage(
                topic=topic,
                key=f"{target}|token:NL*MSP:{uid.upper()}",
                target=target,
                payload={"uid": uid, "type": "RFID"},
                created=T0,
                next_attempt_at=T0 + timedelta(hours=1),
            )
        )
        if state == "accepted":
            await uow.outbox.mark_delivered(message_id, T0)
        elif state == "failed":
            await uow.outbox.mark_failed(message_id, "HTTP 500, status 3000", T0 + timedelta(hours=1))
        await uow.commit()


async def test_distribution_groups_the_newest_push_of_each_token_per_cpo(kit: Kit) -> None:
    await kit.core.platforms.put(
        Platform(id="p1", name="Charge X", status=PlatformStatus.CONNECTED, last_updated=T0)
    )
    await add_push(kit, "p1|DE*CPX", "A", state="failed")
    await add_push(kit, "p1|DE*CPX", "A", state="accepted")  # newer: the retry went through
    await add_push(kit, "p1|DE*CPX", "B", state="failed")
    await add_push(kit, "p1|DE*CPX", "C", state="pending")
    await add_push(kit, "p2|FR*CPO", "A", state="accepted")
    await add_push(kit, None, "D", state="pending")
    await add_push(kit, "p1|DE*CPX", "E", state="failed", topic="ocpi.tariff.updated")

    groups = await distribution(a_runtime(kit))

    assert [(g.cpo, g.platform, g.accepted, g.pending, g.failed) for g in groups] == [
        ("FR*CPO", "", 1, 0, 0),
        ("DE*CPX", "Charge X", 1, 1, 1),
    ]
    [failed] = groups[1].failed_tokens
    assert (failed.uid, failed.attempts, failed.last_error) == ("B", 1, "HTTP 500, status 3000")
    assert failed.next_attempt_at == "2026-01-05T10:00:00Z"
    assert groups[1].as_json()["failed_tokens"][0]["uid"] == "B"


async def test_retry_failed_makes_failed_pushes_due_now(kit: Kit) -> None:
    await add_push(kit, "p1|DE*CPX", "A", state="failed")
    await add_push(kit, "p1|DE*CPX", "B", state="pending")

    count = await retry_failed(a_runtime(kit))

    assert count == 1
    due = {m.payload["uid"]: m.next_attempt_at for m in kit.outbox(TOKEN_TOPIC)}
    assert due == {"A": T0, "B": T0 + timedelta(hours=1)}


# --- block ------------------------------------------------------------------------------------------


async def test_block_sets_valid_false_once_and_refuses_unknown_tokens(kit: Kit) -> None:
    rt = a_runtime(kit)

    before = len(kit.outbox("token.updated"))

    blocked = await block_token(rt, OWN_UID.lower())
    again = await block_token(rt, OWN_UID)

    assert blocked.valid is False
    assert again == blocked
    assert [m.payload["valid"] for m in kit.outbox("token.updated")[before:]] == [False]
    with pytest.raises(NotFoundError):
        await block_token(rt, "NOT-OURS")
